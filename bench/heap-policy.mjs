#!/usr/bin/env node
// Does the CLI's heap policy (src/engine/heap.ts: --heap-growing-percent set after start-up)
// take effect on this Node? The same garbage-heavy workload runs in child processes with V8's
// default growth, with the policy, and with the policy undone (what `migrate sandbox` does);
// the peak committed heap is printed with the ratio and its target. This measurement used to be
// test/engine/heap.test.ts (42 s of npm test, and a memory assertion that a busy machine can
// upset); the test now checks cheaply that V8 knows the flag and that the CLI sets it.
//
//   npm run build && node bench/heap-policy.mjs [runs=2]
//
// Measured on Node 20 (2 cores): 190–231 MB by default, 155–158 MB limited.
import { execFileSync } from 'node:child_process';

const HEAP_MODULE = new URL('../dist/engine/heap.js', import.meta.url).href;
const TARGET_RATIO = 0.9; // limited peak / default peak

/**
 * The shape of a parity read, small: pages of records stay alive for a few turns of the event
 * loop (as they do while a page is validated, normalised and compared), a quarter of each page
 * is kept, the rest becomes garbage that has already been promoted to the old generation.
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

const runs = Number(process.argv[2] ?? 2);
const MB = (n) => `${(n / 1024 / 1024).toFixed(0)} MB`;

/** The largest peak of `runs` runs: with V8's own growth the peak varies from run to run. */
function peak(mode) {
  const all = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', WORKLOAD, mode], { encoding: 'utf8' });
    all.push(JSON.parse(out));
  }
  if (new Set(all.map((r) => r.kept)).size !== 1) throw new Error(`${mode}: the workload kept different amounts`);
  return { max: Math.max(...all.map((r) => r.maxHeap)), all: all.map((r) => r.maxHeap) };
}

const plain = peak('default');
const limited = peak('limited');
const restored = peak('restored');
const ratio = limited.max / plain.max;
const back = limited.max / restored.max;
console.log(`peak committed heap, same workload (${runs} runs each):`);
console.log(`  V8 default growth:       ${plain.all.map(MB).join(' / ')}`);
console.log(`  limited (the CLI):       ${limited.all.map(MB).join(' / ')}`);
console.log(`  limited, then undone:    ${restored.all.map(MB).join(' / ')}  (migrate sandbox)`);
console.log(
  `limited / default: ${ratio.toFixed(2)} (target under ${TARGET_RATIO}) ${ratio < TARGET_RATIO ? 'OK' : 'OVER TARGET: the flag may not take effect on this Node'}`,
);
console.log(
  `limited / undone:  ${back.toFixed(2)} (target under ${TARGET_RATIO}) ${back < TARGET_RATIO ? 'OK' : "OVER TARGET: defaultHeapGrowth may not restore V8's growth"}`,
);
