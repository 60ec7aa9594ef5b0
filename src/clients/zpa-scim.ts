import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { UserError } from '../engine/errors.js';
import type { AuditSink } from './audit.js';
import { ApiError, createHttpClient, type HttpTuning } from './http.js';
import {
  ScimGroupSchema,
  ScimListedGroupSchema,
  ScimListedUserSchema,
  ScimUserSchema,
  describeBaseUrl,
  scimString,
  type ScimGroup,
  type ScimListedGroup,
  type ScimListedUser,
  type ScimUser,
} from './scim.js';

/**
 * Client of the ZPA SCIM service: the IdP's SCIM Service Provider Endpoint
 * (`https://scim1.<cloud>/scim/1/<idpId>/v2`, read from the IdP, docs/vendor-facts.md Y8), with
 * the token the console showed once. The migration only reads it (parity, verification).
 *
 * Whether the service honours `filter` is not published (Y13). Every lookup works either way:
 * the client asks once with a filter that cannot match; an empty answer means filters work, a
 * non-empty one (filter ignored) or a 400/501 (refused) means they do not, and lookups then page
 * through the list and compare here, as the Go SDK does.
 */

const SCIM_JSON = 'application/scim+json';

function listResponse<T extends z.ZodType>(item: T) {
  return z.object({
    totalResults: z.number().int().min(0),
    itemsPerPage: z.number().int().optional(),
    startIndex: z.number().int().optional(),
    Resources: z.array(item).optional(),
  });
}

export type FilterSupport = 'supported' | 'unsupported';

/** The SCIM service refused the token (401/403): definite evidence about this token and endpoint, never about the service's health. */
export class ZpaScimTokenRefused extends UserError {
  constructor(message: string, opts: { hint: string }) {
    super(message, opts);
    this.name = 'ZpaScimTokenRefused';
  }
}

export interface ZpaScimClientOptions {
  /** The IdP's scimServiceProviderEndpoint, as ZPA shows it (ends in `/v2`). */
  baseUrl: string;
  token: string;
  readOnly?: boolean;
  audit?: AuditSink;
  /**
   * Default true: 5 requests per second. ZPA publishes no number (Y13); this is ZIA SCIM's
   * documented limit (F25), the conservative guess.
   */
  rateLimits?: boolean;
  /** `count` per page. Default 100: the Go SDK's cap; the service's own maximum is unpublished. */
  pageSize?: number;
  /** Skip the filter check when the answer is already known. Default: learn it on first use. */
  filter?: FilterSupport;
  tuning?: HttpTuning;
}

export interface ZpaScimClient {
  /** An authenticated read (the token works for this endpoint), and what it learned about filters. */
  check(): Promise<{ totalUsers: number; filter: FilterSupport }>;
  filterSupport(): Promise<FilterSupport>;
  listUsers(opts: { stripUnknown: true }): AsyncGenerator<ScimListedUser[]>;
  listUsers(opts?: { stripUnknown?: false }): AsyncGenerator<ScimUser[]>;
  listGroups(opts: { stripUnknown: true }): AsyncGenerator<ScimListedGroup[]>;
  listGroups(opts?: { stripUnknown?: false }): AsyncGenerator<ScimGroup[]>;
  getUser(id: string): Promise<ScimUser | null>;
  getGroup(id: string): Promise<ScimGroup | null>;
  /** Case-insensitive, as SCIM compares userName (RFC 7643 §4.1.1); by filter or by paging. */
  findUserByUserName(userName: string): Promise<ScimUser | null>;
  findGroupByDisplayName(displayName: string): Promise<ScimGroup | null>;
}

export function createZpaScimClient(opts: ZpaScimClientOptions): ZpaScimClient {
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
  let filter: Promise<FilterSupport> | undefined = opts.filter ? Promise.resolve(opts.filter) : undefined;

  async function* list<T extends z.ZodType>(resource: 'Users' | 'Groups', item: T): AsyncGenerator<z.output<T>[]> {
    const schema = listResponse(item);
    let startIndex = 1;
    let total: number | undefined;
    let fetched = 0;
    const seen = new Set<string>();
    // Bounded: at most one page per item plus one.
    for (let n = 0; n <= 10_000_000; n++) {
      const page = await http.get(`/${resource}`, schema, { headers, query: { startIndex, count: pageSize } });
      if (total === undefined) total = page.totalResults;
      else if (page.totalResults !== total) {
        throw new UserError(`ZPA SCIM GET /${resource}: totalResults changed mid-read from ${total} to ${page.totalResults} (at startIndex ${startIndex})`, {
          hint: 'the IdP is provisioning while we read; rerun when its cycle is idle',
        });
      }
      if (fetched >= total) return;
      const items = (page.Resources ?? []) as Array<z.output<T> & { id: string }>;
      // The Go SDK's end test (Y13): an empty page ends the list; before totalResults that is an incomplete read.
      if (items.length === 0) {
        throw new UserError(`ZPA SCIM GET /${resource}: empty page at startIndex ${startIndex}, but only ${fetched} of ${total} read`, {
          hint: 'the server stopped early; the list would be incomplete, so the read is refused',
        });
      }
      for (const it of items) {
        if (seen.has(it.id)) {
          throw new UserError(`ZPA SCIM GET /${resource}: id ${it.id} appeared twice while paging`, {
            hint: 'the order shifted during the read; rerun when the IdP cycle is idle',
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

  async function learnFilter(): Promise<FilterSupport> {
    try {
      const r = await http.get('/Users', listResponse(ScimListedUserSchema), {
        headers,
        query: { filter: `userName eq ${scimString(`no-such-user-${randomUUID()}@invalid`)}`, startIndex: 1, count: 1 },
      });
      // A filter on a userName nobody has that still returns users was ignored.
      return r.totalResults === 0 ? 'supported' : 'unsupported';
    } catch (err) {
      // RFC 7644 §3.4.2.2: 400 invalidFilter; a service without filtering may say 501 Not Implemented.
      if (err instanceof ApiError && (err.status === 400 || err.status === 501)) return 'unsupported';
      throw err;
    }
  }

  function filterSupport(): Promise<FilterSupport> {
    filter ??= learnFilter().catch((err: unknown) => {
      filter = undefined; // not learned: a later call asks again
      throw err;
    });
    return filter;
  }

  async function getOrNull<S extends z.ZodType>(path: string, schema: S): Promise<z.output<S> | null> {
    try {
      return await http.get(path, schema, { headers });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }

  /** One match or none, the server filtering when it can; hits are always checked here too. */
  async function findOne<T extends { id: string }>(
    resource: 'Users' | 'Groups',
    item: z.ZodType<T>,
    attribute: 'userName' | 'displayName',
    value: string,
    valueOf: (t: T) => string,
  ): Promise<T | null> {
    const want = value.toLowerCase();
    let hits: T[] | undefined;
    if ((await filterSupport()) === 'supported') {
      const r = await http.get(`/${resource}`, listResponse(item), { headers, query: { filter: `${attribute} eq ${scimString(value)}` } });
      const got = (r.Resources ?? []) as T[];
      // A filter that answered with something else was ignored after all: page instead.
      if (got.every((t) => valueOf(t).toLowerCase() === want) && got.length === r.totalResults) hits = got;
      else filter = Promise.resolve('unsupported');
    }
    if (hits === undefined) {
      hits = [];
      for await (const page of list(resource, item)) hits.push(...(page as T[]).filter((t) => valueOf(t).toLowerCase() === want));
    }
    if (hits.length > 1) {
      throw new UserError(`ZPA SCIM: ${hits.length} ${resource.toLowerCase()} have ${attribute} ${value} (ids ${hits.map((h) => h.id).join(', ')})`, {
        hint: 'remove the duplicate at the IdP (it provisions ZPA) before continuing',
      });
    }
    return hits[0] ?? null;
  }

  return {
    async check() {
      let r: { totalResults: number };
      try {
        r = await http.get('/Users', listResponse(ScimListedUserSchema), { headers, query: { startIndex: 1, count: 1 } });
      } catch (err) {
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
          throw new ZpaScimTokenRefused(`the ZPA SCIM endpoint ${describeBaseUrl(opts.baseUrl)} refused the token (HTTP ${err.status})`, {
            hint:
              "Check, in this order: (1) SCIM Sync is on for this IdP (IDP Configuration > Edit); (2) the endpoint is the SCIM Service Provider Endpoint this IdP shows (its path ends in this IdP's id); " +
              '(3) the token is the one Generate New Token showed last (a new one replaces the previous one).',
          });
        }
        throw err;
      }
      return { totalUsers: r.totalResults, filter: await filterSupport() };
    },
    filterSupport,
    listUsers: ((o?: { stripUnknown?: boolean }) =>
      o?.stripUnknown ? list('Users', ScimListedUserSchema) : list('Users', ScimUserSchema)) as ZpaScimClient['listUsers'],
    listGroups: ((o?: { stripUnknown?: boolean }) =>
      o?.stripUnknown ? list('Groups', ScimListedGroupSchema) : list('Groups', ScimGroupSchema)) as ZpaScimClient['listGroups'],
    getUser: (id) => getOrNull(`/Users/${encodeURIComponent(id)}`, ScimUserSchema),
    getGroup: (id) => getOrNull(`/Groups/${encodeURIComponent(id)}`, ScimGroupSchema),
    findUserByUserName: (userName) => findOne('Users', ScimUserSchema as z.ZodType<ScimUser>, 'userName', userName, (u) => u.userName),
    findGroupByDisplayName: (name) => findOne('Groups', ScimGroupSchema as z.ZodType<ScimGroup>, 'displayName', name, (g) => g.displayName),
  };
}
