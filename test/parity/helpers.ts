import type { IdentityRecord, Source } from '../../src/parity/index.js';

/** Yields `records` in pages of the given sizes (cycled), the way a client's paged reader does. */
export async function* pages(records: IdentityRecord[], sizes: number[] = [1000]): AsyncGenerator<IdentityRecord[]> {
  let i = 0;
  let s = 0;
  while (i < records.length) {
    const size = Math.max(1, sizes[s++ % sizes.length]!);
    yield records.slice(i, i + size);
    i += size;
    // A real read awaits the network between pages; interleave with the other sources.
    await Promise.resolve();
  }
}

let seq = 0;
export function rec(source: Source, fields: Partial<IdentityRecord>): IdentityRecord {
  return { source, sourceId: `${source}-${++seq}`, groups: [], ...fields };
}
