import { z } from 'zod';
import { FaultInjector } from '../http/faults.js';
import type { RequestLog } from '../http/log.js';
import { RateLimiter, type WindowLimit } from '../http/ratelimit.js';
import { jsonResponse, startService, type RunningService, type SimRequest, type SimResponse } from '../http/server.js';
import { TenantError, type ZiaTenant, type ZiaUserRecord } from '../world/tenant.js';
import { safeEqual } from '../http/compare.js';
import { SessionStore, TokenStore, bearer, cookieValue, obfuscateApiKey } from './auth.js';
import type { Portal } from './portal.js';
import { idpActionSchema, type IdpAction } from '../../idps/actions.js';
import { IdpConsoleRefusal } from '../idps/simulation.js';

/**
 * The simulated ZIA admin API server. One HTTP server answers:
 *   /api/v1/...            legacy API, JSESSIONID session (docs/vendor-facts.md F1–F4)
 *   /zia/api/v1/...        OneAPI form, Bearer token (F8)
 *   /oauth2/v1/token       the ZIdentity client-credentials token endpoint (F8)
 *   /portal/...            sandbox-only portal actions (no public API exists, F13)
 *   /_sandbox/...          the control API (request log, stats)
 */
export interface ZiaCredentials {
  username: string;
  password: string;
  apiKey: string;
  oneApiClientId: string;
  oneApiClientSecret: string;
}

export interface ZiaServerOptions {
  tenant: ZiaTenant;
  portal: Portal;
  credentials: ZiaCredentials;
  log: RequestLog;
  host?: string;
  port?: number;
  speed?: number;
  rateLimits?: boolean;
  /** The hourly caps (docs/vendor-facts.md F20); benches switch them off. Default true. */
  hourlyCaps?: boolean;
  idleTimeoutMinutes?: number;
  faults?: FaultInjector;
  now?: () => number;
  /** PUT /authSettings: 'full' (default) refuses a body missing a field a GET shows; 'partial' merges what is sent (variant authsettings-put). */
  authSettingsPut?: 'full' | 'partial';
  /** POST /portal/idp-console: the configured IdP's simulation plays the administrator at its console. */
  idpConsole?: (action: IdpAction) => Promise<void>;
}

export const ONEAPI_AUDIENCE = 'https://api.zscaler.com';

const err = (status: number, code: string, message: string, headers?: Record<string, string>) => jsonResponse(status, { code, message }, headers);

/**
 * PUT /authSettings body. Every field a GET always shows is required: a partial body is refused,
 * which is why clients must read-modify-write (partial-body semantics unconfirmed; the sandbox
 * takes the strict side). authCustomFrequency is optional: a real GET omits it unless set
 * (docs/vendor-facts.md). kerberosPwd and lastSync* are read-only and ignored when echoed back.
 */
const authSettingsPutSchema = z
  .object({
    orgAuthType: z.string().min(1),
    oneTimeAuth: z.string(),
    samlEnabled: z.boolean(),
    kerberosEnabled: z.boolean(),
    kerberosPwd: z.string().optional(),
    authFrequency: z.string(),
    authCustomFrequency: z.number().int().optional(),
    passwordStrength: z.string(),
    passwordExpiry: z.string(),
    lastSyncStartTime: z.number().int().optional(),
    lastSyncEndTime: z.number().int().optional(),
    mobileAdminSamlIdpEnabled: z.boolean(),
    autoProvision: z.boolean(),
    directorySyncMigrateToScimEnabled: z.boolean(),
  })
  .strict();

const loginSchema = z.object({
  apiKey: z.string(),
  username: z.string(),
  password: z.string(),
  // docs/vendor-facts.md F2: the Go SDK sends a string, the Python SDK a number.
  timestamp: z.union([z.string(), z.number()]),
});

const enabledSchema = z.object({ enabled: z.boolean() }).strict();
const repositorySchema = z.object({ type: z.enum(['HOSTED_DB', 'ACTIVE_DIRECTORY']) }).strict();

function parseJson(req: SimRequest): unknown {
  if (req.body.length === 0) return undefined;
  return JSON.parse(req.body.toString('utf8'));
}

function isJson(req: SimRequest): boolean {
  return /^application\/json\b/i.test(req.headers['content-type'] ?? '');
}

function zodMessage(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

/** Method class limits (docs/vendor-facts.md F20 default weights; /authSettings has the same numbers, F9). */
function limitsFor(method: string, speed: number, hourly: boolean): WindowLimit[] {
  const mk = (n: number, windowMs: number, label: string): WindowLimit => ({ limit: Math.max(1, Math.floor(n * speed)), windowMs, label });
  const out: WindowLimit[] = [];
  if (method === 'DELETE') {
    out.push(mk(1, 60_000, '1/MINUTE'));
    if (hourly) out.push(mk(4, 3_600_000, '4/HOUR'));
  } else if (method === 'GET' || method === 'HEAD') {
    out.push(mk(2, 1000, '2/SECOND'));
    if (hourly) out.push(mk(1000, 3_600_000, '1000/HOUR'));
  } else {
    out.push(mk(1, 1000, '1/SECOND'));
    if (hourly) out.push(mk(400, 3_600_000, '400/HOUR'));
  }
  return out;
}

function pageParams(req: SimRequest, max: number): { page: number; pageSize: number } | SimResponse {
  const p = req.query.get('page');
  const s = req.query.get('pageSize');
  const page = p === null ? 1 : Number(p);
  let pageSize = s === null ? 100 : Number(s);
  if (!Number.isInteger(page) || page < 1) return err(400, 'INVALID_INPUT_ARGUMENT', `page must be an integer >= 1 (1-based), got "${p}"`);
  if (!Number.isInteger(pageSize) || pageSize < 1) return err(400, 'INVALID_INPUT_ARGUMENT', `pageSize must be an integer >= 1, got "${s}"`);
  // UNCONFIRMED whether ZIA clamps or refuses an oversized pageSize; the sandbox clamps (maxima: docs/vendor-facts.md F18).
  pageSize = Math.min(pageSize, max);
  return { page, pageSize };
}

function userView(tenant: ZiaTenant, u: ZiaUserRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: u.id,
    name: u.displayName,
    email: u.userName,
    groups: u.groupIds.map((gid) => ({ id: gid, name: tenant.groups.get(gid)?.name ?? '' })),
    comments: '',
    adminUser: false,
    deleted: false,
  };
  const d = u.departmentId === undefined ? undefined : tenant.departmentsById.get(u.departmentId);
  if (d) out.department = { id: d.id, name: d.name };
  return out;
}

/**
 * GET /users filters as zscaler-sdk-python documents them: `name`, `dept` and `group` are
 * case-insensitive "starts with" matches on the user's name, department name and any group
 * name (the Go SDK calls `name` a partial match: unconfirmed which). `search` is not a /users
 * parameter: a recorded real `GET /users?search=admin` returned the unfiltered list
 * (docs/vendor-facts.md), so it is ignored here too.
 */
function filterUsers(tenant: ZiaTenant, q: URLSearchParams): number[] {
  const name = q.get('name')?.toLowerCase();
  const dept = q.get('dept')?.toLowerCase();
  const group = q.get('group')?.toLowerCase();
  const ids = tenant.userIdsInOrder();
  if (!name && !dept && !group) return ids;
  return ids.filter((id) => {
    const u = tenant.users.get(id);
    if (!u) return false;
    if (name && !u.displayName.toLowerCase().startsWith(name)) return false;
    if (dept) {
      const d = u.departmentId === undefined ? undefined : tenant.departmentsById.get(u.departmentId);
      if (!d || !d.name.toLowerCase().startsWith(dept)) return false;
    }
    if (group && !u.groupIds.some((gid) => tenant.groups.get(gid)?.name.toLowerCase().startsWith(group))) return false;
    return true;
  });
}

export async function startZiaServer(opts: ZiaServerOptions): Promise<RunningService> {
  const { tenant, portal, credentials, log } = opts;
  const now = opts.now ?? Date.now;
  const speed = opts.speed ?? 1;
  const rateLimits = opts.rateLimits ?? true;
  const hourly = opts.hourlyCaps ?? true;
  const sessions = new SessionStore((opts.idleTimeoutMinutes ?? 5) * 60_000, now);
  const tokens = new TokenStore(3600, now);
  const limiter = new RateLimiter();

  const rateLimited = (d: { retryAfterSeconds: number; label: string }): SimResponse =>
    jsonResponse(
      429,
      { message: `Rate Limit (${d.label}) exceeded`, 'Retry-After': `${d.retryAfterSeconds} seconds` },
      { 'retry-after': String(d.retryAfterSeconds) },
    );

  function login(req: SimRequest): SimResponse {
    if (req.method === 'POST') {
      if (!isJson(req)) return err(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
      const parsed = loginSchema.safeParse(parseJson(req));
      if (!parsed.success) return err(400, 'INVALID_INPUT_ARGUMENT', zodMessage(parsed.error));
      const ts = String(parsed.data.timestamp);
      const ok =
        /^\d{6,}$/.test(ts) &&
        safeEqual(parsed.data.username, credentials.username) &&
        safeEqual(parsed.data.password, credentials.password) &&
        safeEqual(parsed.data.apiKey, obfuscateApiKey(credentials.apiKey, ts));
      if (!ok) {
        // Error code for a failed login is UNCONFIRMED; the message never echoes what was sent.
        return err(401, 'AUTHENTICATION_FAILED', 'authentication failed: check the username, password and the obfuscated API key/timestamp pair');
      }
      const id = sessions.create(parsed.data.username);
      return jsonResponse(
        200,
        { authType: 'ADMIN_LOGIN', obfuscateApiKey: true, passwordExpiryTime: 0, passwordExpiryDays: 0 },
        // A cookie jar sends a `Secure` cookie back over https only: flag it only when served over TLS.
        { 'set-cookie': `JSESSIONID=${id}; Path=/;${req.secure ? ' Secure;' : ''} HttpOnly` },
      );
    }
    const sid = sessionId(req);
    if (req.method === 'GET') {
      const state = sessions.touch(sid);
      if (state === 'expired') tenant.activate();
      // docs/vendor-facts.md F3: "if authType absent the session expired".
      return state === 'valid'
        ? jsonResponse(200, { authType: 'ADMIN_LOGIN', obfuscateApiKey: true, passwordExpiryTime: 0, passwordExpiryDays: 0 })
        : jsonResponse(200, {});
    }
    if (req.method === 'DELETE') {
      // Ending a session auto-activates its pending changes (docs/vendor-facts.md). The SDK counts
      // only 204 as a successful logout; without a live session there is nothing to end, and the
      // API answers as it does to any call without one (the status of that case is unconfirmed).
      const state = sessions.touch(sid);
      if (state === 'valid') {
        sessions.end(sid);
        tenant.activate();
        return { status: 204 };
      }
      if (state === 'expired') tenant.activate();
      return err(401, 'SESSION_NOT_VALID', 'Session is not valid; there is no session to end');
    }
    return err(405, 'METHOD_NOT_ALLOWED', `${req.method} is not supported on /authenticatedSession`);
  }

  function sessionId(req: SimRequest): string | undefined {
    const hdr = req.headers['jsessionid'];
    return cookieValue(req.headers.cookie, 'JSESSIONID') ?? (typeof hdr === 'string' ? hdr : undefined);
  }

  function token(req: SimRequest): SimResponse {
    if (req.method !== 'POST') return jsonResponse(405, { error: 'invalid_request', error_description: 'use POST' });
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      return jsonResponse(400, { error: 'invalid_request', error_description: 'the body must be application/x-www-form-urlencoded' });
    }
    const f = new URLSearchParams(req.body.toString('utf8'));
    if (f.get('grant_type') !== 'client_credentials') {
      return jsonResponse(400, { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' });
    }
    if (f.get('audience') !== ONEAPI_AUDIENCE) {
      // docs/vendor-facts.md F8: audience is REQUIRED and is https://api.zscaler.com.
      return jsonResponse(400, { error: 'invalid_request', error_description: `audience must be ${ONEAPI_AUDIENCE}` });
    }
    if (!safeEqual(f.get('client_id') ?? '', credentials.oneApiClientId) || !safeEqual(f.get('client_secret') ?? '', credentials.oneApiClientSecret)) {
      return jsonResponse(401, { error: 'invalid_client', error_description: 'client authentication failed' });
    }
    return jsonResponse(200, { access_token: tokens.issue(), token_type: 'Bearer', expires_in: tokens.lifetimeSeconds });
  }

  function api(req: SimRequest, resource: string, oneApi: boolean): SimResponse {
    const limits = limitsFor(req.method, speed, hourly);
    let extra: Record<string, string> = {};
    if (rateLimits) {
      // Limits are per endpoint (the Rate Limit Summary is per endpoint, docs/vendor-facts.md F20) and per method class.
      const key = `${req.method === 'GET' || req.method === 'HEAD' ? 'GET' : req.method}|${resource.replace(/\/\d+$/, '/{id}')}`;
      const d = limiter.take(key, limits, now());
      if (oneApi) extra = { 'x-ratelimit-limit': String(d.limit), 'x-ratelimit-remaining': String(d.remaining), 'x-ratelimit-reset': String(d.resetSeconds) };
      if (!d.allowed) {
        const r = rateLimited(d);
        r.headers = { ...r.headers, ...extra };
        return r;
      }
    }
    const r = route(req, resource);
    if (Object.keys(extra).length) r.headers = { ...(r.headers ?? {}), ...extra };
    return r;
  }

  function route(req: SimRequest, resource: string): SimResponse {
    const m = req.method;
    // ZIA answers 415 to a write without application/json, body or not (docs/vendor-facts.md: both
    // SDKs send `{}` as JSON even to POST /status/activate).
    if ((m === 'PUT' || m === 'POST') && !isJson(req)) {
      return err(415, 'UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
    }
    try {
      if (resource === '/authSettings') {
        if (m === 'GET') return jsonResponse(200, tenant.getAuthSettings());
        if (m === 'PUT') {
          let body: unknown;
          try {
            body = parseJson(req);
          } catch {
            return err(400, 'INVALID_INPUT_ARGUMENT', 'the body is not valid JSON');
          }
          if (opts.authSettingsPut === 'partial') {
            // The other reading (variant authsettings-put=partial): the fields sent replace the current ones, the rest stay.
            const partial = authSettingsPutSchema.partial().safeParse(body);
            if (!partial.success) return err(400, 'INVALID_INPUT_ARGUMENT', zodMessage(partial.error));
            const { kerberosPwd: _k, lastSyncStartTime: _s, lastSyncEndTime: _e, ...current } = tenant.getAuthSettings();
            const { kerberosPwd: _k2, lastSyncStartTime: _s2, lastSyncEndTime: _e2, ...sent } = partial.data;
            const merged: Record<string, unknown> = { ...current };
            for (const [k, v] of Object.entries(sent)) if (v !== undefined) merged[k] = v;
            return jsonResponse(200, tenant.putAuthSettings(merged as Parameters<ZiaTenant['putAuthSettings']>[0]));
          }
          const parsed = authSettingsPutSchema.safeParse(body);
          if (!parsed.success) return err(400, 'INVALID_INPUT_ARGUMENT', zodMessage(parsed.error));
          const { kerberosPwd: _k, lastSyncStartTime: _s, lastSyncEndTime: _e, ...editable } = parsed.data;
          return jsonResponse(200, tenant.putAuthSettings(editable));
        }
      } else if (resource === '/authSettings/lite' && m === 'GET') {
        // docs/vendor-facts.md F9: /lite omits authFrequency, authCustomFrequency, lastSyncStartTime, lastSyncEndTime.
        const { authFrequency: _a, authCustomFrequency: _b, lastSyncStartTime: _c, lastSyncEndTime: _d, ...lite } = tenant.getAuthSettings();
        return jsonResponse(200, lite);
      } else if (resource === '/orgInformation/lite' && m === 'GET') {
        // The SDKs' organization details (lite): the fields the sandbox knows; `domains` is what the forecast reads.
        return jsonResponse(200, {
          orgId: Number(tenant.orgId),
          name: 'Sandbox Org',
          cloudName: 'zscalerthree.net',
          domains: [...tenant.domains],
          orgDisabled: false,
        });
      } else if (resource === '/status' && m === 'GET') {
        return jsonResponse(200, { status: tenant.status });
      } else if (resource === '/status/activate' && m === 'POST') {
        return jsonResponse(200, { status: tenant.activate() });
      } else if (resource === '/users' && m === 'GET') {
        const p = pageParams(req, 10_000);
        if ('status' in p) return p;
        const ids = filterUsers(tenant, req.query);
        const slice = ids.slice((p.page - 1) * p.pageSize, p.page * p.pageSize);
        return jsonResponse(
          200,
          slice.map((id) => userView(tenant, tenant.users.get(id) as ZiaUserRecord)),
        );
      } else if (/^\/users\/\d+$/.test(resource) && m === 'GET') {
        const u = tenant.users.get(Number(resource.slice(7)));
        return u ? jsonResponse(200, userView(tenant, u)) : err(404, 'RESOURCE_NOT_FOUND', `no user with id ${resource.slice(7)}`);
      } else if (resource === '/groups' && m === 'GET') {
        const p = pageParams(req, 1000);
        if ('status' in p) return p;
        const search = req.query.get('search')?.toLowerCase();
        let ids = tenant.groupIdsInOrder();
        if (search) ids = ids.filter((id) => tenant.groups.get(id)?.name.toLowerCase().includes(search));
        const slice = ids.slice((p.page - 1) * p.pageSize, p.page * p.pageSize);
        return jsonResponse(
          200,
          slice.map((id) => {
            const g = tenant.groups.get(id);
            return { id, name: g?.name, idpId: g?.scim?.idpId ?? 0, comments: g?.comments ?? '', isSystemDefined: false };
          }),
        );
      } else if (resource === '/departments' && m === 'GET') {
        const p = pageParams(req, 1000);
        if ('status' in p) return p;
        const all = [...tenant.departmentsById.values()].sort((a, b) => a.id - b.id);
        return jsonResponse(200, all.slice((p.page - 1) * p.pageSize, p.page * p.pageSize));
      }
    } catch (e) {
      if (e instanceof TenantError) return err(e.status, e.code, e.message);
      throw e;
    }
    return err(404, 'RESOURCE_NOT_FOUND', `no ${m} ${resource} in the sandbox ZIA API`);
  }

  function portalRoute(req: SimRequest, sub: string): SimResponse {
    let body: unknown;
    try {
      body = parseJson(req);
    } catch {
      return err(400, 'INVALID_INPUT_ARGUMENT', 'the body is not valid JSON');
    }
    try {
      if (sub === '/idps' && req.method === 'GET') return jsonResponse(200, portal.idps());
      if (sub === '/syncNow' && req.method === 'POST') return jsonResponse(200, portal.syncNow());
      if (sub === '/repositoryType' && req.method === 'POST') {
        const p = repositorySchema.safeParse(body);
        if (!p.success) return err(400, 'INVALID_INPUT_ARGUMENT', zodMessage(p.error));
        return jsonResponse(200, portal.setRepositoryType(p.data.type));
      }
      const m = /^\/idps\/(\d+)\/(scim|generateToken|samlAutoProvisioning)$/.exec(sub);
      if (m && req.method === 'POST') {
        const id = Number(m[1]);
        if (m[2] === 'generateToken') return jsonResponse(200, portal.generateToken(id));
        const p = enabledSchema.safeParse(body);
        if (!p.success) return err(400, 'INVALID_INPUT_ARGUMENT', zodMessage(p.error));
        if (m[2] === 'scim') return jsonResponse(200, portal.setScim(id, p.data.enabled));
        return jsonResponse(200, portal.setSamlAutoProvisioning(id, p.data.enabled));
      }
    } catch (e) {
      if (e instanceof TenantError) return err(e.status, e.code, e.message);
      throw e;
    }
    return err(404, 'RESOURCE_NOT_FOUND', `no portal action ${req.method} /portal${sub}`);
  }

  /** The IdP's console (not ZIA's): handed to the configured IdP's simulation. */
  async function idpConsoleRoute(req: SimRequest): Promise<SimResponse> {
    if (req.method !== 'POST') return err(405, 'METHOD_NOT_ALLOWED', 'POST /portal/idp-console takes an IdP console action');
    let body: unknown;
    try {
      body = parseJson(req);
    } catch {
      return err(400, 'INVALID_INPUT_ARGUMENT', 'the body is not valid JSON');
    }
    const p = idpActionSchema.safeParse(body);
    if (!p.success) return err(400, 'INVALID_INPUT_ARGUMENT', zodMessage(p.error));
    if (!opts.idpConsole) return err(404, 'RESOURCE_NOT_FOUND', 'this sandbox runs no IdP simulation');
    try {
      await opts.idpConsole(p.data);
    } catch (e) {
      if (e instanceof IdpConsoleRefusal) return err(400, 'INVALID_INPUT_ARGUMENT', e.message);
      throw e;
    }
    return jsonResponse(200, {});
  }

  function control(req: SimRequest, sub: string): SimResponse {
    if (sub === '/requests' && req.method === 'GET') return jsonResponse(200, log.list());
    if (sub === '/stats' && req.method === 'GET') return jsonResponse(200, log.stats());
    if (sub === '/reset-log' && req.method === 'POST') {
      log.reset();
      return { status: 204 };
    }
    return err(404, 'RESOURCE_NOT_FOUND', `no control endpoint ${req.method} /_sandbox${sub}`);
  }

  const handler = (req: SimRequest): SimResponse | Promise<SimResponse> => {
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    if (path === '/oauth2/v1/token') return token(req);
    if (path === '/portal/idp-console') return idpConsoleRoute(req);
    if (path.startsWith('/portal/')) return portalRoute(req, path.slice('/portal'.length));
    if (path.startsWith('/_sandbox/')) return control(req, path.slice('/_sandbox'.length));
    if (path.startsWith('/api/v1/')) {
      const resource = path.slice('/api/v1'.length);
      if (resource === '/authenticatedSession') {
        if (rateLimits && req.method === 'POST') {
          const d = limiter.take('POST|/authenticatedSession', limitsFor('POST', speed, hourly), now());
          if (!d.allowed) return rateLimited(d);
        }
        return login(req);
      }
      const state = sessions.touch(sessionId(req));
      if (state !== 'valid') {
        // docs/vendor-facts.md F5: a session that timed out auto-activates its pending changes.
        if (state === 'expired') tenant.activate();
        return err(
          401,
          'SESSION_NOT_VALID',
          state === 'expired'
            ? 'Session expired after the idle timeout; authenticate again'
            : 'Session is not valid; authenticate with POST /api/v1/authenticatedSession',
        );
      }
      return api(req, resource, false);
    }
    if (path.startsWith('/zia/api/v1/')) {
      if (!tokens.valid(bearer(req.headers.authorization))) {
        // OneAPI 401 body shape is UNCONFIRMED; the sandbox uses the ZIA {code,message} shape.
        return err(401, 'UNAUTHORIZED', 'missing, invalid or expired bearer token; request one from /oauth2/v1/token');
      }
      return api(req, path.slice('/zia/api/v1'.length), true);
    }
    return err(404, 'RESOURCE_NOT_FOUND', `nothing at ${path} in the sandbox ZIA server`);
  };

  return startService({
    name: 'zia',
    host: opts.host,
    port: opts.port,
    handler,
    log,
    faults: opts.faults,
    stripPrefix: (p) => p.replace(/^\/zia\/api\/v1|^\/api\/v1/, ''),
    faultResponse: (status) =>
      status === 429
        ? jsonResponse(429, { message: 'Rate Limit (1/SECOND) exceeded', 'Retry-After': '1 seconds' })
        : err(status, 'UNEXPECTED_ERROR', `injected fault ${status}`),
  });
}
