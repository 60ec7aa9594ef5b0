import type { Command } from 'commander';
import { currentLock, describeHolder, lockPathFor } from '../../engine/lock.js';
import { runNumber, type State } from '../../engine/checkpoint.js';
import { productOfState } from '../../products/index.js';
import { buildContext } from '../build-context.js';
import { noMigrationRecorded } from '../commands/status.js';

function daysSince(iso: string): string {
  const days = (Date.now() - Date.parse(iso)) / 86_400_000;
  return days < 1 ? `${Math.round(days * 24)} hours` : `${days.toFixed(1)} days`;
}

/** Where the record says the tenant is, in one sentence (status reads only the state file). */
export function tenantSentence(state: State): string {
  const run = runNumber(state);
  // The product the state file belongs to says it in its own words (src/products); else the directory migration's.
  const own = productOfState(state)?.statusSentence;
  if (own) return own(state, run);
  const forward = state.flows['ad-to-scim'];
  const back = state.flows.rollback;
  const stoppedAt = (flow: NonNullable<typeof forward>) => {
    const entry = Object.entries(flow.steps).find(([, r]) => r.status === 'started' || r.status === 'failed');
    return entry ? ` — stopped at "${entry[0]}" (${entry[1].status === 'started' ? 'in doubt or waiting for the operator' : 'failed'})` : '';
  };
  if (back && Object.values(back.steps).some((r) => r.status !== 'pending') && !back.completedAt) {
    return `Tenant: rollback in progress (run ${run})${stoppedAt(back)}. Run \`migrate rollback\` again to continue.`;
  }
  if (forward?.completedAt && forward.steps.complete?.status === 'succeeded') {
    return `Tenant: on SCIM provisioning (run ${run} completed ${forward.completedAt}).`;
  }
  if (forward && Object.values(forward.steps).some((r) => r.status !== 'pending')) {
    return `Tenant: migration in progress (run ${run})${stoppedAt(forward)}. Run \`migrate ad-to-scim\` again to continue, or \`migrate rollback\`.`;
  }
  const last = state.history?.at(-1);
  if (last) return `Tenant: back on directory sync (run ${state.history!.length} ${last.outcome} at ${last.closedAt}); a new ad-to-scim starts run ${run}.`;
  return 'Tenant: no change recorded yet (at the starting point, as far as this state file knows).';
}

export async function runStatus(cmd: Command): Promise<void> {
  const { out, store, statePath, opts } = buildContext(cmd);
  const state = await store.load();
  if (!state) {
    throw noMigrationRecorded(statePath);
  }
  const lock = await currentLock(statePath);
  const completedAt = state.flows['ad-to-scim']?.steps.complete?.outputs?.completedAt;
  const notes = productOfState(state)?.statusNotes?.(state, Date.now());
  const onScim = typeof completedAt === 'string' && state.flows['ad-to-scim']?.steps.complete?.status === 'succeeded' ? completedAt : undefined;
  if (opts.json) {
    out.result({
      ...state,
      run: runNumber(state),
      tenant: tenantSentence(state),
      lock: lock ?? null,
      onScimSince: onScim ?? null,
      ...notes?.json,
    });
    return;
  }
  out.print(out.color.bold(`migration ${state.lineage}`) + `  ${state.target.label}`);
  out.print(`state ${statePath}  serial ${state.serial}  updated ${state.updatedAt}  tool ${state.toolVersion}`);
  out.print(
    lock === undefined
      ? 'not locked'
      : lock === 'unreadable'
        ? out.color.red(
            `locked, but the lock file ${lockPathFor(statePath)} is unreadable: no run can start until it is removed (by hand, if no migrate run is active)`,
          )
        : out.color.yellow(describeHolder(lock)),
  );
  const run = runNumber(state);
  out.print(out.color.bold(tenantSentence(state)));
  for (const line of notes?.lines ?? []) out.print(line.attention ? out.color.yellow(line.text) : line.text);
  out.print(state.snapshot ? `run ${run}: snapshot taken ${state.snapshot.takenAt}` : `run ${run}: no snapshot yet`);
  const printFlows = (flows: State['flows'], runNo: number) => {
    for (const [flowId, flow] of Object.entries(flows)) {
      out.print('');
      out.print(
        out.color.bold(`${flowId}`) +
          out.color.dim(`  run ${runNo}, started ${flow.startedAt}`) +
          (flow.completedAt ? out.color.green(`  completed ${flow.completedAt}`) : ''),
      );
      for (const [stepId, rec] of Object.entries(flow.steps)) {
        const paint = rec.status === 'succeeded' ? out.color.green : rec.status === 'failed' ? out.color.red : out.color.cyan;
        const when = rec.finishedAt ?? rec.startedAt;
        out.print(
          `  ${paint(rec.status.padEnd(11))} ${stepId.padEnd(26)} ${out.color.dim(when ? `${when} (run ${runNo})` : `(run ${runNo})`)}` +
            `${rec.attempts > 1 ? ` attempts ${rec.attempts}` : ''}${rec.lastError ? out.color.red(` — ${rec.lastError.split('\n')[0]}`) : ''}`,
        );
      }
    }
  };
  printFlows(state.flows, run);
  (state.history ?? []).forEach((closed, i) => {
    out.print('');
    out.print(
      out.color.dim(`run ${i + 1}: ${closed.outcome} at ${closed.closedAt}`) +
        (closed.snapshot ? out.color.dim(`  (snapshot ${closed.snapshot.takenAt})`) : ''),
    );
  });
  if (onScim) {
    out.print('');
    out.print(out.color.green(`On SCIM provisioning for ${daysSince(onScim)} (since ${onScim}).`));
    out.print('Leave the migration flag on and the repository type alone; the Authentication Bridge VM can go after a few quiet days.');
  }
}
