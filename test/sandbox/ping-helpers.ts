import { startPingFederateSimulation, type PingFederateSimulation, type StartPingFederateOptions } from '../../src/sandbox/pingfederate/index.js';
import { startCore } from './core-helpers.js';

/**
 * The ZIA admin and SCIM services around one tenant (test/sandbox/core-helpers.ts), SCIM enabled on
 * the tenant's first IdP (the migration's state after Edit IdP), and a simulated PingFederate
 * reading the same directory and logging to the same request log (speed 50 unless given: the
 * provisioner paces objects 5 ms apart, so cycles are quick; nothing is timed).
 */
export async function startPingWorld(opts: { users?: number } & Omit<StartPingFederateOptions, 'directory' | 'log'> = {}) {
  const core = await startCore({ users: opts.users ?? 30 });
  const { users: _u, ...pfOpts } = opts;
  const s = core.tenant.getAuthSettings();
  const { kerberosPwd: _k, lastSyncStartTime: _a, lastSyncEndTime: _b, ...editable } = s;
  core.tenant.putAuthSettings({ ...editable, directorySyncMigrateToScimEnabled: true });
  core.tenant.activate();
  const scim = core.portal.setScim(61233, true) as { baseUrl: string; bearerToken: string };
  let pf: PingFederateSimulation;
  try {
    pf = await startPingFederateSimulation({ startProvisioner: false, speed: 50, ...pfOpts, directory: core.directory, log: core.log });
  } catch (e) {
    await core.stop();
    throw e;
  }
  return {
    core,
    pf,
    scim: { baseUrl: scim.baseUrl, token: scim.bearerToken, idpId: 61233 },
    async stop() {
      await pf.stop();
      await core.stop();
    },
  };
}
export type PingWorld = Awaited<ReturnType<typeof startPingWorld>>;

/** Headers of an admin API call as the documentation asks for them (Basic + X-XSRF-Header). */
export function adminHeaders(user: { username: string; password: string }, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`, 'x-xsrf-header': 'PingFederate', ...extra };
}

/** Waits for an observed state, polling; the budget only bounds a hang, it asserts nothing about speed. */
export async function waitFor(cond: () => boolean, what: string, budgetMs = 30_000): Promise<void> {
  const until = Date.now() + budgetMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`never observed: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
