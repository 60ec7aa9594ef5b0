#!/usr/bin/env node
// Wall-clock figures of the sandbox's world, with their targets. These used to be assertions in
// test/sandbox/seed.test.ts ("100k users in under 2 s") and test/sandbox/sandbox.test.ts
// ("1000 users start well under 5 s"), which failed the suite on a busy machine (2,060 ms under
// load, 0.9–1.2 s alone); the tests keep functional checks, the figures live here.
//
//   npm run build && node bench/seed.mjs [users=100000]
//
// Exits 0 whatever the figures: a bench reports, it does not gate.
import { generateDirectory, startSandbox } from '../dist/sandbox/index.js';

const users = Number(process.argv[2] ?? 100_000);
const SEED_TARGET_MS = 2_000;
const START_TARGET_MS = 5_000;

const runs = [];
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const d = generateDirectory({ users, seed: 9 });
  runs.push(performance.now() - t);
  if (d.users.length !== users) throw new Error(`generated ${d.users.length} users, expected ${users}`);
}
const best = Math.min(...runs);
console.log(
  `generateDirectory ${users.toLocaleString('en')} users: ${runs.map((r) => r.toFixed(0)).join(' / ')} ms (best ${best.toFixed(0)} ms; target under ${SEED_TARGET_MS} ms for 100k) ${best < SEED_TARGET_MS ? 'OK' : 'OVER TARGET'}`,
);

const t = performance.now();
const sb = await startSandbox({ users: 1000, seed: 3, speed: 200, rateLimits: true });
const startMs = performance.now() - t;
await sb.stop();
console.log(`startSandbox 1,000 users: ${startMs.toFixed(0)} ms (target under ${START_TARGET_MS} ms) ${startMs < START_TARGET_MS ? 'OK' : 'OVER TARGET'}`);
