#!/usr/bin/env node
// Benchmark of the parity diff alone (no network): synthetic directory, ZIA and SCIM
// populations generated on the fly as async generators yielding pages of 1000, fed to
// computeParity. Each size runs in its own child process so peak RSS is per size.
//
//   npx tsc -p tsconfig.build.json && node bench/parity-diff.mjs [100000 1000000 ...]
//
// Prints wall time, users/s, peak RSS (process.resourceUsage().maxRSS) and the RSS before
// the diff started (the Node + module baseline).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createPrng } from '../dist/sandbox/world/seed.js';

const PAGE = 1000;
/** Groups per user (PARITY_BENCH_GROUPS, default 3). LDAP sync allows up to 128 per user (docs/vendor-facts.md F14). */
const GROUPS = Number(process.env.PARITY_BENCH_GROUPS ?? 3);
const self = fileURLToPath(import.meta.url);

function baseUser(i) {
  return {
    userName: `user${i}@corp.example.test`,
    email: `first${i}.last${i}@corp.example.test`,
    displayName: `First${i} Last${i}`,
    department: `Department ${i % 60}`,
    active: i % 50 !== 0,
    groups: [
      `Staff ${i % 7}`,
      `Project ${i % 300}`,
      `Site ${i % 25}`,
      ...Array.from({ length: Math.max(0, GROUPS - 3) }, (_, j) => `Team ${(i + j * 131) % 2000}`),
    ],
  };
}

/** One source: ~0.5% missing, ~0.5% extra, ~1% drifted display names, ~0.2% case changes. */
async function* source(name, n, seed) {
  const r = createPrng(seed); // the sandbox's seeded generator, so runs are comparable
  let page = [];
  for (let i = 0; i < n; i++) {
    const u = baseUser(i);
    if (name !== 'directory') {
      const x = r();
      if (x < 0.005) continue; // missing downstream
      if (x < 0.015) u.displayName += ' (old)';
      else if (x < 0.017) u.userName = u.userName.toUpperCase();
      if (name === 'zia') {
        u.email = u.userName;
        u.active = undefined;
      }
    }
    page.push({ source: name, sourceId: `${name}-${i}`, ...u });
    if (page.length === PAGE) {
      yield page;
      page = [];
      // Let the other streams interleave, as network reads would.
      await new Promise((res) => setImmediate(res));
    }
  }
  if (name !== 'directory') {
    for (let i = 0; i < n / 200; i++) {
      page.push({ source: name, sourceId: `${name}-x${i}`, ...baseUser(n + i) });
      if (page.length === PAGE) {
        yield page;
        page = [];
      }
    }
  }
  if (page.length > 0) yield page;
}

async function runOne(n) {
  const { computeParity } = await import('../dist/parity/index.js');
  // As the CLI runs it (src/cli/main.ts); BENCH_DEFAULT_HEAP=1 leaves V8's defaults.
  const { limitHeapGrowth } = await import('../dist/engine/heap.js');
  if (process.env.BENCH_DEFAULT_HEAP !== '1') limitHeapGrowth();
  if (global.gc) global.gc();
  const rssBefore = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const report = await computeParity(
    { directory: source('directory', n, 1), zia: source('zia', n, 2), scim: source('scim', n, 3) },
    { key: 'userName', secondaryKey: 'email' },
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  const s = report.summary;
  console.log(
    JSON.stringify({
      usersPerSource: n,
      groupsPerUser: GROUPS,
      wallMs: Math.round(ms),
      recordsPerSecond: Math.round((3 * n) / (ms / 1000)),
      peakRssMb: Math.round(maxRssMb),
      rssBeforeMb: Math.round(rssBefore / 1048576),
      findings: report.findingsTotal,
      missing: [s.missing.zia, s.missing.scim],
      extra: [s.extra.zia, s.extra.scim],
      drift: s.drift.total,
      caseMismatches: s.caseMismatches,
    }),
  );
}

const childSize = process.env.PARITY_BENCH_SIZE;
if (childSize) {
  await runOne(Number(childSize));
} else {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  for (const n of sizes.length ? sizes : [100_000, 1_000_000]) {
    const res = spawnSync(process.execPath, ['--expose-gc', self], {
      env: { ...process.env, PARITY_BENCH_SIZE: String(n) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (res.status !== 0) process.exit(res.status ?? 1);
  }
}
