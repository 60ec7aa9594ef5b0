import type { Command } from 'commander';

export function registerUnlockCommand(program: Command): void {
  program
    .command('unlock <lock-id>')
    .description('clear the lock left by a run that is certainly no longer running')
    .addHelpText(
      'after',
      `
The lock id is printed when a run is refused because of the lock. Only a lock with that exact
id is removed, so a newer run's lock is never cleared by mistake.

Example:
  $ migrate unlock 6f1c2a8e-4b7d-4c1e-9a55-1d2b3c4d5e6f --state ./.migrate/state.json`,
    )
    .action(async (lockId: string, _opts: unknown, cmd: Command) => {
      await (await import('../actions/unlock.js')).runUnlock(lockId, cmd);
    });
}
