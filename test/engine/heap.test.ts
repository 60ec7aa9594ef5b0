import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HEAP_MODULE = new URL('../../dist/engine/heap.js', import.meta.url).href;

/**
 * The shape of a parity read, small: pages of records stay alive for a few turns of the event
 * loop (as they do while a page is validated, normalised and compared), a quarter of each page
 * is kept, the rest becomes garbage that has already been promoted to the old generation.
 * Prints the largest heap V8 committed along the way.
 */
const WORKLOAD = `
const mode = process.argv[1];
const heap = await import(${JSON.stringify(HEAP_MODULE)});
if (mode !== 'default') heap.limitHeapGrowth();
if (mode === 'restored') heap.defaultHeapGrowth();
const kept = [];
const inFlight = [];
let maxHeap = 0;
for (let round = 0; round < 300; round++) {
  inFlight.push(Array.from({ length: 5000 }, (_, i) => ({ id: round + '-' + i, name: 'user ' + i + ' of page ' + round, groups: ['g' + (i % 7)] })));
  await new Promise((r) => setImmediate(r));
  if (inFlight.length > 8) {
    const page = inFlight.shift();
    for (let i = 0; i < page.length; i += 4) kept.push(page[i].id + '|' + page[i].name);
  }
  maxHeap = Math.max(maxHeap, process.memoryUsage().heapTotal);
}
console.log(JSON.stringify({ maxHeap, kept: kept.length }));
`;

async function peakHeap(mode: 'default' | 'limited' | 'restored'): Promise<{ maxHeap: number; kept: number }> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', WORKLOAD, mode], { timeout: 60_000 });
  return JSON.parse(stdout) as { maxHeap: number; kept: number };
}

/**
 * The larger peak of two runs. With V8's own growth the peak varies from run to run, the more so
 * on a busy machine (190–231 MB measured with both cores taken by other work); limited it does
 * not (155–158 MB). Two runs each keep one low default-growth run from looking like the policy.
 */
async function peakOfTwo(mode: 'default' | 'limited' | 'restored'): Promise<{ maxHeap: number; kept: number }> {
  const a = await peakHeap(mode);
  const b = await peakHeap(mode);
  expect(b.kept).toBe(a.kept);
  return a.maxHeap >= b.maxHeap ? a : b;
}

describe('the heap policy (the CLI limits growth at start-up)', () => {
  it('takes effect on this Node: the same garbage-heavy workload commits a clearly smaller heap', async () => {
    const plain = await peakOfTwo('default');
    const limited = await peakOfTwo('limited');
    // Same work, same data kept: only when garbage is collected differs.
    expect(limited.kept).toBe(plain.kept);
    // Measured on Node 20: 190–231 MB by default, 155–158 MB limited. A Node where setting the
    // flag after start-up did nothing would give figures in the same range both times.
    expect(limited.maxHeap).toBeLessThan(plain.maxHeap * 0.9);
  }, 120_000);

  it('defaultHeapGrowth (migrate sandbox) gives V8 its own growth back', async () => {
    const limited = await peakOfTwo('limited');
    const restored = await peakOfTwo('restored');
    expect(restored.kept).toBe(limited.kept);
    expect(limited.maxHeap).toBeLessThan(restored.maxHeap * 0.9);
  }, 120_000);
});
