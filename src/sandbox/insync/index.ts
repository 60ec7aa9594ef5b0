import { randomBytes } from 'node:crypto';
import { FaultInjector, parseFaultSpec } from '../http/faults.js';
import { RequestLog, type RequestLogEntry, type SandboxStats } from '../http/log.js';
import type { SandboxDirectory } from '../world/directory.js';
import { generateDirectory } from '../world/seed.js';
import { createSandboxClock, type SandboxClock } from './clock.js';
import { startInsyncServer } from './server.js';
import { InsyncTenant, type ProvisioningMethod, type SwitchFaults } from './tenant.js';

/**
 * `startInsyncSimulation`: Druva inSync Cloud on 127.0.0.1 — the token endpoint, the read API
 * the `provisioning-switch` flow observes, the console-only deployment actions as portal
 * endpoints for a scripted operator, and a control API with the clock and the switch faults.
 * Self-contained: its own directory (generated, or the sandbox's), log and faults unless given.
 */
export interface InsyncSimulationOptions {
  /** The people behind the inSync users (default: a generated directory of `users` users). */
  directory?: SandboxDirectory;
  users?: number;
  seed?: number;
  /** The method the tenant starts with (default SCIM). */
  method?: ProvisioningMethod;
  /** Fault rules (src/sandbox/http/faults.ts grammar, servers `insync` and `login`) or a shared injector. */
  faults?: FaultInjector | string;
  /** Share the sandbox's request log; otherwise the simulation has its own. */
  log?: RequestLog;
  /** Damage the console switch does (the lost-user and lost-backup faults). */
  switchFaults?: SwitchFaults;
  /** Start of simulated time (default now) and simulated ms per real ms (default 0: moves only when advanced). */
  clockStart?: number;
  clockRate?: number;
  tokenLifetimeSeconds?: number;
  expiredTokenStatus?: 401 | 403;
  /** Records per list response (default 4097). */
  pageSize?: number;
  backupIntervalHours?: number;
  host?: string;
  port?: number;
}

export interface InsyncSimulation {
  endpoints: {
    /** API root: https://apis.druva.com/insync in production. */
    apiUrl: string;
    tokenUrl: string;
    portalUrl: string;
    controlUrl: string;
  };
  credentials: { clientId: string; secretKey: string };
  tenant: InsyncTenant;
  clock: SandboxClock;
  /** Moves the clock forward and brings the backups up to it. */
  advance(ms: number): void;
  setSwitchFaults(f: SwitchFaults): void;
  /** Replaces the transport fault rules; `retryable` is what an injected error body says (default true). */
  setFaults(spec: string, opts?: { retryable?: boolean }): void;
  requests(): RequestLogEntry[];
  stats(): SandboxStats;
  resetLog(): void;
  stop(): Promise<void>;
}

export async function startInsyncSimulation(opts: InsyncSimulationOptions = {}): Promise<InsyncSimulation> {
  const seed = opts.seed ?? 1;
  const clock = createSandboxClock({
    ...(opts.clockStart !== undefined ? { start: opts.clockStart } : {}),
    ...(opts.clockRate !== undefined ? { rate: opts.clockRate } : {}),
  });
  const directory = opts.directory ?? generateDirectory({ users: opts.users ?? 200, seed });
  const tenant = new InsyncTenant({
    clock,
    directory,
    seed,
    ...(opts.method ? { method: opts.method } : {}),
    ...(opts.backupIntervalHours !== undefined ? { backupIntervalHours: opts.backupIntervalHours } : {}),
  });
  if (opts.switchFaults) tenant.switchFaults = opts.switchFaults;
  const faults = opts.faults instanceof FaultInjector ? opts.faults : new FaultInjector(parseFaultSpec(opts.faults), seed);
  const log = opts.log ?? new RequestLog();
  let retryable = true;
  const credentials = { clientId: `sbx-${randomBytes(6).toString('hex')}`, secretKey: randomBytes(24).toString('base64url') };
  const server = await startInsyncServer({
    tenant,
    credentials,
    log,
    faults,
    injectedRetryable: () => retryable,
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.port ? { port: opts.port } : {}),
    ...(opts.tokenLifetimeSeconds !== undefined ? { tokenLifetimeSeconds: opts.tokenLifetimeSeconds } : {}),
    ...(opts.expiredTokenStatus ? { expiredTokenStatus: opts.expiredTokenStatus } : {}),
    ...(opts.pageSize !== undefined ? { pageSize: opts.pageSize } : {}),
  });
  return {
    endpoints: {
      apiUrl: `${server.url}/insync`,
      tokenUrl: `${server.url}/token`,
      portalUrl: `${server.url}/portal`,
      controlUrl: `${server.url}/_sandbox`,
    },
    credentials,
    tenant,
    clock,
    advance(ms) {
      clock.advance(ms);
      tenant.catchUp();
    },
    setSwitchFaults: (f) => {
      tenant.switchFaults = f;
    },
    setFaults(spec, o = {}) {
      faults.set(parseFaultSpec(spec));
      retryable = o.retryable ?? true;
    },
    requests: () => log.list(),
    stats: () => log.stats(),
    resetLog: () => log.reset(),
    stop: () => server.stop(),
  };
}

/**
 * A `product: insync` configuration for this simulation, as `migrate sandbox --product insync` writes it:
 * the secret key by reference only (`secret`), the scripted operator on its console unless `operator`
 * is `person`, and any other `insync` settings in `settings`.
 */
export function insyncSandboxConfig(
  sim: Pick<InsyncSimulation, 'endpoints' | 'credentials'>,
  secret: { secretKeyEnv: string } | { secretKeyFile: string },
  o: { operator?: 'sandbox' | 'person'; settings?: Record<string, unknown> } = {},
) {
  return {
    version: 1,
    product: 'insync',
    insync: {
      apiUrl: sim.endpoints.apiUrl,
      tokenUrl: sim.endpoints.tokenUrl,
      clientId: sim.credentials.clientId,
      ...secret,
      keepExistingMappings: false,
      ...o.settings,
    },
    operator: o.operator === 'person' ? { kind: 'person' } : { kind: 'sandbox', portalUrl: sim.endpoints.portalUrl, controlUrl: sim.endpoints.controlUrl },
  };
}
