import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, forceUnlock, lockPathFor } from '../../src/engine/lock.js';

async function statePath() {
  return join(await mkdtemp(join(tmpdir(), 'migrate-lock-')), 'state.json');
}

describe('state lock', () => {
  it('refuses a second holder with the holder details and the unlock command', async () => {
    const path = await statePath();
    const held = await acquireLock(path, 'ad-to-scim');
    const err = (await acquireLock(path, 'rollback').catch((e) => e)) as Error & { hint?: string };
    expect(err.message).toContain(`lock ${held.info.id}`);
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.message).toContain('"ad-to-scim"');
    expect(err.hint).toContain(`migrate unlock ${held.info.id}`);
    await held.release();
    expect(existsSync(lockPathFor(path))).toBe(false);
    const again = await acquireLock(path, 'rollback');
    await again.release();
  });

  it('unlock removes only the lock with the given id', async () => {
    const path = await statePath();
    const held = await acquireLock(path, 'ad-to-scim');
    await expect(forceUnlock(path, '00000000-0000-4000-8000-000000000000')).rejects.toThrow(/lock id mismatch/);
    expect(existsSync(lockPathFor(path))).toBe(true);
    const removed = await forceUnlock(path, held.info.id);
    expect(removed.id).toBe(held.info.id);
    expect(existsSync(lockPathFor(path))).toBe(false);
  });

  it('takes over a lock whose process on this host has exited', async () => {
    const path = await statePath();
    const stale = {
      id: '11111111-1111-4111-8111-111111111111',
      operation: 'ad-to-scim',
      pid: 2 ** 22 + 12345, // above the default pid_max: no such process
      host: hostname(),
      user: 'someone',
      createdAt: new Date(0).toISOString(),
    };
    await writeFile(lockPathFor(path), JSON.stringify(stale));
    const said: string[] = []; // the takeover is reported, into this sink rather than the runner's output
    const held = await acquireLock(path, 'rollback', { notify: (line) => said.push(line) });
    expect(JSON.parse(await readFile(lockPathFor(path), 'utf8')).id).toBe(held.info.id);
    expect(said).toEqual([
      `taking over stale lock ${stale.id} held by someone@${hostname()} (pid ${stale.pid}) for "ad-to-scim" since ${stale.createdAt} (that process has exited)`,
    ]);
    await held.release();
  });

  it('never breaks a lock held from another host', async () => {
    const path = await statePath();
    const remote = {
      id: '22222222-2222-4222-8222-222222222222',
      operation: 'ad-to-scim',
      pid: 1,
      host: 'another-admin-workstation',
      user: 'alice',
      createdAt: new Date().toISOString(),
    };
    await writeFile(lockPathFor(path), JSON.stringify(remote));
    await expect(acquireLock(path, 'rollback')).rejects.toThrow(/alice@another-admin-workstation/);
  });
});
