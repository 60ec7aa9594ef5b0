import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../engine/errors.js';
import { commonOptions } from '../context.js';

// Definition only: the state file's reader (and its schema) loads when there is a file to read.

export function noMigrationRecorded(statePath: string): UserError {
  return new UserError(`no migration recorded at ${statePath}`, { hint: 'Start with `migrate ad-to-scim --dry-run`, or pass --state.' });
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show what the checkpoint records: each step, the lock, and how long the tenant has been on SCIM')
    .addHelpText(
      'after',
      `
Reads only the state file; contacts no system.

Examples:
  $ migrate status
  $ migrate status --json | jq '.flows["ad-to-scim"].steps'`,
    )
    .action(async (_o: unknown, cmd: Command) => {
      const statePath = resolve(commonOptions(cmd).state);
      if (!existsSync(statePath)) throw noMigrationRecorded(statePath);
      await (await import('../actions/status.js')).runStatus(cmd);
    });
}
