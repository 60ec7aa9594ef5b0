import { z } from 'zod';
import type { FaultInjector } from '../http/faults.js';
import type { RequestLog } from '../http/log.js';
import { RateLimiter } from '../http/ratelimit.js';
import { startService, type RunningService, type SimRequest, type SimResponse } from '../http/server.js';
import { TenantError, type GroupFields, type ZiaGroupRecord, type ZiaTenant } from '../world/tenant.js';
import { bearer } from '../zia/auth.js';
import { FilterError, equalityTerms, evaluate, parseFilter, type FilterNode } from './filter.js';
import { PatchError, applyPatch, normaliseOps, type PatchOp } from './patch.js';
import {
  SCHEMA_ENTERPRISE,
  SCHEMA_ERROR,
  SCHEMA_LIST,
  groupFieldsFrom,
  groupToScim,
  resourceTypes,
  schemas,
  serviceProviderConfig,
  userFieldsFrom,
  userToScim,
} from './resources.js';

/**
 * The simulated ZIA SCIM 2.0 service (docs/vendor-facts.md F24–F28), one server for every IdP of the tenant:
 * paths are `/<orgId>/<idpId>/scim/...`, the documented base URL form `https://scim.<cloud>/<orgId>/<idpId>/scim`
 * with the sandbox host in place of scim.<cloud>. The bearer token is per IdP and works only while
 * SCIM is enabled on that IdP.
 */
export interface ScimServerOptions {
  tenant: ZiaTenant;
  log: RequestLog;
  host?: string;
  port?: number;
  speed?: number;
  rateLimits?: boolean;
  /** Max resources per page; the doc says up to 1,000 (sources disagree: the Go SDK uses 100; docs/vendor-facts.md F26). */
  pageCap?: number;
  faults?: FaultInjector;
  /**
   * A POST of a userName that directory sync created takes that user over instead of answering
   * 409 (the other reading of how Zscaler treats it; default false: Entra looks up and PATCHes).
   */
  postAdoptsSynced?: boolean;
  /** PATCH dialect accepted (variant `scim-patch-dialect`): 'entra' (default) normalises Entra's; 'rfc' refuses it. */
  patchDialect?: 'entra' | 'rfc';
  /** Status of a group PATCH (variant `group-patch-status`): 204 No Content (default) or 200 with the group. */
  groupPatchStatus?: 200 | 204;
}

const CT = 'application/scim+json';

export function scimError(status: number, detail: string, scimType?: string, headers?: Record<string, string>): SimResponse {
  const body: Record<string, unknown> = { schemas: [SCHEMA_ERROR], status: String(status), detail };
  if (scimType) body.scimType = scimType;
  return { status, body, contentType: CT, ...(headers ? { headers } : {}) };
}

const ok = (status: number, body: unknown, headers?: Record<string, string>): SimResponse => ({
  status,
  body,
  contentType: CT,
  ...(headers ? { headers } : {}),
});

const searchSchema = z
  .object({
    schemas: z.array(z.string()).optional(),
    filter: z.string().optional(),
    startIndex: z.number().int().optional(),
    count: z.number().int().optional(),
    attributes: z.array(z.string()).optional(),
    excludedAttributes: z.array(z.string()).optional(),
  })
  .passthrough();

const EXT = [SCHEMA_ENTERPRISE];
const USER_MULTI = new Set(['emails', 'groups', 'phonenumbers', 'addresses']);
const GROUP_MULTI = new Set(['members']);

/**
 * Fast path for the common group PATCH (Entra adds members 100 at a time): add/remove on `members`
 * by value list or by `members[value eq "…"]`, applied to the member set without rendering the group.
 * Anything else returns undefined and goes through the generic JSON patch.
 */
function memberOnlyPatch(
  tenant: ZiaTenant,
  rec: ZiaGroupRecord,
  ops: PatchOp[],
): { ok: true; fields: GroupFields } | { ok: false; detail: string } | undefined {
  const members = new Set([...rec.memberIds].map((uid) => tenant.scimUserId(uid)));
  for (const op of ops) {
    const p = op.path?.toLowerCase();
    const byFilter = op.path === undefined ? null : /^members\[value eq "([^"]+)"\]$/i.exec(op.path);
    if (op.op === 'remove' && byFilter) {
      members.delete(byFilter[1] as string);
      continue;
    }
    if (p !== 'members' || op.op === 'replace') return undefined;
    if (op.op === 'remove' && op.value === undefined) {
      members.clear();
      continue;
    }
    const values = Array.isArray(op.value) ? op.value : [op.value];
    for (const v of values) {
      const id = v && typeof v === 'object' ? (v as { value?: unknown }).value : undefined;
      if (typeof id !== 'string' && typeof id !== 'number') return { ok: false, detail: 'each member needs a value' };
      if (op.op === 'add') members.add(String(id));
      else members.delete(String(id));
    }
  }
  const ids: number[] = [];
  for (const m of members) {
    const uid = tenant.userIdForScim(m);
    if (uid === undefined) return { ok: false, detail: `member value "${m}" is not a user id of this service` };
    ids.push(uid);
  }
  const fields: GroupFields = { displayName: rec.name, members: ids };
  if (rec.scim?.externalId !== undefined) fields.externalId = rec.scim.externalId;
  return { ok: true, fields };
}

export async function startScimServer(opts: ScimServerOptions): Promise<RunningService & { baseUrlFor(idpId: number): string }> {
  const { tenant, log } = opts;
  const speed = opts.speed ?? 1;
  const rateLimits = opts.rateLimits ?? true;
  const pageCap = opts.pageCap ?? 1000;
  const limiter = new RateLimiter();
  let origin = '';

  function parseBody(req: SimRequest): { ok: true; value: unknown } | { ok: false; res: SimResponse } {
    try {
      return { ok: true, value: JSON.parse(req.body.toString('utf8') || 'null') };
    } catch {
      return { ok: false, res: scimError(400, 'the request body is not valid JSON', 'invalidSyntax') };
    }
  }

  function list(
    req: SimRequest,
    idpId: number,
    base: string,
    kind: 'Users' | 'Groups',
    params: { filter?: string | null; startIndex?: number; count?: number; excluded: string[] },
  ): SimResponse {
    let node: FilterNode | undefined;
    if (params.filter) {
      try {
        node = parseFilter(params.filter);
      } catch (e) {
        if (e instanceof FilterError) return scimError(400, `invalid filter: ${e.message}`, 'invalidFilter');
        throw e;
      }
    }
    // RFC 7644 §3.4.2.4: startIndex < 1 is treated as 1; count < 0 as 0; the server may cap count.
    const startIndex = Math.max(1, params.startIndex ?? 1);
    const count = Math.min(pageCap, Math.max(0, params.count ?? pageCap));
    const withMembers = !params.excluded.some((a) => a.toLowerCase() === 'members');
    let candidates: number[];
    const terms = node ? equalityTerms(node) : undefined;
    if (kind === 'Users' && terms?.has('username')) {
      const u = tenant.scimUserByUserName(idpId, terms.get('username') as string);
      candidates = u ? [u.id] : [];
    } else if (kind === 'Groups' && terms?.has('displayname')) {
      const g = tenant.scimGroupByDisplayName(idpId, terms.get('displayname') as string);
      candidates = g ? [g.id] : [];
    } else if (terms?.has('id')) {
      const scimId = String(terms.get('id'));
      const id = kind === 'Users' ? tenant.userIdForScim(scimId) : tenant.groupIdForScim(scimId);
      candidates = id !== undefined && (kind === 'Users' ? tenant.scimUser(idpId, id) : tenant.scimGroup(idpId, id)) ? [id] : [];
    } else {
      candidates = kind === 'Users' ? tenant.scimUserIds(idpId) : tenant.scimGroupIds(idpId);
    }
    const render = (id: number) =>
      kind === 'Users' ? userToScim(tenant, tenant.users.get(id)!, base) : groupToScim(tenant.groups.get(id)!, base, tenant, withMembers || node !== undefined);
    let matched: number[];
    const lm = node?.type === 'cmp' && node.path.toLowerCase() === 'meta.lastmodified' && typeof node.value === 'string' ? node : undefined;
    if (lm) {
      // Delta queries (`meta.lastModified gt "…"`) compare the stored time directly: no render per user.
      const at = Date.parse(lm.value as string);
      if (Number.isNaN(at)) return scimError(400, `invalid filter: "${String(lm.value)}" is not a date`, 'invalidFilter');
      const get = (id: number) => (kind === 'Users' ? tenant.users.get(id)?.lastModified : tenant.groups.get(id)?.lastModified) ?? 0;
      const cmp: Record<string, (a: number) => boolean> = {
        gt: (a) => a > at,
        ge: (a) => a >= at,
        lt: (a) => a < at,
        le: (a) => a <= at,
        eq: (a) => a === at,
        ne: (a) => a !== at,
      };
      const f = cmp[lm.op];
      matched = f ? candidates.filter((id) => f(get(id))) : [];
    } else if (node) {
      const n = node;
      matched = candidates.filter((id) => evaluate(n, render(id)));
    } else {
      matched = candidates;
    }
    const page = matched.slice(startIndex - 1, startIndex - 1 + count).map((id) => {
      const r = render(id);
      if (!withMembers) delete r.members;
      return r;
    });
    void req;
    return ok(200, { schemas: [SCHEMA_LIST], totalResults: matched.length, itemsPerPage: page.length, startIndex, Resources: page });
  }

  function handleTenantError(e: unknown): SimResponse {
    if (e instanceof TenantError) return scimError(e.status, e.message, e.status === 409 ? 'uniqueness' : e.status === 400 ? 'invalidValue' : undefined);
    if (e instanceof PatchError) return scimError(400, e.message, e.scimType);
    throw e;
  }

  function users(req: SimRequest, idpId: number, base: string, rest: string[]): SimResponse {
    const [id, extra] = rest;
    if (id === '.search' && req.method === 'POST') return search(req, idpId, base, 'Users');
    if (id === undefined) {
      if (req.method === 'GET') return list(req, idpId, base, 'Users', queryParams(req));
      if (req.method === 'POST') {
        const b = parseBody(req);
        if (!b.ok) return b.res;
        const f = userFieldsFrom(b.value);
        if (!f.ok) return scimError(400, f.detail, 'invalidValue');
        try {
          const { user } = tenant.scimCreateUser(idpId, f.fields, { adoptSynced: opts.postAdoptsSynced ?? false });
          const body = userToScim(tenant, user, base);
          return ok(201, body, { location: `${base}/Users/${tenant.scimUserId(user.id)}` });
        } catch (e) {
          return handleTenantError(e);
        }
      }
      return scimError(405, `${req.method} is not allowed on /Users`);
    }
    if (extra !== undefined) return scimError(404, `no resource at /Users/${id}/${extra}`);
    const num = tenant.userIdForScim(id);
    const rec = num === undefined ? undefined : tenant.scimUser(idpId, num);
    // docs/vendor-facts.md F28: ids are Zscaler-generated; unknown ones get 404 "No user with the id".
    if (!rec) return scimError(404, `No user with the id ${id}`);
    try {
      if (req.method === 'GET') return ok(200, userToScim(tenant, rec, base));
      if (req.method === 'DELETE') {
        tenant.scimDeleteUser(idpId, rec.id);
        return { status: 204 };
      }
      const b = parseBody(req);
      if (!b.ok) return b.res;
      if (req.method === 'PUT') {
        const f = userFieldsFrom(b.value);
        if (!f.ok) return scimError(400, f.detail, 'invalidValue');
        return ok(200, userToScim(tenant, tenant.scimReplaceUser(idpId, rec.id, f.fields), base));
      }
      if (req.method === 'PATCH') {
        const ops = normaliseOps(b.value, { strict: opts.patchDialect === 'rfc' });
        const next = applyPatch(userToScim(tenant, rec, base), ops, { extensionUrns: EXT, multiValued: USER_MULTI });
        // Entra may patch either department location; the enterprise extension wins when both changed.
        const f = userFieldsFrom(next);
        if (!f.ok) return scimError(400, f.detail, 'invalidValue');
        return ok(200, userToScim(tenant, tenant.scimReplaceUser(idpId, rec.id, f.fields), base));
      }
    } catch (e) {
      return handleTenantError(e);
    }
    return scimError(405, `${req.method} is not allowed on /Users/{id}`);
  }

  function groups(req: SimRequest, idpId: number, base: string, rest: string[]): SimResponse {
    const [id, extra] = rest;
    if (id === '.search' && req.method === 'POST') return search(req, idpId, base, 'Groups');
    if (id === undefined) {
      if (req.method === 'GET') return list(req, idpId, base, 'Groups', queryParams(req));
      if (req.method === 'POST') {
        const b = parseBody(req);
        if (!b.ok) return b.res;
        const f = groupFieldsFrom(b.value, (x) => tenant.userIdForScim(x));
        if (!f.ok) return scimError(400, f.detail, 'invalidValue');
        try {
          const g = tenant.scimCreateGroup(idpId, f.fields);
          return ok(201, groupToScim(g, base, tenant), { location: `${base}/Groups/${tenant.scimGroupId(g.id)}` });
        } catch (e) {
          return handleTenantError(e);
        }
      }
      return scimError(405, `${req.method} is not allowed on /Groups`);
    }
    if (extra !== undefined) return scimError(404, `no resource at /Groups/${id}/${extra}`);
    const num = tenant.groupIdForScim(id);
    const rec = num === undefined ? undefined : tenant.scimGroup(idpId, num);
    if (!rec) return scimError(404, `No group with the id ${id}`);
    const excluded = (req.query.get('excludedAttributes') ?? '').split(',').map((s) => s.trim().toLowerCase());
    try {
      if (req.method === 'GET') {
        return ok(200, groupToScim(rec, base, tenant, !excluded.includes('members')));
      }
      if (req.method === 'DELETE') {
        tenant.scimDeleteGroup(idpId, rec.id);
        return { status: 204 };
      }
      const b = parseBody(req);
      if (!b.ok) return b.res;
      if (req.method === 'PUT') {
        const f = groupFieldsFrom(b.value, (x) => tenant.userIdForScim(x));
        if (!f.ok) return scimError(400, f.detail, 'invalidValue');
        return ok(200, groupToScim(tenant.scimReplaceGroup(idpId, rec.id, f.fields), base, tenant));
      }
      if (req.method === 'PATCH') {
        const ops = normaliseOps(b.value, { strict: opts.patchDialect === 'rfc' });
        const fields =
          memberOnlyPatch(tenant, rec, ops) ??
          (() => {
            const next = applyPatch(groupToScim(rec, base, tenant), ops, { extensionUrns: EXT, multiValued: GROUP_MULTI });
            return groupFieldsFrom(next, (x) => tenant.userIdForScim(x));
          })();
        if (!fields.ok) return scimError(400, fields.detail, 'invalidValue');
        const patched = tenant.scimReplaceGroup(idpId, rec.id, fields.fields);
        // RFC 7644 §3.5.2 allows 200 with the resource or 204 No Content; which one ZIA answers is
        // unconfirmed (variant group-patch-status). 204 by default: echoing a 100k-member group per PATCH is quadratic.
        if (opts.groupPatchStatus === 200) return ok(200, groupToScim(patched, base, tenant, !excluded.includes('members')));
        return { status: 204 };
      }
    } catch (e) {
      return handleTenantError(e);
    }
    return scimError(405, `${req.method} is not allowed on /Groups/{id}`);
  }

  function queryParams(req: SimRequest) {
    const num = (k: string) => {
      const v = req.query.get(k);
      return v === null || !/^-?\d+$/.test(v) ? undefined : Number(v);
    };
    const out: { filter?: string | null; startIndex?: number; count?: number; excluded: string[] } = {
      filter: req.query.get('filter'),
      excluded: (req.query.get('excludedAttributes') ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    };
    const s = num('startIndex');
    const c = num('count');
    if (s !== undefined) out.startIndex = s;
    if (c !== undefined) out.count = c;
    return out;
  }

  function search(req: SimRequest, idpId: number, base: string, kind: 'Users' | 'Groups'): SimResponse {
    const b = parseBody(req);
    if (!b.ok) return b.res;
    const p = searchSchema.safeParse(b.value ?? {});
    if (!p.success) return scimError(400, 'SearchRequest body is malformed', 'invalidSyntax');
    const params: { filter?: string | null; startIndex?: number; count?: number; excluded: string[] } = {
      filter: p.data.filter ?? null,
      excluded: p.data.excludedAttributes ?? [],
    };
    if (p.data.startIndex !== undefined) params.startIndex = p.data.startIndex;
    if (p.data.count !== undefined) params.count = p.data.count;
    return list(req, idpId, base, kind, params);
  }

  const handler = (req: SimRequest): SimResponse => {
    const segs = req.path
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
    const [org, idpText, scim, resource, ...rest] = segs;
    if (org !== tenant.orgId || scim !== 'scim' || !idpText || !/^\d+$/.test(idpText)) {
      return scimError(404, `no SCIM service at ${req.path}; the base URL has the form /<orgId>/<idpId>/scim`);
    }
    const idpId = Number(idpText);
    if (!tenant.idps.has(idpId)) return scimError(404, `no identity provider ${idpId} in organization ${org}`);
    const base = `${origin}/${org}/${idpId}/scim`;
    // docs/vendor-facts.md F24: /ServiceProviderConfig, /Schemas and /ResourceTypes need no auth.
    if (req.method === 'GET' && resource === 'ServiceProviderConfig' && rest.length === 0) return ok(200, serviceProviderConfig(base, pageCap));
    if (req.method === 'GET' && resource === 'ResourceTypes') {
      const all = resourceTypes(base);
      if (rest.length === 0) return ok(200, { schemas: [SCHEMA_LIST], totalResults: all.length, itemsPerPage: all.length, startIndex: 1, Resources: all });
      const one = all.find((r) => r.id === rest[0]);
      return one ? ok(200, one) : scimError(404, `no resource type ${rest[0]}`);
    }
    if (req.method === 'GET' && resource === 'Schemas') {
      const all = schemas(base);
      if (rest.length === 0) return ok(200, { schemas: [SCHEMA_LIST], totalResults: all.length, itemsPerPage: all.length, startIndex: 1, Resources: all });
      const one = all.find((r) => r.id === rest.join('/'));
      return one ? ok(200, one) : scimError(404, `no schema ${rest.join('/')}`);
    }
    const token = bearer(req.headers.authorization);
    if (!token || !tenant.idpForToken(idpId, token)) {
      return scimError(401, 'the bearer token is missing, wrong, or SCIM provisioning is not enabled on this identity provider', undefined, {
        'www-authenticate': 'Bearer',
      });
    }
    if (rateLimits) {
      // docs/vendor-facts.md F25: 5 requests/second; `speed` multiplies the allowed rate.
      const d = limiter.take(`idp|${idpId}`, [{ limit: Math.max(1, Math.floor(5 * speed)), windowMs: 1000, label: '5/SECOND' }]);
      if (!d.allowed)
        return scimError(429, 'Too many requests: the ZIA SCIM API allows 5 requests per second', undefined, { 'retry-after': String(d.retryAfterSeconds) });
    }
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
      const ct = req.headers['content-type'] ?? '';
      if (!/^application\/(scim\+)?json\b/i.test(ct)) return scimError(415, 'Content-Type must be application/scim+json');
    }
    if (resource === 'Users') return users(req, idpId, base, rest);
    if (resource === 'Groups') return groups(req, idpId, base, rest);
    return scimError(404, `no SCIM resource ${resource ?? '(none)'}`);
  };

  const svc = await startService({
    name: 'scim',
    host: opts.host,
    port: opts.port,
    handler,
    log,
    faults: opts.faults,
    stripPrefix: (p) => p.replace(/^\/[^/]+\/\d+\/scim/, ''),
    faultResponse: (status) =>
      status === 429 ? scimError(429, 'injected rate limit', undefined, { 'retry-after': '1' }) : scimError(status, `injected fault ${status}`),
  });
  origin = svc.url;
  return { ...svc, baseUrlFor: (idpId: number) => `${svc.url}/${tenant.orgId}/${idpId}/scim` };
}
