import type { State } from '../engine/checkpoint.js';
import type { MigrationContext } from './context.js';

/** A step that saves a ZIA change, and the step that activates it. */
const WRITE_THEN_ACTIVATE: [flow: string, write: string, activate: string][] = [
  ['ad-to-scim', 'enable-migrate-flag', 'activate-flag'],
  ['ad-to-scim', 'enable-scim-on-idp', 'activate-scim'],
  ['rollback', 'restore-auth-settings', 'activate-rollback'],
];

/** True when the checkpoint shows this migration saved a ZIA change it has not activated yet. */
export function ownChangesPending(state: State | undefined): boolean {
  return WRITE_THEN_ACTIVATE.some(([flow, write, activate]) => {
    const steps = state?.flows[flow]?.steps;
    const w = steps?.[write]?.status;
    return (w === 'started' || w === 'succeeded') && steps?.[activate]?.status !== 'succeeded';
  });
}

/** True when the checkpoint records a forward run of the current run that got past its first observation. */
export function migrationRecorded(state: State | undefined): boolean {
  const steps = state?.flows['ad-to-scim']?.steps;
  return steps !== undefined && Object.values(steps).some((s) => s.status !== 'pending');
}

/** What the flows need to know from the checkpoint before they observe anything (the CLI and tests call this). */
export function applyCheckpointFacts(ctx: MigrationContext, state: State | undefined): void {
  ctx.ownChangesPending = ownChangesPending(state);
  ctx.migrationRecorded = migrationRecorded(state);
}
