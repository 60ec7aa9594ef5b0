import type { Command } from 'commander';
import { registerUnlockCommand } from './unlock.js';

/** One place that lists every command, in the order `--help` shows them. */
export function registerCommands(program: Command): void {
  registerUnlockCommand(program);
}
