import type { Command } from 'commander';
import { UserError } from '../../engine/errors.js';
import { currentLock, describeHolder, lockPathFor } from '../../engine/lock.js';
import { buildContext } from '../context.js';

function daysSince(iso: string): string {
  const days = (Date.now() - Date.parse(iso)) / 86_400_000;
  return days < 1 ? `${Math.round(days * 24)} hours` : `${days.toFixed(1)} days`;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show what the checkpoint records: each step, the lock, and how long the tenant has been on SCIM')
    .addHelpText('after', `
Reads only the state file; contacts no system.

Examples:
  $ migrate status
  $ migrate status --json | jq '.flows["ad-to-scim"].steps'`)
    .action(async (_o: unknown, cmd: Command) => {
      const { out, store, statePath, opts } = buildContext(cmd);
      const state = await store.load();
      if (!state) {
        throw new UserError(`no migration recorded at ${statePath}`, { hint: 'Start with `migrate ad-to-scim --dry-run`, or pass --state.' });
      }
      const lock = await currentLock(statePath);
      const completedAt = state.flows['ad-to-scim']?.steps.complete?.outputs?.completedAt;
      const onScim = typeof completedAt === 'string' && state.flows['ad-to-scim']?.steps.complete?.status === 'succeeded' ? completedAt : undefined;
      if (opts.json) {
        out.result({ ...state, lock: lock ?? null, onScimSince: onScim ?? null });
        return;
      }
      out.info(out.color.bold(`migration ${state.lineage}`) + `  ${state.target.label}`);
      out.info(`state ${statePath}  serial ${state.serial}  updated ${state.updatedAt}  tool ${state.toolVersion}`);
      out.info(
        lock === undefined
          ? 'not locked'
          : lock === 'unreadable'
            ? out.color.red(`locked, but the lock file ${lockPathFor(statePath)} is unreadable: no run can start until it is removed (by hand, if no migrate run is active)`)
            : out.color.yellow(describeHolder(lock)),
      );
      out.info(state.snapshot ? `snapshot taken ${state.snapshot.takenAt}` : 'no snapshot yet');
      for (const [flowId, flow] of Object.entries(state.flows)) {
        out.info('');
        out.info(out.color.bold(`${flowId}`) + (flow.completedAt ? out.color.green(`  completed ${flow.completedAt}`) : ''));
        for (const [stepId, rec] of Object.entries(flow.steps)) {
          const paint = rec.status === 'succeeded' ? out.color.green : rec.status === 'failed' ? out.color.red : out.color.cyan;
          out.info(`  ${paint(rec.status.padEnd(11))} ${stepId}${rec.attempts > 1 ? ` (attempts ${rec.attempts})` : ''}${rec.lastError ? out.color.red(` — ${rec.lastError.split('\n')[0]}`) : ''}`);
        }
      }
      if (onScim) {
        out.info('');
        out.info(out.color.green(`On SCIM provisioning for ${daysSince(onScim)} (since ${onScim}).`));
        out.info('Leave the migration flag on and the repository type alone; the Authentication Bridge VM can go after a few quiet days.');
      }
    });
}
