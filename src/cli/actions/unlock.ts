import type { Command } from 'commander';
import { describeHolder, forceUnlock } from '../../engine/lock.js';
import { buildContext } from '../build-context.js';


export async function runUnlock(lockId: string, cmd: Command): Promise<void> {
  const { out, statePath, opts } = buildContext(cmd);
  const holder = await forceUnlock(statePath, lockId);
  if (opts.json) out.result({ unlocked: holder });
  out.info(`removed ${describeHolder(holder)}`);
}
