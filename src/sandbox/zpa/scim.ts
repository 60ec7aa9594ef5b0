import type { FaultInjector } from '../http/faults.js';
import type { RequestLog } from '../http/log.js';
import { startService, type RunningService, type SimRequest, type SimResponse } from '../http/server.js';
import { safeEqual } from '../http/compare.js';
import { bearer } from '../zia/auth.js';
import { FilterError, evaluate, parseFilter } from '../scim/filter.js';
import { PatchError, applyPatch, normaliseOps } from '../scim/patch.js';
import { SCHEMA_ENTERPRISE, SCHEMA_GROUP, SCHEMA_USER, ZpaTenantError, type ZpaScimGroupRecord, type ZpaScimUserRecord, type ZpaTenant } from './tenant.js';

/**
 * The simulated ZPA SCIM service (docs/vendor-facts.md Y13): `/scim/1/<idpId>/v2/Users|Groups`,
 * list with `startIndex`/`count`, get, POST, PUT, PATCH, DELETE. The token is the IdP's current
 * one and works only while SCIM Sync is on. `active` is answered as the string "true"/"false", as
 * Zscaler's example shows (F27). Whether `filter` works is unpublished: the `zpa-scim-filter` variant
 * picks `supported`, `ignored` (the full list comes back) or `refused` (400 invalidFilter).
 */
export type ZpaScimFilterMode = 'supported' | 'ignored' | 'refused';

export interface ZpaScimServerOptions {
  tenant: ZpaTenant;
  log: RequestLog;
  host?: string;
  port?: number;
  faults?: FaultInjector;
  filter?: ZpaScimFilterMode;
  /** Most resources per page (default 100; the real maximum is unpublished). */
  pageCap?: number;
}

const CT = 'application/scim+json';
const SCHEMA_LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const SCHEMA_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

function scimError(status: number, detail: string, scimType?: string): SimResponse {
  return { status, contentType: CT, body: { schemas: [SCHEMA_ERROR], status: String(status), detail, ...(scimType ? { scimType } : {}) } };
}
const ok = (status: number, body: unknown): SimResponse => ({ status, body, contentType: CT });

export async function startZpaScimServer(opts: ZpaScimServerOptions): Promise<RunningService & { endpointFor(idpId: string): string }> {
  const { tenant } = opts;
  const filterMode = opts.filter ?? 'supported';
  const pageCap = opts.pageCap ?? 100;
  let origin = '';
  const endpointFor = (idpId: string) => `${origin}/scim/1/${idpId}/v2`;

  const iso = (ms: number) => new Date(ms).toISOString();

  function userView(idpId: string, u: ZpaScimUserRecord): Record<string, unknown> {
    const groups = [...tenant.store(idpId).groups.values()].filter((g) => g.members.has(u.id)).map((g) => ({ value: g.id, display: g.displayName }));
    return {
      schemas: [SCHEMA_USER, SCHEMA_ENTERPRISE],
      ...u.doc,
      id: u.id,
      active: String(u.doc.active !== false),
      groups,
      meta: { resourceType: 'User', created: iso(u.created), lastModified: iso(u.lastModified), location: `${endpointFor(idpId)}/Users/${u.id}` },
    };
  }

  function groupView(idpId: string, g: ZpaScimGroupRecord): Record<string, unknown> {
    const users = tenant.store(idpId).users;
    return {
      schemas: [SCHEMA_GROUP],
      id: g.id,
      displayName: g.displayName,
      ...(g.externalId !== undefined ? { externalId: g.externalId } : {}),
      members: [...g.members].map((id) => ({ value: id, display: String(users.get(id)?.doc.displayName ?? '') })),
      meta: { resourceType: 'Group', created: iso(g.created), lastModified: iso(g.lastModified), location: `${endpointFor(idpId)}/Groups/${g.id}` },
    };
  }

  function json(req: SimRequest): unknown {
    if (req.body.length === 0) return undefined;
    return JSON.parse(req.body.toString('utf8'));
  }

  function list(req: SimRequest, items: Record<string, unknown>[], sortable: boolean): SimResponse {
    const f = req.query.get('filter');
    let hits = items;
    if (f !== null && filterMode !== 'ignored') {
      if (filterMode === 'refused') return scimError(400, 'Filtering is not supported', 'invalidFilter');
      try {
        const node = parseFilter(f);
        hits = items.filter((r) => evaluate(node, r));
      } catch (e) {
        if (e instanceof FilterError) return scimError(400, e.message, 'invalidFilter');
        throw e;
      }
    }
    const sortBy = req.query.get('sortBy');
    if (sortable && sortBy) {
      const dir = /^desc/i.test(req.query.get('sortOrder') ?? '') ? -1 : 1;
      hits = [...hits].sort((a, b) => String(a[sortBy] ?? '').localeCompare(String(b[sortBy] ?? '')) * dir);
    }
    const startIndex = Math.max(1, Number(req.query.get('startIndex') ?? 1) || 1);
    const countText = req.query.get('count');
    const count = Math.min(countText === null ? pageCap : Math.max(0, Number(countText) || 0), pageCap);
    const page = hits.slice(startIndex - 1, startIndex - 1 + count);
    return ok(200, { schemas: [SCHEMA_LIST], totalResults: hits.length, itemsPerPage: page.length, startIndex, Resources: page });
  }

  function users(req: SimRequest, idpId: string, id: string | undefined): SimResponse {
    const store = tenant.store(idpId);
    if (id === undefined) {
      if (req.method === 'GET')
        return list(
          req,
          [...store.users.values()].map((u) => userView(idpId, u)),
          false,
        );
      if (req.method === 'POST') {
        const body = json(req);
        if (!body || typeof body !== 'object') return scimError(400, 'the body must be a SCIM User', 'invalidSyntax');
        return ok(201, userView(idpId, tenant.createUser(idpId, body as Record<string, unknown>)));
      }
      return scimError(405, `${req.method} is not supported on /Users`);
    }
    const u = tenant.user(idpId, id);
    if (req.method === 'GET') return ok(200, userView(idpId, u));
    if (req.method === 'PUT') return ok(200, userView(idpId, tenant.replaceUser(idpId, id, json(req) as Record<string, unknown>)));
    if (req.method === 'PATCH') {
      const ops = normaliseOps(json(req));
      const doc = applyPatch({ ...u.doc }, ops, { extensionUrns: [SCHEMA_ENTERPRISE], multiValued: new Set(['emails', 'phonenumbers', 'addresses']) });
      return ok(200, userView(idpId, tenant.replaceUser(idpId, id, doc)));
    }
    if (req.method === 'DELETE') {
      tenant.deleteUser(idpId, id);
      return { status: 204 };
    }
    return scimError(405, `${req.method} is not supported on /Users/{id}`);
  }

  function groupFields(body: unknown): { displayName: string; externalId?: string; members: string[] } {
    const b = body as { displayName?: unknown; externalId?: unknown; members?: unknown } | undefined;
    if (!b || typeof b.displayName !== 'string' || b.displayName === '') throw new ZpaTenantError(400, 'invalidValue', 'displayName is required');
    const members = Array.isArray(b.members) ? b.members.map((m) => String((m as { value?: unknown }).value ?? '')) : [];
    return { displayName: b.displayName, members, ...(typeof b.externalId === 'string' ? { externalId: b.externalId } : {}) };
  }

  function groups(req: SimRequest, idpId: string, id: string | undefined): SimResponse {
    const store = tenant.store(idpId);
    if (id === undefined) {
      if (req.method === 'GET')
        return list(
          req,
          [...store.groups.values()].map((g) => groupView(idpId, g)),
          true,
        );
      if (req.method === 'POST') {
        const f = groupFields(json(req));
        return ok(201, groupView(idpId, tenant.createGroup(idpId, f.displayName, f.externalId, f.members)));
      }
      return scimError(405, `${req.method} is not supported on /Groups`);
    }
    const g = tenant.group(idpId, id);
    if (req.method === 'GET') return ok(200, groupView(idpId, g));
    if (req.method === 'PUT') return ok(200, groupView(idpId, tenant.updateGroup(idpId, id, groupFields(json(req)))));
    if (req.method === 'PATCH') {
      const ops = normaliseOps(json(req));
      const current = groupView(idpId, g);
      const doc = applyPatch({ displayName: current.displayName, externalId: current.externalId, members: current.members }, ops, {
        extensionUrns: [],
        multiValued: new Set(['members']),
      });
      tenant.updateGroup(idpId, id, groupFields(doc));
      return { status: 204 };
    }
    if (req.method === 'DELETE') {
      tenant.deleteGroup(idpId, id);
      return { status: 204 };
    }
    return scimError(405, `${req.method} is not supported on /Groups/{id}`);
  }

  const handler = (req: SimRequest): SimResponse => {
    const m = /^\/scim\/1\/(\d+)\/v2\/(Users|Groups)(?:\/([^/]+))?\/?$/.exec(req.path);
    if (!m) return scimError(404, `nothing at ${req.path}; the endpoint is /scim/1/<idpId>/v2/Users or /Groups`);
    const [, idpId, resource, rawId] = m as unknown as [string, string, 'Users' | 'Groups', string | undefined];
    const idp = tenant.idps.get(idpId);
    const presented = bearer(req.headers.authorization);
    // A token belongs to one IdP and works only while its SCIM Sync is on.
    if (!idp || !idp.scimEnabled || idp.token === undefined || presented === undefined || !safeEqual(presented, idp.token)) {
      return scimError(401, 'The bearer token is missing, invalid, or SCIM Sync is off for this IdP.');
    }
    try {
      const id = rawId === undefined ? undefined : decodeURIComponent(rawId);
      return resource === 'Users' ? users(req, idpId, id) : groups(req, idpId, id);
    } catch (e) {
      if (e instanceof ZpaTenantError) return scimError(e.status, e.message, e.status === 409 ? 'uniqueness' : e.status === 400 ? 'invalidValue' : undefined);
      if (e instanceof PatchError) return scimError(400, e.message, e.scimType);
      if (e instanceof SyntaxError) return scimError(400, 'the body is not valid JSON', 'invalidSyntax');
      throw e;
    }
  };

  const svc = await startService({
    name: 'zpa-scim',
    host: opts.host,
    port: opts.port,
    handler,
    log: opts.log,
    faults: opts.faults,
    stripPrefix: (p) => p.replace(/^\/scim\/1\/\d+\/v2/, ''),
    faultResponse: (status) => scimError(status, `injected fault ${status}`),
  });
  origin = svc.url;
  return { ...svc, endpointFor };
}
