#!/usr/bin/env node
// The sandbox half of bench/verify.mjs, run as a SEPARATE process so the bench's peak RSS is the
// verify run's alone (the sandbox holds three copies of the population: AD, Entra, ZIA).
//
//   node bench/sandbox-child.mjs <users>
//
// Why in-process preparation instead of `migrate sandbox` + `migrate ad-to-scim`:
// the measured verify must face the real limits (speed 1: ZIA 2 GET/s, SCIM 5 req/s), but at
// speed 1 the simulated Entra initial cycle paces about four objects per second, so provisioning
// 100k users through it would take about seven hours. A sandbox's speed is fixed when it starts,
// so "prepare fast, measure slow" is not possible over HTTP. Instead this script starts the
// sandbox at speed 1 with the documented limits ON (hourly caps off: a benchmark re-reads a
// tenant far more often than the ZIA 1000 GET/hour budget allows, and the caps are not what is
// measured — the 100k read itself stays well under them), and brings the tenant to the migrated
// state with sandbox.fastForwardToMigrated() (src/sandbox/world/fast-forward.ts), which uses the
// same in-process tenant operations the SCIM server calls for Entra's requests:
//   1. authSettings.directorySyncMigrateToScimEnabled = true, activated (migration guide step 4, docs/vendor-facts.md F16);
//   2. Edit IdP > Enable SCIM Provisioning, which yields the Base URL and Bearer Token;
//   3. every user assigned to the Entra app is created via SCIM with the body Entra sends
//      (sandbox/entra/engine.ts createBody): directory-synced users are taken over (same ZIA id, as
//      Entra's lookup-then-PATCH leaves them),
//      the cloud-only user is created; then every assigned group with its direct user members.
// The result is exactly what a completed initial cycle leaves behind; only the pacing is skipped.
//
// Protocol: one JSON line on stdout { endpoints, config, env, scim: { baseUrl, token }, … }, then
// the sandbox runs until stdin closes or SIGTERM/SIGINT. The config references its secrets by
// environment variable (sandbox.config()); those values (`env`) and the SCIM token are throwaways
// of this sandbox and travel only over the pipe to the parent, never argv or a file.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const users = Number(process.argv[2]);
if (!Number.isInteger(users) || users < 1) {
  process.stderr.write('usage: node bench/sandbox-child.mjs <users>\n');
  process.exit(2);
}

const { startSandbox } = await import(join(root, 'dist/sandbox/index.js'));

const started = performance.now();
const sb = await startSandbox({ users, speed: 1, rateLimits: true, hourlyCaps: false, port: 0 });

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await sb.stop();
  process.exit(0);
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();

try {
  const m = sb.fastForwardToMigrated();
  const config = sb.config();
  const line = {
    endpoints: sb.endpoints,
    env: sb.env(),
    config,
    scim: { baseUrl: m.baseUrl, token: m.token },
    users: sb.world.directory.users.length,
    scimUsers: m.scimUsers,
    adopted: m.adopted,
    scimGroups: m.scimGroups,
    setupMs: Math.round(performance.now() - started),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
} catch (err) {
  process.stderr.write(`sandbox-child: ${err.stack ?? err}\n`);
  await sb.stop();
  process.exit(1);
}
