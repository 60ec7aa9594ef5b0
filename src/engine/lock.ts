import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { z } from 'zod';
import { UserError } from './errors.js';

export const lockInfoSchema = z
  .object({
    id: z.string().uuid(),
    operation: z.string(),
    pid: z.number().int(),
    host: z.string(),
    user: z.string(),
    createdAt: z.string(),
  })
  .strict();
export type LockInfo = z.infer<typeof lockInfoSchema>;

export interface HeldLock {
  info: LockInfo;
  release(): Promise<void>;
}

export function lockPathFor(statePath: string): string {
  return `${statePath}.lock`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the lock beside `statePath` (for `migrate status`): the same reading acquireLock acts on. */
export function currentLock(statePath: string): Promise<LockInfo | 'unreadable' | undefined> {
  return readLock(lockPathFor(statePath));
}

async function readLock(path: string): Promise<LockInfo | 'unreadable' | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = lockInfoSchema.safeParse(safeJson(text));
  return parsed.success ? parsed.data : 'unreadable';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function describeHolder(info: LockInfo): string {
  return `lock ${info.id} held by ${info.user}@${info.host} (pid ${info.pid}) for "${info.operation}" since ${info.createdAt}`;
}

/** Whether a lock can be proven abandoned: same host, and its process is gone. */
export function isStale(info: LockInfo): boolean {
  return info.host === hostname() && !processAlive(info.pid);
}

/**
 * Takes the lock beside the state file by exclusive create. A second run is refused with the
 * holder's details. A lock left by a dead process on this host is reported and taken over;
 * a lock from another host is never broken automatically (`migrate unlock <id>` does that).
 */
export async function acquireLock(statePath: string, operation: string, opts: { notify?: (line: string) => void } = {}): Promise<HeldLock> {
  // Where the takeover of a stale lock is reported: stderr for the CLI, a sink in tests.
  const notify = opts.notify ?? ((line: string) => process.stderr.write(`migrate: ${line}\n`));
  const path = lockPathFor(statePath);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const info: LockInfo = {
    id: randomUUID(),
    operation,
    pid: process.pid,
    host: hostname(),
    user: safeUser(),
    createdAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${JSON.stringify(info, null, 2)}\n`);
      await handle.sync();
      await handle.close();
      return {
        info,
        release: async () => {
          const current = await readLock(path);
          if (current && current !== 'unreadable' && current.id === info.id) await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = await readLock(path);
      if (holder === undefined) continue; // released between our attempts
      if (holder === 'unreadable') {
        throw new UserError(`state is locked, but the lock file ${path} is unreadable`, {
          hint: `If no other migrate run is active, delete ${path} by hand.`,
        });
      }
      if (attempt === 0 && isStale(holder)) {
        notify(`taking over stale ${describeHolder(holder)} (that process has exited)`);
        await unlink(path).catch(() => undefined);
        continue;
      }
      throw new UserError(`another migrate run holds the state: ${describeHolder(holder)}`, {
        hint: `Wait for it to finish. If it is certainly gone, run: migrate unlock ${holder.id}${statePathFlag(statePath)}`,
      });
    }
  }
  throw new UserError(`could not take the lock ${path}`);
}

function statePathFlag(statePath: string): string {
  return statePath.endsWith('.migrate/state.json') ? '' : ` --state ${statePath}`;
}

/** `migrate unlock <id>`: removes the lock only when the id matches, so the wrong lock is never cleared. */
export async function forceUnlock(statePath: string, id: string): Promise<LockInfo> {
  const path = lockPathFor(statePath);
  const holder = await readLock(path);
  if (holder === undefined) throw new UserError(`there is no lock at ${path}`, { hint: 'Nothing to unlock.' });
  if (holder === 'unreadable') {
    throw new UserError(`the lock file ${path} is unreadable`, { hint: `Delete ${path} by hand if no run is active.` });
  }
  if (holder.id !== id) {
    throw new UserError(`lock id mismatch: ${path} holds ${holder.id}, not ${id}`, { hint: describeHolder(holder) });
  }
  await unlink(path);
  return holder;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
