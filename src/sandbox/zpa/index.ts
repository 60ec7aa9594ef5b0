import { randomBytes } from 'node:crypto';
import { FaultInjector, parseFaultSpec } from '../http/faults.js';
import { RequestLog } from '../http/log.js';
import type { SandboxDirectory } from '../world/directory.js';
import { isDisabled } from '../world/directory.js';
import { createPrng, generateDirectory } from '../world/seed.js';
import { variantSettings } from '../variants.js';
import { WORK_EMAIL_TARGET, ZSCALER_USER_MAPPING, type AttributeMapping } from '../entra/mapping.js';
import { startZpaAdminServer } from './admin.js';
import { createSandboxClock, type SandboxClock } from './clock.js';
import { startZpaScimServer, type ZpaScimFilterMode } from './scim.js';
import { SCHEMA_ENTERPRISE, ZpaTenant } from './tenant.js';

export { ZpaTenant } from './tenant.js';
export type { SandboxClock } from './clock.js';
export type { ZpaScimFilterMode } from './scim.js';

/**
 * `startZpaSimulation`: the ZPA side of a migration on 127.0.0.1 — the admin API (legacy /signin
 * and OneAPI), the portal-only console actions, the control API with the clock, and the SCIM
 * service the IdP provisions into. Self-contained: it shares the sandbox's directory model (the
 * generated one, or the one passed in) and, when given, its request log and fault injector.
 */
export interface ZpaSimulationOptions {
  /** The directory the IdP provisions from (default: a generated one of `users` users). */
  directory?: SandboxDirectory;
  users?: number;
  seed?: number;
  /** Multiplies the allowed request rates (default 1). */
  speed?: number;
  /** ZPA's documented rate limits on the admin API (default true). */
  rateLimits?: boolean;
  /** Named readings (src/sandbox/variants.ts); the ZPA one is `zpa-scim-filter`. */
  variants?: string | Record<string, string>;
  /** Overrides the variant. */
  scimFilter?: ZpaScimFilterMode;
  scimPageCap?: number;
  /** Share the sandbox's log / faults; otherwise the simulation has its own. */
  log?: RequestLog;
  faults?: FaultInjector | string;
  /** Admin API token lifetime, seconds (default 3600). */
  tokenLifetimeSeconds?: number;
  host?: string;
}

export interface ZpaSimulation {
  endpoints: {
    /** Legacy API root (POST /signin, /mgmtconfig/…, /userconfig/…). */
    adminUrl: string;
    /** OneAPI root: the same API under /zpa. */
    oneApiBaseUrl: string;
    tokenUrl: string;
    portalUrl: string;
    controlUrl: string;
    scimUrl: string;
  };
  credentials: {
    customerId: string;
    clientId: string;
    clientSecret: string;
    oneApiClientId: string;
    oneApiClientSecret: string;
    /** The IdP the migration enables SCIM on, and a second one that stays untouched. */
    idpId: string;
    idpName: string;
    otherIdpId: string;
  };
  tenant: ZpaTenant;
  clock: SandboxClock;
  directory: SandboxDirectory;
  log: RequestLog;
  /** The SCIM Service Provider Endpoint of an IdP. */
  scimEndpoint(idpId: string): string;
  /**
   * What one complete IdP cycle leaves in ZPA: every enabled directory user (userName = UPN) and
   * every group with its in-scope members, created or updated in place. The IdP plug-ins push
   * through the SCIM service instead; this is the fast-forward for tests.
   */
  provisionFromDirectory(idpId?: string): { users: number; groups: number };
  stop(): Promise<void>;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function alnum(n: number): string {
  let s = '';
  for (const x of randomBytes(n)) s += ALNUM[x % ALNUM.length];
  return s;
}

export async function startZpaSimulation(opts: ZpaSimulationOptions = {}): Promise<ZpaSimulation> {
  const variant = variantSettings(opts.variants);
  const seed = opts.seed ?? 1;
  const directory = opts.directory ?? generateDirectory({ users: opts.users ?? 200, seed });
  const log = opts.log ?? new RequestLog();
  const faults = opts.faults instanceof FaultInjector ? opts.faults : new FaultInjector(parseFaultSpec(opts.faults), seed);
  const clock = createSandboxClock();
  const rand = createPrng(seed + 7);
  // 18-digit ids beyond 2^53, as real tenants have (docs/vendor-facts.md Y5).
  const customerId = `2161962573${String(Math.floor(rand() * 1e8)).padStart(8, '0')}`;
  const idpId = `2161962573${String(Math.floor(rand() * 1e8)).padStart(8, '1')}`;
  const otherIdpId = String(BigInt(idpId) + 1n);
  const idpName = 'Entra ID (ZPA)';
  const tenant = new ZpaTenant(clock, {
    customerId,
    idps: [
      { id: idpId, name: idpName, domains: [directory.domain || 'example.test'] },
      { id: otherIdpId, name: 'Admin SSO', ssoType: ['ADMIN'] },
    ],
  });
  const credentials = {
    customerId,
    clientId: alnum(24),
    clientSecret: alnum(40),
    oneApiClientId: `sbx-${alnum(10)}`,
    oneApiClientSecret: alnum(40),
    idpId,
    idpName,
    otherIdpId,
  };

  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const scim = await startZpaScimServer({
      tenant,
      log,
      faults,
      filter: opts.scimFilter ?? variant.zpaScimFilter ?? 'supported',
      ...(opts.host ? { host: opts.host } : {}),
      ...(opts.scimPageCap ? { pageCap: opts.scimPageCap } : {}),
    });
    stops.push(() => scim.stop());
    const admin = await startZpaAdminServer({
      tenant,
      clock,
      credentials,
      log,
      faults,
      scimEndpoint: (id) => scim.endpointFor(id),
      speed: opts.speed ?? 1,
      rateLimits: opts.rateLimits ?? true,
      ...(opts.host ? { host: opts.host } : {}),
      ...(opts.tokenLifetimeSeconds ? { tokenLifetimeSeconds: opts.tokenLifetimeSeconds } : {}),
    });
    stops.push(() => admin.stop());

    const provisionFromDirectory = (target = idpId): { users: number; groups: number } => {
      const byDn = new Map<string, string>();
      let users = 0;
      for (const u of directory.users) {
        if (isDisabled(u)) continue;
        const doc: Record<string, unknown> = {
          userName: u.userPrincipalName,
          externalId: u.objectGUID.toString('base64'),
          displayName: u.displayName,
          name: { givenName: u.givenName, familyName: u.sn },
          active: true,
          ...(u.mail ? { emails: [{ value: u.mail, type: 'work', primary: true }] } : {}),
          ...(u.department ? { [SCHEMA_ENTERPRISE]: { department: u.department } } : {}),
        };
        const existing = tenant.findUserByUserName(target, u.userPrincipalName);
        const rec = existing ? tenant.replaceUser(target, existing.id, doc) : tenant.createUser(target, doc);
        byDn.set(u.dn.toLowerCase(), rec.id);
        users++;
      }
      let groups = 0;
      const store = tenant.store(target);
      for (const g of directory.groups) {
        const members = g.member.map((dn) => byDn.get(dn.toLowerCase())).filter((id): id is string => id !== undefined);
        const existing = [...store.groups.values()].find((x) => x.displayName.toLowerCase() === g.cn.toLowerCase());
        if (existing) tenant.updateGroup(target, existing.id, { displayName: g.cn, externalId: g.objectGUID.toString('base64'), members });
        else tenant.createGroup(target, g.cn, g.objectGUID.toString('base64'), members);
        groups++;
      }
      return { users, groups };
    };

    return {
      endpoints: {
        adminUrl: admin.url,
        oneApiBaseUrl: `${admin.url}/zpa`,
        tokenUrl: `${admin.url}/oauth2/v1/token`,
        portalUrl: `${admin.url}/portal`,
        controlUrl: `${admin.url}/_sandbox`,
        scimUrl: scim.url,
      },
      credentials,
      tenant,
      clock,
      directory,
      log,
      scimEndpoint: (id) => scim.endpointFor(id),
      provisionFromDirectory,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Where a written configuration takes the ZPA admin API client secret from (throwaway, per sandbox run). */
export const ZPA_SANDBOX_SECRET_ENV = 'MIGRATE_SANDBOX_ZPA_CLIENT_SECRET';

/**
 * A sandbox configuration (`sandbox.config()`) turned into a `product: zpa` one on this simulation:
 * the `zia` section replaced by a `zpa` section (legacy API key client, the IdP by id, the soak as
 * configured), and the scripted operator given the ZPA console. Returns the environment it references.
 */
export function zpaSandboxConfig(
  raw: Record<string, unknown>,
  sim: ZpaSimulation,
  opts: { soakHours?: number; overrideReason?: string } = {},
): { config: Record<string, unknown>; env: Record<string, string> } {
  const { zia: _zia, ...rest } = raw;
  const operator = raw.operator as Record<string, unknown> | undefined;
  return {
    config: {
      ...rest,
      product: 'zpa',
      zpa: {
        baseUrl: sim.endpoints.adminUrl,
        customerId: sim.credentials.customerId,
        idpId: sim.credentials.idpId,
        idpName: sim.credentials.idpName,
        auth: { kind: 'legacy', clientId: sim.credentials.clientId, clientSecretEnv: ZPA_SANDBOX_SECRET_ENV },
        ...(opts.soakHours !== undefined
          ? { soak: { hours: opts.soakHours, ...(opts.overrideReason ? { override: { reason: opts.overrideReason } } : {}) } }
          : {}),
      },
      ...(operator?.kind === 'sandbox' ? { operator: { ...operator, zpaPortalUrl: sim.endpoints.portalUrl } } : {}),
    },
    env: { [ZPA_SANDBOX_SECRET_ENV]: sim.credentials.clientSecret },
  };
}

/**
 * The user mapping the simulated Entra app sends to ZPA: the Zscaler gallery app's (docs/vendor-facts.md
 * G7) plus the work email, which ZPA keeps as a SCIM attribute (`emails.value`, Y10) and parity compares.
 * Without it every user drifts on email; an admin maps it in Attribute Mappings.
 */
export const ENTRA_USER_MAPPING_FOR_ZPA: readonly AttributeMapping[] = Object.freeze([...ZSCALER_USER_MAPPING, { source: 'mail', target: WORK_EMAIL_TARGET }]);
