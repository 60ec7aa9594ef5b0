import type { State } from '../../engine/checkpoint.js';

/** `migrate status` for the inSync provisioning switch, in one sentence (read from the state file only). */
export function insyncStatusSentence(state: State, run: number): string {
  const forward = state.flows['insync-provisioning-switch'];
  const back = state.flows['insync-rollback'];
  const to = forward?.steps['switch-method']?.outputs?.to;
  if (back && !back.completedAt) return `inSync: switching back in progress (run ${run}). Run \`migrate rollback\` again to continue.`;
  if (forward?.completedAt) return `inSync: user provisioning switched to ${String(to)} (run ${run} completed ${forward.completedAt}).`;
  if (forward) return `inSync: provisioning switch in progress (run ${run}). Run \`migrate provisioning-switch\` again to continue, or \`migrate rollback\`.`;
  const last = state.history?.at(-1);
  if (last) return `inSync: switched back (run ${state.history!.length} ${last.outcome} at ${last.closedAt}).`;
  return 'inSync: no change recorded yet.';
}
