#!/usr/bin/env node
// Speed and memory of `migrate verify` (issue 6): the three-way parity read (AD over LDAP, ZIA
// users over the admin API, SCIM /Users + /Groups) against the sandbox at the documented rate
// limits, compared with the rate-limit floor.
//
//   npm run bench                          # 10k and 100k users
//   BENCH_USERS=10000 node bench/verify.mjs
//
// Layout, so that every figure measures what it claims:
// - The sandbox runs in its own process (bench/sandbox-child.mjs, which explains how it reaches
//   the migrated state) at speed 1 with rate limits ON: ZIA 2 GET/s (docs/vendor-facts.md F20), SCIM
//   5 req/s (F25). Only ZIA's hourly caps are off, so repeated runs do not exhaust 1000 GET/h.
// - Each population is measured in a fresh bench process (this script with `--one N`), which
//   runs the verify path in-process exactly as `migrate verify` does (createMigrationContext with
//   client-side rate limits ON, read-only, then runParity). process.resourceUsage().maxRSS of that
//   process is therefore verify's peak alone (plus Node and the loaded modules), per population.
// - 429s are the sandbox's own count (GET <controlUrl>/stats → rateLimited) over the verify run.
//
// The floor is the least time any client could need: for each source, the requests it must
// make / the requests per second it is allowed, at the documented maximum page sizes; the
// sources are read concurrently, so the floor is the slowest source's. LDAP has no documented
// rate limit (floor 0). Everything runs on 127.0.0.1.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN_ENV = 'MIGRATE_BENCH_SCIM_TOKEN';
/** SCIM users/groups per page: the documented maximum ("up to 1,000", docs/vendor-facts.md F26). */
const SCIM_PAGE = 1000;
/** 5 requests/second (docs/vendor-facts.md F25). */
const SCIM_RATE = 5;
/** GET 2/s (docs/vendor-facts.md F20). */
const ZIA_RATE = 2;
/** GET /users pageSize max 10,000 (docs/vendor-facts.md F18). */
const ZIA_MAX_PAGE = 10_000;
const TARGETS = { ratio: 1.15, rssMb: 300 };

// ------------------------------------------------------------------------------ floor

/**
 * ZIA lists carry no total (docs/vendor-facts.md F18): the end is a page shorter than pageSize, so a population that
 * fills its last page needs one more (empty) page. floor(n/size)+1 requests, always.
 */
export function ziaPages(users, pageSize) {
  return Math.floor(users / pageSize) + 1;
}

/** SCIM ListResponses carry totalResults, so ceil(n/size) requests (at least one). */
export function scimPages(items, pageSize) {
  return Math.max(1, Math.ceil(items / pageSize));
}

export function floorSeconds({ ziaUsers, ziaPageSize, scimUsers, scimGroups }) {
  const zia = ziaPages(ziaUsers, ziaPageSize) / ZIA_RATE;
  const scim = (scimPages(scimUsers, SCIM_PAGE) + scimPages(scimGroups, SCIM_PAGE)) / SCIM_RATE;
  const ldap = 0;
  return { zia, scim, ldap, floor: Math.max(zia, scim, ldap) };
}

// ------------------------------------------------------------------------------ one population

function startSandboxChild(users) {
  // The simulator, not the product, holds every tenant in memory: at 1M users it needs more than
  // V8's default heap limit. This flag applies to the sandbox child only, never to the measured verify.
  const child = spawn(process.execPath, ['--max-old-space-size=16384', join(root, 'bench/sandbox-child.mjs'), String(users)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ready = new Promise((resolve, reject) => {
    let buf = '';
    const onData = (chunk) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      child.stdout.off('data', onData);
      try {
        resolve(JSON.parse(buf.slice(0, nl)));
      } catch (err) {
        reject(new Error(`sandbox child printed no JSON line: ${err.message}`));
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`sandbox child exited (${code}) before it was ready`)));
    child.once('error', reject);
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.stdin.end(); // the child stops its servers when stdin closes
      setTimeout(() => child.kill('SIGTERM'), 5_000).unref();
    });
  return { ready, stop };
}

async function stats(controlUrl) {
  const r = await fetch(`${controlUrl}/stats`);
  if (!r.ok) throw new Error(`GET ${controlUrl}/stats answered ${r.status}`);
  return r.json();
}

function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

async function measureOne(users) {
  const load = (p) => import(join(root, 'dist', p));
  const [{ configSchema }, { createMigrationContext }, { runParity }, { createOutput }, { limitHeapGrowth }] = await Promise.all([
    load('config/schema.js'),
    load('flows/context.js'),
    load('flows/parity-check.js'),
    load('ui/output.js'),
    load('engine/heap.js'),
  ]);
  // What the CLI does first (src/cli/main.ts): the measured process collects garbage as `migrate
  // verify` would. BENCH_DEFAULT_HEAP=1 leaves V8's defaults, to see what the policy is worth.
  if (process.env.BENCH_DEFAULT_HEAP !== '1') limitHeapGrowth();
  const sandbox = startSandboxChild(users);
  try {
    const sb = await withTimeout(sandbox.ready, 600_000, `sandbox start at ${users} users`);
    // The sandbox's throwaway secrets arrive over the pipe and go into this process's environment,
    // where the config's *Env references read them.
    for (const [k, v] of Object.entries(sb.env)) process.env[k] = v;
    process.env[TOKEN_ENV] = sb.scim.token;
    const config = configSchema.parse({ ...sb.config, scim: { baseUrl: sb.scim.baseUrl, tokenEnv: TOKEN_ENV, pageSize: SCIM_PAGE } });
    const quietErr = { write: () => true, isTTY: false };
    const ctx = createMigrationContext({
      config,
      readOnly: true,
      out: createOutput({ quiet: true, stderr: quietErr }),
      operator: {
        perform: async () => {
          throw new Error('verify asks no operator questions');
        },
      },
      rateLimits: true,
    });
    if (!ctx.scimCredentials) throw new Error('the context did not pick up the SCIM credentials from the config');

    const before = await stats(sb.endpoints.controlUrl);
    const ziaUsers = users + 1; // + the cloud-only user Entra provisions (sandbox-child.mjs)
    const started = performance.now();
    const run = await withTimeout(runParity(ctx, { scim: ctx.scimCredentials }), 600_000, `verify at ${users} users`);
    const wallMs = performance.now() - started;
    await ctx.close();
    const after = await stats(sb.endpoints.controlUrl);
    const s = run.report.summary;
    // Name every 429 (server, method, path, time) so a non-zero count can be traced to its limit.
    const throttled =
      after.rateLimited > before.rateLimited ? (await (await fetch(`${sb.endpoints.controlUrl}/requests`)).json()).filter((e) => e.status === 429) : [];
    return {
      throttled,
      users,
      setupMs: sb.setupMs,
      wallMs,
      requests: after.requests - before.requests,
      rateLimited: after.rateLimited - before.rateLimited,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      counts: { directory: s.counts.directory, zia: s.counts.zia, scim: s.counts.scim },
      matchedAllThree: s.matched.allThree,
      findings: s.findingsByKind,
      ok: run.ok,
      breaches: run.breaches,
      scimUsers: sb.scimUsers,
      scimGroups: sb.scimGroups,
      ziaUsers,
    };
  } finally {
    await sandbox.stop();
  }
}

// ------------------------------------------------------------------------------ orchestration

function runChild(users) {
  return new Promise((resolve, reject) => {
    // BENCH_NODE_FLAGS (e.g. --max-old-space-size=256) go to the measuring process only, to
    // separate verify's live working set from the garbage V8 lets accumulate before collecting.
    const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...flags, fileURLToPath(import.meta.url), '--one', String(users)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (code !== 0 || !line) return reject(new Error(`bench at ${users} users failed (exit ${code})`));
      resolve(JSON.parse(line.slice('BENCH_RESULT '.length)));
    });
  });
}

function populations() {
  const raw = process.env.BENCH_USERS ?? '10000,100000';
  const list = raw.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  for (const n of list) {
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
      process.stderr.write(`verify bench: BENCH_USERS must be comma-separated integers from 1 to 1000000 (got "${raw}")\n`);
      process.exit(2);
    }
  }
  return list;
}

const pad = (v, n) => String(v).padStart(n);

async function main() {
  // The page size the verify path actually asks ZIA for (flows/parity-check.ts reads users at
  // the documented maximum); the floor below is computed at the documented maximum regardless.
  const { ZIA_MAX_PAGE: clientMax } = await import(join(root, 'dist/clients/zia.js'));
  const ziaPageSize = clientMax?.users ?? 1000;
  const rows = [];
  for (const users of populations()) {
    process.stderr.write(`verify bench: ${users} users …\n`);
    const r = await runChild(users);
    const documented = floorSeconds({ ziaUsers: r.ziaUsers, ziaPageSize: ZIA_MAX_PAGE, scimUsers: r.scimUsers, scimGroups: r.scimGroups });
    const client = floorSeconds({ ziaUsers: r.ziaUsers, ziaPageSize, scimUsers: r.scimUsers, scimGroups: r.scimGroups });
    rows.push({ ...r, documented, client });
    for (const t of r.throttled) process.stderr.write(`  429: ${t.time} ${t.server} ${t.method} ${t.path}\n`);
    process.stderr.write(
      `  sandbox ready in ${(r.setupMs / 1000).toFixed(1)} s; records read: AD ${r.counts.directory.records}, ZIA ${r.counts.zia.records}, ` +
        `SCIM ${r.counts.scim?.records}; ${r.requests} HTTP requests; parity ok=${r.ok}${r.breaches.length ? ` (${r.breaches.join('; ')})` : ''}\n`,
    );
  }
  const head = `${'users'.padStart(8)} ${'wall s'.padStart(8)} ${'floor s'.padStart(8)} ${'ratio'.padStart(6)} ${'429s'.padStart(5)} ${'peak RSS MB'.padStart(12)}   floor by source (ZIA / SCIM / LDAP, s)`;
  const lines = [head, '-'.repeat(head.length)];
  for (const r of rows) {
    const wall = r.wallMs / 1000;
    const f = r.documented;
    lines.push(
      `${pad(r.users, 8)} ${pad(wall.toFixed(2), 8)} ${pad(f.floor.toFixed(2), 8)} ${pad((wall / f.floor).toFixed(3), 6)} ${pad(r.rateLimited, 5)} ${pad(r.maxRssMb.toFixed(0), 12)}   ` +
        `${f.zia.toFixed(1)} / ${f.scim.toFixed(1)} / ${f.ldap}`,
    );
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
  const { HEAP_GROWING_PERCENT } = await import(join(root, 'dist/engine/heap.js'));
  process.stdout.write(
    `\nheap: ${process.env.BENCH_DEFAULT_HEAP === '1' ? "V8's defaults (BENCH_DEFAULT_HEAP=1)" : `the CLI's policy, --heap-growing-percent=${HEAP_GROWING_PERCENT} (src/engine/heap.ts)`}\n`,
  );
  process.stdout.write(
    `floor: max over sources read concurrently of pages / documented rate — ZIA floor(n/${ZIA_MAX_PAGE})+1 pages at ${ZIA_RATE} GET/s (docs/vendor-facts.md F18, F20), ` +
      `SCIM ceil(users/${SCIM_PAGE}) + ceil(groups/${SCIM_PAGE}) pages at ${SCIM_RATE} req/s (F25), LDAP no documented limit.\n`,
  );
  if (ziaPageSize !== ZIA_MAX_PAGE) {
    for (const r of rows)
      process.stdout.write(`  at the client's ZIA page size (${ziaPageSize}) the floor for ${r.users} would be ${r.client.floor.toFixed(2)} s\n`);
  }
  const big = rows.find((r) => r.users === 100_000);
  if (big) {
    const ratio = big.wallMs / 1000 / big.documented.floor;
    const verdicts = [
      `ratio ${ratio.toFixed(3)} ${ratio <= TARGETS.ratio ? '<=' : '>'} ${TARGETS.ratio}`,
      `429s ${big.rateLimited} ${big.rateLimited === 0 ? '= 0' : '> 0'}`,
      `peak RSS ${big.maxRssMb.toFixed(0)} MB ${big.maxRssMb < TARGETS.rssMb ? '<' : '>='} ${TARGETS.rssMb} MB`,
    ];
    process.stdout.write(`targets at 100k: ${verdicts.join(', ')}\n`);
  }
}

if (process.argv[2] === '--one') {
  const users = Number(process.argv[3]);
  try {
    const r = await measureOne(users);
    process.stdout.write(`BENCH_RESULT ${JSON.stringify(r)}\n`);
    process.exit(0);
  } catch (err) {
    process.stderr.write(`verify bench (${users} users): ${err.stack ?? err}\n`);
    process.exit(1);
  }
} else {
  try {
    await import(join(root, 'dist/flows/parity-check.js'));
  } catch (err) {
    process.stderr.write(`verify bench: cannot load dist/ (${err.message}); run \`npm run build\` first\n`);
    process.exit(2);
  }
  await main();
}
