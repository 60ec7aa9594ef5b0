import { createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../engine/errors.js';
import type { AuditSink } from './audit.js';
import { ApiError, createHttpClient, oktaResetWait, type CallOptions, type HttpResponse, type HttpTuning, type Method } from './http.js';
import { createTokenSource, type TokenSource } from './oauth.js';
import { sleep } from './rate-limit.js';

/**
 * Okta Management API client for the provisioning of the Zscaler 2.0 OIN app (`zscalerbyz`).
 * Facts: docs/vendor-facts.md, "## Okta" (K1…).
 *
 * - Auth: an SSWS API token (`Authorization: SSWS …`), or an OAuth 2.0 service app with
 *   private_key_jwt: a client assertion signed here with node:crypto (RS256 or ES256), exchanged at
 *   `<org>/oauth2/v1/token` for an access token with Okta scopes (K1). The key and tokens stay in memory.
 * - Rate limits (K5): every answer carries X-Rate-Limit-Limit/-Remaining/-Reset (reset in UTC epoch
 *   seconds). When a bucket's remaining count reaches the reserve, the next call in it waits for the
 *   reset (measured against the answer's Date header); a 429 is retried by the HTTP layer after the reset.
 *   Requests in flight are capped (`maxConcurrent`): Okta's concurrent limit is per org and shared with
 *   every other integration.
 * - Only the Zscaler 2.0 app's provisioning connection can be set by API (K3); any other app is
 *   configured in the Admin Console and only read here.
 */

// ---------------------------------------------------------------------------------------
// Shapes (only what the tool reads; the rest passes through)

const LinksSchema = z.record(z.string(), z.unknown()).optional();

export const OktaAppSchema = z
  .object({
    id: z.string().min(1),
    name: z.string(),
    label: z.string().nullish(),
    status: z.string(),
    signOnMode: z.string().nullish(),
    /** Read-only list of what provisioning does (PUSH_NEW_USERS, GROUP_PUSH, …), K4. */
    features: z.array(z.string()).nullish(),
    settings: z
      .object({ app: z.record(z.string(), z.unknown()).nullish() })
      .passthrough()
      .nullish(),
    _links: LinksSchema,
  })
  .passthrough();
export type OktaApp = z.output<typeof OktaAppSchema>;

export const ConnectionSchema = z
  .object({
    authScheme: z.string().nullish(),
    status: z.string(), // ENABLED | DISABLED | UNKNOWN (K3), kept opaque
    baseUrl: z.string().nullish(),
    profile: z.object({ authScheme: z.string() }).passthrough(),
    _links: LinksSchema,
  })
  .passthrough();
export type ProvisioningConnection = z.output<typeof ConnectionSchema>;

const Status = z.object({ status: z.string() }).passthrough();
export const CapabilitiesSchema = z
  .object({
    create: z.object({ lifecycleCreate: Status.nullish() }).passthrough().nullish(),
    update: z
      .object({
        lifecycleDeactivate: Status.nullish(),
        profile: Status.nullish(),
        password: z.object({ status: z.string(), seed: z.string().nullish(), change: z.string().nullish() }).passthrough().nullish(),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();

export const FeatureSchema = z
  .object({
    name: z.string(),
    status: z.string(),
    description: z.string().nullish(),
    capabilities: CapabilitiesSchema.nullish(),
    _links: LinksSchema,
  })
  .passthrough();
export type AppFeature = z.output<typeof FeatureSchema>;

export const GroupPushMappingSchema = z
  .object({
    id: z.string().min(1),
    sourceGroupId: z.string(),
    targetGroupId: z.string().nullish(),
    status: z.string(), // ACTIVE | INACTIVE | ERROR (K6)
    created: z.string().nullish(),
    lastUpdated: z.string().nullish(),
    lastPush: z.string().nullish(),
    errorSummary: z.string().nullish(),
    _links: LinksSchema,
  })
  .passthrough();
export type GroupPushMapping = z.output<typeof GroupPushMappingSchema>;

export const AppUserSchema = z
  .object({
    id: z.string().min(1),
    externalId: z.string().nullish(),
    status: z.string(), // STAGED | PROVISIONED | ACTIVE | … (K8), opaque
    syncState: z.string().nullish(), // DISABLED | ERROR | OUT_OF_SYNC | SYNCHRONIZED | SYNCING
    scope: z.string().nullish(), // USER | GROUP
    credentials: z.object({ userName: z.string().nullish() }).passthrough().nullish(),
    profile: z.record(z.string(), z.unknown()).nullish(),
    created: z.string().nullish(),
    lastUpdated: z.string().nullish(),
    lastSync: z.string().nullish(),
    _links: LinksSchema,
  })
  .passthrough();
export type AppUser = z.output<typeof AppUserSchema>;

export const OktaGroupSchema = z
  .object({ id: z.string().min(1), type: z.string().nullish(), profile: z.object({ name: z.string(), description: z.string().nullish() }).passthrough() })
  .passthrough();
export type OktaGroup = z.output<typeof OktaGroupSchema>;

// ---------------------------------------------------------------------------------------
// The Zscaler Base URL in the two forms sources give (K3)

/** The OIN key name of the Zscaler 2.0 app: the one app whose token connection the API sets (K3). */
export const ZSCALER_APP_NAME = 'zscalerbyz';

export type BaseUrlForm = 'full' | 'path';

/**
 * ZIA shows `https://scim.<cloud>/<orgId>/<idpId>/scim`; Okta's API reference sends that whole URL as the
 * zscalerbyz `baseUrl`, while ZIA's guide says Okta needs only `/<orgId>/<idpId>/` (K3: which one the
 * API takes is unconfirmed). Both forms, from the URL ZIA shows.
 */
export function zscalerBaseUrlForms(scimBaseUrl: string): Record<BaseUrlForm, string> {
  let u: URL;
  try {
    u = new URL(scimBaseUrl);
  } catch {
    throw new UserError(`"${scimBaseUrl}" is not a URL; expected the SCIM Base URL ZIA shows, https://scim.<cloud>/<orgId>/<idpId>/scim`);
  }
  const m = /^(.*)\/(\d+)\/(\d+)\/scim\/?$/.exec(u.pathname);
  if (!m) {
    throw new UserError(`the SCIM Base URL ${u.origin}${u.pathname} does not end in /<orgId>/<idpId>/scim`, {
      hint: 'copy the Base URL in the new format from ZIA > Administration > Authentication Settings > Identity Providers > Edit IdP',
    });
  }
  return { full: `${u.origin}${u.pathname.replace(/\/+$/, '')}`, path: `/${m[2]}/${m[3]}/` };
}

/** True when a connection's baseUrl is the SCIM Base URL in either form (host case-insensitive, trailing slash ignored). */
export function connectionPointsAt(conn: Pick<ProvisioningConnection, 'baseUrl'>, scimBaseUrl: string): boolean {
  if (!conn.baseUrl) return false;
  const forms = zscalerBaseUrlForms(scimBaseUrl);
  const norm = (v: string): string => {
    try {
      const u = new URL(v);
      return `${u.origin.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
    } catch {
      return `/${v.replace(/^\/+|\/+$/g, '')}/`;
    }
  };
  const have = norm(conn.baseUrl);
  return have === norm(forms.full) || have === norm(forms.path);
}

// ---------------------------------------------------------------------------------------
// Auth

export type OktaAuth =
  | { kind: 'ssws'; apiToken: string }
  | {
      kind: 'oauth';
      clientId: string;
      /** PEM (PKCS#8 or PKCS#1/SEC1) or a private JWK as JSON, RSA or EC P-256. */
      privateKey: string;
      /** The key id registered on the service app; a JWK's own `kid` is used when this is absent. */
      keyId?: string;
      scopes?: string[];
    };

/** The scopes the migration needs (K1): the app's connection, features and users; groups for group push. */
export const OKTA_SCOPES = ['okta.apps.manage', 'okta.groups.manage'];

interface SigningKey {
  key: KeyObject;
  alg: 'RS256' | 'ES256';
  kid: string | undefined;
}

function loadSigningKey(text: string, keyId: string | undefined): SigningKey {
  let key: KeyObject;
  let kid = keyId;
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) {
      const jwk = JSON.parse(trimmed) as Record<string, unknown>;
      if (typeof jwk.kid === 'string' && kid === undefined) kid = jwk.kid;
      key = createPrivateKey({ key: jwk as never, format: 'jwk' });
    } else {
      key = createPrivateKey(trimmed);
    }
  } catch {
    // The parser's message could quote the key material: never passed on.
    throw new UserError('the Okta service app private key could not be read (expected a PEM private key or a private JWK as JSON)', {
      hint: 'use the private key whose public key is registered on the API Services app (Admin Console > Applications > the app > General > Public Keys)',
    });
  }
  const type = key.asymmetricKeyType;
  if (type === 'rsa') return { key, alg: 'RS256', kid };
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { key, alg: 'ES256', kid };
  throw new UserError(
    `the Okta service app private key is ${type ?? 'of an unknown type'}${type === 'ec' ? ` on ${key.asymmetricKeyDetails?.namedCurve}` : ''}; this tool signs with RSA (RS256) or EC P-256 (ES256)`,
  );
}

const b64url = (v: string | Buffer): string => Buffer.from(v).toString('base64url');

/**
 * The client assertion of private_key_jwt (K1): iss = sub = client id, aud = the token endpoint, a
 * unique jti, expiring in five minutes (Okta allows at most an hour).
 */
export function signClientAssertion(clientId: string, tokenUrl: string, signing: SigningKey, now = Date.now()): string {
  const header = { alg: signing.alg, typ: 'JWT', ...(signing.kid ? { kid: signing.kid } : {}) };
  const iat = Math.floor(now / 1000);
  const payload = { iss: clientId, sub: clientId, aud: tokenUrl, iat, exp: iat + 300, jti: randomUUID() };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = sign('sha256', Buffer.from(input), signing.alg === 'ES256' ? { key: signing.key, dsaEncoding: 'ieee-p1363' } : signing.key);
  return `${input}.${b64url(sig)}`;
}

// ---------------------------------------------------------------------------------------
// Client

export interface OktaClientOptions {
  /** https://<your org>.okta.com (or an Okta custom domain); no path. */
  orgUrl: string;
  auth: OktaAuth;
  readOnly?: boolean;
  audit?: AuditSink;
  tuning?: HttpTuning;
  /** Most requests in flight at once (default 4; Okta's concurrent limit is org-wide, K5). */
  maxConcurrent?: number;
  /** Requests of each rate-limit window left for other integrations: below it, wait for the reset (default 2). */
  reserve?: number;
}

export interface ProvisioningSettings {
  /** Create Users (lifecycleCreate). */
  create: boolean;
  /** Update User Attributes (profile push). */
  update: boolean;
  /** Deactivate Users (lifecycleDeactivate): unassigning deactivates the user in Zscaler. */
  deactivate: boolean;
}

export interface OktaClient {
  readonly orgUrl: string;
  /** The app by id, or the one Zscaler 2.0 app (by label when several exist). */
  findZscalerApp(ref: { id?: string; label?: string }): Promise<OktaApp>;
  getApp(appId: string): Promise<OktaApp>;
  /** The one app with this label (the list's `q` matches label prefixes; the label must match exactly). */
  findAppByLabel(label: string): Promise<OktaApp>;
  getConnection(appId: string): Promise<ProvisioningConnection>;
  /**
   * POST …/connections/default?activate=true with the Zscaler Base URL and Bearer Token (zscalerbyz only).
   * `form` 'auto' sends the full URL first and, if Okta refuses it as invalid (400), the `/<org>/<idp>/`
   * form; the answer says which form Okta took.
   */
  setZscalerConnection(
    appId: string,
    c: { scimBaseUrl: string; token: string; form?: BaseUrlForm | 'auto' },
  ): Promise<{ form: BaseUrlForm; connection: ProvisioningConnection }>;
  activateConnection(appId: string): Promise<void>;
  deactivateConnection(appId: string): Promise<void>;
  listFeatures(appId: string): Promise<AppFeature[]>;
  /** GET …/features/USER_PROVISIONING, or null when the app has no such feature (404). */
  getProvisioningFeature(appId: string): Promise<AppFeature | null>;
  /** PUT …/features/USER_PROVISIONING with only the capabilities named (a partial update, K4); password sync is left alone. */
  setProvisioningFeature(appId: string, s: Partial<ProvisioningSettings>): Promise<AppFeature>;
  listGroupPushMappings(appId: string): Promise<GroupPushMapping[]>;
  createGroupPushMapping(
    appId: string,
    m: { sourceGroupId: string; targetGroupName?: string; targetGroupId?: string; status?: 'ACTIVE' | 'INACTIVE' },
  ): Promise<GroupPushMapping>;
  setGroupPushMappingStatus(appId: string, mappingId: string, status: 'ACTIVE' | 'INACTIVE'): Promise<GroupPushMapping>;
  /** The mapping must be INACTIVE first (K6); the group in Zscaler is kept unless deleteTargetGroup. */
  deleteGroupPushMapping(appId: string, mappingId: string, deleteTargetGroup?: boolean): Promise<void>;
  findGroup(name: string): Promise<OktaGroup | null>;
  /** Every user assigned to the app with its provisioning state (status, syncState, externalId), all pages. */
  listAppUsers(appId: string): Promise<AppUser[]>;
}

/** The answer's rate-limit window, by bucket (the first three path segments, /api/v1/apps). */
interface Window {
  remaining: number;
  /** ms from now (by the server's clock) until the window resets */
  resetAt: number;
}

function header(h: HttpResponse<unknown>['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `<url>; rel="next"` from Link headers (RFC 8288), as Okta pages its collections (K9). */
export function nextLink(h: HttpResponse<unknown>['headers']): string | undefined {
  const raw = h.link;
  const all = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((v) => v.split(/,(?=\s*<)/));
  for (const part of all) {
    const m = /^\s*<([^>]+)>\s*;(.*)$/.exec(part);
    if (m && /\brel="?next"?/i.test(m[2] as string)) return m[1];
  }
  return undefined;
}

export function createOktaClient(opts: OktaClientOptions): OktaClient {
  let origin: string;
  try {
    const u = new URL(opts.orgUrl);
    if (u.pathname.replace(/\/+$/, '') !== '' || u.search) throw new Error('path');
    origin = u.origin;
  } catch {
    throw new UserError(`Okta orgUrl "${opts.orgUrl}" must be the org's address with no path, e.g. https://acme.okta.com`, {
      hint: 'use the Okta domain without -admin and without /api/v1',
    });
  }
  const readOnly = opts.readOnly ?? false;
  const secrets = opts.auth.kind === 'ssws' ? [opts.auth.apiToken] : [];
  const http = createHttpClient({ ...opts.tuning, system: 'okta', baseURL: origin, readOnly, audit: opts.audit, redact: secrets });
  const maxConcurrent = Math.max(1, opts.maxConcurrent ?? 4);
  const reserve = Math.max(0, opts.reserve ?? 2);

  let tokens: TokenSource | undefined;
  if (opts.auth.kind === 'oauth') {
    const a = opts.auth;
    const signing = loadSigningKey(a.privateKey, a.keyId);
    const tokenUrl = `${origin}/oauth2/v1/token`;
    const tokenHttp = createHttpClient({ ...opts.tuning, system: 'login', baseURL: tokenUrl, readOnly, audit: opts.audit });
    tokens = createTokenSource({
      http: tokenHttp,
      form: () => {
        const assertion = signClientAssertion(a.clientId, tokenUrl, signing);
        tokenHttp.addSecret(assertion);
        return {
          grant_type: 'client_credentials',
          scope: (a.scopes ?? OKTA_SCOPES).join(' '),
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        };
      },
      onToken: (t) => http.addSecret(t),
    });
  }

  // --- concurrency cap and rate-limit windows
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const acquire = async (): Promise<void> => {
    while (inFlight >= maxConcurrent) await new Promise<void>((r) => waiting.push(r));
    inFlight++;
  };
  const release = (): void => {
    inFlight--;
    waiting.shift()?.();
  };
  const windows = new Map<string, Window>();
  const bucketOf = (path: string): string => {
    const p = /^https?:\/\//i.test(path) ? new URL(path).pathname : (path.split('?')[0] ?? path);
    return p.split('/').slice(0, 4).join('/');
  };
  const observe = (bucket: string, h: HttpResponse<unknown>['headers']): void => {
    const remaining = Number(header(h, 'x-rate-limit-remaining'));
    const wait = oktaResetWait(header(h, 'x-rate-limit-reset'), header(h, 'date'));
    if (Number.isFinite(remaining) && wait !== undefined) windows.set(bucket, { remaining, resetAt: Date.now() + wait });
  };
  const pace = async (bucket: string): Promise<void> => {
    const w = windows.get(bucket);
    if (!w) return;
    const now = Date.now();
    if (now >= w.resetAt) {
      windows.delete(bucket);
      return;
    }
    if (w.remaining <= reserve) {
      await sleep(w.resetAt - now);
      windows.delete(bucket);
      return;
    }
    w.remaining--; // counted before the answer arrives, so parallel callers do not all take the last slot
  };

  async function authHeader(): Promise<string> {
    if (opts.auth.kind === 'ssws') return `SSWS ${opts.auth.apiToken}`;
    try {
      return `Bearer ${await tokens!.get()}`;
    } catch (err) {
      // A service app that requires DPoP refuses a token request without a proof (K2).
      if (err instanceof ApiError && /dpop/i.test(`${err.code ?? ''} ${err.vendorMessage ?? ''}`)) {
        throw new UserError(`Okta refused the token request because the service app requires DPoP proofs (${err.code ?? err.status})`, {
          hint: 'in the Admin Console, open the API Services app > General and clear "Require Demonstrating Proof of Possession (DPoP) header in token requests", or use an SSWS API token',
        });
      }
      throw err;
    }
  }

  async function call<S extends z.ZodType>(
    method: Method,
    path: string,
    schema: S,
    o: CallOptions & { body?: unknown } = {},
  ): Promise<HttpResponse<z.output<S>>> {
    const bucket = bucketOf(path);
    const send = async (): Promise<HttpResponse<z.output<S>>> => {
      await pace(bucket);
      await acquire();
      try {
        const res = await http.request(method, path, schema, { ...o, headers: { ...o.headers, Authorization: await authHeader() } });
        observe(bucket, res.headers);
        return res;
      } finally {
        release();
      }
    };
    try {
      return await send();
    } catch (err) {
      // An expired access token: fetch a new one once; a second 401 is a real refusal.
      if (tokens && err instanceof ApiError && err.system === 'okta' && err.status === 401) {
        tokens.invalidate();
        return send();
      }
      throw err;
    }
  }

  async function pages<S extends z.ZodType>(path: string, item: S, query: CallOptions['query']): Promise<Array<z.output<S>>> {
    const out: Array<z.output<S>> = [];
    let next: string | undefined = undefined;
    for (let n = 0; n < 10_000; n++) {
      const res: HttpResponse<Array<z.output<S>>> =
        next === undefined ? await call('GET', path, z.array(item), { query }) : await call('GET', next, z.array(item));
      out.push(...res.data);
      next = nextLink(res.headers);
      if (!next) return out;
      // The credential goes wherever the link points: only ever to this org.
      if (new URL(next, origin).origin !== origin)
        throw new UserError(`Okta returned a next link to another host (${new URL(next, origin).origin}); refusing to follow it`);
      next = new URL(next, origin).toString();
    }
    throw new UserError(`Okta ${path}: paging did not end after 10 000 pages`);
  }

  const app = (appId: string) => `/api/v1/apps/${encodeURIComponent(appId)}`;
  const describe = (list: OktaApp[]): string =>
    list
      .slice(0, 10)
      .map((a) => `"${a.label ?? a.name}" (id ${a.id}, ${a.name}, ${a.status})`)
      .join('; ') + (list.length > 10 ? `; … ${list.length - 10} more` : '');
  const isStatus = (err: unknown, status: number): boolean => err instanceof ApiError && err.system === 'okta' && err.status === status;

  async function setConnection(appId: string, baseUrl: string, token: string): Promise<ProvisioningConnection> {
    const res = await call('POST', `${app(appId)}/connections/default`, ConnectionSchema, {
      query: { activate: true },
      body: { baseUrl, profile: { authScheme: 'TOKEN', token } },
      // Sets the same state when sent twice.
      idempotent: true,
    });
    return res.data;
  }

  return {
    orgUrl: origin,
    async findZscalerApp(ref) {
      if (ref.id) {
        let found: OktaApp;
        try {
          found = (await call('GET', app(ref.id), OktaAppSchema)).data;
        } catch (err) {
          if (isStatus(err, 404))
            throw new UserError(`no Okta app has the id ${ref.id}`, {
              hint: 'copy the id from the app page URL in the Admin Console (…/admin/app/zscalerbyz/instance/<id>)',
            });
          throw err;
        }
        if (ref.label && found.label !== ref.label)
          throw new UserError(`the Okta app ${ref.id} is labelled "${found.label}", not "${ref.label}"`, { hint: 'give the id or the label of the same app' });
        return found;
      }
      let all: OktaApp[];
      try {
        all = await pages('/api/v1/apps', OktaAppSchema, { filter: `name eq "${ZSCALER_APP_NAME}"`, limit: 200 });
      } catch (err) {
        // An org whose list takes no `name` filter (K13): search by prefix and filter here.
        if (!isStatus(err, 400)) throw err;
        all = await pages('/api/v1/apps', OktaAppSchema, { q: 'zscaler', limit: 200 });
      }
      const zscaler = all.filter((a) => a.name === ZSCALER_APP_NAME);
      const matching = ref.label ? zscaler.filter((a) => a.label === ref.label) : zscaler;
      if (matching.length === 1) return matching[0]!;
      if (matching.length === 0) {
        throw new UserError(
          `no Zscaler 2.0 app (${ZSCALER_APP_NAME})${ref.label ? ` labelled "${ref.label}"` : ''} in Okta ${origin}${zscaler.length ? ` (found: ${describe(zscaler)})` : ''}`,
          {
            hint: 'add "Zscaler 2.0" from the Okta Integration Network, or set idp.app.id; for another app (a custom SCIM app) the IdP steps are operator steps',
          },
        );
      }
      throw new UserError(`${matching.length} Zscaler 2.0 apps in Okta: ${describe(matching)}`, {
        hint: 'set the app id (or a unique label) in the configuration',
      });
    },
    getApp: async (appId) => (await call('GET', app(appId), OktaAppSchema)).data,
    async findAppByLabel(label) {
      const found = (await pages('/api/v1/apps', OktaAppSchema, { q: label, limit: 200 })).filter((a) => a.label === label);
      if (found.length === 1) return found[0]!;
      throw new UserError(found.length ? `${found.length} Okta apps are labelled "${label}": ${describe(found)}` : `no Okta app is labelled "${label}"`, {
        hint: 'name the app by its id (Admin Console > Applications > the app: the 0oa… in the URL)',
      });
    },
    getConnection: async (appId) => (await call('GET', `${app(appId)}/connections/default`, ConnectionSchema)).data,
    async setZscalerConnection(appId, c) {
      http.addSecret(c.token);
      const forms = zscalerBaseUrlForms(c.scimBaseUrl);
      const mode = c.form ?? 'auto';
      if (mode !== 'auto') return { form: mode, connection: await setConnection(appId, forms[mode], c.token) };
      try {
        return { form: 'full', connection: await setConnection(appId, forms.full, c.token) };
      } catch (err) {
        if (!isStatus(err, 400)) throw err;
        try {
          return { form: 'path', connection: await setConnection(appId, forms.path, c.token) };
        } catch (again) {
          if (!isStatus(again, 400)) throw again;
          throw new UserError(
            `Okta refused the Zscaler Base URL in both forms (${forms.full} and ${forms.path}): ${(err as ApiError).message}; then ${(again as ApiError).message}`,
            { hint: 'check that the app is "Zscaler 2.0" (zscalerbyz) and that the Base URL is the new-format one from ZIA Edit IdP' },
          );
        }
      }
    },
    async activateConnection(appId) {
      await call('POST', `${app(appId)}/connections/default/lifecycle/activate`, z.unknown(), { idempotent: true });
    },
    async deactivateConnection(appId) {
      await call('POST', `${app(appId)}/connections/default/lifecycle/deactivate`, z.unknown(), { idempotent: true });
    },
    listFeatures: async (appId) => (await call('GET', `${app(appId)}/features`, z.array(FeatureSchema))).data,
    async getProvisioningFeature(appId) {
      try {
        return (await call('GET', `${app(appId)}/features/USER_PROVISIONING`, FeatureSchema)).data;
      } catch (err) {
        if (isStatus(err, 404)) return null;
        throw err;
      }
    },
    async setProvisioningFeature(appId, s) {
      const st = (on: boolean) => ({ status: on ? 'ENABLED' : 'DISABLED' });
      const update: Record<string, unknown> = {};
      if (s.update !== undefined) update.profile = st(s.update);
      if (s.deactivate !== undefined) update.lifecycleDeactivate = st(s.deactivate);
      const body: Record<string, unknown> = {};
      if (s.create !== undefined) body.create = { lifecycleCreate: st(s.create) };
      if (Object.keys(update).length) body.update = update;
      if (Object.keys(body).length === 0) throw new UserError('setProvisioningFeature: name at least one of create, update, deactivate');
      return (await call('PUT', `${app(appId)}/features/USER_PROVISIONING`, FeatureSchema, { body })).data;
    },
    listGroupPushMappings: (appId) => pages(`${app(appId)}/group-push/mappings`, GroupPushMappingSchema, { limit: 1000 }),
    async createGroupPushMapping(appId, m) {
      if ((m.targetGroupName === undefined) === (m.targetGroupId === undefined)) {
        throw new UserError('a group push mapping needs exactly one of targetGroupName and targetGroupId');
      }
      const body = {
        sourceGroupId: m.sourceGroupId,
        status: m.status ?? 'ACTIVE',
        ...(m.targetGroupId ? { targetGroupId: m.targetGroupId } : { targetGroupName: m.targetGroupName }),
      };
      return (await call('POST', `${app(appId)}/group-push/mappings`, GroupPushMappingSchema, { body })).data;
    },
    setGroupPushMappingStatus: async (appId, mappingId, status) =>
      (
        await call('PATCH', `${app(appId)}/group-push/mappings/${encodeURIComponent(mappingId)}`, GroupPushMappingSchema, {
          body: { status },
          idempotent: true,
        })
      ).data,
    async deleteGroupPushMapping(appId, mappingId, deleteTargetGroup = false) {
      await call('DELETE', `${app(appId)}/group-push/mappings/${encodeURIComponent(mappingId)}`, z.unknown(), { query: { deleteTargetGroup } });
    },
    async findGroup(name) {
      const found = await pages('/api/v1/groups', OktaGroupSchema, {
        search: `profile.name eq "${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
        limit: 200,
      });
      const exact = found.filter((g) => g.profile.name === name);
      if (exact.length > 1)
        throw new UserError(`${exact.length} Okta groups are named "${name}" (${exact.map((g) => g.id).join(', ')})`, { hint: 'name the group by id' });
      return exact[0] ?? null;
    },
    listAppUsers: (appId) => pages(`${app(appId)}/users`, AppUserSchema, { limit: 500 }),
  };
}
