/**
 * `startPingFederateSimulation`: a simulated PingFederate server on 127.0.0.1 — the admin API
 * (server "pingfederate" in the request log and the fault grammar), the OAuth token endpoint the
 * admin API trusts (server "login"), and the outbound provisioning engine that pushes the
 * directory's users to whatever SCIM target the Zscaler SP connection is given. Self-contained:
 * it needs the sandbox directory, and reaches the SCIM service only through the Base URL and
 * token saved on the connection, as the real one does.
 */
import { FaultInjector } from '../http/faults.js';
import { RequestLog } from '../http/log.js';
import { startService } from '../http/server.js';
import type { SandboxDirectory } from '../world/directory.js';
import { ADMIN_PREFIX, TOKEN_PATH, createAdminHandler, pfFaultResponse } from './admin-api.js';
import { PingFederateProvisioner } from './provisioner.js';
import { buildState, ZSCALER_CONNECTION_ID, type PfState, type PfTargetSettingNames } from './state.js';

export { decrypt, storeSetting } from './state.js';
export type { PfState, PfTargetSettingNames } from './state.js';
export { PingFederateProvisioner, usersInScope } from './provisioner.js';

export interface StartPingFederateOptions {
  directory: SandboxDirectory;
  /** Divides the provisioner's waits (polling interval, pacing between objects). Default 1. */
  speed?: number;
  host?: string;
  port?: number;
  /** The sandbox's request log (one is made when absent). */
  log?: Pick<RequestLog, 'record'>;
  /** Fault rules for servers `pingfederate` and `login` apply here. */
  faults?: FaultInjector;
  /** The plugin type and target setting names the seeded connection uses (unpublished; docs/vendor-facts.md P6). */
  provisionerType?: string;
  targetSettingNames?: PfTargetSettingNames;
  /** What the administrator typed on the Target page when creating the connection; 'none' leaves it empty. */
  seedTarget?: { baseUrl: string; token: string } | 'none';
  /** The group the channel reads (nested); default the directory's in-scope group. */
  scopeGroupDn?: string;
  /** The provisioner's polling interval in seconds (PingFederate's default 60, docs/vendor-facts.md P8). */
  synchronizationFrequencySeconds?: number;
  /** Start the provisioner's polling (default true). Tests that drive cycles call `provisioner.pass()`. */
  startProvisioner?: boolean;
}

export interface PingFederateSimulation {
  /** Origin of the listener. */
  url: string;
  /** https://<host>:9999/pf-admin-api/v1 in production; here the loopback equivalent. */
  adminUrl: string;
  tokenUrl: string;
  connectionId: string;
  credentials: {
    admin: { username: string; password: string };
    auditor: { username: string; password: string };
    oauth: { clientId: string; clientSecret: string };
  };
  state: PfState;
  provisioner: PingFederateProvisioner;
  stop(): Promise<void>;
}

/**
 * PingFederate checks the token against the target when a channel is activated (docs/vendor-facts.md P7):
 * here a SCIM `GET /Users?count=1` with it; a refusal or no answer is the reason given back.
 */
async function verifyTarget(baseUrl: string, token: string): Promise<string | undefined> {
  if (!/^https?:\/\//i.test(baseUrl)) return `the Base URL "${baseUrl}" is not an http(s) URL`;
  try {
    const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/Users?count=1`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/scim+json' },
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return res.ok ? undefined : `the target answered HTTP ${res.status}`;
  } catch (err) {
    return `the target could not be reached (${err instanceof Error ? err.message : String(err)})`;
  }
}

export async function startPingFederateSimulation(opts: StartPingFederateOptions): Promise<PingFederateSimulation> {
  const speed = opts.speed ?? 1;
  if (!(speed > 0)) throw new Error(`speed must be a positive number, got ${opts.speed}`);
  const state = buildState({
    directory: opts.directory,
    ...(opts.provisionerType ? { provisionerType: opts.provisionerType } : {}),
    ...(opts.targetSettingNames ? { targetSettingNames: opts.targetSettingNames } : {}),
    ...(opts.seedTarget ? { seedTarget: opts.seedTarget } : {}),
    ...(opts.scopeGroupDn ? { scopeGroupDn: opts.scopeGroupDn } : {}),
    ...(opts.synchronizationFrequencySeconds ? { synchronizationFrequencySeconds: opts.synchronizationFrequencySeconds } : {}),
  });
  const provisioner = new PingFederateProvisioner(state, opts.directory, speed);
  const handler = createAdminHandler(state, { verifyTarget, onSaved: () => undefined });
  const service = await startService({
    name: (path) => (path.startsWith(ADMIN_PREFIX) ? 'pingfederate' : 'login'),
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.port ? { port: opts.port } : {}),
    handler,
    log: opts.log ?? new RequestLog(),
    ...(opts.faults ? { faults: opts.faults } : {}),
    stripPrefix: (path) => (path.startsWith(ADMIN_PREFIX) ? path.slice(ADMIN_PREFIX.length) || '/' : path),
    faultResponse: (status) => pfFaultResponse(status),
  });
  if (opts.startProvisioner ?? true) provisioner.start();
  const admin = state.accounts.find((a) => a.role === 'Admin') as PfState['accounts'][number];
  const auditor = state.accounts.find((a) => a.role === 'Auditor') as PfState['accounts'][number];
  return {
    url: service.url,
    adminUrl: `${service.url}${ADMIN_PREFIX}`,
    tokenUrl: `${service.url}${TOKEN_PATH}`,
    connectionId: ZSCALER_CONNECTION_ID,
    credentials: {
      admin: { username: admin.username, password: admin.password },
      auditor: { username: auditor.username, password: auditor.password },
      oauth: { clientId: state.oauthClient.clientId, clientSecret: state.oauthClient.clientSecret },
    },
    state,
    provisioner,
    async stop() {
      await provisioner.stop();
      await service.stop();
    },
  };
}
