import { z } from 'zod';
import { UserError } from '../engine/errors.js';
import type { AuditSink } from './audit.js';
import { ApiError, createHttpClient, type CallOptions, type HttpTuning, type Method } from './http.js';
import { createTokenSource, isCredentialRefusal, type TokenSource } from './oauth.js';
import type { RateLimit } from './rate-limit.js';

/**
 * ZIA admin API client (legacy API-key sessions and OneAPI bearer tokens).
 * Facts and their public sources: docs/vendor-facts.md (the F, Z and O numbers below are its rows).
 */

// ---------------------------------------------------------------------------------------
// Shapes (zod). Enum-like fields are plain strings: the published enums disagree with what
// tenants return (docs/vendor-facts.md F10), so values are opaque and unknown ones pass through.

export const AuthSettingsSchema = z
  .object({
    orgAuthType: z.string(),
    oneTimeAuth: z.string().optional(),
    samlEnabled: z.boolean().optional(),
    kerberosEnabled: z.boolean().optional(),
    kerberosPwd: z.string().optional(),
    authFrequency: z.string().optional(),
    authCustomFrequency: z.number().optional(),
    passwordStrength: z.string().optional(),
    passwordExpiry: z.string().optional(),
    lastSyncStartTime: z.number().optional(),
    lastSyncEndTime: z.number().optional(),
    mobileAdminSamlIdpEnabled: z.boolean().optional(),
    autoProvision: z.boolean().optional(),
    directorySyncMigrateToScimEnabled: z.boolean().optional(),
  })
  .passthrough();
/** Auth settings as returned to callers: `kerberosPwd` is always removed (see `withoutKerberosPwd`). */
export type AuthSettings = z.output<typeof AuthSettingsSchema>;

const IdName = z.object({ id: z.number(), name: z.string().optional() }).passthrough();

export const ZiaUserSchema = z
  .object({
    id: z.number(),
    name: z.string(),
    email: z.string(),
    groups: z.array(IdName).optional(),
    department: IdName.optional(),
    comments: z.string().optional(),
    deleted: z.boolean().optional(),
  })
  .passthrough();
export type ZiaUser = z.output<typeof ZiaUserSchema>;

/**
 * A user as read in bulk for parity: the documented identity fields only (F19), unknown fields
 * stripped instead of copied. At 100k users the passthrough copies (and `groups[]` entries with
 * idpId/comments/isSystemDefined) were a large part of the read's garbage (issue 6).
 */
const IdNameOnly = z.object({ id: z.number(), name: z.string().optional() });
export const ZiaListedUserSchema = z.object({
  id: z.number(),
  name: z.string(),
  email: z.string(),
  groups: z.array(IdNameOnly).optional(),
  department: IdNameOnly.optional(),
  deleted: z.boolean().optional(),
});
export type ZiaListedUser = z.output<typeof ZiaListedUserSchema>;

export const ZiaGroupSchema = z
  .object({ id: z.number(), name: z.string(), idpId: z.number().optional(), comments: z.string().optional(), isSystemDefined: z.boolean().optional() })
  .passthrough();
export type ZiaGroup = z.output<typeof ZiaGroupSchema>;

export const ZiaDepartmentSchema = z
  .object({ id: z.number(), name: z.string(), idpId: z.number().optional(), comments: z.string().optional(), deleted: z.boolean().optional() })
  .passthrough();
export type ZiaDepartment = z.output<typeof ZiaDepartmentSchema>;

const ActivationSchema = z.object({ status: z.string() }).passthrough();
export type ActivationStatus = 'ACTIVE' | 'PENDING' | 'INPROGRESS' | (string & {});

const SessionInfoSchema = z
  .object({
    authType: z.string().optional(),
    obfuscateApiKey: z.boolean().optional(),
    passwordExpiryTime: z.number().optional(),
    passwordExpiryDays: z.number().optional(),
  })
  .passthrough();

// ---------------------------------------------------------------------------------------
// URLs

/** Production ZIA cloud names (F1). Under OneAPI they all share one API host (O1, O3). */
const PRODUCTION_CLOUDS = new Set(['zscaler', 'zscalerone', 'zscalertwo', 'zscalerthree', 'zscloud', 'zscalerten', 'production', '']);
/** The cloud names this client maps to API hosts by name, as an administrator types them (`migrate init` offers these). */
export const ZIA_CLOUD_NAMES = [
  'zscaler',
  'zscalerone',
  'zscalertwo',
  'zscalerthree',
  'zscloud',
  'zscalerten',
  'zscalerbeta',
  'zscalergov',
  'zspreview',
] as const;

/**
 * The ZIA API base URL for a cloud. Legacy: `https://zsapi.<cloud>.net/api/v1` (zspreview:
 * `https://admin.zspreview.net/api/v1`), F1. OneAPI, as the SDKs' code maps it
 * (docs/vendor-facts.md O1): `https://api.zsapi.net/zia/api/v1` for production,
 * `https://api.zscalergov.net` / `https://api.zscalergov.us` for gov / govus, otherwise
 * `https://api.<cloud>.zsapi.net`. Legacy names of production clouds map to production (inferred).
 */
export function ziaBaseUrlForCloud(cloud: string, kind: 'legacy' | 'oneapi'): string {
  const c = cloud.trim().toLowerCase();
  if (!/^[a-z0-9-]*$/.test(c)) throw new UserError(`"${cloud}" is not a Zscaler cloud name`, { hint: 'for example zscalerthree' });
  if (kind === 'legacy') {
    if (!c) throw new UserError('a ZIA cloud name is needed for the legacy API', { hint: 'for example zscalerthree' });
    return c === 'zspreview' ? 'https://admin.zspreview.net/api/v1' : `https://zsapi.${c}.net/api/v1`;
  }
  if (PRODUCTION_CLOUDS.has(c)) return 'https://api.zsapi.net/zia/api/v1';
  // Inferred (docs/vendor-facts.md O3): the legacy name zscalergov corresponds to the OneAPI "gov" cloud.
  if (c === 'gov' || c === 'zscalergov') return 'https://api.zscalergov.net/zia/api/v1';
  if (c === 'govus') return 'https://api.zscalergov.us/zia/api/v1';
  const short = c === 'zscalerbeta' ? 'beta' : c;
  return `https://api.${short}.zsapi.net/zia/api/v1`;
}

/**
 * The ZIdentity token URL, as the SDKs' code maps it (docs/vendor-facts.md O1):
 * `https://<vanity>.zslogin.net/oauth2/v1/token` for production, `<vanity>.zidentitygov.net` (gov)
 * and `<vanity>.zidentitygov.us` (govus; the Go README says zidentitygovus.net, its code does not),
 * otherwise `<vanity>.zslogin<cloud>.net`.
 */
export function oneApiTokenUrl(vanity: string, cloud?: string): string {
  const v = vanity.trim().toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(v)) {
    throw new UserError(`"${vanity}" is not a ZIdentity vanity domain`, { hint: 'give only the first label, e.g. "acme" for acme.zslogin.net' });
  }
  const c = (cloud ?? '').trim().toLowerCase();
  if (PRODUCTION_CLOUDS.has(c)) return `https://${v}.zslogin.net/oauth2/v1/token`;
  if (c === 'gov' || c === 'zscalergov') return `https://${v}.zidentitygov.net/oauth2/v1/token`;
  if (c === 'govus') return `https://${v}.zidentitygov.us/oauth2/v1/token`;
  const short = c === 'zscalerbeta' ? 'beta' : c;
  if (!/^[a-z0-9-]+$/.test(short)) throw new UserError(`"${cloud}" is not a Zscaler cloud name`);
  return `https://${v}.zslogin${short}.net/oauth2/v1/token`;
}

// ---------------------------------------------------------------------------------------
// Legacy login helpers

/**
 * The API-key obfuscation of F2 (same algorithm in the official Go and Python SDKs):
 * the last 6 digits of the millisecond timestamp pick 6 key characters, that number
 * shifted right by one (zero-padded to 6) picks 6 more, offset by 2.
 */
export function obfuscateApiKey(apiKey: string, timestampMs: number): string {
  if (apiKey.length < 12) throw new UserError('the ZIA API key must be 12 characters (Administration > Cloud Service API Key)');
  const ts = String(timestampMs);
  if (ts.length < 6) throw new Error('timestamp too short for API key obfuscation');
  const high = ts.slice(-6);
  const low = String(parseInt(high, 10) >> 1).padStart(6, '0');
  let key = '';
  for (const d of high) key += apiKey[Number(d)] ?? '';
  for (const d of low) key += apiKey[Number(d) + 2] ?? '';
  return key;
}

/**
 * GO's `IsSessionInvalidError` (F6): these 401 bodies mean "log in again". "Resource Access
 * Blocked" is what ZIA answers under load instead of 429.
 */
function isSessionInvalid(err: unknown): boolean {
  if (!(err instanceof ApiError) || err.status !== 401) return false;
  const text = `${err.code ?? ''} ${err.vendorMessage ?? ''}`;
  return /SESSION_NOT_VALID|Session already invalidated|Resource Access Blocked/i.test(text);
}

/** F3: a login answered without authType did not authenticate, whatever its status code. */
class LoginIncomplete extends UserError {}

/** Documented ZIA limits (F9, F20; /status/activate uses the stricter side of the conflict in F17). */
export const ZIA_RATE_LIMITS: RateLimit[] = [
  { methods: ['GET', 'HEAD'], perSecond: 2, perHour: 1000 },
  { methods: ['POST', 'PUT'], perSecond: 1, perHour: 400 },
  // Logout is a DELETE of the session, not a heavy object deletion; it is not counted here.
  { methods: ['DELETE'], exceptPathPrefixes: ['/authenticatedSession'], perMinute: 1, perHour: 4 },
  { methods: ['POST'], pathPrefix: '/status/activate', perMinute: 10, perHour: 40 },
];

/**
 * Documented page-size maxima (F18): a request above the cap would make every page "short".
 * A full read of a large tenant asks for the maximum: at 2 GET/s (F20) pages are the whole cost.
 */
export const ZIA_MAX_PAGE = { users: 10_000, groups: 1_000, departments: 1_000 } as const;
const DEFAULT_PAGE = 1_000;

/** F4: 5-minute idle timeout; re-login after 4 minutes idle, the Go SDK's 1-minute margin. */
const SESSION_IDLE_MS = 4 * 60_000;

// ---------------------------------------------------------------------------------------
// Client

export type ZiaAuth =
  | { kind: 'legacy'; username: string; password: string; apiKey: string }
  | { kind: 'oneapi'; tokenUrl: string; clientId: string; clientSecret: string; audience?: string };

export interface ZiaClientOptions {
  baseUrl: string;
  auth: ZiaAuth;
  readOnly?: boolean;
  audit?: AuditSink;
  /** Default true. False switches every client-side limit off (sandbox, benchmarks). */
  rateLimits?: boolean;
  /**
   * Legacy sessions: log in again after this much idle time. Default 4 min — the 5-minute
   * default API session timeout less the Go SDK's 1-minute margin (F4). A tenant may raise
   * its timeout (apiSessionTimeout, 5–20 min); the default stays safe either way.
   */
  sessionIdleMs?: number;
  tuning?: HttpTuning;
}

export interface ZiaClient {
  login(): Promise<void>;
  logout(): Promise<void>;
  getAuthSettings(): Promise<AuthSettings>;
  updateAuthSettings(change: Partial<AuthSettings>): Promise<{ before: AuthSettings; after: AuthSettings }>;
  putAuthSettings(full: AuthSettings): Promise<AuthSettings>;
  getActivationStatus(): Promise<ActivationStatus>;
  activate(): Promise<ActivationStatus>;
  /** `stripUnknown`: only the identity fields (ZiaListedUserSchema), for bulk reads that need no more. */
  listUsers(opts: { pageSize?: number; stripUnknown: true }): AsyncGenerator<ZiaListedUser[]>;
  listUsers(opts?: { pageSize?: number; stripUnknown?: false }): AsyncGenerator<ZiaUser[]>;
  listGroups(opts?: { pageSize?: number }): AsyncGenerator<ZiaGroup[]>;
  listDepartments(opts?: { pageSize?: number }): AsyncGenerator<ZiaDepartment[]>;
  /**
   * The domains registered to the tenant (GET /orgInformation/lite `domains`, the SDKs' organization
   * details), or the reason they cannot be read (the endpoint refused: a role without access, an older API).
   */
  getOrgDomains(): Promise<{ domains: string[] } | { domains: null; reason: string }>;
}

export function createZiaClient(opts: ZiaClientOptions): ZiaClient {
  const auth = opts.auth;
  const secrets = auth.kind === 'legacy' ? [auth.password, auth.apiKey] : [auth.clientSecret];
  const http = createHttpClient({
    ...opts.tuning,
    system: 'zia',
    baseURL: opts.baseUrl,
    limits: opts.rateLimits === false ? [] : ZIA_RATE_LIMITS,
    readOnly: opts.readOnly ?? false,
    audit: opts.audit,
    redact: secrets,
    extraRetryStatuses: [409], // F22: 409 = edit conflict, retry
  });
  const tokenHttp =
    auth.kind === 'oneapi'
      ? createHttpClient({ ...opts.tuning, system: 'login', baseURL: auth.tokenUrl, readOnly: opts.readOnly ?? false, audit: opts.audit, redact: secrets })
      : undefined;

  let session: { cookie: string; lastUsed: number } | undefined;
  let loginInflight: Promise<void> | undefined;
  const idleMs = opts.sessionIdleMs ?? SESSION_IDLE_MS;
  let token: string | undefined;
  const tokens: TokenSource | undefined =
    tokenHttp && auth.kind === 'oneapi'
      ? createTokenSource({
          http: tokenHttp,
          form: {
            grant_type: 'client_credentials',
            client_id: auth.clientId,
            client_secret: auth.clientSecret,
            audience: auth.audience ?? 'https://api.zscaler.com', // F8: audience is required
          },
          onToken: (t) => http.addSecret(t),
        })
      : undefined;

  /**
   * ZIA's refusal of the admin credentials, kept for the rest of the run. Every later call that
   * needs a session (the preflight checks, each step's observation, a re-login after an expired
   * session) gets this error again without a new attempt: a wrong password used to be sent once
   * per call site — five failed logins in one dry-run — and failed logins lock admin accounts.
   */
  let loginRefused: Error | undefined;

  /** Concurrent callers that all find no session share one login. */
  function legacyLogin(a: Extract<ZiaAuth, { kind: 'legacy' }>): Promise<void> {
    if (loginRefused) return Promise.reject(loginRefused);
    loginInflight ??= doLegacyLogin(a)
      .catch((err: unknown) => {
        if (isCredentialRefusal(err) || err instanceof LoginIncomplete) loginRefused = err as Error;
        throw err;
      })
      .finally(() => {
        loginInflight = undefined;
      });
    return loginInflight;
  }

  async function doLegacyLogin(a: Extract<ZiaAuth, { kind: 'legacy' }>): Promise<void> {
    const ts = Date.now();
    const key = obfuscateApiKey(a.apiKey, ts);
    http.addSecret(key);
    const res = await http.request('POST', '/authenticatedSession', SessionInfoSchema, {
      body: { apiKey: key, username: a.username, password: a.password, timestamp: ts },
      auth: true,
      idempotent: true,
    });
    // F3: authType is present only when authentication completed, whatever the status code.
    if (!res.data.authType) {
      throw new LoginIncomplete('ZIA login did not complete (no authType in the session response)', {
        hint: 'check the admin username, password and API key; ZIdentity tenants need a ZIdentity-hosted admin',
      });
    }
    const setCookie = res.headers['set-cookie'];
    const cookies = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
    const jsession = cookies.map((c) => /JSESSIONID=([^;]+)/.exec(c)?.[1]).find((v) => v !== undefined);
    if (!jsession) throw new UserError('ZIA login answered without a JSESSIONID cookie', { hint: 'check that the base URL is the ZIA admin API (…/api/v1)' });
    http.addSecret(jsession);
    session = { cookie: jsession, lastUsed: Date.now() };
  }

  async function login(): Promise<void> {
    if (auth.kind === 'legacy') await legacyLogin(auth);
    else token = await tokens?.get();
  }

  async function ensureAuth(): Promise<void> {
    if (auth.kind === 'legacy') {
      // Proactive: after the idle timeout the old session has ended on its own (and, per F5,
      // auto-activated whatever it had pending — nothing, for a session that only reads).
      if (!session || Date.now() - session.lastUsed > idleMs) await legacyLogin(auth);
    } else {
      token = await tokens?.get(); // cached until shortly before expiry
    }
  }

  function authHeaders(): Record<string, string> {
    if (auth.kind === 'legacy') return session ? { Cookie: `JSESSIONID=${session.cookie}` } : {};
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  async function call<S extends z.ZodType>(method: Method, path: string, schema: S, o: CallOptions & { body?: unknown } = {}) {
    await ensureAuth();
    const send = () => http.request(method, path, schema, { ...o, headers: { ...o.headers, ...authHeaders() } });
    try {
      const res = await send();
      if (session) session.lastUsed = Date.now();
      return res.data;
    } catch (err) {
      // One re-login, never a loop: a second 401 is a real refusal and surfaces as ApiError.
      if (auth.kind === 'legacy' && isSessionInvalid(err)) {
        session = undefined;
        await legacyLogin(auth);
      } else if (auth.kind === 'oneapi' && err instanceof ApiError && err.system === 'zia' && err.status === 401) {
        tokens?.invalidate();
        token = await tokens?.get();
      } else {
        throw err;
      }
      const res = await send();
      if (session) session.lastUsed = Date.now();
      return res.data;
    }
  }

  /**
   * Concurrent reads share one GET (the preflight checks several settings at once, and GETs cost
   * 2/s, F20). A write drops the shared read, so a read after a write is always fresh.
   */
  let authSettingsInFlight: Promise<AuthSettings> | undefined;
  function rawAuthSettings(): Promise<AuthSettings> {
    if (authSettingsInFlight) return authSettingsInFlight;
    const read: Promise<AuthSettings> = call('GET', '/authSettings', AuthSettingsSchema)
      .then((s) => {
        if (s.kerberosPwd) http.addSecret(s.kerberosPwd);
        return s;
      })
      .finally(() => {
        if (authSettingsInFlight === read) authSettingsInFlight = undefined;
      });
    authSettingsInFlight = read;
    return read;
  }

  /**
   * `kerberosPwd` is read-only and a secret (F9). Callers never see it, so it cannot reach the
   * state file, logs or reports. On PUT we echo the value the server has *now* — the official Go
   * SDK sends the full struct including it, so echoing is what production tenants are known to
   * accept; whether omitting it would reset it is unconfirmed (Z11), so we do not risk it.
   */
  function withoutKerberosPwd(s: AuthSettings): AuthSettings {
    const { kerberosPwd: _drop, ...rest } = s;
    return rest as AuthSettings;
  }

  function refuseOrgAuthTypeChange(current: string, wanted: string | undefined): void {
    if (wanted !== undefined && wanted !== current) {
      throw new UserError(`refusing to change the ZIA user repository type (orgAuthType) from ${current} to ${wanted}`, {
        hint:
          'the AD → SCIM migration guide warns: do not change the database type from Active Directory to Hosted DB — ' +
          'it can delete all existing user and group mappings and create duplicate users with SCIM provisioning. ' +
          'Change it in the Admin Portal yourself only if Zscaler Support tells you to.',
      });
    }
  }

  async function putFull(current: AuthSettings, next: AuthSettings): Promise<AuthSettings> {
    const { kerberosPwd: _ignored, ...body } = next;
    const sent = current.kerberosPwd !== undefined ? { ...body, kerberosPwd: current.kerberosPwd } : body;
    // F9: PUT answers with the object (GO) or an empty body (PY tolerates it); we read back instead.
    authSettingsInFlight = undefined;
    await call('PUT', '/authSettings', z.unknown(), { body: sent });
    return withoutKerberosPwd(await rawAuthSettings());
  }

  async function* pages<T>(path: string, schema: z.ZodType<T>, max: number, requested?: number): AsyncGenerator<T[]> {
    const pageSize = Math.min(Math.max(1, Math.floor(requested ?? DEFAULT_PAGE)), max);
    // Bounded: a tenant cannot hold more than this many pages at the documented maximum.
    for (let page = 1; page <= 1_000_000; page++) {
      // A failed page throws (after retries): a list is never silently cut short.
      const items = await call('GET', path, z.array(schema), { query: { page, pageSize } });
      if (items.length > pageSize) {
        throw new UserError(`ZIA GET ${path} page ${page} returned ${items.length} items for pageSize ${pageSize}`, {
          hint: 'the server ignored the page size, so page boundaries cannot be trusted; report this',
        });
      }
      if (items.length > 0) yield items;
      // F18: lists are plain arrays; the end is a page shorter than pageSize.
      if (items.length < pageSize) return;
    }
    throw new UserError(`ZIA GET ${path}: paging did not end`);
  }

  return {
    login,
    async logout() {
      // F5: ending a session AUTO-ACTIVATES every pending change it made. That is why logout
      // is only ever called explicitly by a flow, never from a `finally`: a dry-run writes nothing,
      // and a failed run must leave its pending change for the operator to see, not publish it.
      if (auth.kind === 'legacy') {
        if (!session) return;
        const cookie = session.cookie;
        session = undefined;
        // 204 is what zscaler-sdk-python counts as a logout; any 2xx is taken as one. A 401 means the
        // session had already ended (idle timeout), which auto-activated it then: nothing left to end.
        try {
          await http.request('DELETE', '/authenticatedSession', z.unknown(), { headers: { Cookie: `JSESSIONID=${cookie}` }, auth: true });
        } catch (err) {
          if (!isSessionInvalid(err)) throw err;
        }
      } else {
        tokens?.invalidate(); // OneAPI has no session to end.
        token = undefined;
      }
    },
    async getAuthSettings() {
      return withoutKerberosPwd(await rawAuthSettings());
    },
    async updateAuthSettings(change) {
      const current = await rawAuthSettings();
      refuseOrgAuthTypeChange(current.orgAuthType, change.orgAuthType);
      const { kerberosPwd: _k, ...allowed } = change;
      // Read-modify-write: only the given fields change; unknown fields come back as they went out.
      const after = await putFull(current, { ...current, ...allowed } as AuthSettings);
      return { before: withoutKerberosPwd(current), after };
    },
    async putAuthSettings(full) {
      const current = await rawAuthSettings();
      refuseOrgAuthTypeChange(current.orgAuthType, full.orgAuthType);
      return putFull(current, full);
    },
    async getOrgDomains() {
      try {
        const org = await call('GET', '/orgInformation/lite', z.object({ domains: z.array(z.string()).nullish() }).passthrough());
        return { domains: org.domains ?? [] };
      } catch (err) {
        if (err instanceof ApiError && err.status !== undefined && [403, 404, 405].includes(err.status)) {
          return { domains: null, reason: `GET /orgInformation/lite answered HTTP ${err.status}` };
        }
        throw err;
      }
    },
    async getActivationStatus() {
      return (await call('GET', '/status', ActivationSchema)).status;
    },
    async activate() {
      // Activation is tenant-wide and publishes everyone's pending changes (F5). Repeating it is
      // harmless, so a lost response may be retried.
      // ZIA answers 415 to a POST without application/json; both SDKs send `{}` (docs/vendor-facts.md Z1, Z2).
      return (await call('POST', '/status/activate', ActivationSchema, { body: {}, idempotent: true })).status;
    },
    listUsers: ((o?: { pageSize?: number; stripUnknown?: boolean }) =>
      o?.stripUnknown
        ? pages('/users', ZiaListedUserSchema, ZIA_MAX_PAGE.users, o.pageSize ?? ZIA_MAX_PAGE.users)
        : pages('/users', ZiaUserSchema, ZIA_MAX_PAGE.users, o?.pageSize ?? ZIA_MAX_PAGE.users)) as ZiaClient['listUsers'],
    listGroups: (o) => pages('/groups', ZiaGroupSchema, ZIA_MAX_PAGE.groups, o?.pageSize),
    listDepartments: (o) => pages('/departments', ZiaDepartmentSchema, ZIA_MAX_PAGE.departments, o?.pageSize),
  };
}
