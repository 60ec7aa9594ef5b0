import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { safeEqual } from '../http/compare.js';
import type { FaultInjector, SandboxServer } from '../http/faults.js';
import type { RequestLog } from '../http/log.js';
import { jsonResponse, startService, type RunningService, type SimRequest, type SimResponse } from '../http/server.js';
import { InsyncTenantError, type InsyncTenant, type InsyncUserRecord } from './tenant.js';

/**
 * The simulated Druva inSync Cloud API on one listener (docs/vendor-facts.md, "Druva inSync"):
 *   POST /token                 client-credentials token, HTTP Basic client id:secret key (server `login`)
 *   /insync/...                 users, profiles, storages, devices, backups, events (server `insync`)
 *   /portal/...                 the console-only deployment actions, for a scripted operator
 *   /_sandbox/...               control: request log, stats, the clock, switch faults
 */
export interface InsyncServerOptions {
  tenant: InsyncTenant;
  credentials: { clientId: string; secretKey: string };
  log: Pick<RequestLog, 'record' | 'list' | 'stats' | 'reset'>;
  faults?: FaultInjector;
  host?: string;
  port?: number;
  /** Token lifetime in seconds (default 1800, docs/vendor-facts.md D3). */
  tokenLifetimeSeconds?: number;
  /** The status an expired token gets (default 403 as the FAQ says; the reference says 401, D4). */
  expiredTokenStatus?: 401 | 403;
  /** Records a list response holds at most (default 4097, D5). */
  pageSize?: number;
  /** Whether an injected 5xx/429 says `retryable: true` (default true). */
  injectedRetryable?: () => boolean;
}

/** Druva's error body (D6). */
const druvaError = (status: number, code: string, message: string, retryable = false, headers?: Record<string, string>): SimResponse =>
  jsonResponse(status, { code, message, retryable, data: {} }, headers);

const TRACKER_HOURS = 48;
const EVENTS_PER_CALL = 500;

const switchSchema = z.object({ method: z.enum(['SCIM', 'Azure AD']), keepExistingMappings: z.boolean() }).strict();
const mappingSchema = z.object({ name: z.string().min(1).max(100), profileID: z.number().int(), storageID: z.number().int() }).strict();
const advanceSchema = z.object({ ms: z.number().nonnegative() }).strict();
const faultsSchema = z
  .object({
    loseUser: z
      .object({ userID: z.number().int().optional(), how: z.enum(['deleted', 'preserved']).optional() })
      .strict()
      .optional(),
    loseBackupData: z.object({ deviceID: z.number().int().optional() }).strict().optional(),
  })
  .strict();

function jsonBody(req: SimRequest): unknown {
  if (req.body.length === 0) return {};
  return JSON.parse(req.body.toString('utf8'));
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function userView(u: InsyncUserRecord): Record<string, unknown> {
  return {
    userID: u.userID,
    userName: u.userName,
    emailID: u.emailID,
    status: u.status,
    profileID: u.profileID,
    storageID: u.storageID,
    ...(u.cacheID !== undefined ? { cacheID: u.cacheID } : {}),
    quota: `${Math.round(u.quotaInBytes / 1024 ** 3)} GB`,
    quotaInBytes: u.quotaInBytes,
    addedOn: u.addedOn,
    // D11: the reference's type for it is wrong; as a string, and only for directory-imported users.
    ...(u.ldapGUID ? { ldapGUID: u.ldapGUID } : {}),
    privacySettingsEnabled: 'False',
  };
}

export async function startInsyncServer(opts: InsyncServerOptions): Promise<RunningService> {
  const { tenant, credentials, log } = opts;
  const lifetime = opts.tokenLifetimeSeconds ?? 1800;
  const expiredStatus = opts.expiredTokenStatus ?? 403;
  const pageSize = opts.pageSize ?? 4097;
  const tokens = new Map<string, number>();
  const now = () => tenant.clock.now();

  function issueToken(req: SimRequest): SimResponse {
    if (req.method !== 'POST') return druvaError(405, 'InsyncAuth-1000', 'use POST');
    const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const decoded = m ? Buffer.from(m[1] ?? '', 'base64').toString('utf8') : '';
    const sep = decoded.indexOf(':');
    const form = new URLSearchParams(req.body.toString('utf8'));
    const ok =
      sep > 0 &&
      safeEqual(decoded.slice(0, sep), credentials.clientId) &&
      safeEqual(decoded.slice(sep + 1), credentials.secretKey) &&
      form.get('grant_type') === 'client_credentials';
    // The reference documents a 400 with an empty object for a refused token request (D2).
    if (!ok) return jsonResponse(400, {});
    const t = randomBytes(32).toString('base64url');
    tokens.set(t, now() + lifetime * 1000);
    tenant.recordLogin();
    return jsonResponse(200, { access_token: t, token_type: 'bearer', expires_in: lifetime });
  }

  function authorise(req: SimRequest): SimResponse | undefined {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const exp = m ? tokens.get(m[1] ?? '') : undefined;
    if (exp === undefined) return druvaError(401, 'InsyncAuth-1001', 'The request did not include an authentication token or an invalid token was supplied.');
    if (exp <= now()) return druvaError(expiredStatus, 'InsyncAuth-1002', 'The access token has expired.');
    return undefined;
  }

  /** `{totalSize, nextPageToken, <key>}`: at most pageSize records; the token is the next offset, empty on the last page. */
  function paged(req: SimRequest, key: string, items: unknown[]): SimResponse {
    const raw = req.query.get('pageToken');
    let offset = 0;
    if (raw !== null && raw !== '') {
      const m = /^o:(\d+)$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
      if (!m) return druvaError(400, 'InsyncCommon-1010', 'Invalid pageToken: use the nextPageToken of the previous response.');
      offset = Number(m[1]);
    }
    const slice = items.slice(offset, offset + pageSize);
    const next = offset + pageSize < items.length ? Buffer.from(`o:${offset + pageSize}`).toString('base64url') : '';
    return jsonResponse(200, { totalSize: items.length, nextPageToken: next, [key]: slice });
  }

  const ids = (v: string | null): Set<number> | undefined | 'bad' => {
    if (v === null || v === '') return undefined;
    const parts = v.split(',').map((s) => s.trim());
    if (parts.some((p) => !/^\d+$/.test(p))) return 'bad';
    return new Set(parts.map(Number));
  };

  function api(req: SimRequest, p: string): SimResponse {
    const denied = authorise(req);
    if (denied) return denied;
    tenant.catchUp();
    const q = req.query;
    if (p === '/usermanagement/v1/users' && req.method === 'GET') {
      const only = ids(q.get('userIDs'));
      if (only === 'bad') return druvaError(400, 'InsyncUsermanagement-1001', 'userIDs must be comma-separated integers');
      const status = q.get('status');
      if (status !== null && status !== 'active' && status !== 'preserved')
        return druvaError(400, 'InsyncUsermanagement-1002', 'status must be active or preserved');
      const email = q.get('emailID')?.toLowerCase();
      const profile = q.get('profileID');
      const list = [...tenant.users.values()].filter(
        (u) =>
          (!only || only.has(u.userID)) && (!status || u.status === status) && (!email || u.emailID === email) && (!profile || String(u.profileID) === profile),
      );
      return paged(req, 'users', list.map(userView));
    }
    const user = /^\/usermanagement\/v1\/users\/(\d+)$/.exec(p);
    if (user) {
      const id = Number(user[1]);
      if (req.method === 'GET') {
        const u = tenant.users.get(id);
        return u ? jsonResponse(200, userView(u)) : druvaError(404, 'InsyncUsermanagement-1004', `user ${id} does not exist`);
      }
      if (req.method === 'DELETE') {
        tenant.deleteUser(id);
        return jsonResponse(200, {});
      }
    }
    if (p === '/profilemanagement/v1/profiles' && req.method === 'GET') return paged(req, 'profiles', tenant.profiles);
    if (p === '/storagemanagement/v1/storages' && req.method === 'GET') return paged(req, 'storages', tenant.storages);
    if (p === '/endpoints/v2/devices' && req.method === 'GET') {
      const only = ids(q.get('userIDs'));
      if (only === 'bad') return druvaError(400, 'InsyncEndpoints-1001', 'userIDs must be comma-separated integers');
      const list = [...tenant.devices.values()]
        .filter((d) => !only || only.has(d.userID))
        .map((d) => ({
          deviceID: d.deviceID,
          deviceName: d.deviceName,
          userID: d.userID,
          platformOS: d.platformOS,
          deviceStatus: d.deviceStatus,
          totalBackupData: `${(d.bytes / 1024 ** 3).toFixed(2)} GB`,
          totalBackupDataInBytes: d.bytes,
          addedOn: d.addedOn,
          lastConnected: iso(d.lastConnected),
          deviceMarkedInactive: false,
        }));
      return paged(req, 'devices', list);
    }
    if (p === '/endpoints/v1/backups' && req.method === 'GET') {
      // D13: lastSuccessful is required and only true is accepted.
      if (q.get('lastSuccessful') !== 'true') return druvaError(400, 'InsyncEndpoints-1002', 'lastSuccessful is required and must be true');
      const userParam = q.get('userID');
      if (userParam !== null && !/^\d+$/.test(userParam)) return druvaError(400, 'InsyncEndpoints-1003', 'userID must be an integer');
      const list = [...tenant.devices.values()]
        .filter((d) => d.lastBackup && (userParam === null || String(d.userID) === userParam))
        .map((d) => {
          const b = d.lastBackup as NonNullable<typeof d.lastBackup>;
          return {
            deviceID: d.deviceID,
            backupStatus: 'Completed',
            filesBackedUp: b.filesBackedUp,
            bytesTransferred: b.bytesTransferred,
            filesMissed: 0,
            snapshotSize: `${Math.max(1, Math.round(b.bytesTransferred / 1024 ** 2))} MB`,
            startTime: iso(b.startTime),
            endTime: iso(b.endTime),
            systemSettingsBackedUp: true,
          };
        });
      return paged(req, 'backups', list);
    }
    if (p === '/eventmanagement/v2/events' && req.method === 'GET') {
      const raw = q.get('tracker');
      let from = 0;
      if (raw !== null && raw !== '') {
        const m = /^e:(\d+):(\d+)$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
        if (!m) return druvaError(400, 'InsyncEventmanagement-1001', 'Invalid tracker: pass the tracker of the previous response, URL-encoded.');
        if (Number(m[2]) <= now())
          return druvaError(400, 'InsyncEventmanagement-1002', `The tracker has expired (valid ${TRACKER_HOURS} hours); start again without one.`);
        from = Number(m[1]);
      }
      const events = tenant.events.slice(from, from + EVENTS_PER_CALL);
      const next = from + events.length;
      const tracker = Buffer.from(`e:${next}:${now() + TRACKER_HOURS * 3_600_000}`).toString('base64url');
      return jsonResponse(200, { tracker, nextPageExists: next < tenant.events.length, events });
    }
    return druvaError(404, 'InsyncCommon-1004', `The requested resource was not found: ${req.method} /insync${p}`);
  }

  function portal(req: SimRequest, sub: string): SimResponse {
    const body = () => jsonBody(req);
    if (sub === '/deployment' && req.method === 'GET') return jsonResponse(200, tenant.deployment());
    if (sub === '/deployment/method' && req.method === 'POST') {
      const p = switchSchema.safeParse(body());
      if (!p.success) return druvaError(400, 'SandboxPortal-1', `body: ${p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
      return jsonResponse(200, tenant.switchMethod(p.data.method, p.data.keepExistingMappings));
    }
    if (sub === '/azure-ad/consent' && req.method === 'POST') {
      tenant.grantAzureAdConsent();
      return jsonResponse(200, { azureAdConsent: true });
    }
    const mapping = /^\/(azure-ad|scim)\/mappings$/.exec(sub);
    if (mapping && req.method === 'POST') {
      const p = mappingSchema.safeParse(body());
      if (!p.success) return druvaError(400, 'SandboxPortal-2', `body: ${p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
      return jsonResponse(200, tenant.createMapping(mapping[1] === 'scim' ? 'SCIM' : 'Azure AD', p.data));
    }
    if (sub === '/scim/token' && req.method === 'POST') return jsonResponse(200, { token: tenant.generateScimToken() });
    if (sub === '/users' && req.method === 'GET') return jsonResponse(200, tenant.userModes());
    return druvaError(404, 'SandboxPortal-404', `no portal action ${req.method} /portal${sub}`);
  }

  function control(req: SimRequest, sub: string): SimResponse {
    if (sub === '/requests' && req.method === 'GET') return jsonResponse(200, log.list());
    if (sub === '/stats' && req.method === 'GET') return jsonResponse(200, log.stats());
    if (sub === '/reset-log' && req.method === 'POST') {
      log.reset();
      return { status: 204 };
    }
    if (sub === '/clock' && req.method === 'GET') return jsonResponse(200, { now: iso(now()) });
    if (sub === '/clock/advance' && req.method === 'POST') {
      const p = advanceSchema.safeParse(jsonBody(req));
      if (!p.success) return druvaError(400, 'SandboxControl-1', 'body: {"ms": <milliseconds to move the clock forward>}');
      tenant.clock.advance(p.data.ms);
      tenant.catchUp();
      return jsonResponse(200, { now: iso(now()) });
    }
    if (sub === '/switch-faults' && req.method === 'POST') {
      const p = faultsSchema.safeParse(jsonBody(req));
      if (!p.success)
        return druvaError(400, 'SandboxControl-2', 'body: {"loseUser"?: {"userID"?, "how"?: "deleted"|"preserved"}, "loseBackupData"?: {"deviceID"?}}');
      tenant.switchFaults = p.data as typeof tenant.switchFaults;
      return jsonResponse(200, tenant.switchFaults);
    }
    return druvaError(404, 'SandboxControl-404', `no control endpoint ${req.method} /_sandbox${sub}`);
  }

  const handler = (req: SimRequest): SimResponse => {
    try {
      if (req.path === '/token') return issueToken(req);
      if (req.path.startsWith('/insync/')) return api(req, req.path.slice('/insync'.length));
      if (req.path.startsWith('/portal/')) return portal(req, req.path.slice('/portal'.length));
      if (req.path.startsWith('/_sandbox/')) return control(req, req.path.slice('/_sandbox'.length));
      return druvaError(404, 'InsyncCommon-1004', `The requested resource was not found: ${req.method} ${req.path}`);
    } catch (e) {
      if (e instanceof InsyncTenantError) return druvaError(e.status, e.code, e.message);
      if (e instanceof SyntaxError) return druvaError(400, 'SandboxPortal-3', 'the body is not JSON');
      throw e;
    }
  };

  const nameOf = (path: string): SandboxServer => (path === '/token' ? 'login' : 'insync');
  return startService({
    name: nameOf,
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.port ? { port: opts.port } : {}),
    handler,
    log,
    ...(opts.faults ? { faults: opts.faults } : {}),
    stripPrefix: (path) => (path.startsWith('/insync/') ? path.slice('/insync'.length) : path),
    faultResponse: (status) => {
      const retryable = opts.injectedRetryable?.() ?? true;
      if (status === 429) return druvaError(429, 'InsyncCommon-1029', 'Too many requests.', retryable);
      return druvaError(status, 'InsyncEndpoints-1006', 'Internal server error', retryable);
    },
  });
}
