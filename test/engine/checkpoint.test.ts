import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCheckpointStore, newState } from '../../src/engine/checkpoint.js';

const target = { system: 'toy', id: 'toy:1', label: 'toy 1' };

async function savedStore() {
  const path = join(await mkdtemp(join(tmpdir(), 'migrate-ckpt-')), 'state.json');
  const store = new FileCheckpointStore(path);
  await store.save(newState(target));
  return { path, store };
}

describe('checkpoint file validation', () => {
  it('round-trips and increases the serial on every write', async () => {
    const { store } = await savedStore();
    const first = await store.load();
    expect(first!.serial).toBe(1);
    const { checksum: _c, ...rest } = first!;
    const second = await store.save(rest);
    expect(second.serial).toBe(2);
    expect(second.lineage).toBe(first!.lineage);
  });

  it.each([
    ['truncated', (t: string) => t.slice(0, t.length / 2), /corrupt or truncated/],
    ['hand-edited', (t: string) => t.replace('"serial": 1', '"serial": 7'), /does not match its checksum/],
    ['wrong shape', (t: string) => t.replace('"schemaVersion": 1', '"schemaVersion": 99'), /not a valid migrate state/],
  ])('refuses a %s state file and leaves it untouched', async (_name, damage, message) => {
    const { path, store } = await savedStore();
    const damaged = damage(await readFile(path, 'utf8'));
    await writeFile(path, damaged);
    await expect(store.load()).rejects.toThrow(message);
    await expect(store.save(newState(target))).rejects.toThrow(message);
    expect(await readFile(path, 'utf8')).toBe(damaged);
  });

  it('refuses to overwrite a state that changed under the run', async () => {
    const { store } = await savedStore();
    const loaded = await store.load();
    const { checksum: _c, ...rest } = loaded!;
    await store.save(rest);
    await expect(store.save(rest)).rejects.toThrow(/changed under this run/);
  });
});
