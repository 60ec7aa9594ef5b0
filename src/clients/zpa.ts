import { z } from 'zod';
import { UserError } from '../engine/errors.js';
import type { AuditSink } from './audit.js';
import { ApiError, createHttpClient, type CallOptions, type HttpResponse, type HttpTuning } from './http.js';
import { createTokenSource, type TokenSource } from './oauth.js';
import type { RateLimit } from './rate-limit.js';

/**
 * ZPA admin API client (legacy `/signin` client credentials, or OneAPI bearer tokens): the IdP
 * controller and the SCIM data the admin API shows without the SCIM token. The API has no write
 * for an IdP's SCIM settings and no token generation (docs/vendor-facts.md Y4), so everything here
 * reads; read-only mode only ever lets the token request through.
 * Facts and their public sources: docs/vendor-facts.md, rows Y1–Y15 (and F23).
 */

// ---------------------------------------------------------------------------------------
// Shapes. ZPA sends many numbers and ids as strings and leaves some booleans out when false
// (docs/vendor-facts.md Y5): ids are kept as strings, counts become numbers, absent flags false.

/** A count or epoch value, as a JSON number or a string of digits. */
const Count = z.union([z.number().int().min(0), z.string().regex(/^\d+$/, 'expected a count (digits)').transform(Number)]);
/**
 * An id as ZPA sends it: a string of digits (kept exact), or a JSON number. 18-digit ids are beyond
 * 2^53, and a JSON number that large has already lost digits when it is parsed: such an id is refused
 * rather than used wrong (docs/vendor-facts.md Y5).
 */
const Id = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return String(v);
    ctx.addIssue({ code: 'custom', message: 'a numeric id beyond 2^53 lost digits in JSON; it cannot be used' });
    return z.NEVER;
  }
  if (/^\d+$/.test(v)) return v;
  ctx.addIssue({ code: 'custom', message: 'expected a numeric id (digits)' });
  return z.NEVER;
});
/** A flag as a boolean or the string "true"/"false". */
const Flag = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i, 'expected true or false')
    .transform((v) => v.toLowerCase() === 'true'),
]);

const IdpWire = z.object({
  id: Id,
  name: z.string(),
  enabled: Flag.optional(),
  ssoType: z.array(z.string()).optional(),
  domainList: z.array(z.string()).optional(),
  loginUrl: z.string().optional(),
  idpEntityId: z.string().optional(),
  // "0"/"1" (Y5)
  autoProvision: z.string().optional(),
  scimEnabled: Flag.optional(),
  scimSharedSecretExists: Flag.optional(),
  scimServiceProviderEndpoint: z.string().optional(),
  enableScimBasedPolicy: Flag.optional(),
  disableSamlBasedPolicy: Flag.optional(),
  reauthOnUserUpdate: Flag.optional(),
  loginNameAttribute: z.string().optional(),
  creationTime: Count.optional(),
  modifiedTime: Count.optional(),
  modifiedBy: z.string().optional(),
});

/** An IdP as callers see it: every flag the flow reads is a boolean, false when ZPA left it out. */
export interface ZpaIdp {
  id: string;
  name: string;
  enabled: boolean;
  /** ["USER"], ["ADMIN"] or both: an IdP for user single sign-on has USER. */
  ssoType: string[];
  domainList: string[];
  /** "SCIM Sync" in the console. */
  scimEnabled: boolean;
  /** A SCIM token has been generated ("Generate New Token"); its value is never readable. */
  scimSharedSecretExists: boolean;
  /** The SCIM Service Provider Endpoint the IdP provisions into (its path holds this IdP's id, Y8). */
  scimServiceProviderEndpoint?: string;
  /** "SCIM Attributes for Policy". */
  enableScimBasedPolicy: boolean;
  disableSamlBasedPolicy: boolean;
  reauthOnUserUpdate: boolean;
  autoProvision?: string;
  loginNameAttribute?: string;
  /** Epoch seconds. */
  creationTime?: number;
  /** Epoch seconds; moves with every saved edit of the IdP (evidence for an operator step). */
  modifiedTime?: number;
  modifiedBy?: string;
}

function toIdp(w: z.output<typeof IdpWire>): ZpaIdp {
  const out: ZpaIdp = {
    id: w.id,
    name: w.name,
    enabled: w.enabled ?? false,
    ssoType: w.ssoType ?? [],
    domainList: w.domainList ?? [],
    scimEnabled: w.scimEnabled ?? false,
    scimSharedSecretExists: w.scimSharedSecretExists ?? false,
    enableScimBasedPolicy: w.enableScimBasedPolicy ?? false,
    disableSamlBasedPolicy: w.disableSamlBasedPolicy ?? false,
    reauthOnUserUpdate: w.reauthOnUserUpdate ?? false,
  };
  if (w.scimServiceProviderEndpoint) out.scimServiceProviderEndpoint = w.scimServiceProviderEndpoint;
  if (w.autoProvision !== undefined) out.autoProvision = w.autoProvision;
  if (w.loginNameAttribute !== undefined) out.loginNameAttribute = w.loginNameAttribute;
  if (w.creationTime !== undefined) out.creationTime = w.creationTime;
  if (w.modifiedTime !== undefined) out.modifiedTime = w.modifiedTime;
  if (w.modifiedBy !== undefined) out.modifiedBy = w.modifiedBy;
  return out;
}

/** A SCIM group as the admin API lists it (Y9): numeric ids, epoch-second times. */
export const ZpaScimGroupSchema = z.object({
  id: Id,
  name: z.string(),
  // idpId is not read: it is a JSON number here, and an 18-digit one arrives with digits lost (Y9).
  idpGroupId: z.string().nullish(),
  internalId: z.string().optional(),
  creationTime: Count.optional(),
  modifiedTime: Count.optional(),
});
export type ZpaScimGroup = z.output<typeof ZpaScimGroupSchema>;

/** A SCIM attribute header (Y10): one per attribute ZPA holds for the IdP's users. */
export const ZpaScimAttributeSchema = z.object({
  id: Id,
  name: z.string(),
  idpId: Id.optional(),
  dataType: z.string().optional(),
  schemaURI: z.string().optional(),
  multivalued: Flag.optional(),
  required: Flag.optional(),
  caseSensitive: Flag.optional(),
  mutability: z.string().optional(),
  returned: z.string().optional(),
  uniqueness: Flag.optional(),
  canonicalValues: z.array(z.string()).optional(),
  description: z.string().optional(),
});
export type ZpaScimAttribute = z.output<typeof ZpaScimAttributeSchema>;

/** ZPA's paged answer (Y7): `totalPages` (and `totalCount`) as numbers or strings; `list` left out when empty. */
function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ totalPages: Count.optional(), totalCount: Count.optional(), list: z.array(item).optional() });
}

// ---------------------------------------------------------------------------------------
// URLs and limits

/**
 * The ZPA admin API root for a cloud (Y2). Legacy: `https://config.private.zscaler.com` (production)
 * and one host per other cloud. OneAPI: `https://api.zsapi.net/zpa` for production; other clouds as
 * the ZIA OneAPI host with `/zpa` (inferred).
 */
export function zpaBaseUrlForCloud(cloud: string, kind: 'legacy' | 'oneapi'): string {
  const c = cloud.trim().toUpperCase();
  const legacy: Record<string, string> = {
    PRODUCTION: 'https://config.private.zscaler.com',
    ZPATWO: 'https://config.zpatwo.net',
    BETA: 'https://config.zpabeta.net',
    GOV: 'https://config.zpagov.net',
    GOVUS: 'https://config.zpagov.us',
    PREVIEW: 'https://config.zpapreview.net',
  };
  if (kind === 'legacy') {
    const url = legacy[c === '' ? 'PRODUCTION' : c];
    if (!url) throw new UserError(`"${cloud}" is not a ZPA cloud name`, { hint: `use one of ${Object.keys(legacy).join(', ')}` });
    return url;
  }
  if (c === '' || c === 'PRODUCTION') return 'https://api.zsapi.net/zpa';
  if (!/^[A-Z0-9-]+$/.test(c)) throw new UserError(`"${cloud}" is not a Zscaler cloud name`);
  return `https://api.${c.toLowerCase()}.zsapi.net/zpa`;
}

/** Per IP, per 10 seconds: 20 GET, 10 POST/PUT/DELETE (Y6). */
export const ZPA_RATE_LIMITS: RateLimit[] = [
  { methods: ['GET', 'HEAD'], per: { max: 20, windowMs: 10_000 } },
  { methods: ['POST', 'PUT', 'PATCH', 'DELETE'], per: { max: 10, windowMs: 10_000 } },
];

/** `pagesize` tops out at 500 (Y7); a full read asks for the most, since each page costs a GET of 20 per 10 s. */
export const ZPA_MAX_PAGE = 500;

// ---------------------------------------------------------------------------------------
// Client

export type ZpaAuth =
  { kind: 'legacy'; clientId: string; clientSecret: string } | { kind: 'oneapi'; tokenUrl: string; clientId: string; clientSecret: string; audience?: string };

export interface ZpaClientOptions {
  /** The API root: `https://config.private.zscaler.com` (legacy) or `https://api.zsapi.net/zpa` (OneAPI). */
  baseUrl: string;
  /** The tenant's customer id (Administration > Company in the ZPA console). */
  customerId: string;
  auth: ZpaAuth;
  /** Sent as `microtenantId` when the API client works inside a microtenant. */
  microtenantId?: string;
  readOnly?: boolean;
  audit?: AuditSink;
  /** Default true. False switches the client-side limits off (sandbox, benchmarks). */
  rateLimits?: boolean;
  tuning?: HttpTuning;
}

export interface ZpaListOptions {
  /** Default and maximum 500. */
  pageSize?: number;
}

export interface ZpaClient {
  /** Gets a token now (a wrong secret fails here, once, instead of on the first read). */
  login(): Promise<void>;
  /** Every IdP, page by page (v2 list). `scimEnabled` narrows to IdPs with SCIM Sync on or off. */
  listIdps(opts?: ZpaListOptions & { scimEnabled?: boolean }): AsyncGenerator<ZpaIdp[]>;
  /** One IdP (v1), or null when ZPA has none with this id. */
  getIdp(idpId: string): Promise<ZpaIdp | null>;
  /**
   * The same read, with ZPA's own time of the answer (its HTTP `Date` header, epoch ms; undefined when
   * absent): the clock `modifiedTime` is on, so a wait measured from `modifiedTime` is measured on it too.
   */
  getIdpAt(idpId: string): Promise<{ idp: ZpaIdp | null; at: number | undefined }>;
  /** The IdP with exactly this name (compared as ZPA shows it), or null; lists every IdP and compares here. */
  findIdpByName(name: string): Promise<ZpaIdp | null>;
  /** The SCIM groups ZPA holds for an IdP, page by page (sorted on the server when asked). */
  listScimGroups(
    idpId: string,
    opts?: ZpaListOptions & { sortBy?: 'name' | 'id' | 'creationTime' | 'modifiedTime'; sortOrder?: 'ASC' | 'DSC'; search?: string },
  ): AsyncGenerator<ZpaScimGroup[]>;
  getScimGroup(groupId: string): Promise<ZpaScimGroup | null>;
  /** The SCIM attribute headers of an IdP (userName, department, …). */
  listScimAttributes(idpId: string): Promise<ZpaScimAttribute[]>;
  getScimAttribute(idpId: string, attributeId: string): Promise<ZpaScimAttribute | null>;
  /** The distinct values ZPA holds for one attribute across the IdP's SCIM users, page by page. */
  listScimAttributeValues(idpId: string, attributeId: string, opts?: ZpaListOptions): AsyncGenerator<string[]>;
  /**
   * The userNames ZPA holds for the IdP, read without the SCIM token: the values of the `userName`
   * attribute header (Y11; whether this list is complete on a real tenant is unconfirmed).
   * Null when the IdP has no `userName` attribute yet (nothing provisioned).
   */
  scimUserNames(idpId: string): Promise<string[] | null>;
}

function assertId(what: string, id: string): void {
  if (!/^\d+$/.test(id))
    throw new UserError(`${what} "${id}" is not a ZPA id (digits only)`, { hint: 'copy the id from the ZPA console or from the IdP list' });
}

export function createZpaClient(opts: ZpaClientOptions): ZpaClient {
  assertId('customer id', opts.customerId);
  const auth = opts.auth;
  const secrets = [auth.clientSecret];
  const readOnly = opts.readOnly ?? false;
  const http = createHttpClient({
    ...opts.tuning,
    system: 'zpa',
    baseURL: opts.baseUrl,
    limits: opts.rateLimits === false ? [] : ZPA_RATE_LIMITS,
    readOnly,
    audit: opts.audit,
    redact: secrets,
  });
  const base = opts.baseUrl.replace(/\/+$/, '');
  // Legacy: POST <base>/signin, form-encoded client_id/client_secret, `expires_in` a string (Y1, F23).
  // OneAPI: the ZIdentity client-credentials token, audience https://api.zscaler.com (Y3).
  const tokenHttp = createHttpClient({
    ...opts.tuning,
    system: 'login',
    baseURL: auth.kind === 'legacy' ? `${base}/signin` : auth.tokenUrl,
    readOnly,
    audit: opts.audit,
    redact: secrets,
  });
  const tokens: TokenSource = createTokenSource({
    http: tokenHttp,
    form:
      auth.kind === 'legacy'
        ? { client_id: auth.clientId, client_secret: auth.clientSecret }
        : {
            grant_type: 'client_credentials',
            client_id: auth.clientId,
            client_secret: auth.clientSecret,
            audience: auth.audience ?? 'https://api.zscaler.com',
          },
    onToken: (t) => http.addSecret(t),
  });

  const cid = encodeURIComponent(opts.customerId);
  const mgmt = (v: 1 | 2) => `/mgmtconfig/v${v}/admin/customers/${cid}`;
  const user = `/userconfig/v1/customers/${cid}`;

  async function get<S extends z.ZodType>(path: string, schema: S, o: CallOptions = {}): Promise<z.output<S>> {
    return (await getWithHeaders(path, schema, o)).data;
  }

  async function getWithHeaders<S extends z.ZodType>(path: string, schema: S, o: CallOptions = {}): Promise<HttpResponse<z.output<S>>> {
    const query = { ...o.query, ...(opts.microtenantId ? { microtenantId: opts.microtenantId } : {}) };
    const send = async () => http.request('GET', path, schema, { ...o, query, headers: { ...o.headers, Authorization: `Bearer ${await tokens.get()}` } });
    try {
      return await send();
    } catch (err) {
      // A token the API no longer takes (expired early, revoked): one new token, never a loop.
      if (!(err instanceof ApiError && err.system === 'zpa' && err.status === 401)) throw err;
      tokens.invalidate();
      return send();
    }
  }

  /** null for ZPA's "not found" (404, `resource.not.found`); anything else throws. */
  async function getOrNull<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S> | null> {
    try {
      return await get(path, schema);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }

  /**
   * Every page of a ZPA list (Y7): `page` from 1, lowercase `pagesize`, until `totalPages`. A page
   * that is empty or over-full before the end, a total that moves, or an item seen twice is refused:
   * the list would be incomplete (a known ZPA symptom is groups missing from large pages, Y12).
   */
  async function* pages<T>(
    path: string,
    item: z.ZodType<T>,
    o: ZpaListOptions & { query?: Record<string, string | undefined> },
    key: (t: T) => string,
  ): AsyncGenerator<T[]> {
    const pageSize = Math.min(Math.max(1, Math.floor(o.pageSize ?? ZPA_MAX_PAGE)), ZPA_MAX_PAGE);
    const schema = pageOf(item);
    const seen = new Set<string>();
    let totalPages: number | undefined;
    let totalCount: number | undefined;
    let read = 0;
    for (let page = 1; page <= 1_000_000; page++) {
      const r = (await get(path, schema, { query: { ...o.query, page, pagesize: pageSize } })) as { totalPages?: number; totalCount?: number; list?: T[] };
      const list = r.list ?? [];
      if (page === 1) {
        totalPages = r.totalPages ?? (list.length === 0 ? 0 : 1);
        totalCount = r.totalCount;
      } else if (r.totalPages !== undefined && r.totalPages !== totalPages) {
        throw new UserError(`ZPA GET ${path}: totalPages changed mid-read from ${totalPages} to ${r.totalPages} (at page ${page})`, {
          hint: 'something changed the list while it was read (an IdP provisioning cycle); rerun when it is idle',
        });
      }
      if (list.length > pageSize) {
        throw new UserError(`ZPA GET ${path} page ${page} returned ${list.length} items for pagesize ${pageSize}`, {
          hint: 'the server ignored the page size, so page boundaries cannot be trusted; report this',
        });
      }
      if (page <= (totalPages ?? 0) && list.length === 0) {
        throw new UserError(`ZPA GET ${path}: page ${page} of ${totalPages} is empty (${read} items read)`, {
          hint: 'the server stopped early; the list would be incomplete, so the read is refused',
        });
      }
      for (const it of list) {
        const k = key(it);
        if (seen.has(k)) {
          throw new UserError(`ZPA GET ${path}: id ${k} appeared twice while paging`, {
            hint: 'the order shifted during the read (changes in progress); rerun when the IdP is idle',
          });
        }
        seen.add(k);
      }
      read += list.length;
      if (list.length > 0) yield list;
      if (page >= (totalPages ?? 0)) break;
    }
    if (totalCount !== undefined && read < totalCount) {
      throw new UserError(`ZPA GET ${path}: read ${read} items but the server counted ${totalCount}`, {
        hint: 'pages came back short; the list would be incomplete, so the read is refused',
      });
    }
  }

  async function* listIdps(o: ZpaListOptions & { scimEnabled?: boolean } = {}): AsyncGenerator<ZpaIdp[]> {
    const query = o.scimEnabled === undefined ? {} : { scimEnabled: String(o.scimEnabled) };
    for await (const page of pages(`${mgmt(2)}/idp`, IdpWire, { ...o, query }, (i) => i.id)) yield page.map(toIdp);
  }

  const client: ZpaClient = {
    async login() {
      await tokens.get();
    },
    listIdps,
    async getIdp(idpId) {
      assertId('IdP id', idpId);
      const w = await getOrNull(`${mgmt(1)}/idp/${idpId}`, IdpWire);
      return w ? toIdp(w) : null;
    },
    async getIdpAt(idpId) {
      assertId('IdP id', idpId);
      try {
        const r = await getWithHeaders(`${mgmt(1)}/idp/${idpId}`, IdpWire);
        const date = typeof r.headers.date === 'string' ? Date.parse(r.headers.date) : NaN;
        return { idp: toIdp(r.data), at: Number.isFinite(date) ? date : undefined };
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return { idp: null, at: undefined };
        throw err;
      }
    },
    async findIdpByName(name) {
      // The list's `search` syntax has changed over time (Y7); IdPs are few, so compare here.
      const hits: ZpaIdp[] = [];
      for await (const page of listIdps()) hits.push(...page.filter((i) => i.name === name));
      if (hits.length > 1)
        throw new UserError(`ZPA has ${hits.length} IdPs named "${name}" (ids ${hits.map((i) => i.id).join(', ')})`, {
          hint: 'configure the IdP by id instead',
        });
      return hits[0] ?? null;
    },
    listScimGroups(idpId, o = {}) {
      assertId('IdP id', idpId);
      const query = { sortBy: o.sortBy, sortOrder: o.sortOrder, search: o.search };
      return pages(`${user}/scimgroup/idpId/${idpId}`, ZpaScimGroupSchema, { ...o, query }, (g) => g.id);
    },
    async getScimGroup(groupId) {
      assertId('SCIM group id', groupId);
      return getOrNull(`${user}/scimgroup/${groupId}`, ZpaScimGroupSchema);
    },
    async listScimAttributes(idpId) {
      assertId('IdP id', idpId);
      const out: ZpaScimAttribute[] = [];
      for await (const page of pages(`${mgmt(1)}/idp/${idpId}/scimattribute`, ZpaScimAttributeSchema, {}, (a) => a.id)) out.push(...page);
      return out;
    },
    async getScimAttribute(idpId, attributeId) {
      assertId('IdP id', idpId);
      assertId('SCIM attribute id', attributeId);
      return getOrNull(`${mgmt(1)}/idp/${idpId}/scimattribute/${attributeId}`, ZpaScimAttributeSchema);
    },
    listScimAttributeValues(idpId, attributeId, o = {}) {
      assertId('IdP id', idpId);
      assertId('SCIM attribute id', attributeId);
      return pages(`${user}/scimattribute/idpId/${idpId}/attributeId/${attributeId}`, z.string(), o, (v) => v);
    },
    async scimUserNames(idpId) {
      const attrs = await client.listScimAttributes(idpId);
      const header = attrs.find((a) => a.name === 'userName');
      if (!header) return null;
      const out: string[] = [];
      for await (const page of client.listScimAttributeValues(idpId, header.id)) out.push(...page);
      return out;
    },
  };
  return client;
}
