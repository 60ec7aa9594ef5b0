import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../engine/errors.js';
import type { AuditSink } from './audit.js';
import { ApiError, SchemaError, createHttpClient, type HttpTuning } from './http.js';

/**
 * Client of the Zscaler SCIM 2.0 server (ZIA, and ZPA's compatible one) — the endpoint the
 * IdP provisions into. The migration only reads it (probe, parity). Facts: docs/vendor-facts.md F24–F28, S1.
 */

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const SCIM_JSON = 'application/scim+json';

/**
 * `active` arrives as a boolean from ZIA but as the string "true"/"false" from ZPA,
 * and Entra writes "True"/"False" (docs/vendor-facts.md F27, F33). All mean the same.
 */
const ScimBoolean = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i, 'expected true or false')
    .transform((v) => v.toLowerCase() === 'true'),
]);

const MultiRef = z.object({ value: z.string(), display: z.string().optional() }).passthrough();

export const ScimUserSchema = z
  .object({
    id: z.string(),
    userName: z.string(),
    externalId: z.string().optional(),
    active: ScimBoolean.optional(),
    displayName: z.string().optional(),
    name: z.object({ givenName: z.string().optional(), familyName: z.string().optional(), formatted: z.string().optional() }).passthrough().optional(),
    emails: z.array(z.object({ value: z.string(), type: z.string().optional(), primary: ScimBoolean.optional() }).passthrough()).optional(),
    groups: z.array(MultiRef).optional(),
    department: z.string().optional(),
    [ENTERPRISE]: z.object({ department: z.string().optional() }).passthrough().optional(),
  })
  .passthrough();
export type ScimUser = z.output<typeof ScimUserSchema>;

export const ScimGroupSchema = z
  .object({
    id: z.string(),
    displayName: z.string(),
    externalId: z.string().optional(),
    members: z.array(MultiRef).optional(),
  })
  .passthrough();
export type ScimGroup = z.output<typeof ScimGroupSchema>;

/**
 * The same resources as read by the list calls (parity reads every user of the tenant): only the
 * documented fields, unknown ones stripped rather than copied. At 100k users a passthrough copy
 * of `meta`, `schemas`, `$ref` and the like was most of the validation garbage (issue 6); the
 * single-resource reads keep the passthrough schemas above.
 */
const ListedRef = z.object({ value: z.string(), display: z.string().optional() });
export const ScimListedUserSchema = z.object({
  id: z.string(),
  userName: z.string(),
  externalId: z.string().optional(),
  active: ScimBoolean.optional(),
  displayName: z.string().optional(),
  emails: z.array(z.object({ value: z.string(), type: z.string().optional(), primary: ScimBoolean.optional() })).optional(),
  groups: z.array(ListedRef).optional(),
  department: z.string().optional(),
  [ENTERPRISE]: z.object({ department: z.string().optional() }).optional(),
});
export type ScimListedUser = z.output<typeof ScimListedUserSchema>;

/** Groups as listed: members by id only (a member's `display` and `$ref` are not needed to index them). */
export const ScimListedGroupSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  externalId: z.string().optional(),
  members: z.array(z.object({ value: z.string() })).optional(),
});
export type ScimListedGroup = z.output<typeof ScimListedGroupSchema>;

/** The department wherever the server put it: top level or the enterprise extension (ZIA's example shows both, docs/vendor-facts.md F27). */
export function scimUserDepartment(u: ScimUser | ScimListedUser): string | undefined {
  // A blank top-level value says nothing: the extension's value is the department then.
  const top = u.department;
  return top !== undefined && top.trim() !== '' ? top : u[ENTERPRISE]?.department;
}

function listResponse<T extends z.ZodType>(item: T) {
  return z
    .object({
      totalResults: z.number().int().min(0),
      itemsPerPage: z.number().int().optional(),
      startIndex: z.number().int().optional(),
      Resources: z.array(item).optional(),
    })
    .passthrough();
}

const ServiceProviderConfigSchema = z
  .object({
    schemas: z.array(z.string()).optional(),
    patch: z.object({ supported: z.boolean() }).passthrough().optional(),
    filter: z.object({ supported: z.boolean(), maxResults: z.number().optional() }).passthrough().optional(),
    authenticationSchemes: z.array(z.unknown()).optional(),
  })
  .passthrough()
  .refine((v) => v.schemas?.some((s) => s.includes('ServiceProviderConfig')) ?? v.patch !== undefined, {
    message: 'not a SCIM ServiceProviderConfig (no ServiceProviderConfig schema, no patch capability)',
  });
export type ServiceProviderConfig = z.output<typeof ServiceProviderConfigSchema>;

export interface ScimClientOptions {
  baseUrl: string;
  token: string;
  readOnly?: boolean;
  audit?: AuditSink;
  /** Default true: 5 requests/second (docs/vendor-facts.md F25). */
  rateLimits?: boolean;
  /**
   * Default 100: the conservative side of the page-size conflict (doc: up to 1,000; Go SDK: 100 "max";
   * docs/vendor-facts.md F26).
   * A larger value the server caps is detected as a short page and reported, never truncated.
   */
  pageSize?: number;
  tuning?: HttpTuning;
}

export interface ListOptions {
  stripUnknown?: boolean;
}

export interface ScimClient {
  probe(): Promise<{ ok: true; serviceProviderConfig: ServiceProviderConfig }>;
  /**
   * Every user, page by page. `stripUnknown`: only the documented fields (ScimListedUserSchema),
   * for bulk reads that need no more; unknown fields are otherwise kept (passthrough).
   */
  listUsers(opts: { stripUnknown: true }): AsyncGenerator<ScimListedUser[]>;
  listUsers(opts?: ListOptions): AsyncGenerator<ScimUser[]>;
  listGroups(opts: { stripUnknown: true }): AsyncGenerator<ScimListedGroup[]>;
  listGroups(opts?: ListOptions): AsyncGenerator<ScimGroup[]>;
  /**
   * totalResults of /Users (one small read, however many users there are); with a filter, of the
   * users it matches (e.g. `meta.lastModified gt "…"`, docs/vendor-facts.md F24).
   */
  countUsers(filter?: string): Promise<number>;
  /** The same for /Groups (members excluded). */
  countGroups(filter?: string): Promise<number>;
  findUserByUserName(userName: string): Promise<ScimUser | null>;
  getUser(id: string): Promise<ScimUser | null>;
}

/** SCIM filter string literal: quotes and backslashes escaped (RFC 7644 §3.4.2.2, JSON string rules). */
export function scimString(v: string): string {
  return JSON.stringify(v);
}

/**
 * A probe that got a definite answer about the credentials: the Base URL is not a SCIM endpoint
 * (`wrong-url`), or the endpoint refused the token (`token-refused`). Anything else a probe throws
 * (5xx, reset, timeout) is not evidence either way, and callers must treat it as unknown.
 */
export class ScimProbeError extends UserError {
  constructor(
    readonly reason: 'wrong-url' | 'token-refused',
    message: string,
    opts: { hint: string },
  ) {
    super(message, opts);
    this.name = 'ScimProbeError';
  }
}

/** The Base URL without a query or fragment, for messages (it holds no secret). */
export function describeBaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

export function createScimClient(opts: ScimClientOptions): ScimClient {
  const pageSize = Math.max(1, Math.floor(opts.pageSize ?? 100));
  const http = createHttpClient({
    ...opts.tuning,
    system: 'scim',
    baseURL: opts.baseUrl,
    limits: opts.rateLimits === false ? [] : [{ methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], perSecond: 5 }],
    readOnly: opts.readOnly ?? false,
    audit: opts.audit,
    redact: [opts.token],
  });
  const headers = { Authorization: `Bearer ${opts.token}`, Accept: `${SCIM_JSON}, application/json` };

  async function* list<T extends z.ZodType>(resource: 'Users' | 'Groups', item: T): AsyncGenerator<z.output<T>[]> {
    const schema = listResponse(item);
    let startIndex = 1;
    let total: number | undefined;
    let fetched = 0;
    let effective = pageSize;
    const seen = new Set<string>();
    // Bounded: at most one page per item plus one.
    for (let n = 0; n <= 10_000_000; n++) {
      const page = await http.get(`/${resource}`, schema, { headers, query: { startIndex, count: pageSize } });
      if (total === undefined) total = page.totalResults;
      else if (page.totalResults !== total) {
        throw new UserError(`SCIM GET /${resource}: totalResults changed mid-read from ${total} to ${page.totalResults} (at startIndex ${startIndex})`, {
          hint: 'something is provisioning into Zscaler while we read; rerun when the IdP cycle is idle',
        });
      }
      const items = (page.Resources ?? []) as Array<z.output<T> & { id: string }>;
      const remaining = total - fetched;
      if (remaining <= 0) return;
      if (items.length === 0) {
        throw new UserError(`SCIM GET /${resource}: empty page at startIndex ${startIndex}, but only ${fetched} of ${total} read`, {
          hint: 'the server stopped early; the list would be incomplete, so the read is refused',
        });
      }
      // A server may cap `count` below what we asked (RFC 7644 allows it); learn the cap from the
      // first page, then every page before the end must be that full.
      if (fetched === 0 && items.length < Math.min(pageSize, remaining)) effective = items.length;
      if (items.length < Math.min(effective, remaining)) {
        throw new UserError(
          `SCIM GET /${resource}: short page at startIndex ${startIndex} (${items.length} items, expected ${Math.min(effective, remaining)}; ${fetched} of ${total} read)`,
          { hint: 'the server returned fewer items than it reported; the list would be incomplete, so the read is refused' },
        );
      }
      for (const it of items) {
        if (seen.has(it.id)) {
          throw new UserError(`SCIM GET /${resource}: id ${it.id} appeared twice while paging`, {
            hint: 'the order shifted during the read (changes in progress); rerun when the IdP cycle is idle',
          });
        }
        seen.add(it.id);
      }
      yield items;
      fetched += items.length;
      startIndex += items.length;
      if (fetched >= total) return;
    }
  }

  return {
    async countUsers(filter) {
      const r = await http.get('/Users', listResponse(ScimListedUserSchema), { headers, query: { startIndex: 1, count: 1, filter } });
      return r.totalResults;
    },
    async countGroups(filter) {
      const r = await http.get('/Groups', listResponse(ScimListedGroupSchema), {
        headers,
        query: { startIndex: 1, count: 1, excludedAttributes: 'members', filter },
      });
      return r.totalResults;
    },
    async probe() {
      const base = describeBaseUrl(opts.baseUrl);
      let serviceProviderConfig: ServiceProviderConfig;
      try {
        // /ServiceProviderConfig needs no authentication (docs/vendor-facts.md, ZIA SCIM).
        serviceProviderConfig = await http.get('/ServiceProviderConfig', ServiceProviderConfigSchema, {
          headers: { Accept: `${SCIM_JSON}, application/json` },
        });
      } catch (err) {
        // A 404 or a page that is not SCIM is about the URL; a 5xx, a reset or a timeout says nothing about it.
        if ((err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) || err instanceof SchemaError) {
          throw new ScimProbeError('wrong-url', `the Base URL ${base} is not a SCIM endpoint: ${err.message}`, {
            hint: 'Copy the Base URL again from ZIA Edit IdP > Provisioning Options: https://scim.<cloud>/<orgId>/<idpId>/scim, with the id of this IdP (not another one).',
          });
        }
        throw err;
      }
      try {
        // An authenticated read that cannot match anyone, as Entra's Test Connection does.
        const r = await http.get('/Users', listResponse(ScimUserSchema), {
          headers,
          query: { filter: `userName eq ${scimString(randomUUID())}`, count: 1 },
        });
        if (r.totalResults !== 0) throw new UserError('SCIM probe: a filter on a random userName matched users; the server ignores filters');
      } catch (err) {
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
          // The endpoint exists, so the URL's org is right; a token belongs to one IdP, so a URL naming
          // another IdP of the same org is refused the same way as a stale token. Both are said, URL first.
          throw new ScimProbeError('token-refused', `the SCIM endpoint ${base} refused the Bearer Token (HTTP ${err.status})`, {
            hint:
              'Check both, in this order: (1) the Base URL must be the one Edit IdP shows for this IdP (its IdP id is the path segment after the org id); ' +
              "(2) the token must be that IdP's current Bearer Token (Generate Token replaces the previous one).",
          });
        }
        throw err;
      }
      return { ok: true, serviceProviderConfig };
    },
    listUsers: ((o?: ListOptions) => (o?.stripUnknown ? list('Users', ScimListedUserSchema) : list('Users', ScimUserSchema))) as ScimClient['listUsers'],
    listGroups: ((o?: ListOptions) => (o?.stripUnknown ? list('Groups', ScimListedGroupSchema) : list('Groups', ScimGroupSchema))) as ScimClient['listGroups'],
    async findUserByUserName(userName) {
      const r = await http.get('/Users', listResponse(ScimUserSchema), { headers, query: { filter: `userName eq ${scimString(userName)}` } });
      // The server compares case-insensitively (RFC 7643 userName caseExact=false); so do we.
      const want = userName.toLowerCase();
      const hits = (r.Resources ?? []).filter((u) => u.userName.toLowerCase() === want);
      if (hits.length > 1) {
        throw new UserError(`SCIM: ${hits.length} users have userName ${userName} (ids ${hits.map((u) => u.id).join(', ')})`, {
          hint: 'remove the duplicate in ZIA before continuing',
        });
      }
      return hits[0] ?? null;
    },
    async getUser(id) {
      try {
        return await http.get(`/Users/${encodeURIComponent(id)}`, ScimUserSchema, { headers });
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
  };
}
