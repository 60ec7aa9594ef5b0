import type { Command } from 'commander';
import { registerAdToScimCommand } from './ad-to-scim.js';
import { registerDemoCommand } from './demo.js';
import { registerInitCommand } from './init.js';
import { registerProvisioningSwitchCommand } from './provisioning-switch.js';
import { registerRollbackCommand } from './rollback.js';
import { registerSandboxCommand } from './sandbox.js';
import { registerStatusCommand } from './status.js';
import { registerUnlockCommand } from './unlock.js';
import { registerVerifyCommand } from './verify.js';

/** One place that lists every command, in the order `--help` shows them. */
export function registerCommands(program: Command): void {
  registerDemoCommand(program);
  registerAdToScimCommand(program);
  registerRollbackCommand(program);
  registerProvisioningSwitchCommand(program);
  registerVerifyCommand(program);
  registerStatusCommand(program);
  registerInitCommand(program);
  registerUnlockCommand(program);
  registerSandboxCommand(program);
}
