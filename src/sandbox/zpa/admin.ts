import { z } from 'zod';
import type { FaultInjector } from '../http/faults.js';
import type { RequestLog } from '../http/log.js';
import { RateLimiter, type WindowLimit } from '../http/ratelimit.js';
import { jsonResponse, startService, type RunningService, type SimRequest, type SimResponse } from '../http/server.js';
import { safeEqual } from '../http/compare.js';
import { TokenStore, bearer } from '../zia/auth.js';
import type { SandboxClock } from './clock.js';
import { ZpaTenantError, type ZpaIdpRecord, type ZpaTenant } from './tenant.js';

/**
 * The simulated ZPA admin API (docs/vendor-facts.md Y1–Y12). One HTTP server answers:
 *   POST /signin                                  legacy token: form-encoded client_id/client_secret
 *   /mgmtconfig/v1|v2/admin/customers/{cid}/…     IdP controller, SCIM attribute headers
 *   /userconfig/v1/customers/{cid}/…              SCIM groups, SCIM attribute values
 *   /zpa/…                                        the same under OneAPI, with the token from
 *   POST /oauth2/v1/token                         (ZIdentity client credentials)
 *   /portal/…                                     sandbox-only console actions (no API exists, Y4)
 *   /_sandbox/…                                   control: request log, the clock
 */
export interface ZpaCredentials {
  clientId: string;
  clientSecret: string;
  oneApiClientId: string;
  oneApiClientSecret: string;
}

export interface ZpaAdminServerOptions {
  tenant: ZpaTenant;
  clock: SandboxClock;
  credentials: ZpaCredentials;
  log: RequestLog;
  /** The SCIM Service Provider Endpoint of an IdP (the SCIM service's URL for it). */
  scimEndpoint: (idpId: string) => string;
  host?: string;
  port?: number;
  speed?: number;
  rateLimits?: boolean;
  faults?: FaultInjector;
  /** Token lifetime in seconds (default 3600). */
  tokenLifetimeSeconds?: number;
}

const ONEAPI_AUDIENCE = 'https://api.zscaler.com';

/** ZPA's error body (F23): `{"id":"…","reason":"…","params":[…]}`. */
export const zpaError = (status: number, id: string, reason: string, params?: string[], headers?: Record<string, string>): SimResponse =>
  jsonResponse(status, { id, reason, ...(params ? { params } : {}) }, headers);

const enabledSchema = z.object({ enabled: z.boolean() }).strict();

/**
 * An IdP as the controller returns it (Y5): ids and times as strings, `autoProvision` "0"/"1",
 * `scimSharedSecretExists` and `scimEnabled` left out when false (the sandbox takes the harder reading).
 */
export function idpView(i: ZpaIdpRecord, scimEndpoint: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: i.id,
    name: i.name,
    enabled: i.enabled,
    ssoType: i.ssoType,
    domainList: i.domainList,
    loginUrl: `https://login.example.test/${i.id}/saml2`,
    idpEntityId: `https://sts.example.test/${i.id}/`,
    autoProvision: '0',
    signSamlRequest: '1',
    useCustomSPMetadata: false,
    scimServiceProviderEndpoint: scimEndpoint,
    enableScimBasedPolicy: i.enableScimBasedPolicy,
    disableSamlBasedPolicy: i.disableSamlBasedPolicy,
    reauthOnUserUpdate: i.reauthOnUserUpdate,
    creationTime: String(Math.floor(i.creationTime / 1000)),
    modifiedTime: String(Math.floor(i.modifiedTime / 1000)),
    modifiedBy: '72058304855015574',
  };
  if (i.scimEnabled) out.scimEnabled = true;
  if (i.token !== undefined) out.scimSharedSecretExists = true;
  return out;
}

function limitsFor(method: string, speed: number): WindowLimit[] {
  // Per IP, per 10 s: 20 GET, 10 POST/PUT/DELETE (Y6).
  const n = method === 'GET' || method === 'HEAD' ? 20 : 10;
  return [{ limit: Math.max(1, Math.floor(n * speed)), windowMs: 10_000, label: `${n}/10SECONDS` }];
}

/** `page` and lowercase `pagesize` (Y7). `pageSize` is not ZPA's name: it is ignored, as an unknown parameter is. */
function paging(req: SimRequest): { page: number; size: number } | SimResponse {
  const p = req.query.get('page');
  const s = req.query.get('pagesize');
  const page = p === null ? 1 : Number(p);
  const size = s === null ? 20 : Number(s);
  if (!Number.isInteger(page) || page < 1) return zpaError(400, 'invalid.page.number', `page must be an integer >= 1, got "${p}"`, ['page']);
  if (!Number.isInteger(size) || size < 1 || size > 500)
    return zpaError(400, 'invalid.page.size', `pagesize must be an integer from 1 to 500, got "${s}"`, ['pagesize']);
  return { page, size };
}

function paged<T>(items: T[], p: { page: number; size: number }, asStrings: boolean): Record<string, unknown> {
  const totalPages = Math.ceil(items.length / p.size);
  const list = items.slice((p.page - 1) * p.size, p.page * p.size);
  const out: Record<string, unknown> = asStrings
    ? { totalPages: String(totalPages), totalCount: String(items.length) }
    : { totalPages, totalCount: items.length };
  // An empty answer carries no `list` (the Go SDK guards against it).
  if (list.length > 0) out.list = list;
  return out;
}

export async function startZpaAdminServer(opts: ZpaAdminServerOptions): Promise<RunningService> {
  const { tenant, credentials, log, clock } = opts;
  const speed = opts.speed ?? 1;
  const rateLimits = opts.rateLimits ?? true;
  const lifetime = opts.tokenLifetimeSeconds ?? 3600;
  const legacyTokens = new TokenStore(lifetime);
  const oneApiTokens = new TokenStore(lifetime);
  const limiter = new RateLimiter();

  function form(req: SimRequest): URLSearchParams | SimResponse {
    if (req.method !== 'POST') return zpaError(405, 'method.not.allowed', 'use POST');
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      return zpaError(415, 'unsupported.media.type', 'the body must be application/x-www-form-urlencoded');
    }
    return new URLSearchParams(req.body.toString('utf8'));
  }

  function signin(req: SimRequest): SimResponse {
    const f = form(req);
    if (!(f instanceof URLSearchParams)) return f;
    if (!safeEqual(f.get('client_id') ?? '', credentials.clientId) || !safeEqual(f.get('client_secret') ?? '', credentials.clientSecret)) {
      // The exact refusal body is unpublished; the message never echoes what was sent.
      return zpaError(401, 'authentication.failed', 'Invalid client id or client secret.');
    }
    // expires_in is a string (F23).
    return jsonResponse(200, { token_type: 'Bearer', access_token: legacyTokens.issue(), expires_in: String(lifetime) });
  }

  function oneApiToken(req: SimRequest): SimResponse {
    const f = form(req);
    if (!(f instanceof URLSearchParams)) return f;
    if (f.get('grant_type') !== 'client_credentials')
      return jsonResponse(400, { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' });
    if (f.get('audience') !== ONEAPI_AUDIENCE) return jsonResponse(400, { error: 'invalid_request', error_description: `audience must be ${ONEAPI_AUDIENCE}` });
    if (!safeEqual(f.get('client_id') ?? '', credentials.oneApiClientId) || !safeEqual(f.get('client_secret') ?? '', credentials.oneApiClientSecret)) {
      return jsonResponse(401, { error: 'invalid_client', error_description: 'client authentication failed' });
    }
    return jsonResponse(200, { access_token: oneApiTokens.issue(), token_type: 'Bearer', expires_in: lifetime });
  }

  function api(req: SimRequest, path: string): SimResponse {
    if (rateLimits) {
      const d = limiter.take(req.method === 'GET' || req.method === 'HEAD' ? 'GET' : 'WRITE', limitsFor(req.method, speed));
      // Retry-After in ZPA's own form, seconds with an "s" (F23).
      if (!d.allowed) return zpaError(429, 'too.many.requests', `Rate limit (${d.label}) exceeded`, undefined, { 'retry-after': `${d.retryAfterSeconds}s` });
    }
    try {
      return route(req, path);
    } catch (e) {
      if (e instanceof ZpaTenantError) return zpaError(e.status, e.id, e.message, e.params);
      throw e;
    }
  }

  function route(req: SimRequest, path: string): SimResponse {
    if (req.method !== 'GET')
      return zpaError(
        405,
        'method.not.allowed',
        `${req.method} ${path} is not part of the ZPA API the sandbox serves (it has no IdP write, docs/vendor-facts.md Y4)`,
      );
    let m = /^\/mgmtconfig\/v([12])\/admin\/customers\/([^/]+)(\/.*)$/.exec(path) ?? /^\/userconfig\/v(1)\/customers\/([^/]+)(\/.*)$/.exec(path);
    if (!m) return zpaError(404, 'resource.not.found', `nothing at ${path}`);
    const [, version, cid, rest] = m as unknown as [string, string, string, string];
    if (cid !== tenant.customerId) return zpaError(401, 'customer.not.authorized', `the API client is not authorized for customer ${cid}`);
    const mgmt = path.startsWith('/mgmtconfig');

    if (mgmt && version === '2' && rest === '/idp') {
      const p = paging(req);
      if ('status' in p) return p;
      let idps = [...tenant.idps.values()];
      const scim = req.query.get('scimEnabled');
      if (scim === 'true' || scim === 'false') idps = idps.filter((i) => i.scimEnabled === (scim === 'true'));
      const search = req.query.get('search');
      if (search) {
        // name+EQ+<value> (Y7), or a plain substring.
        const eq = /^name\+?EQ\+?(.*)$/i.exec(search.replace(/ /g, '+'));
        idps = eq
          ? idps.filter((i) => i.name === (eq[1] as string).replace(/\+/g, ' '))
          : idps.filter((i) => i.name.toLowerCase().includes(search.toLowerCase()));
      }
      return jsonResponse(
        200,
        paged(
          idps.map((i) => idpView(i, opts.scimEndpoint(i.id))),
          p,
          true,
        ),
      );
    }
    if (mgmt && version === '1' && (m = /^\/idp\/([^/]+)$/.exec(rest))) {
      const id = m[1] as string;
      if (!/^\d+$/.test(id)) return zpaError(400, 'invalid.resource.argument', 'One or more input fields idpId are not valid.', ['idpId']);
      return jsonResponse(200, idpView(tenant.idp(id), opts.scimEndpoint(id)));
    }
    if (mgmt && version === '1' && (m = /^\/idp\/([^/]+)\/scimattribute(?:\/([^/]+))?$/.exec(rest))) {
      const attrs = tenant.attributes(tenant.idpForQuery(m[1] as string).id);
      if (m[2] !== undefined) {
        const a = attrs.find((x) => x.id === m![2]);
        return a ? jsonResponse(200, a) : zpaError(404, 'resource.not.found', `no SCIM attribute ${m[2]}`);
      }
      const p = paging(req);
      if ('status' in p) return p;
      return jsonResponse(200, paged(attrs, p, true));
    }
    if (!mgmt && (m = /^\/scimgroup\/idpId\/([^/]+)$/.exec(rest))) {
      const idp = tenant.idpForQuery(m[1] as string);
      const p = paging(req);
      if ('status' in p) return p;
      let groups = [...tenant.store(idp.id).groups.values()].map((g) => ({
        id: Number(g.id),
        modifiedTime: Math.floor(g.lastModified / 1000),
        creationTime: Math.floor(g.created / 1000),
        name: g.displayName,
        idpId: Number(idp.id),
        idpGroupId: null,
        internalId: g.internalId,
      }));
      const search = req.query.get('search');
      // SCIM endpoints take a plain string (Y9).
      if (search) groups = groups.filter((g) => g.name.toLowerCase().includes(search.toLowerCase()));
      const sortBy = req.query.get('sortBy');
      if (sortBy !== null) {
        if (!['name', 'id', 'creationTime', 'modifiedTime'].includes(sortBy))
          return zpaError(400, 'invalid.sort.field', `sortBy must be name, id, creationTime or modifiedTime, got "${sortBy}"`, ['sortBy']);
        const dir = (req.query.get('sortOrder') ?? 'ASC').toUpperCase() === 'DSC' ? -1 : 1;
        const key = sortBy as 'name' | 'id' | 'creationTime' | 'modifiedTime';
        groups.sort((a, b) => {
          const x = a[key];
          const y = b[key];
          const c = typeof x === 'string' ? x.localeCompare(y as string) : (x as number) - (y as number);
          return (c || a.id - b.id) * dir;
        });
      } else {
        groups.sort((a, b) => a.id - b.id);
      }
      // Counts are numbers on this endpoint (Y9).
      return jsonResponse(200, paged(groups, p, false));
    }
    if (!mgmt && (m = /^\/scimgroup\/(\d+)$/.exec(rest))) {
      for (const i of tenant.idps.values()) {
        const g = tenant.store(i.id).groups.get(m[1] as string);
        if (g)
          return jsonResponse(200, {
            id: Number(g.id),
            name: g.displayName,
            idpId: Number(i.id),
            internalId: g.internalId,
            creationTime: Math.floor(g.created / 1000),
            modifiedTime: Math.floor(g.lastModified / 1000),
          });
      }
      return zpaError(404, 'resource.not.found', `no SCIM group ${m[1]}`);
    }
    if (!mgmt && (m = /^\/scimattribute\/idpId\/([^/]+)\/attributeId\/([^/]+)$/.exec(rest))) {
      const idp = tenant.idpForQuery(m[1] as string);
      const p = paging(req);
      if ('status' in p) return p;
      return jsonResponse(200, paged(tenant.attributeValues(idp.id, m[2] as string), p, false));
    }
    return zpaError(404, 'resource.not.found', `nothing at ${path}`);
  }

  function portal(req: SimRequest, sub: string): SimResponse {
    let body: unknown;
    try {
      body = req.body.length ? JSON.parse(req.body.toString('utf8')) : undefined;
    } catch {
      return zpaError(400, 'invalid.json', 'the body is not valid JSON');
    }
    try {
      if (sub === '/idps' && req.method === 'GET') {
        // What the console's IDP Configuration page shows: never the token.
        return jsonResponse(
          200,
          [...tenant.idps.values()].map((i) => ({
            id: i.id,
            name: i.name,
            scimEnabled: i.scimEnabled,
            scimSharedSecretExists: i.token !== undefined,
            enableScimBasedPolicy: i.enableScimBasedPolicy,
            scimServiceProviderEndpoint: opts.scimEndpoint(i.id),
          })),
        );
      }
      const m = /^\/idps\/(\d+)\/(scimSync|generateToken|scimPolicy)$/.exec(sub);
      if (m && req.method === 'POST') {
        const id = m[1] as string;
        if (m[2] === 'generateToken') {
          const bearerToken = tenant.generateToken(id);
          return jsonResponse(200, { bearerToken, scimServiceProviderEndpoint: opts.scimEndpoint(id) });
        }
        const p = enabledSchema.safeParse(body);
        if (!p.success) return zpaError(400, 'invalid.input', 'the body must be {"enabled": true|false}');
        if (m[2] === 'scimSync') tenant.setScimSync(id, p.data.enabled);
        else tenant.setScimPolicy(id, p.data.enabled);
        return jsonResponse(200, {});
      }
    } catch (e) {
      if (e instanceof ZpaTenantError) return zpaError(e.status, e.id, e.message, e.params);
      throw e;
    }
    return zpaError(404, 'resource.not.found', `no portal action ${req.method} /portal${sub}`);
  }

  const advanceSchema = z.object({ advanceMs: z.number().int().min(0) }).strict();
  function control(req: SimRequest, sub: string): SimResponse {
    if (sub === '/requests' && req.method === 'GET') return jsonResponse(200, log.list());
    if (sub === '/stats' && req.method === 'GET') return jsonResponse(200, log.stats());
    if (sub === '/clock' && req.method === 'GET') return jsonResponse(200, { now: clock.now() });
    if (sub === '/clock' && req.method === 'POST') {
      let parsed: z.ZodSafeParseResult<{ advanceMs: number }>;
      try {
        parsed = advanceSchema.safeParse(JSON.parse(req.body.toString('utf8') || '{}'));
      } catch {
        return zpaError(400, 'invalid.json', 'the body is not valid JSON');
      }
      if (!parsed.success) return zpaError(400, 'invalid.input', 'the body must be {"advanceMs": <milliseconds, >= 0>}');
      return jsonResponse(200, { now: clock.advance(parsed.data.advanceMs) });
    }
    return zpaError(404, 'resource.not.found', `no control endpoint ${req.method} /_sandbox${sub}`);
  }

  // Every answer carries the simulation's time as its HTTP Date, as a real server's carries its own:
  // the flow measures the soak on ZPA's clock, so advancing the clock is seen by the product.
  const handler = (req: SimRequest): SimResponse => {
    const r = dispatch(req);
    return { ...r, headers: { ...r.headers, date: new Date(clock.now()).toUTCString() } };
  };

  const dispatch = (req: SimRequest): SimResponse => {
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    if (path === '/signin') return signin(req);
    if (path === '/oauth2/v1/token') return oneApiToken(req);
    if (path.startsWith('/portal/')) return portal(req, path.slice('/portal'.length));
    if (path.startsWith('/_sandbox/')) return control(req, path.slice('/_sandbox'.length));
    const oneApi = path.startsWith('/zpa/');
    const tokens = oneApi ? oneApiTokens : legacyTokens;
    if (!tokens.valid(bearer(req.headers.authorization))) {
      return zpaError(
        401,
        'invalid.token',
        oneApi
          ? 'missing, invalid or expired bearer token; request one from /oauth2/v1/token'
          : 'missing, invalid or expired bearer token; sign in with POST /signin',
      );
    }
    return api(req, oneApi ? path.slice('/zpa'.length) : path);
  };

  return startService({
    name: 'zpa',
    host: opts.host,
    port: opts.port,
    handler,
    log,
    faults: opts.faults,
    stripPrefix: (p) => p.replace(/^\/zpa/, '').replace(/^\/(?:mgmtconfig\/v\d\/admin|userconfig\/v\d)\/customers\/[^/]+/, ''),
    faultResponse: (status) =>
      status === 429
        ? zpaError(429, 'too.many.requests', 'Rate limit exceeded', undefined, { 'retry-after': '1s' })
        : zpaError(status, 'internal.error', `injected fault ${status}`),
  });
}
