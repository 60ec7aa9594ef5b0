#!/usr/bin/env node
// Scale job for the directory client: LDAP read rate of the client beside OpenLDAP's ldapsearch
// (`-E pr=1000/noprompt`), both reading the same scope from the same Samba AD DC.
//
//   npm run build && AD_SCALE_USERS=20000 node bench/ldap-read.mjs
//
// Opt-in (AD_SCALE_USERS unset: prints how to run it and exits 0). Needs root and free ports
// 389/636/88, like scripts/samba-ad/up.sh, which it runs into a temporary directory; it stops the
// DC (scripts/samba-ad/down.sh) and removes the directory afterwards. Plan for about 1 GB of RAM
// and 1-2 minutes at 20k users (measured: docs/vendor-facts.md F44, F45).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const users = Number(process.env.AD_SCALE_USERS ?? 0);
if (!users) {
  process.stdout.write('ldap-read: skipped (opt-in): set AD_SCALE_USERS=20000 and run as root with ports 389/636/88 free\n');
  process.exit(0);
}
if (!Number.isInteger(users) || users < 1000) {
  process.stderr.write(`ldap-read: AD_SCALE_USERS must be an integer >= 1000 (got ${process.env.AD_SCALE_USERS})\n`);
  process.exit(2);
}

let createDirectoryClient;
try {
  ({ createDirectoryClient } = await import(join(root, 'dist/clients/ldap.js')));
} catch (err) {
  process.stderr.write(`ldap-read: cannot load dist/clients/ldap.js (${err.message}); run \`npm run build\` first\n`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'migrate-ad-scale-'));
const script = (name) => join(root, 'scripts/samba-ad', name);
const seconds = (ms) => (ms / 1000).toFixed(2);

function parseEnv(file) {
  const env = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Z_]+)='([^']*)'$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/** Runs ldapsearch with paged results and counts the entries it prints, streaming. */
function ldapsearchCount(env, filter, attributes) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      'ldapsearch',
      [
        '-x',
        '-LLL',
        '-o',
        'ldif-wrap=no',
        '-H',
        env.AD_LDAPS_URL,
        '-D',
        env.AD_BIND_UPN,
        '-y',
        env.AD_PASSWORD_FILE,
        '-b',
        env.AD_BASE_DN,
        '-E',
        'pr=1000/noprompt',
        filter,
        ...attributes,
      ],
      { env: { ...process.env, LDAPTLS_CACERT: env.AD_CA_FILE, LDAPTLS_REQCERT: 'demand' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let count = 0;
    let tail = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const text = tail + chunk;
      const lines = text.split('\n');
      tail = lines.pop() ?? '';
      for (const l of lines) if (l.startsWith('dn:')) count += 1;
    });
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (tail.startsWith('dn:')) count += 1;
      if (code !== 0) reject(new Error(`ldapsearch exited ${code}: ${stderr.trim()}`));
      else resolve({ count, ms: performance.now() - started });
    });
  });
}

async function clientRead(env, password, scope) {
  const client = createDirectoryClient({ url: env.AD_LDAPS_URL, bindDn: env.AD_BIND_UPN, password, caFile: env.AD_CA_FILE, pageSize: 1000 });
  const started = performance.now();
  let count = 0;
  try {
    for await (const page of client.streamUsers(scope)) count += page.length;
  } finally {
    await client.close();
  }
  return { count, ms: performance.now() - started };
}

let exitCode = 0;
const t0 = performance.now();
try {
  const up = spawnSync(script('up.sh'), [dir], { env: { ...process.env, AD_SEED_USERS: String(users) }, stdio: ['ignore', 'inherit', 'inherit'] });
  if (up.status !== 0) throw new Error(`scripts/samba-ad/up.sh failed (exit ${up.status})`);
  const upSeconds = (performance.now() - t0) / 1000;
  const env = parseEnv(join(dir, 'env'));
  const password = readFileSync(env.AD_PASSWORD_FILE, 'utf8');
  const expected = JSON.parse(readFileSync(env.AD_EXPECTED, 'utf8'));
  // The attributes a parity read needs (the client also reads these core attributes itself).
  const attributes = ['objectGUID', 'sAMAccountName', 'userPrincipalName', 'mail', 'displayName', 'department', 'userAccountControl', 'memberOf'];
  const scope = { baseDn: env.AD_BASE_DN, userFilter: expected.userFilter, attributes: [] };

  // Warm the DC's caches once, then alternate, keeping each tool's best of two.
  await ldapsearchCount(env, expected.userFilter, attributes);
  const runs = { client: [], ldapsearch: [] };
  for (let i = 0; i < 2; i += 1) {
    runs.ldapsearch.push(await ldapsearchCount(env, expected.userFilter, attributes));
    runs.client.push(await clientRead(env, password, scope));
  }
  for (const [tool, list] of Object.entries(runs)) {
    for (const r of list) {
      if (r.count !== expected.usersInScope) throw new Error(`${tool} read ${r.count} users, expected ${expected.usersInScope}`);
    }
  }
  const best = (list) => list.reduce((a, b) => (b.ms < a.ms ? b : a));
  const c = best(runs.client);
  const l = best(runs.ldapsearch);
  const rate = (r) => r.count / (r.ms / 1000);

  // Nested-group scope (IN_CHAIN) is Samba's slow path (≈20 s at 20k, docs/vendor-facts.md F41).
  const nestedClient = createDirectoryClient({ url: env.AD_LDAPS_URL, bindDn: env.AD_BIND_UPN, password, caFile: env.AD_CA_FILE });
  const nStart = performance.now();
  const nested = await nestedClient.countUsers({ ...scope, groupDn: expected.nested.groupDn }).finally(() => nestedClient.close());
  const nestedMs = performance.now() - nStart;
  if (nested !== expected.nested.usersInScope) throw new Error(`IN_CHAIN count ${nested}, expected ${expected.nested.usersInScope}`);

  const result = {
    users: expected.usersInScope,
    upAndSeedSeconds: Number(upSeconds.toFixed(1)),
    client: { seconds: Number(seconds(c.ms)), usersPerSecond: Math.round(rate(c)) },
    ldapsearch: { seconds: Number(seconds(l.ms)), usersPerSecond: Math.round(rate(l)) },
    clientToLdapsearchRateRatio: Number((rate(c) / rate(l)).toFixed(2)),
    nestedInChain: { users: nested, seconds: Number(seconds(nestedMs)) },
  };
  process.stdout.write(
    `\nldap-read: ${result.users} users over LDAPS, page size 1000, best of 2\n` +
      `  client (ldapts)   ${seconds(c.ms).padStart(7)} s  ${String(result.client.usersPerSecond).padStart(7)} users/s\n` +
      `  ldapsearch -E pr  ${seconds(l.ms).padStart(7)} s  ${String(result.ldapsearch.usersPerSecond).padStart(7)} users/s\n` +
      `  ratio client/ldapsearch: ${result.clientToLdapsearchRateRatio}\n` +
      `  IN_CHAIN scope (${nested} users): ${seconds(nestedMs)} s; DC up + seed: ${result.upAndSeedSeconds} s\n` +
      `${JSON.stringify(result)}\n`,
  );
} catch (err) {
  process.stderr.write(`ldap-read: ${err.message}\n`);
  exitCode = 1;
} finally {
  spawnSync(script('down.sh'), [dir], { env: { ...process.env, SAMBA_AD_REMOVE: '1' }, stdio: ['ignore', 'inherit', 'inherit'] });
}
process.exit(exitCode);
