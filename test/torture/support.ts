import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseState } from '../../src/engine/checkpoint.js';
import { lockPathFor } from '../../src/engine/lock.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { createPrng } from '../../src/sandbox/world/seed.js';

/**
 * Shared pieces of the torture suite (issue 13): the built CLI as a child process that can be
 * killed at a chosen moment, a fingerprint of the simulated world to compare end states, and the
 * invariants every run must leave behind.
 */

/** `npm run torture` (or TORTURE=long) runs the long variant; `npm test` the short one. */
export const LONG = process.env.TORTURE === 'long';

/** The seed of the run: printed, and replayed with TORTURE_SEED=<n>. */
export const SEED = process.env.TORTURE_SEED ? Number(process.env.TORTURE_SEED) : Math.floor(Math.random() * 2 ** 31);

/** The sandbox's seeded PRNG, so a failing random crash point can be replayed. */
export const prng = createPrng;

export const BIN = fileURLToPath(new URL('../../bin/migrate', import.meta.url));

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether the trigger fired and the process was SIGKILLed. */
  killed: boolean;
}

/**
 * Runs the built CLI with no TTY. `killWhen`, polled every few ms while it runs, decides the
 * moment to SIGKILL it (a state serial reached, the k-th write seen by the sandbox, a delay).
 */
export function runCli(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; killWhen?: (elapsedMs: number) => boolean } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', MIGRATE_DEBUG: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const started = Date.now();
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const poll = opts.killWhen
      ? setInterval(() => {
          if (!killed && opts.killWhen!(Date.now() - started)) {
            killed = true;
            child.kill('SIGKILL');
          }
        }, 2)
      : undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`migrate ${args.join(' ')} did not finish in time\n${stderr}`));
    }, opts.timeoutMs ?? 180_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({ code, signal, stdout, stderr, killed });
    });
  });
}

/** The state file's serial, or 0 while there is none (or it is being replaced). */
export function serialOf(statePath: string): number {
  try {
    return (JSON.parse(readFileSync(statePath, 'utf8')) as { serial?: number }).serial ?? 0;
  } catch {
    return 0;
  }
}

/** Requests that change the world (logins and token requests change nothing). */
export function mutations(sandbox: Sandbox): number {
  return sandbox.requests().filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !/authenticatedSession|\/token$/.test(r.path)).length;
}

const TIMESTAMPS = new Set(['lastSyncStartTime', 'lastSyncEndTime']);

/**
 * Auth settings without the documented sync timestamps (they move with every Sync Now), keys in
 * a fixed order (the order of keys in the simulation's object is not part of what ZIA stores):
 * every value byte for byte.
 */
export function settingsOf(sandbox: Sandbox): Record<string, unknown> {
  const s = sandbox.world.tenant.getActiveAuthSettings() as unknown as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(s)
      .filter(([k]) => !TIMESTAMPS.has(k))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/**
 * What an administrator would compare: settings, the IdP flags, ZIA users and groups (with
 * whether SCIM manages them), the Entra job's state. Ids, timestamps and tokens are left out:
 * they differ between two correct runs.
 */
export function fingerprint(sandbox: Sandbox) {
  const { tenant, entra } = sandbox.world;
  const groupName = new Map([...tenant.groups.values()].map((g) => [g.id, g.name]));
  const users = [...tenant.users.values()]
    .map((u) => ({
      userName: u.userName.toLowerCase(),
      displayName: u.displayName,
      mail: u.mail ?? null,
      active: u.active,
      source: u.source,
      scim: u.scim ? { idpId: u.scim.idpId } : null,
      department: u.departmentId === undefined ? null : (tenant.departmentsById.get(u.departmentId)?.name ?? null),
      groups: u.groupIds.map((g) => groupName.get(g) ?? `#${g}`).sort(),
    }))
    .sort((a, b) => a.userName.localeCompare(b.userName));
  const groups = [...tenant.groups.values()]
    .map((g) => ({ name: g.name, source: g.source, scim: g.scim ? { idpId: g.scim.idpId } : null, members: g.memberIds.size }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const idps = [...tenant.idps.values()]
    .map((i) => ({ name: i.name, scimEnabled: i.scimEnabled, samlAutoProvisioning: i.samlAutoProvisioning }))
    .sort((a, b) => a.name.localeCompare(b.name));
  // kerberosPwd is generated per simulated tenant (read-only): equal within one world, not across two.
  const { kerberosPwd: _k, ...settings } = settingsOf(sandbox);
  return {
    settings,
    pending: tenant.status,
    idps,
    users,
    groups,
    entraJob: { schedule: entra.job.schedule.state, status: entra.job.status.code },
  };
}

/** ZPA's IdP flags the migration changes (the rollback restores exactly these). */
export function zpaSettingsOf(sandbox: Sandbox): Record<string, unknown> {
  const z = sandbox.zpa!;
  const idp = z.tenant.idps.get(z.credentials.idpId)!;
  return { enableScimBasedPolicy: idp.enableScimBasedPolicy, scimEnabled: idp.scimEnabled };
}

/**
 * ZPA's side of what an administrator would compare: the IdP's flags, the SCIM users and groups
 * the IdP pushed (ids, times and the token left out: they differ between two correct runs), the
 * Entra job's state.
 */
export function zpaFingerprint(sandbox: Sandbox) {
  const z = sandbox.zpa!;
  const store = z.tenant.store(z.credentials.idpId);
  const users = [...store.users.values()]
    .map((u) => ({ userName: String(u.doc.userName).toLowerCase(), displayName: String(u.doc.displayName ?? ''), active: u.doc.active !== false }))
    .sort((a, b) => a.userName.localeCompare(b.userName));
  const groups = [...store.groups.values()].map((g) => ({ name: g.displayName, members: g.members.size })).sort((a, b) => a.name.localeCompare(b.name));
  const { entra } = sandbox.world;
  return { idp: zpaSettingsOf(sandbox), users, groups, entraJob: { schedule: entra.job.schedule.state, status: entra.job.status.code } };
}

/** Names that appear more than once (case-insensitive): a user or group created twice. */
export function duplicates(fp: { users: Array<{ userName: string }>; groups: Array<{ name: string }> }): string[] {
  const seen = new Map<string, number>();
  for (const u of fp.users) seen.set(`user ${u.userName}`, (seen.get(`user ${u.userName}`) ?? 0) + 1);
  for (const g of fp.groups) seen.set(`group ${g.name.toLowerCase()}`, (seen.get(`group ${g.name.toLowerCase()}`) ?? 0) + 1);
  return [...seen.entries()].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
}

/** The invariants left on disk: the checkpoint parses and checks out, and no lock is left. */
export function diskInvariants(statePath: string): string[] {
  const problems: string[] = [];
  if (existsSync(statePath)) {
    try {
      parseState(readFileSync(statePath, 'utf8'), statePath);
    } catch (e) {
      problems.push(`checkpoint does not parse: ${(e as Error).message}`);
    }
  }
  if (existsSync(lockPathFor(statePath))) problems.push(`lock file left behind: ${lockPathFor(statePath)}`);
  return problems;
}

export async function sha256(path: string): Promise<string> {
  if (!existsSync(path)) return 'absent';
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** No stack trace reached the user: no "    at fn (file:line)" frames. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+(\(|\s)(file:|node:|\/).+:\d+/m.test(text);
}
