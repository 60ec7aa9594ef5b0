import { closeRun } from '../engine/checkpoint.js';
import type { Flow } from '../engine/step.js';
import type { IdpProvisioner } from '../idps/provisioner.js';
import type { MigrationContext } from './context.js';
import { retireFlow } from './retire.js';

type Lifecycle = Pick<Flow<MigrationContext>, 'precondition' | 'alreadyDone' | 'onComplete'>;

/** A builder of one flow per IdP, each built once: the same IdP always gets the same Flow object. */
export function perIdp(build: (idp: IdpProvisioner) => Flow<MigrationContext>): (idp: IdpProvisioner) => Flow<MigrationContext> {
  const built = new Map<IdpProvisioner, Flow<MigrationContext>>();
  return (idp) => {
    let flow = built.get(idp);
    if (!flow) built.set(idp, (flow = build(idp)));
    return flow;
  };
}

/** A directory→SCIM forward run (ZIA's, ZPA's) that completes makes any earlier rollback history stale: the next rollback starts afresh. */
export const forwardLifecycle: Lifecycle = {
  onComplete(state) {
    retireFlow(state, 'rollback', 'pending');
  },
};

/**
 * The rollback of a directory→SCIM forward run (ZIA's, ZPA's): it runs only on a state file that records
 * a forward run, a rerun after it completed changes nothing, and completing it closes the run.
 */
export const rollbackLifecycle: Lifecycle = {
  precondition(state) {
    const forward = state?.flows['ad-to-scim'];
    const touched = forward && Object.values(forward.steps).some((s) => s.status !== 'pending');
    return touched ? undefined : 'nothing to roll back: this state file records no ad-to-scim run (pass the --state of the migration to undo)';
  },
  alreadyDone(state) {
    // A completed rollback closed its run: the forward record is history, and a rerun changes nothing.
    const last = state?.history?.at(-1);
    if (!state || state.flows['ad-to-scim'] || last?.outcome !== 'rolled-back') return undefined;
    return `already rolled back at ${last.closedAt} (run ${state.history!.length}); nothing to undo. The next ad-to-scim starts run ${state.history!.length + 1}.`;
  },
  onComplete(state) {
    retireFlow(state, 'ad-to-scim', 'rolled-back');
    // The migration is undone: its records and snapshot become history, and a new forward run starts
    // afresh (new snapshot, counters and timestamps) instead of trusting the old run's evidence.
    closeRun(state, 'rolled-back');
  },
};
