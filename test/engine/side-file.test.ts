import { describe, expect, test } from '@jest/globals';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSideFile, sideFileHash, writeSideFile } from '../../src/engine/side-file.js';
import { registerSecret } from '../../src/engine/redact.js';

describe('side files beside the state file', () => {
  test('written 0600 in a 0700 directory, read back while the hash matches, refused once edited or gone', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'migrate-side-')), 'state');
    const file = join(dir, 'snap.json');
    const ref = await writeSideFile(file, { users: [{ id: 1 }] });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await sideFileHash(file)).toBe(ref.sha256);
    expect(await readSideFile(ref)).toEqual({ users: [{ id: 1 }] });
    await writeFile(file, (await readFile(file, 'utf8')).replace('1', '2'));
    await expect(readSideFile(ref)).rejects.toThrow(/does not match the hash the state file records/);
    await expect(readSideFile({ ...ref, file: join(dir, 'gone.json') })).rejects.toThrow(/cannot read .*gone\.json, which the state file records: ENOENT/);
    expect(await sideFileHash(join(dir, 'gone.json'))).toBeUndefined();
  });

  test('a registered secret is never written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrate-side-'));
    registerSecret('side-file-test-secret-value-42');
    await expect(writeSideFile(join(dir, 'x.json'), { leaked: 'side-file-test-secret-value-42' })).rejects.toThrow(/nothing was written/);
    expect(await sideFileHash(join(dir, 'x.json'))).toBeUndefined();
  });
});
