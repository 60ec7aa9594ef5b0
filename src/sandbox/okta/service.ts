/**
 * The simulated Okta Management API (docs/vendor-facts.md, "## Okta"), on the shared sandbox HTTP layer
 * (server name `okta` in the request log and the fault grammar):
 *
 *   POST /oauth2/v1/token                     client credentials with private_key_jwt (the assertion is verified)
 *   /api/v1/apps[/{id}]                       list (filter=name eq "…"), get
 *   /api/v1/apps/{id}/connections/default     GET, POST (?activate=true; zscalerbyz only), lifecycle/activate|deactivate
 *   /api/v1/apps/{id}/features[/USER_PROVISIONING]   GET, PUT (partial)
 *   /api/v1/apps/{id}/group-push/mappings[/{id}]     GET, POST, PATCH {status}, DELETE (?deleteTargetGroup)
 *   /api/v1/apps/{id}/users[/{userId}]        GET (status, syncState, externalId), POST (assign), DELETE (unassign)
 *   /api/v1/groups[/{id}]                     search=profile.name eq "…", q=
 *   /_sandbox/…                               the Admin Console's buttons without an API (see `console` below)
 *
 * Every API answer carries X-Rate-Limit-Limit/-Remaining/-Reset (reset in UTC epoch seconds, K5); over a
 * bucket's per-minute limit, or over the org's concurrent limit, the answer is 429 E0000047.
 * Errors have Okta's shape {errorCode, errorSummary, errorLink, errorId, errorCauses} (K7).
 */
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { FaultInjector } from '../http/faults.js';
import type { RequestLog } from '../http/log.js';
import { RateLimiter } from '../http/ratelimit.js';
import { jsonResponse, startService, type SimRequest, type SimResponse } from '../http/server.js';
import type { SandboxDirectory } from '../world/directory.js';
import { OKTA_SCIM_USER_AGENT, OktaProvisioningEngine } from './engine.js';
import {
  appFeatures,
  buildOrg,
  markAssignedBeforeProvisioning,
  oktaId,
  provisioningOn,
  userById,
  type AppUserRec,
  type GroupPushMappingRec,
  type OktaAppRec,
  type OktaOrgState,
} from './org.js';

export interface StartOktaSimulationOptions {
  directory: SandboxDirectory;
  /** Where the ZIA SCIM service listens: a `/<orgId>/<idpId>/` base URL is resolved against it (the app's Zscaler cloud). */
  scimOrigin: string;
  speed?: number;
  host?: string;
  port?: number;
  /** Okta's rate limits (default true). */
  rateLimits?: boolean;
  /** The rate-limit window (default 60 000 ms: Okta's limits are per minute); tests shorten it. */
  rateLimitWindowMs?: number;
  /** Requests per window of each bucket, before `speed` (default: apps 100, groups 500, anything else 600). */
  bucketLimits?: Partial<Record<'apps' | 'groups' | 'users' | 'token' | 'other', number>>;
  /** Requests the org serves at once before answering 429 (default 75, K5). */
  concurrencyLimit?: number;
  /** Each API answer waits this long while it counts as in flight (tests of the concurrency cap). */
  latencyMs?: number;
  faults?: FaultInjector;
  log?: Pick<RequestLog, 'record'>;
  /** The last N directory users were assigned to the Zscaler app before provisioning was enabled (K10). */
  unpushedAssignments?: number;
  /** The zscalerbyz baseUrl forms the connection accepts (K3, unconfirmed): both (default), only the full URL, only /<org>/<idp>/. */
  baseUrlForm?: 'either' | 'full' | 'path';
  /** Scopes granted to the service app (default okta.apps.* and okta.groups.*). */
  grantedScopes?: string[];
  /** The service app requires DPoP proofs at the token endpoint (K2); the sandbox then refuses every token request. */
  requireDpop?: boolean;
  /** The apps list takes no `filter=name eq …` (an org on an older API, K13): 400 E0000031. */
  noNameFilter?: boolean;
}

export interface OktaCredentials {
  /** An SSWS API token (an admin's). */
  apiToken: string;
  /** The API Services app: client id, its private key (PKCS#8 PEM) and the key id registered with it. */
  clientId: string;
  privateKeyPem: string;
  keyId: string;
  scopes: string[];
}

export interface OktaSimulation {
  orgUrl: string;
  credentials: OktaCredentials;
  state: OktaOrgState;
  engine: OktaProvisioningEngine;
  zscalerApp: OktaAppRec;
  customApp: OktaAppRec;
  /** The Admin Console's actions that have no API (also served under /_sandbox on the org URL). */
  console: {
    /** Assignments tab > Provision User: the documented remedy for a user assigned before provisioning (K10). */
    provisionUser(appId: string, userId: string): void;
    /** Provisioning > Integration > Configure API Integration, Test API Credentials, Save (any app). */
    configureApiIntegration(appId: string, c: { baseUrl: string; token: string }): Promise<void>;
    /** Provisioning > To App: Create Users, Update User Attributes, Deactivate Users. */
    setToApp(appId: string, s: { create?: boolean; update?: boolean; deactivate?: boolean }): void;
    /** Push Groups > + Push Groups, by name: an ACTIVE mapping for each group that has none. */
    pushGroups(appId: string, names: string[]): void;
    /** Marks the last `count` directory users' assignments as made before provisioning was enabled (K10); their logins. */
    assignBeforeProvisioning(appId: string, count: number): string[];
  };
  stats(): { maxInFlight: number; rateLimited: number };
  stop(): Promise<void>;
}

const GRANTABLE = ['okta.apps.read', 'okta.apps.manage', 'okta.groups.read', 'okta.groups.manage', 'okta.users.read'];
const DEFAULT_BUCKETS = { apps: 100, groups: 500, users: 600, token: 600, other: 600 };

class OktaHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly summary: string,
    readonly causes: string[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(summary);
  }
}

/** Okta's error object (K7). */
export function oktaErrorBody(code: string, summary: string, causes: string[] = []): Record<string, unknown> {
  return {
    errorCode: code,
    errorSummary: summary,
    errorLink: code,
    errorId: `oae${randomBytes(11).toString('base64url')}`,
    errorCauses: causes.map((errorSummary) => ({ errorSummary })),
  };
}

const notFound = (what: string) => new OktaHttpError(404, 'E0000007', `Not found: Resource not found: ${what}`);
const invalid = (...causes: string[]) => new OktaHttpError(400, 'E0000001', 'Api validation failed: request', causes);

function parseBody<T>(req: SimRequest, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    const text = req.body.toString('utf8');
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new OktaHttpError(400, 'E0000003', 'The request body was not well-formed.');
  }
  const p = schema.safeParse(raw);
  if (!p.success) throw invalid(...p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`));
  return p.data;
}

const enabled = z.object({ status: z.enum(['ENABLED', 'DISABLED']) });
const capabilitiesBody = z
  .object({
    create: z.object({ lifecycleCreate: enabled.optional() }).optional(),
    update: z
      .object({
        lifecycleDeactivate: enabled.optional(),
        profile: enabled.optional(),
        password: z.object({ status: z.enum(['ENABLED', 'DISABLED']), seed: z.string().optional(), change: z.string().optional() }).optional(),
      })
      .optional(),
  })
  .strict();
const connectionBody = z.object({ baseUrl: z.string().optional(), profile: z.object({ authScheme: z.literal('TOKEN'), token: z.string().min(1) }) });
const mappingBody = z.object({
  sourceGroupId: z.string().min(1),
  status: z.enum(['ACTIVE', 'INACTIVE']).optional(),
  targetGroupId: z.string().optional(),
  targetGroupName: z.string().optional(),
});
const assignBody = z.object({ id: z.string().min(1), scope: z.enum(['USER', 'GROUP']).optional() }).passthrough();

export async function startOktaSimulation(opts: StartOktaSimulationOptions): Promise<OktaSimulation> {
  const speed = opts.speed ?? 1;
  const state = buildOrg(opts.directory, { unpushedAssignments: opts.unpushedAssignments ?? 0 });
  const engine = new OktaProvisioningEngine(state, speed);
  const [zscalerApp, customApp] = state.apps as [OktaAppRec, OktaAppRec];
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const credentials: OktaCredentials = {
    apiToken: `00${randomBytes(30).toString('base64url')}`,
    clientId: oktaId('0oa'),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    keyId: randomBytes(8).toString('hex'),
    scopes: opts.grantedScopes ?? ['okta.apps.read', 'okta.apps.manage', 'okta.groups.read', 'okta.groups.manage'],
  };
  const publicKeyObj: KeyObject = publicKey;
  const tokens = new Map<string, { expires: number; scopes: Set<string> }>();
  const usedJti = new Set<string>();
  const limiter = new RateLimiter();
  const windowMs = opts.rateLimitWindowMs ?? 60_000;
  const buckets = { ...DEFAULT_BUCKETS, ...opts.bucketLimits };
  const concurrency = opts.concurrencyLimit ?? 75;
  let inFlight = 0;
  let maxInFlight = 0;
  let rateLimited = 0;
  let orgUrl = '';

  // ---------------------------------------------------------------- JSON views

  const appJson = (a: OktaAppRec): Record<string, unknown> => ({
    id: a.id,
    name: a.name,
    label: a.label,
    status: a.status,
    created: a.created,
    lastUpdated: a.created,
    signOnMode: 'SAML_2_0',
    features: appFeatures(a),
    settings: a.settings,
    _links: { self: { href: `${orgUrl}/api/v1/apps/${a.id}` }, users: { href: `${orgUrl}/api/v1/apps/${a.id}/users` } },
  });
  const connectionJson = (a: OktaAppRec): Record<string, unknown> => {
    const c = a.connection;
    if (!c) return { authScheme: 'TOKEN', status: 'DISABLED', profile: { authScheme: 'TOKEN' }, _links: {} };
    return {
      authScheme: 'TOKEN',
      status: c.status,
      ...(c.baseUrl !== null ? { baseUrl: c.baseUrl } : {}),
      profile: { authScheme: 'TOKEN' }, // the token is never returned
      _links: {
        self: { href: `${orgUrl}/api/v1/apps/${a.id}/connections/default`, hints: { allow: ['POST', 'GET'] } },
        [c.status === 'ENABLED' ? 'deactivate' : 'activate']: {
          href: `${orgUrl}/api/v1/apps/${a.id}/connections/default/lifecycle/${c.status === 'ENABLED' ? 'deactivate' : 'activate'}`,
          hints: { allow: ['POST'] },
        },
      },
    };
  };
  const st = (on: boolean) => ({ status: on ? 'ENABLED' : 'DISABLED' });
  const featureJson = (a: OktaAppRec): Record<string, unknown> => ({
    name: 'USER_PROVISIONING',
    status: a.connection?.status === 'ENABLED' ? 'ENABLED' : 'DISABLED',
    description: 'User provisioning settings from Okta to a downstream app',
    capabilities: {
      create: { lifecycleCreate: st(a.provisioning.create) },
      update: { lifecycleDeactivate: st(a.provisioning.deactivate), profile: st(a.provisioning.update), password: { ...a.provisioning.password } },
    },
    _links: { self: { href: `${orgUrl}/api/v1/apps/${a.id}/features/USER_PROVISIONING`, hints: { allow: ['GET', 'PUT'] } } },
  });
  const mappingJson = (a: OktaAppRec, m: GroupPushMappingRec): Record<string, unknown> => ({
    id: m.id,
    sourceGroupId: m.sourceGroupId,
    targetGroupId: m.targetGroupId,
    status: m.status,
    created: m.created,
    lastUpdated: m.lastUpdated,
    lastPush: m.lastPush,
    ...(m.errorSummary ? { errorSummary: m.errorSummary } : {}),
    _links: { app: { href: `${orgUrl}/api/v1/apps/${a.id}` }, sourceGroup: { href: `${orgUrl}/api/v1/groups/${m.sourceGroupId}` } },
  });
  const appUserJson = (a: OktaAppRec, u: AppUserRec): Record<string, unknown> => {
    const user = userById(state, u.userId);
    return {
      id: u.userId,
      externalId: u.externalId,
      created: u.created,
      lastUpdated: u.lastUpdated,
      scope: u.scope,
      status: u.status,
      statusChanged: u.lastUpdated,
      syncState: u.syncState,
      lastSync: u.lastSync,
      credentials: { userName: user?.profile.login ?? '' },
      profile: user
        ? { email: user.profile.email, givenName: user.profile.firstName, familyName: user.profile.lastName, department: user.profile.department }
        : {},
      _links: { app: { href: `${orgUrl}/api/v1/apps/${a.id}` }, user: { href: `${orgUrl}/api/v1/users/${u.userId}` } },
    };
  };
  const groupJson = (g: OktaOrgState['groups'][number]): Record<string, unknown> => ({
    id: g.id,
    type: 'APP_GROUP',
    profile: { name: g.name, description: null },
    _links: { self: { href: `${orgUrl}/api/v1/groups/${g.id}` } },
  });

  /** One page, `limit` and an opaque `after` cursor, with Link rel="next" (K9). */
  const page = <T>(req: SimRequest, items: T[], render: (t: T) => unknown, defaultLimit: number, maxLimit: number): SimResponse => {
    const limit = Math.min(Math.max(Number(req.query.get('limit') ?? defaultLimit) || defaultLimit, 1), maxLimit);
    const after = Number(Buffer.from(req.query.get('after') ?? '', 'base64url').toString('utf8') || '0') || 0;
    const slice = items.slice(after, after + limit);
    const self = `${orgUrl}${req.path}${req.rawUrl.includes('?') ? req.rawUrl.slice(req.rawUrl.indexOf('?')) : ''}`;
    const links = [`<${self}>; rel="self"`];
    if (after + limit < items.length) {
      const next = new URL(self);
      next.searchParams.set('after', Buffer.from(String(after + limit)).toString('base64url'));
      next.searchParams.set('limit', String(limit));
      links.push(`<${next.toString()}>; rel="next"`);
    }
    return { status: 200, body: slice.map(render), headers: { link: links.join(', ') } };
  };

  // ---------------------------------------------------------------- auth

  const token = (req: SimRequest): SimResponse => {
    const form = Object.fromEntries(new URLSearchParams(req.body.toString('utf8')));
    const oauth = (status: number, error: string, description: string): SimResponse => jsonResponse(status, { error, error_description: description });
    if (opts.requireDpop && !req.headers.dpop) return oauth(400, 'invalid_dpop_proof', 'The DPoP proof JWT header is missing.');
    if (form.grant_type !== 'client_credentials')
      return oauth(
        400,
        'unsupported_grant_type',
        `The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].`,
      );
    if (form.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' || !form.client_assertion) {
      return oauth(401, 'invalid_client', 'Client authentication failed. Either the client or the client credentials are invalid.');
    }
    const parts = form.client_assertion.split('.');
    let header: Record<string, unknown>;
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(parts[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return oauth(401, 'invalid_client', 'The client_assertion token is malformed.');
    }
    if (parts.length !== 3 || header.alg !== 'RS256') return oauth(401, 'invalid_client', 'The client_assertion token has an unsupported signing algorithm.');
    if (header.kid !== undefined && header.kid !== credentials.keyId)
      return oauth(401, 'invalid_client', 'The client_assertion token has a kid which does not identify a key registered with the client.');
    if (!verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), publicKeyObj, Buffer.from(parts[2] ?? '', 'base64url'))) {
      return oauth(401, 'invalid_client', 'The client_assertion signature is invalid.');
    }
    const now = Math.floor(Date.now() / 1000);
    if (claims.iss !== credentials.clientId || claims.sub !== credentials.clientId)
      return oauth(401, 'invalid_client', 'The client_assertion token has an invalid issuer or subject: both must be the client_id.');
    if (claims.aud !== `${orgUrl}/oauth2/v1/token`)
      return oauth(401, 'invalid_client', `The audience claim for client_assertion must be the endpoint invoked for the request.`);
    if (typeof claims.exp !== 'number' || claims.exp <= now) return oauth(401, 'invalid_client', 'The client_assertion token is expired.');
    if (claims.exp > now + 3600 + 60) return oauth(401, 'invalid_client', 'The client_assertion token has an expiration too far in the future.');
    if (typeof claims.jti === 'string') {
      if (usedJti.has(claims.jti)) return oauth(401, 'invalid_client', 'The client_assertion token has already been used (jti).');
      usedJti.add(claims.jti);
    }
    const asked = (form.scope ?? '').split(/\s+/).filter(Boolean);
    if (asked.length === 0) return oauth(400, 'invalid_scope', 'The authorization server requires a scope.');
    const refused = asked.filter((s) => !credentials.scopes.includes(s) || !GRANTABLE.includes(s));
    if (refused.length) return oauth(400, 'invalid_scope', `The following scopes are not allowed: ${refused.join(', ')}`);
    const accessToken = `eyJ${randomBytes(48).toString('base64url')}`;
    tokens.set(accessToken, { expires: Date.now() + 3600_000, scopes: new Set(asked) });
    return jsonResponse(200, { token_type: 'Bearer', expires_in: 3600, access_token: accessToken, scope: asked.join(' ') });
  };

  /** SSWS: every scope (an admin's token). Bearer: the scopes granted at the token endpoint. */
  const authorise = (req: SimRequest, resource: 'apps' | 'groups' | 'users' | 'other'): void => {
    const auth = req.headers.authorization ?? '';
    const ssws = /^SSWS (.+)$/.exec(auth)?.[1];
    if (ssws !== undefined) {
      if (ssws !== credentials.apiToken) throw new OktaHttpError(401, 'E0000011', 'Invalid token provided');
      return;
    }
    const bearer = /^Bearer (.+)$/i.exec(auth)?.[1];
    const t = bearer ? tokens.get(bearer) : undefined;
    if (!t || t.expires < Date.now())
      throw new OktaHttpError(401, 'E0000011', 'Invalid token provided', [], {
        'www-authenticate': 'Bearer authorization_uri="", realm="Okta", error="invalid_token"',
      });
    if (resource === 'other') return;
    const read = req.method === 'GET';
    const ok = t.scopes.has(`okta.${resource}.manage`) || (read && t.scopes.has(`okta.${resource}.read`));
    if (!ok) {
      throw new OktaHttpError(403, 'E0000006', 'You do not have permission to perform the requested action', [], {
        'www-authenticate': `Bearer error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="${req.path}"`,
      });
    }
  };

  // ---------------------------------------------------------------- provisioning

  const app = (id: string): OktaAppRec => {
    const a = state.apps.find((x) => x.id === id);
    if (!a) throw notFound(`${id} (App)`);
    return a;
  };

  /** The URL the engine will push to, from a zscalerbyz baseUrl in the forms the variant accepts (K3). */
  const resolveBaseUrl = (baseUrl: string | undefined, form: 'either' | 'full' | 'path'): string => {
    if (!baseUrl) throw invalid('baseUrl: the Zscaler 2.0 app needs the base URL with the Zscaler ids');
    const full = /^https?:\/\/[^/]+\/\d+\/\d+\/scim\/?$/.test(baseUrl);
    const path = /^\/?(\d+)\/(\d+)\/?$/.exec(baseUrl);
    if (full && form !== 'path') return baseUrl.replace(/\/+$/, '');
    if (path && form !== 'full') return `${opts.scimOrigin.replace(/\/+$/, '')}/${path[1]}/${path[2]}/scim`;
    throw invalid(
      `baseUrl: expected ${form === 'path' ? '/<orgId>/<idpId>/' : form === 'full' ? 'https://scim.<cloud>/<orgId>/<idpId>/scim' : 'https://scim.<cloud>/<orgId>/<idpId>/scim or /<orgId>/<idpId>/'}`,
    );
  };

  /** Test API Credentials: the request Okta's connection test sends (K11, third-party observation). */
  const testCredentials = async (url: string, tokenValue: string): Promise<void> => {
    let status = 0;
    try {
      const res = await fetch(`${url}/Users?startIndex=1&count=2`, {
        headers: { authorization: `Bearer ${tokenValue}`, accept: 'application/scim+json', 'user-agent': OKTA_SCIM_USER_AGENT },
      });
      status = res.status;
      await res.text();
    } catch (err) {
      throw invalid(`Could not connect to ${url}: ${(err as Error).message}`);
    }
    if (status !== 200) throw invalid(`Error authenticating: the app answered HTTP ${status} to the connection test. Check the base URL and the API token.`);
  };

  const setConnection = async (a: OktaAppRec, baseUrl: string | null, resolvedUrl: string, tokenValue: string, activate: boolean): Promise<void> => {
    if (activate) await testCredentials(resolvedUrl, tokenValue);
    const wasOn = provisioningOn(a);
    a.connection = { status: activate ? 'ENABLED' : (a.connection?.status ?? 'DISABLED'), baseUrl, token: tokenValue, resolvedUrl };
    if (!wasOn) engine.provisioningEnabled(a);
  };

  const setProvisioning = (a: OktaAppRec, s: { create?: boolean; update?: boolean; deactivate?: boolean }): void => {
    const wasOn = provisioningOn(a);
    if (s.create !== undefined) a.provisioning.create = s.create;
    if (s.update !== undefined) a.provisioning.update = s.update;
    if (s.deactivate !== undefined) a.provisioning.deactivate = s.deactivate;
    if (!wasOn) engine.provisioningEnabled(a);
  };

  const provisionUser = (appId: string, userId: string): void => {
    const a = app(appId);
    const rec = a.appUsers.get(userId);
    if (!rec) throw notFound(`${userId} (AppUser)`);
    if (!provisioningOn(a)) throw invalid('Provisioning is not enabled for this app: turn on the API integration and Create Users first');
    rec.assignedBeforeProvisioning = false;
    rec.error = null;
    engine.enqueue({ kind: 'user', appId, userId });
  };

  // ---------------------------------------------------------------- routes

  const apps = async (req: SimRequest, segs: string[]): Promise<SimResponse> => {
    const [id, sub, ...rest] = segs;
    const m = req.method;
    if (id === undefined) {
      if (m !== 'GET') throw new OktaHttpError(405, 'E0000022', 'The endpoint does not support the provided HTTP method');
      const filter = req.query.get('filter');
      let list = state.apps;
      if (filter) {
        const f = /^(name|status) eq "([^"]*)"$/.exec(filter.trim());
        if (!f || (f[1] === 'name' && opts.noNameFilter)) throw new OktaHttpError(400, 'E0000031', `Invalid search criteria: ${filter}`);
        list = list.filter((a) => (f[1] === 'name' ? a.name : a.status) === f[2]);
      }
      const q = req.query.get('q');
      if (q) list = list.filter((a) => a.name.toLowerCase().startsWith(q.toLowerCase()) || a.label.toLowerCase().startsWith(q.toLowerCase()));
      return page(req, list, appJson, 20, 200);
    }
    const a = app(id);
    if (sub === undefined) {
      if (m === 'GET') return jsonResponse(200, appJson(a));
      throw new OktaHttpError(405, 'E0000022', 'The endpoint does not support the provided HTTP method');
    }
    if (sub === 'connections' && rest[0] === 'default') {
      if (rest.length === 1 && m === 'GET') return jsonResponse(200, connectionJson(a));
      if (rest.length === 1 && m === 'POST') {
        if (!a.apiProvisioning) throw invalid(`connection: the provisioning connection of ${a.name} cannot be set through the API; use the Admin Console`);
        const body = parseBody(req, connectionBody);
        const resolved = resolveBaseUrl(body.baseUrl, opts.baseUrlForm ?? 'either');
        await setConnection(a, body.baseUrl ?? null, resolved, body.profile.token, /^true$/i.test(req.query.get('activate') ?? ''));
        return jsonResponse(200, connectionJson(a));
      }
      if (rest[1] === 'lifecycle' && m === 'POST' && (rest[2] === 'activate' || rest[2] === 'deactivate')) {
        if (!a.connection) throw invalid('connection: the app has no provisioning connection to ' + rest[2]);
        if (rest[2] === 'activate') {
          const wasOn = provisioningOn(a);
          a.connection.status = 'ENABLED';
          if (!wasOn) engine.provisioningEnabled(a);
        } else {
          a.connection.status = 'DISABLED';
        }
        return { status: 204 };
      }
    }
    if (sub === 'features') {
      const available = a.apiProvisioning && a.connection !== null;
      if (rest.length === 0 && m === 'GET') return jsonResponse(200, available ? [featureJson(a)] : []);
      if (rest[0] === 'USER_PROVISIONING' && rest.length === 1) {
        if (!available) throw notFound('USER_PROVISIONING (AppFeature)');
        if (m === 'GET') return jsonResponse(200, featureJson(a));
        if (m === 'PUT') {
          const body = parseBody(req, capabilitiesBody);
          const on = (v: { status: string } | undefined) => (v === undefined ? undefined : v.status === 'ENABLED');
          if (body.update?.password) a.provisioning.password = { ...a.provisioning.password, ...body.update.password };
          setProvisioning(a, {
            ...(on(body.create?.lifecycleCreate) !== undefined ? { create: on(body.create?.lifecycleCreate) as boolean } : {}),
            ...(on(body.update?.profile) !== undefined ? { update: on(body.update?.profile) as boolean } : {}),
            ...(on(body.update?.lifecycleDeactivate) !== undefined ? { deactivate: on(body.update?.lifecycleDeactivate) as boolean } : {}),
          });
          return jsonResponse(200, featureJson(a));
        }
      }
      if (rest.length === 1) throw notFound(`${rest[0]} (AppFeature)`);
    }
    if (sub === 'group-push' && rest[0] === 'mappings') {
      const mappingId = rest[1];
      if (mappingId === undefined) {
        if (m === 'GET') {
          let list = a.mappings;
          const s = req.query.get('status');
          if (s) list = list.filter((x) => x.status === s);
          const src = req.query.get('sourceGroupId');
          if (src) list = list.filter((x) => x.sourceGroupId === src);
          return page(req, list, (x) => mappingJson(a, x), 100, 1000);
        }
        if (m === 'POST') {
          if (a.connection?.status !== 'ENABLED') throw invalid('You must have provisioning enabled in the target app to push groups');
          const body = parseBody(req, mappingBody);
          if ((body.targetGroupId === undefined) === (body.targetGroupName === undefined))
            throw invalid('Exactly one of targetGroupId and targetGroupName is required');
          if (!state.groups.some((g) => g.id === body.sourceGroupId)) throw invalid(`sourceGroupId: no group ${body.sourceGroupId}`);
          if (a.mappings.some((x) => x.sourceGroupId === body.sourceGroupId)) throw invalid('sourceGroupId: the group already has a push mapping for this app');
          const now = new Date().toISOString();
          const rec: GroupPushMappingRec = {
            id: oktaId('0gp'),
            sourceGroupId: body.sourceGroupId,
            targetGroupName: body.targetGroupName ?? null,
            targetGroupId: body.targetGroupId ?? null,
            status: body.status ?? 'ACTIVE',
            created: now,
            lastUpdated: now,
            lastPush: null,
            errorSummary: null,
          };
          a.mappings.push(rec);
          if (rec.status === 'ACTIVE') engine.enqueue({ kind: 'group', appId: a.id, mappingId: rec.id });
          return jsonResponse(200, mappingJson(a, rec));
        }
      } else {
        const rec = a.mappings.find((x) => x.id === mappingId);
        if (!rec) throw notFound(`${mappingId} (GroupPushMapping)`);
        if (m === 'GET') return jsonResponse(200, mappingJson(a, rec));
        if (m === 'PATCH') {
          const body = parseBody(req, z.object({ status: z.enum(['ACTIVE', 'INACTIVE']) }).strict());
          rec.status = body.status;
          rec.lastUpdated = new Date().toISOString();
          if (body.status === 'ACTIVE') engine.enqueue({ kind: 'group', appId: a.id, mappingId: rec.id });
          return jsonResponse(200, mappingJson(a, rec));
        }
        if (m === 'DELETE') {
          if (rec.status === 'ACTIVE') throw invalid('status: deactivate the mapping before deleting it');
          a.mappings = a.mappings.filter((x) => x !== rec);
          if (/^true$/i.test(req.query.get('deleteTargetGroup') ?? '') && rec.targetGroupId)
            engine.enqueue({ kind: 'unlink-group', appId: a.id, targetGroupId: rec.targetGroupId });
          return { status: 204 };
        }
      }
    }
    if (sub === 'users') {
      const userId = rest[0];
      if (userId === undefined) {
        if (m === 'GET') return page(req, [...a.appUsers.values()], (u) => appUserJson(a, u), 50, 500);
        if (m === 'POST') {
          const body = parseBody(req, assignBody);
          if (!userById(state, body.id)) throw invalid(`id: no user ${body.id}`);
          let rec = a.appUsers.get(body.id);
          if (!rec) {
            const now = new Date().toISOString();
            rec = {
              userId: body.id,
              scope: body.scope ?? 'USER',
              created: now,
              lastUpdated: now,
              status: 'ACTIVE',
              syncState: 'DISABLED',
              externalId: null,
              lastSync: null,
              assignedBeforeProvisioning: !provisioningOn(a),
              error: null,
            };
            a.appUsers.set(body.id, rec);
            if (provisioningOn(a)) engine.enqueue({ kind: 'user', appId: a.id, userId: body.id });
          }
          return jsonResponse(200, appUserJson(a, rec));
        }
      } else {
        const rec = a.appUsers.get(userId);
        if (!rec) throw notFound(`${userId} (AppUser)`);
        if (m === 'GET') return jsonResponse(200, appUserJson(a, rec));
        if (m === 'DELETE') {
          a.appUsers.delete(userId);
          // Deactivate Users: unassigning deactivates the user in the app (K4), by active=false (K11).
          if (a.connection?.status === 'ENABLED' && a.provisioning.deactivate && rec.externalId) {
            engine.enqueue({ kind: 'deactivate', appId: a.id, userId, externalId: rec.externalId });
          }
          return { status: 204 };
        }
      }
    }
    throw new OktaHttpError(404, 'E0000007', `Not found: Resource not found: ${req.path}`);
  };

  const groups = (req: SimRequest, segs: string[]): SimResponse => {
    if (req.method !== 'GET') throw new OktaHttpError(405, 'E0000022', 'The endpoint does not support the provided HTTP method');
    const [id] = segs;
    if (id !== undefined) {
      const g = state.groups.find((x) => x.id === id);
      if (!g) throw notFound(`${id} (UserGroup)`);
      return jsonResponse(200, groupJson(g));
    }
    let list = state.groups;
    const search = req.query.get('search');
    if (search) {
      const f = /^profile\.name eq "((?:[^"\\]|\\.)*)"$/.exec(search.trim());
      if (!f) throw new OktaHttpError(400, 'E0000031', `Invalid search criteria: ${search}`);
      const want = (f[1] as string).replace(/\\(.)/g, '$1');
      list = list.filter((g) => g.name === want);
    }
    const q = req.query.get('q');
    if (q) list = list.filter((g) => g.name.toLowerCase().startsWith(q.toLowerCase()));
    return page(req, list, groupJson, 200, 1000);
  };

  /** The Admin Console's buttons (no API): /_sandbox/apps/{id}/… */
  const control = async (req: SimRequest, segs: string[]): Promise<SimResponse> => {
    const [root, appId, what, userId, action] = segs;
    if (root !== 'apps' || !appId) throw notFound(req.path);
    if (what === 'users' && userId && action === 'provision' && req.method === 'POST') {
      provisionUser(appId, userId);
      return { status: 204 };
    }
    if (what === 'api-integration' && req.method === 'POST') {
      const body = parseBody(req, z.object({ baseUrl: z.string().min(1), token: z.string().min(1) }));
      await consoleApi.configureApiIntegration(appId, body);
      return { status: 204 };
    }
    if (what === 'to-app' && req.method === 'PUT') {
      setProvisioning(
        app(appId),
        parseBody(req, z.object({ create: z.boolean().optional(), update: z.boolean().optional(), deactivate: z.boolean().optional() }).strict()),
      );
      return { status: 204 };
    }
    if (what === 'assignments' && req.method === 'GET') {
      // The Assignments tab, with the message Okta shows for the pitfall (K10).
      const a = app(appId);
      return jsonResponse(
        200,
        [...a.appUsers.values()].map((u) => ({
          userId: u.userId,
          login: userById(state, u.userId)?.profile.login,
          status: u.status,
          message:
            u.assignedBeforeProvisioning && provisioningOn(a)
              ? 'User was assigned this application before Provisioning was enabled and not provisioned in the downstream application. Click Provision User.'
              : u.error,
        })),
      );
    }
    throw notFound(req.path);
  };

  const consoleApi: OktaSimulation['console'] = {
    provisionUser,
    async configureApiIntegration(appId, c) {
      const a = app(appId);
      // The console's Base URL field takes the whole SCIM URL for a custom app; the Zscaler 2.0 app the ids (either form).
      const resolved = a.apiProvisioning ? resolveBaseUrl(c.baseUrl, 'either') : c.baseUrl.replace(/\/+$/, '');
      await setConnection(a, c.baseUrl, resolved, c.token, true);
    },
    setToApp: (appId, s) => setProvisioning(app(appId), s),
    assignBeforeProvisioning: (appId, count) => markAssignedBeforeProvisioning(state, app(appId), count),
    pushGroups(appId, names) {
      const a = app(appId);
      if (a.connection?.status !== 'ENABLED') throw invalid('You must have provisioning enabled in the target app to push groups');
      for (const g of state.groups.filter((x) => names.includes(x.name))) {
        let m = a.mappings.find((x) => x.sourceGroupId === g.id);
        if (!m) {
          const now = new Date().toISOString();
          m = {
            id: oktaId('0gp'),
            sourceGroupId: g.id,
            targetGroupName: g.name,
            targetGroupId: null,
            status: 'ACTIVE',
            created: now,
            lastUpdated: now,
            lastPush: null,
            errorSummary: null,
          };
          a.mappings.push(m);
        }
        m.status = 'ACTIVE';
        engine.enqueue({ kind: 'group', appId: a.id, mappingId: m.id });
      }
    },
  };

  // ---------------------------------------------------------------- the server

  const bucketOf = (segs: string[]): 'apps' | 'groups' | 'users' | 'other' => {
    const r = segs[0];
    return r === 'apps' || r === 'groups' || r === 'users' ? r : 'other';
  };

  const rateHeaders = (limit: number, remaining: number, resetSeconds: number): Record<string, string> => ({
    'x-rate-limit-limit': String(limit),
    'x-rate-limit-remaining': String(remaining),
    // The epoch second at or after the window's end (rounded up, so a client waiting for it is never early).
    'x-rate-limit-reset': String(Math.ceil((Date.now() + Math.max(1, resetSeconds) * 1000) / 1000)),
  });

  const handler = async (req: SimRequest): Promise<SimResponse> => {
    const segs = req.path
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
    if (segs[0] === '_sandbox') {
      try {
        return await control(req, segs.slice(1));
      } catch (err) {
        if (err instanceof OktaHttpError) return jsonResponse(err.status, oktaErrorBody(err.code, err.summary, err.causes));
        throw err;
      }
    }
    const isToken = req.path === '/oauth2/v1/token';
    const api = segs[0] === 'api' && segs[1] === 'v1';
    if (!isToken && !api) return jsonResponse(404, oktaErrorBody('E0000007', `Not found: Resource not found: ${req.path}`));
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const headers: Record<string, string> = {};
    try {
      if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
      // Concurrent limit (K5): org-wide, whatever the endpoint.
      if (inFlight > concurrency) {
        rateLimited++;
        return jsonResponse(429, oktaErrorBody('E0000047', 'API call exceeded rate limit due to too many requests.'), rateHeaders(concurrency, 0, 1));
      }
      const bucket = isToken ? 'token' : bucketOf(segs.slice(2));
      if (opts.rateLimits ?? true) {
        const limit = Math.max(1, Math.floor(buckets[bucket] * speed));
        const d = limiter.take(bucket, [{ limit, windowMs, label: `${limit}/window` }]);
        Object.assign(headers, rateHeaders(limit, d.allowed ? d.remaining : 0, d.resetSeconds));
        if (!d.allowed) {
          rateLimited++;
          return jsonResponse(429, oktaErrorBody('E0000047', 'API call exceeded rate limit due to too many requests.'), headers);
        }
      }
      if (isToken) {
        if (req.method !== 'POST') return jsonResponse(405, oktaErrorBody('E0000022', 'The endpoint does not support the provided HTTP method'));
        const r = token(req);
        return { ...r, headers: { ...headers, ...(r.headers ?? {}) } };
      }
      const resource = bucketOf(segs.slice(2));
      authorise(req, resource);
      const rest = segs.slice(3);
      const out =
        resource === 'apps'
          ? await apps(req, rest)
          : resource === 'groups'
            ? groups(req, rest)
            : (() => {
                throw notFound(req.path);
              })();
      return { ...out, headers: { ...headers, ...(out.headers ?? {}) } };
    } catch (err) {
      if (err instanceof OktaHttpError) return jsonResponse(err.status, oktaErrorBody(err.code, err.summary, err.causes), { ...headers, ...err.headers });
      throw err;
    } finally {
      inFlight--;
    }
  };

  const svc = await startService({
    name: 'okta',
    host: opts.host,
    port: opts.port,
    handler,
    log: opts.log ?? { record: () => undefined },
    faults: opts.faults,
    faultResponse: (status) =>
      jsonResponse(
        status,
        status === 429
          ? oktaErrorBody('E0000047', 'API call exceeded rate limit due to too many requests.')
          : oktaErrorBody('E0000009', 'Internal Server Error'),
        status === 429 ? rateHeaders(1, 0, 1) : undefined,
      ),
  });
  orgUrl = svc.url;

  return {
    orgUrl,
    credentials,
    state,
    engine,
    zscalerApp,
    customApp,
    console: consoleApi,
    stats: () => ({ maxInFlight, rateLimited }),
    stop: async () => {
      await engine.stop();
      await svc.stop();
    },
  };
}
