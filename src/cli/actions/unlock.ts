import type { Command } from 'commander';
import { describeHolder, forceUnlock } from '../../engine/lock.js';
import { JSON_SCHEMA_VERSION } from '../../ui/output.js';
import { buildContext } from '../build-context.js';

export async function runUnlock(lockId: string, cmd: Command): Promise<void> {
  const { out, statePath, opts } = buildContext(cmd);
  const holder = await forceUnlock(statePath, lockId);
  if (opts.json) out.result({ schemaVersion: JSON_SCHEMA_VERSION, unlocked: holder });
  out.print(`removed ${describeHolder(holder)}`);
}
