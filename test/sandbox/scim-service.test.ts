import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { call, startCore, type Core } from './core-helpers.js';

/**
 * The ZIA SCIM service checked against RFC 7643/7644 behaviour and ZIA's SCIM facts (docs/vendor-facts.md F24–F28), with raw
 * HTTP requests (not our own client), so a client that follows the RFC works against it.
 */
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let core: Core;
let base: string;
let token: string;

async function enableScim(c: Core) {
  const s = c.tenant.getAuthSettings();
  const { kerberosPwd: _k, lastSyncStartTime: _a, lastSyncEndTime: _b, ...editable } = s;
  c.tenant.putAuthSettings({ ...editable, directorySyncMigrateToScimEnabled: true });
  c.tenant.activate();
  const r = c.portal.setScim(61233, true);
  return { base: r.baseUrl!, token: r.bearerToken! };
}

const h = () => ({ authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' });
const newUser = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: [USER, ENT],
  userName,
  externalId: `ext-${userName}`,
  displayName: `Display ${userName}`,
  name: { givenName: 'Given', familyName: 'Family' },
  active: true,
  emails: [{ value: userName, type: 'work', primary: true }],
  [ENT]: { department: 'Sales' },
  ...extra,
});

describe('discovery and auth', () => {
  beforeEach(async () => {
    core = await startCore({ users: 30 });
    ({ base, token } = await enableScim(core));
  });
  afterEach(() => core.stop());

  test('ServiceProviderConfig, Schemas, ResourceTypes answer without auth (docs/vendor-facts.md F24)', async () => {
    const spc = await call(`${base}/ServiceProviderConfig`);
    expect(spc.status).toBe(200);
    expect(spc.headers.get('content-type')).toMatch(/application\/scim\+json/);
    expect(spc.body).toMatchObject({ patch: { supported: true }, filter: { supported: true, maxResults: 1000 } });
    const rt = await call(`${base}/ResourceTypes`);
    expect(rt.body).toMatchObject({ schemas: [LIST], totalResults: 2 });
    expect((await call(`${base}/ResourceTypes/User`)).body).toMatchObject({ endpoint: '/Users', schema: USER });
    const sc = await call(`${base}/Schemas`);
    expect(sc.body.Resources.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining([USER, GROUP, ENT]));
  });

  test('missing or wrong bearer → 401 with a SCIM error body; other IdP token does not work', async () => {
    const r = await call(`${base}/Users`);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ schemas: [ERROR], status: '401', detail: expect.any(String) });
    expect((await call(`${base}/Users`, { headers: { authorization: 'Bearer x' } })).status).toBe(401);
    const other = base.replace('/61233/', '/61234/');
    expect((await call(`${other}/Users`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    expect((await call(`${base.replace('24326813', '1')}/Users`, { headers: h() })).status).toBe(404);
  });
});

describe('users', () => {
  beforeEach(async () => {
    core = await startCore({ users: 30 });
    ({ base, token } = await enableScim(core));
  });
  afterEach(() => core.stop());

  test('POST → 201 + Location + resource with meta; GET by id; 404 error body for unknown id (RFC 7644 §3.3, §3.12)', async () => {
    const r = await call(`${base}/Users`, { method: 'POST', headers: h(), json: newUser('new.person@example.test') });
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe(`${base}/Users/${r.body.id}`);
    expect(r.body).toMatchObject({
      schemas: expect.arrayContaining([USER]),
      userName: 'new.person@example.test',
      active: true,
      externalId: 'ext-new.person@example.test',
      department: 'Sales',
      [ENT]: { department: 'Sales' },
    });
    expect(r.body.meta).toMatchObject({ resourceType: 'User', location: `${base}/Users/${r.body.id}` });
    const g = await call(`${base}/Users/${r.body.id}`, { headers: h() });
    expect(g.body.userName).toBe('new.person@example.test');
    const nf = await call(`${base}/Users/999`, { headers: h() });
    expect(nf.status).toBe(404);
    expect(nf.body).toMatchObject({ schemas: [ERROR], status: '404' });
    // Visible in the admin API as well (one store).
    expect([...core.tenant.users.values()].some((u) => u.userName === 'new.person@example.test')).toBe(true);
  });

  test('duplicate userName (any case) → 409 uniqueness; userName must be user@domain → 400', async () => {
    await call(`${base}/Users`, { method: 'POST', headers: h(), json: newUser('dup@example.test') });
    const r = await call(`${base}/Users`, { method: 'POST', headers: h(), json: newUser('DUP@Example.test') });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' });
    const bad = await call(`${base}/Users`, { method: 'POST', headers: h(), json: newUser('no-domain') });
    expect(bad.status).toBe(400);
  });

  test('a userName in a domain not registered with the tenant → 400 invalidValue naming the domain, on POST, PUT and PATCH; nothing stored', async () => {
    const c = await startCore({ users: 30, domains: ['example.test'] });
    try {
      const { base: b, token: t } = await enableScim(c);
      const hh = { authorization: `Bearer ${t}`, 'content-type': 'application/scim+json' };
      const before = c.tenant.users.size;
      const r = await call(`${b}/Users`, { method: 'POST', headers: hh, json: newUser('ann@elsewhere.example') });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidValue' });
      expect(r.body.detail).toMatch(/elsewhere\.example is not registered with this tenant \(registered: example\.test\)/);
      expect(c.tenant.users.size).toBe(before);
      // In a registered domain (any case) it is created; then renaming it into an unregistered domain is refused.
      const ok = await call(`${b}/Users`, { method: 'POST', headers: hh, json: newUser('ann@Example.TEST') });
      expect(ok.status).toBe(201);
      const put = await call(`${b}/Users/${ok.body.id}`, { method: 'PUT', headers: hh, json: newUser('ann@elsewhere.example') });
      expect([put.status, put.body.scimType]).toEqual([400, 'invalidValue']);
      const patch = await call(`${b}/Users/${ok.body.id}`, {
        method: 'PATCH',
        headers: hh,
        json: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'userName', value: 'ann@elsewhere.example' }] },
      });
      expect([patch.status, patch.body.scimType]).toEqual([400, 'invalidValue']);
      expect((await call(`${b}/Users/${ok.body.id}`, { headers: hh })).body.userName).toBe('ann@Example.TEST');
    } finally {
      await c.stop();
    }
  });

  test('a directory-synced user is listed although no SCIM client created it; Entra finds it and PATCHes it, a POST is a conflict', async () => {
    const du = core.directory.users[3]!;
    const before = [...core.tenant.users.values()].find((u) => u.userName === du.userPrincipalName)!;
    const all = await call(`${base}/Users`, { headers: h() });
    expect(all.body.totalResults).toBe(30);
    const found = await call(`${base}/Users?filter=${encodeURIComponent(`userName eq "${du.userPrincipalName.toUpperCase()}"`)}`, { headers: h() });
    expect(found.body.Resources.map((u: { id: string }) => u.id)).toEqual([core.tenant.scimUserId(before.id)]);
    expect(found.body.Resources[0].externalId).toBeUndefined();
    const post = await call(`${base}/Users`, { method: 'POST', headers: h(), json: newUser(du.userPrincipalName.toUpperCase()) });
    expect(post.status).toBe(409);
    expect(post.body.scimType).toBe('uniqueness');
    const patch = await call(`${base}/Users/${core.tenant.scimUserId(before.id)}`, {
      method: 'PATCH',
      headers: h(),
      json: { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'externalId', value: 'entra-object-id' }] },
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({ id: core.tenant.scimUserId(before.id), externalId: 'entra-object-id' });
    expect(before.scim).toMatchObject({ idpId: 61233, created: false, externalId: 'entra-object-id' });
    expect(core.tenant.users.size).toBe(30);
  });

  test('variant postAdoptsSynced: a POST of a directory-synced userName takes the user over (same id)', async () => {
    await core.stop();
    core = await startCore({ users: 30, postAdoptsSynced: true });
    ({ base, token } = await enableScim(core));
    const du = core.directory.users[3]!;
    const before = [...core.tenant.users.values()].find((u) => u.userName === du.userPrincipalName)!;
    const r = await call(`${base}/Users`, { method: 'POST', headers: h(), json: newUser(du.userPrincipalName.toUpperCase()) });
    expect(r.status).toBe(201);
    expect(core.tenant.userIdForScim(r.body.id)).toBe(before.id);
    expect(core.tenant.users.size).toBe(30);
  });

  test('SCIM ids are opaque GUID-like strings, never the admin API numeric id (RFC 7643 §3.1)', async () => {
    const du = core.directory.users[4]!;
    const created = (await call(`${base}/Users`, { method: 'POST', headers: h(), json: newUser('opaque.id@example.test') })).body;
    // A directory-synced user as SCIM lists it (Entra finds it by userName before taking it over).
    const adopted = (await call(`${base}/Users?filter=${encodeURIComponent(`userName eq "${du.userPrincipalName}"`)}`, { headers: h() })).body.Resources[0];
    const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const admin = [...core.tenant.users.values()];
    for (const u of [created, adopted]) {
      expect(u.id).toMatch(guid);
      const numeric = admin.find((a) => a.userName.toLowerCase() === u.userName.toLowerCase())!.id;
      expect(u.id).not.toBe(String(numeric));
      expect(u.meta.location).toBe(`${base}/Users/${u.id}`);
      // The admin API's id names nothing in the SCIM service.
      expect((await call(`${base}/Users/${numeric}`, { headers: h() })).status).toBe(404);
      expect((await call(`${base}/Users/${u.id}`, { headers: h() })).body.userName).toBe(u.userName);
    }
    const g = (
      await call(`${base}/Groups`, {
        method: 'POST',
        headers: h(),
        json: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Opaque Ids', members: [{ value: created.id }] },
      })
    ).body;
    expect(g.id).toMatch(guid);
    expect(g.members).toEqual([expect.objectContaining({ value: created.id })]);
    // A user id does not name a group, nor a group id a user.
    expect((await call(`${base}/Groups/${created.id}`, { headers: h() })).status).toBe(404);
    expect((await call(`${base}/Users/${g.id}`, { headers: h() })).status).toBe(404);
    // Member values must be ids this service issued.
    const bad = await call(`${base}/Groups`, {
      method: 'POST',
      headers: h(),
      json: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Numeric Members', members: [{ value: String(admin[0]!.id) }] },
    });
    expect(bad.status).toBe(400);
  });

  test('filters: userName eq is case-insensitive, externalId eq, id eq, meta.lastModified gt, and', async () => {
    const a = (await call(`${base}/Users`, { method: 'POST', headers: h(), json: newUser('filter.a@example.test') })).body;
    await new Promise((r) => setTimeout(r, 5)); // lastModified has millisecond precision
    await call(`${base}/Users`, { method: 'POST', headers: h(), json: newUser('filter.b@example.test') });
    const q = (f: string) => call(`${base}/Users?filter=${encodeURIComponent(f)}`, { headers: h() });
    const r = await q('userName eq "FILTER.A@example.TEST"');
    expect(r.body).toMatchObject({ schemas: [LIST], totalResults: 1, itemsPerPage: 1, startIndex: 1 });
    expect(r.body.Resources[0].id).toBe(a.id);
    expect((await q('userName eq "nobody@example.test"')).body).toMatchObject({ totalResults: 0, Resources: [] });
    expect((await q('externalId eq "ext-filter.a@example.test"')).body.totalResults).toBe(1);
    expect((await q(`id eq "${a.id}"`)).body.totalResults).toBe(1);
    expect((await q(`userName eq "filter.a@example.test" and active eq true`)).body.totalResults).toBe(1);
    expect((await q(`userName eq "filter.a@example.test" and active eq false`)).body.totalResults).toBe(0);
    expect((await q(`meta.lastModified gt "${a.meta.lastModified}"`)).body.totalResults).toBe(1);
    expect((await q('userName eq')).status).toBe(400);
    expect((await q('userName eq')).body.scimType).toBe('invalidFilter');
  });

  test('startIndex/count paging is 1-based and capped at the page cap', async () => {
    // The 30 directory-synced users are listed first (lower ids), then the 7 created here.
    for (let i = 0; i < 7; i++) await call(`${base}/Users`, { method: 'POST', headers: h(), json: newUser(`p${i}@example.test`) });
    const p = await call(`${base}/Users?startIndex=33&count=2`, { headers: h() });
    expect(p.body).toMatchObject({ totalResults: 37, itemsPerPage: 2, startIndex: 33 });
    expect(p.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(['p2@example.test', 'p3@example.test']);
    const last = await call(`${base}/Users?startIndex=37&count=5`, { headers: h() });
    expect(last.body.itemsPerPage).toBe(1);
    const zero = await call(`${base}/Users?startIndex=0&count=0`, { headers: h() });
    expect(zero.body).toMatchObject({ totalResults: 37, itemsPerPage: 0, startIndex: 1, Resources: [] });
  });

  test('PUT replaces; PATCH in RFC form and in Entra dialect; DELETE → 204 then 404', async () => {
    const u = (await call(`${base}/Users`, { method: 'POST', headers: h(), json: newUser('patch.me@example.test') })).body;
    const url = `${base}/Users/${u.id}`;
    const put = await call(url, {
      method: 'PUT',
      headers: h(),
      json: newUser('patch.me@example.test', { displayName: 'Put Name', [ENT]: { department: 'Legal' } }),
    });
    expect(put.body).toMatchObject({ displayName: 'Put Name', department: 'Legal' });
    // RFC 7644 §3.5.2: lower-case ops, value filter path, boolean value.
    const rfc = await call(url, {
      method: 'PATCH',
      headers: h(),
      json: {
        schemas: [PATCH],
        Operations: [
          { op: 'replace', path: 'emails[type eq "work"].value', value: 'other@example.test' },
          { op: 'replace', path: 'active', value: false },
        ],
      },
    });
    expect(rfc.status).toBe(200);
    expect(rfc.body.emails).toEqual([{ value: 'other@example.test', type: 'work', primary: true }]);
    expect(rfc.body.active).toBe(false);
    // Entra dialect (docs/vendor-facts.md F33): capitalised ops, "True" string booleans, URN-prefixed path, path-less dotted keys.
    const entra = await call(url, {
      method: 'PATCH',
      headers: h(),
      json: {
        schemas: [PATCH],
        Operations: [
          { op: 'Replace', path: 'active', value: 'True' },
          { op: 'Replace', path: `${ENT}:department`, value: 'Finance' },
          { op: 'Replace', value: { displayName: 'Entra Name', 'name.givenName': 'Eve' } },
        ],
      },
    });
    expect(entra.status).toBe(200);
    expect(entra.body).toMatchObject({ active: true, department: 'Finance', displayName: 'Entra Name', name: { givenName: 'Eve', familyName: 'Family' } });
    const off = await call(url, { method: 'PATCH', headers: h(), json: { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] } });
    expect(off.body.active).toBe(false);
    expect((await call(url, { method: 'PATCH', headers: h(), json: { Operations: [{ op: 'Jump', path: 'active' }] } })).status).toBe(400);
    expect((await call(url, { method: 'DELETE', headers: h() })).status).toBe(204);
    expect((await call(url, { headers: h() })).status).toBe(404);
  });

  test('5 requests/second limit answers 429 with Retry-After and a SCIM error', async () => {
    await core.stop();
    core = await startCore({ users: 5, rateLimits: true });
    ({ base, token } = await enableScim(core));
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 7; i++) {
      const r = await call(`${base}/Users?count=1`, { headers: h() });
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(5);
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited?.body).toMatchObject({ schemas: [ERROR], status: '429' });
  });
});

describe('groups', () => {
  beforeEach(async () => {
    core = await startCore({ users: 30 });
    ({ base, token } = await enableScim(core));
  });
  afterEach(() => core.stop());

  test('create with empty members, Entra Add members, Remove by value array, RFC remove by filter, displayName filter', async () => {
    const ids: string[] = [];
    for (const n of ['g1', 'g2', 'g3']) ids.push((await call(`${base}/Users`, { method: 'POST', headers: h(), json: newUser(`${n}@example.test`) })).body.id);
    const g = await call(`${base}/Groups`, { method: 'POST', headers: h(), json: { schemas: [GROUP], displayName: 'Team A', externalId: 'ta', members: [] } });
    expect(g.status).toBe(201);
    expect(g.headers.get('location')).toBe(`${base}/Groups/${g.body.id}`);
    const url = `${base}/Groups/${g.body.id}`;
    const members = async () => (await call(url, { headers: h() })).body.members.map((m: { value: string }) => m.value).sort();
    // Group PATCH answers 204 No Content (RFC 7644 §3.5.2 allows 200-with-resource or 204).
    const add = await call(url, {
      method: 'PATCH',
      headers: h(),
      json: { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: ids.map((value) => ({ value })) }] },
    });
    expect(add.status).toBe(204);
    expect(await members()).toEqual([...ids].sort());
    await call(url, { method: 'PATCH', headers: h(), json: { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'members', value: [{ value: ids[0] }] }] } });
    expect(await members()).toHaveLength(2);
    await call(url, { method: 'PATCH', headers: h(), json: { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${ids[1]}"]` }] } });
    expect(await members()).toEqual([ids[2]]);
    // A generic (non-member) op goes through the full JSON patch.
    await call(url, {
      method: 'PATCH',
      headers: h(),
      json: {
        schemas: [PATCH],
        Operations: [
          { op: 'Replace', path: 'displayName', value: 'Team A' },
          { op: 'Add', path: 'members', value: [{ value: ids[0] }] },
        ],
      },
    });
    expect(await members()).toEqual([ids[0], ids[2]].sort());
    expect(
      (
        await call(url, {
          method: 'PATCH',
          headers: h(),
          json: { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ value: '99999' }] }] },
        })
      ).status,
    ).toBe(400);
    const user = (await call(`${base}/Users/${ids[2]}`, { headers: h() })).body;
    expect(user.groups).toEqual([{ value: g.body.id, display: 'Team A' }]);
    const f = await call(`${base}/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "team a"')}`, { headers: h() });
    expect(f.body.totalResults).toBe(1);
    expect(f.body.Resources[0]).not.toHaveProperty('members');
    expect((await call(`${base}/Groups`, { method: 'POST', headers: h(), json: { schemas: [GROUP], displayName: 'TEAM A' } })).status).toBe(409);
    expect((await call(url, { method: 'DELETE', headers: h() })).status).toBe(204);
    expect((await call(url, { headers: h() })).status).toBe(404);
  });
});
