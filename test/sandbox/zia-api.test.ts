import { afterEach, describe, expect, test } from '@jest/globals';
import { obfuscateApiKey } from '../../src/sandbox/zia/auth.js';
import { call, login, startCore, type Core } from './core-helpers.js';
import { fixture } from '../clients/helpers/fixture-server.js';
import { createZiaClient } from '../../src/clients/zia.js';

let core: Core | undefined;
afterEach(async () => {
  await core?.stop();
  core = undefined;
});

describe('obfuscateApiKey', () => {
  test('matches the documented algorithm (docs/vendor-facts.md F2) worked by hand', () => {
    // per docs/vendor-facts.md F2: high = last 6 digits, low = (high >> 1) padded to 6; key[d] then key[d+2].
    // ts ...123456: high "123456" -> key[1..6] = "bcdefg"; low = 61728 -> "061728" -> key[2,8,3,9,4,10] = "cidjek"
    expect(obfuscateApiKey('abcdefghijkl', '1700000123456')).toBe('bcdefgcidjek');
  });
});

describe('legacy authenticatedSession (docs/vendor-facts.md F2–F4)', () => {
  test('a correct obfuscated key yields a JSESSIONID and an ADMIN_LOGIN SessionInfo', async () => {
    core = await startCore();
    const r = await login(core);
    expect(r.status).toBe(200);
    expect(r.cookie).toMatch(/^JSESSIONID=/);
    expect(r.body).toMatchObject({ authType: 'ADMIN_LOGIN' });
    const s = await call(`${core.ziaApi}/authSettings`, { headers: { cookie: r.cookie! } });
    expect(s.status).toBe(200);
  });

  test('the raw API key, a wrong password or a missing JSON content type are refused', async () => {
    core = await startCore();
    expect((await login(core, { apiKey: core.credentials.apiKey })).status).toBe(401);
    expect((await login(core, { password: 'nope' })).status).toBe(401);
    const r = await call(`${core.ziaApi}/authenticatedSession`, { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(415);
  });

  test('no or unknown session → 401 SESSION_NOT_VALID; GET session without authType once logged out', async () => {
    core = await startCore();
    const r = await call(`${core.ziaApi}/users`, { headers: { cookie: 'JSESSIONID=FFFF' } });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: 'SESSION_NOT_VALID' });
    const { cookie } = await login(core);
    expect((await call(`${core.ziaApi}/authenticatedSession`, { headers: { cookie: cookie! } })).body).toMatchObject({ authType: 'ADMIN_LOGIN' });
    const out = await call(`${core.ziaApi}/authenticatedSession`, { method: 'DELETE', headers: { cookie: cookie! } });
    expect(out.status).toBe(204); // what zscaler-sdk-python counts as a logout
    const after = await call(`${core.ziaApi}/authenticatedSession`, { headers: { cookie: cookie! } });
    expect(after.body).not.toHaveProperty('authType');
  });

  test('logout: 204 with a live session; with none there is nothing to end (401, not 200 ACTIVE)', async () => {
    core = await startCore();
    const none = await call(`${core.ziaApi}/authenticatedSession`, { method: 'DELETE' });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 'SESSION_NOT_VALID' });
    const { cookie } = await login(core);
    const h = { cookie: cookie! };
    const settings = (await call(`${core.ziaApi}/authSettings`, { headers: h })).body;
    await call(`${core.ziaApi}/authSettings`, { method: 'PUT', headers: h, json: { ...settings, autoProvision: true } });
    const out = await call(`${core.ziaApi}/authenticatedSession`, { method: 'DELETE', headers: h });
    expect(out.status).toBe(204);
    expect(out.body).toBeUndefined();
    expect(core.tenant.status).toBe('ACTIVE'); // ending the session published its pending change
    expect((await call(`${core.ziaApi}/authenticatedSession`, { method: 'DELETE', headers: h })).status).toBe(401);
  });

  test('Set-Cookie over plain http carries no Secure flag (a cookie jar would never send it back)', async () => {
    core = await startCore();
    const res = await fetch(`${core.ziaApi}/authenticatedSession`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: 'x', username: 'x', password: 'x', timestamp: String(Date.now()) }),
    });
    expect(res.status).toBe(401);
    const ts = String(Date.now());
    const ok = await fetch(`${core.ziaApi}/authenticatedSession`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiKey: obfuscateApiKey(core.credentials.apiKey, ts),
        username: core.credentials.username,
        password: core.credentials.password,
        timestamp: ts,
      }),
    });
    const cookie = ok.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^JSESSIONID=[^;]+;/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).not.toMatch(/;\s*Secure/i);
  });

  test('an idle-expired session is refused and its pending changes are auto-activated (F5)', async () => {
    let clock = Date.now();
    core = await startCore({ now: () => clock, idleTimeoutMinutes: 5 });
    const { cookie } = await login(core);
    const settings = (await call(`${core.ziaApi}/authSettings`, { headers: { cookie: cookie! } })).body;
    const put = await call(`${core.ziaApi}/authSettings`, { method: 'PUT', headers: { cookie: cookie! }, json: { ...settings, autoProvision: true } });
    expect(put.status).toBe(200);
    expect(core.tenant.status).toBe('PENDING');
    clock += 5 * 60_000 + 1;
    const r = await call(`${core.ziaApi}/status`, { headers: { cookie: cookie! } });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('SESSION_NOT_VALID');
    expect(core.tenant.status).toBe('ACTIVE');
    expect(core.tenant.getActiveAuthSettings().autoProvision).toBe(true);
  });
});

describe('authSettings and activation (docs/vendor-facts.md F9–F11, F5)', () => {
  test('GET returns the full object; /lite omits the sync times and frequencies', async () => {
    core = await startCore();
    const { cookie } = await login(core);
    const full = (await call(`${core.ziaApi}/authSettings`, { headers: { cookie: cookie! } })).body;
    expect(full).toMatchObject({ orgAuthType: 'MICROSOFT_ACTIVE_DIR', samlEnabled: true, directorySyncMigrateToScimEnabled: false, autoProvision: false });
    expect(typeof full.lastSyncStartTime).toBe('number');
    expect(full.lastSyncStartTime).toBeGreaterThan(1_600_000_000); // epoch seconds, not ms
    expect(full.lastSyncStartTime).toBeLessThan(10_000_000_000);
    expect(typeof full.kerberosPwd).toBe('string');
    // A real GET shows authCustomFrequency only when it was set (recorded hosted-DB response).
    expect(full).not.toHaveProperty('authCustomFrequency');
    const lite = (await call(`${core.ziaApi}/authSettings/lite`, { headers: { cookie: cookie! } })).body;
    expect(lite).not.toHaveProperty('lastSyncStartTime');
    expect(lite).not.toHaveProperty('authFrequency');
    expect(lite.orgAuthType).toBe(full.orgAuthType);
  });

  test('a partial PUT body is 400 INVALID_INPUT_ARGUMENT; read-modify-write is pending until activated', async () => {
    core = await startCore();
    const { cookie } = await login(core);
    const h = { cookie: cookie! };
    const partial = await call(`${core.ziaApi}/authSettings`, { method: 'PUT', headers: h, json: { directorySyncMigrateToScimEnabled: true } });
    expect(partial.status).toBe(400);
    expect(partial.body.code).toBe('INVALID_INPUT_ARGUMENT');
    const noCt = await call(`${core.ziaApi}/authSettings`, { method: 'PUT', headers: { ...h, 'content-type': 'text/plain' }, body: '{}' });
    expect(noCt.status).toBe(415);
    const full = (await call(`${core.ziaApi}/authSettings`, { headers: h })).body;
    const put = await call(`${core.ziaApi}/authSettings`, { method: 'PUT', headers: h, json: { ...full, directorySyncMigrateToScimEnabled: true } });
    expect(put.status).toBe(200); // the object as read, without authCustomFrequency, is a full body
    expect(Object.keys((await call(`${core.ziaApi}/authSettings`, { headers: h })).body).sort()).toEqual(Object.keys(full).sort());
    expect((await call(`${core.ziaApi}/status`, { headers: h })).body).toEqual({ status: 'PENDING' });
    // Pending: Sync Now still allowed, SCIM still refused.
    expect(core.tenant.directorySyncEnabled).toBe(true);
    expect((await call(`${core.zia.url}/portal/idps/61233/scim`, { method: 'POST', json: { enabled: true } })).status).toBe(409);
    // No body and no Content-Type is refused (415), as ZIA documents; both SDKs send `{}` as JSON.
    const bare = await call(`${core.ziaApi}/status/activate`, { method: 'POST', headers: h });
    expect(bare.status).toBe(415);
    expect((await call(`${core.ziaApi}/status`, { headers: h })).body).toEqual({ status: 'PENDING' });
    expect((await call(`${core.ziaApi}/status/activate`, { method: 'POST', headers: h, json: {} })).body).toEqual({ status: 'ACTIVE' });
    expect((await call(`${core.ziaApi}/status`, { headers: h })).body).toEqual({ status: 'ACTIVE' });
    const sync = await call(`${core.zia.url}/portal/syncNow`, { method: 'POST' });
    expect(sync.status).toBe(409);
    expect(sync.body.code).toBe('DIRECTORY_SYNC_DISABLED');
    const en = await call(`${core.zia.url}/portal/idps/61233/scim`, { method: 'POST', json: { enabled: true } });
    expect(en.status).toBe(200);
    expect(en.body.baseUrl).toBe(`${core.scim.url}/24326813/61233/scim`);
    expect(en.body.bearerToken).toMatch(/^[A-Za-z0-9]{64,}$/);
  });

  test('switching orgAuthType to SAFECHANNEL_DIR and activating reproduces the Hosted DB damage (F16)', async () => {
    core = await startCore({ users: 20 });
    const { cookie } = await login(core);
    const h = { cookie: cookie! };
    const full = (await call(`${core.ziaApi}/authSettings`, { headers: h })).body;
    await call(`${core.ziaApi}/authSettings`, { method: 'PUT', headers: h, json: { ...full, orgAuthType: 'SAFECHANNEL_DIR' } });
    await call(`${core.ziaApi}/status/activate`, { method: 'POST', headers: h, json: {} });
    const after = (await call(`${core.ziaApi}/authSettings`, { headers: h })).body;
    expect(after).not.toHaveProperty('lastSyncStartTime');
    // The shape of a recorded real hosted-DB GET: no authCustomFrequency, no lastSync* (docs/vendor-facts.md).
    expect(Object.keys(after).sort()).toEqual(Object.keys(fixture('zia/authSettings-hosted.json')).sort());
    const users = (await call(`${core.ziaApi}/users?pageSize=1000`, { headers: h })).body as { groups: unknown[] }[];
    expect(users).toHaveLength(20);
    expect(users.every((u) => u.groups.length === 0)).toBe(true); // mappings deleted
    // SCIM now creates a duplicate instead of adopting.
    const en = await call(`${core.zia.url}/portal/idps/61233/scim`, { method: 'POST', json: { enabled: true } });
    const upn = core.directory.users[0]!.userPrincipalName;
    const created = await call(`${en.body.baseUrl}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${en.body.bearerToken}`, 'content-type': 'application/scim+json' },
      json: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: upn, active: true },
    });
    expect(created.status).toBe(201);
    const all = (await call(`${core.ziaApi}/users?pageSize=1000`, { headers: h })).body as { email: string }[];
    expect(all.filter((u) => u.email.toLowerCase() === upn.toLowerCase())).toHaveLength(2);
  });
});

describe('GET /users filters (zscaler-sdk-python list_users; recorded traffic)', () => {
  test('dept, group and name are case-insensitive "starts with" matches; search is ignored as the real API ignored it', async () => {
    core = await startCore({ users: 120 });
    const { cookie } = await login(core);
    const h = { cookie: cookie! };
    const get = async (q: string) =>
      (await call(`${core!.ziaApi}/users?pageSize=1000&${q}`, { headers: h })).body as {
        id: number;
        name: string;
        department?: { name: string };
        groups: { name: string }[];
      }[];
    const all = await get('');
    expect(all).toHaveLength(120);

    const eng = await get('dept=engin');
    expect(eng.length).toBeGreaterThan(0);
    expect(eng.length).toBe(all.filter((u) => u.department?.name.toLowerCase().startsWith('engin')).length);
    expect(await get('dept=ngineering')).toEqual([]); // not a substring match

    const someGroup = all.find((u) => u.groups.length > 0)!.groups[0]!.name;
    const prefix = someGroup.slice(0, 3).toUpperCase();
    const inGroup = await get(`group=${encodeURIComponent(prefix)}`);
    expect(inGroup.length).toBe(all.filter((u) => u.groups.some((g) => g.name.toLowerCase().startsWith(prefix.toLowerCase()))).length);
    expect(inGroup.length).toBeGreaterThan(0);

    const first = all[0]!.name;
    const byName = await get(`name=${encodeURIComponent(first.slice(0, 4))}`);
    expect(byName.map((u) => u.id)).toEqual(all.filter((u) => u.name.toLowerCase().startsWith(first.slice(0, 4).toLowerCase())).map((u) => u.id));
    const middle = first.slice(2, 6);
    expect((await get(`name=${encodeURIComponent(middle)}`)).every((u) => u.name.toLowerCase().startsWith(middle.toLowerCase()))).toBe(true);

    // A recorded real GET /users?search=admin returned exactly the unfiltered list.
    expect((await get('search=zzz-nobody')).map((u) => u.id)).toEqual(all.map((u) => u.id));
  });
});

describe('users, groups, departments paging (docs/vendor-facts.md F18)', () => {
  test('plain arrays, 1-based page, pageSize capped, end is a short page', async () => {
    core = await startCore({ users: 250 });
    const { cookie } = await login(core);
    const h = { cookie: cookie! };
    const p1 = await call(`${core.ziaApi}/users?page=1&pageSize=100`, { headers: h });
    expect(Array.isArray(p1.body)).toBe(true);
    expect(p1.body).toHaveLength(100);
    expect(p1.body[0]).toMatchObject({ id: expect.any(Number), name: expect.any(String), email: expect.any(String), groups: expect.any(Array) });
    const p3 = (await call(`${core.ziaApi}/users?page=3&pageSize=100`, { headers: h })).body;
    expect(p3).toHaveLength(50);
    const ids = new Set([...p1.body, ...(await call(`${core.ziaApi}/users?page=2&pageSize=100`, { headers: h })).body, ...p3].map((u: { id: number }) => u.id));
    expect(ids.size).toBe(250);
    expect((await call(`${core.ziaApi}/users`, { headers: h })).body).toHaveLength(100); // default 100
    expect((await call(`${core.ziaApi}/users?page=0`, { headers: h })).status).toBe(400);
    const groups = (await call(`${core.ziaApi}/groups?pageSize=5000`, { headers: h })).body;
    expect(groups.length).toBeGreaterThan(5);
    expect(groups[0]).toMatchObject({ id: expect.any(Number), name: expect.any(String), isSystemDefined: false });
    const depts = (await call(`${core.ziaApi}/departments`, { headers: h })).body;
    expect(depts[0]).toMatchObject({ id: expect.any(Number), name: expect.any(String), deleted: false });
  });
});

describe('rate limits and OneAPI (docs/vendor-facts.md F8, F20)', () => {
  test('GET beyond 2/s gets 429 with retry-after header and the documented body', async () => {
    core = await startCore({ rateLimits: true });
    const { cookie } = await login(core);
    const h = { cookie: cookie! };
    const rs = [];
    for (let i = 0; i < 3; i++) rs.push(await call(`${core.ziaApi}/status`, { headers: h }));
    const limited = rs.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    expect(limited!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited!.body).toEqual({ message: 'Rate Limit (2/SECOND) exceeded', 'Retry-After': expect.stringMatching(/^\d+ seconds$/) });
    expect(core.log.stats().rateLimited).toBeGreaterThanOrEqual(1);
  });

  test('client-credentials token with audience; bearer calls carry x-ratelimit headers', async () => {
    core = await startCore({ rateLimits: true });
    const form = (aud: string, secret = 'csecret') =>
      call(`${core!.zia.url}/oauth2/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'cid', client_secret: secret, audience: aud }).toString(),
      });
    expect((await form('https://other')).status).toBe(400);
    expect((await form('https://api.zscaler.com', 'wrong')).status).toBe(401);
    const t = await form('https://api.zscaler.com');
    expect(t.body).toMatchObject({ access_token: expect.any(String), token_type: 'Bearer', expires_in: expect.any(Number) });
    const r = await call(`${core.zia.url}/zia/api/v1/authSettings`, { headers: { authorization: `Bearer ${t.body.access_token}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ratelimit-limit')).toBeTruthy();
    expect(r.headers.get('x-ratelimit-remaining')).toBeTruthy();
    expect((await call(`${core.zia.url}/zia/api/v1/authSettings`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  });
});

describe('portal and control API', () => {
  test('idps, SAML auto-provisioning, token regeneration, disabling SCIM kills the token', async () => {
    core = await startCore();
    const idps = (await call(`${core.zia.url}/portal/idps`)).body;
    expect(idps).toContainEqual({ id: 61233, name: 'Entra ID', scimEnabled: false, samlAutoProvisioning: true });
    core.portal.setRepositoryType('ACTIVE_DIRECTORY');
    expect((await call(`${core.zia.url}/portal/idps/61233/samlAutoProvisioning`, { method: 'POST', json: { enabled: false } })).body).toEqual({});
    expect(core.tenant.idp(61233).samlAutoProvisioning).toBe(false);
    // Enable the migration flag in-process, then SCIM.
    const s = core.tenant.getAuthSettings();
    const { kerberosPwd: _k, lastSyncStartTime: _a, lastSyncEndTime: _b, ...editable } = s;
    core.tenant.putAuthSettings({ ...editable, directorySyncMigrateToScimEnabled: true });
    core.tenant.activate();
    const en = (await call(`${core.zia.url}/portal/idps/61233/scim`, { method: 'POST', json: { enabled: true } })).body;
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });
    expect((await call(`${en.baseUrl}/Users`, { headers: auth(en.bearerToken) })).status).toBe(200);
    const gen = (await call(`${core.zia.url}/portal/idps/61233/generateToken`, { method: 'POST' })).body;
    expect(gen.bearerToken).not.toBe(en.bearerToken);
    expect((await call(`${en.baseUrl}/Users`, { headers: auth(en.bearerToken) })).status).toBe(401);
    expect((await call(`${en.baseUrl}/Users`, { headers: auth(gen.bearerToken) })).status).toBe(200);
    expect((await call(`${core.zia.url}/portal/idps/61233/scim`, { method: 'POST', json: { enabled: false } })).body).toEqual({});
    expect((await call(`${en.baseUrl}/Users`, { headers: auth(gen.bearerToken) })).status).toBe(401);
    expect((await call(`${core.zia.url}/portal/idps/61233/scim`, { method: 'POST', json: { enabled: 'yes' } })).status).toBe(400);
  });

  test('repositoryType HOSTED_DB (F16): mappings deleted, Sync Now refused, SCIM duplicates synced users', async () => {
    core = await startCore({ users: 8 });
    expect((await call(`${core.zia.url}/portal/repositoryType`, { method: 'POST', json: { type: 'LDAP' } })).status).toBe(400);
    expect((await call(`${core.zia.url}/portal/repositoryType`, { method: 'POST', json: { type: 'HOSTED_DB' } })).body).toEqual({});
    expect(core.tenant.getAuthSettings().orgAuthType).toBe('SAFECHANNEL_DIR');
    expect((await call(`${core.zia.url}/portal/syncNow`, { method: 'POST' })).body.code).toBe('DIRECTORY_SYNC_DISABLED');
    const en = core.portal.setScim(61233, true);
    const upn = core.directory.users[2]!.userPrincipalName;
    const r = await call(`${en.baseUrl}/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${en.bearerToken}`, 'content-type': 'application/scim+json' },
      json: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: upn },
    });
    expect(r.status).toBe(201);
    expect(core.tenant.users.size).toBe(9);
  });

  test('syncNow deactivates users missing from the directory and updates lastSync times', async () => {
    core = await startCore({ users: 10 });
    const gone = core.directory.users.pop()!;
    const r = await call(`${core.zia.url}/portal/syncNow`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ lastSyncStartTime: expect.any(Number), lastSyncEndTime: expect.any(Number) });
    const rec = [...core.tenant.users.values()].find((u) => u.userName === gone.userPrincipalName)!;
    expect(rec).toBeDefined();
    expect(rec.active).toBe(false);
    expect(core.tenant.users.size).toBe(10);
  });

  test('stats count mutations but not logins, GETs or /_sandbox; the log holds no secrets', async () => {
    core = await startCore();
    const { cookie } = await login(core);
    await call(`${core.ziaApi}/authSettings`, { headers: { cookie: cookie! } });
    await call(`${core.zia.url}/portal/idps`);
    expect(core.log.stats()).toEqual({ requests: 3, mutations: 0, rateLimited: 0 });
    await call(`${core.ziaApi}/status/activate`, { method: 'POST', headers: { cookie: cookie! }, json: {} });
    await call(`${core.zia.url}/oauth2/v1/token?client_secret=abc`, { method: 'POST', body: 'x' });
    const stats = (await call(`${core.zia.url}/_sandbox/stats`)).body;
    expect(stats).toEqual({ requests: 5, mutations: 1, rateLimited: 0 });
    const log = (await call(`${core.zia.url}/_sandbox/requests`)).body as { path: string; method: string; status: number; server: string; time: string }[];
    expect(log).toHaveLength(5);
    expect(log[0]).toEqual({ time: expect.any(String), server: 'zia', method: 'POST', path: '/api/v1/authenticatedSession', status: 200 });
    expect(JSON.stringify(log)).not.toContain('abc');
    expect((await call(`${core.zia.url}/_sandbox/reset-log`, { method: 'POST' })).status).toBe(204);
    expect(core.log.stats().requests).toBe(0);
  });
});

describe("the product's ZIA client against the sandbox", () => {
  const client = (c: Core) =>
    createZiaClient({
      baseUrl: c.ziaApi,
      auth: { kind: 'legacy', username: c.credentials.username, password: c.credentials.password, apiKey: c.credentials.apiKey },
      rateLimits: false,
    });

  test('activate() is accepted (JSON {}), logout() ends the session with 204, and a change round-trips field for field', async () => {
    core = await startCore();
    const zia = client(core);
    const before = await zia.getAuthSettings();
    const { after } = await zia.updateAuthSettings({ autoProvision: true });
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(core.tenant.status).toBe('PENDING');
    expect(await zia.activate()).toBe('ACTIVE');
    expect(core.tenant.status).toBe('ACTIVE');
    expect(core.log.list().find((r) => r.path.endsWith('/status/activate'))?.status).toBe(200);
    await zia.logout();
    expect(core.log.list().find((r) => r.method === 'DELETE')?.status).toBe(204);
  });
});
