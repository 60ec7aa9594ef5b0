/**
 * The simulated Okta org over raw HTTP: Okta's error shape and rate-limit headers (docs/vendor-facts.md
 * K5, K7), the provisioning connection of the Zscaler 2.0 app (K3), private_key_jwt at the token endpoint
 * (K1), and the SCIM client engine's request pattern against the sandbox's ZIA SCIM service (K11),
 * including the documented pitfall of assignments made before provisioning was enabled (K10).
 */
import { createSign, randomUUID } from 'node:crypto';
import { FaultInjector, parseFaultSpec } from '../../src/sandbox/http/faults.js';
import { RequestLog } from '../../src/sandbox/http/log.js';
import { startOktaWorld, type OktaWorld } from './okta-world.js';

interface Res {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(w: OktaWorld, method: string, path: string, body?: unknown, auth: string | null = `SSWS ${w.okta.credentials.apiToken}`): Promise<Res> {
  const res = await fetch(`${w.okta.orgUrl}${path}`, {
    method,
    headers: { accept: 'application/json', ...(auth ? { authorization: auth } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** Turns provisioning on for the Zscaler app through the API, as the migration does. */
async function enableProvisioning(w: OktaWorld, baseUrl = w.scim.baseUrl): Promise<void> {
  const id = w.okta.zscalerApp.id;
  const c = await call(w, 'POST', `/api/v1/apps/${id}/connections/default?activate=true`, { baseUrl, profile: { authScheme: 'TOKEN', token: w.scim.token } });
  expect(c.status).toBe(200);
  const f = await call(w, 'PUT', `/api/v1/apps/${id}/features/USER_PROVISIONING`, {
    create: { lifecycleCreate: { status: 'ENABLED' } },
    update: { profile: { status: 'ENABLED' }, lifecycleDeactivate: { status: 'ENABLED' } },
  });
  expect(f.status).toBe(200);
}

function assertion(w: OktaWorld, claims: Record<string, unknown> = {}, kid = w.okta.credentials.keyId): string {
  const now = Math.floor(Date.now() / 1000);
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${enc({ alg: 'RS256', kid })}.${enc({ iss: w.okta.credentials.clientId, sub: w.okta.credentials.clientId, aud: `${w.okta.orgUrl}/oauth2/v1/token`, iat: now, exp: now + 300, jti: randomUUID(), ...claims })}`;
  const sig = createSign('RSA-SHA256').update(input).sign(w.okta.credentials.privateKeyPem).toString('base64url');
  return `${input}.${sig}`;
}

async function token(w: OktaWorld, clientAssertion: string, scope = 'okta.apps.manage okta.groups.manage'): Promise<Res> {
  const res = await fetch(`${w.okta.orgUrl}/oauth2/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: clientAssertion,
    }).toString(),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe('Okta management API (simulated)', () => {
  let w: OktaWorld;
  afterEach(async () => w?.stop());

  test("errors have Okta's shape; every answer carries X-Rate-Limit-* with the reset in epoch seconds; over the limit is 429 E0000047", async () => {
    w = await startOktaWorld({ rateLimitWindowMs: 60_000, bucketLimits: { apps: 3 }, speed: 1 });
    const none = await call(w, 'GET', '/api/v1/apps', undefined, null);
    expect(none.status).toBe(401);
    expect(none.body).toEqual(expect.objectContaining({ errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorCauses: [] }));
    const ok = await call(w, 'GET', '/api/v1/apps');
    expect(ok.status).toBe(200);
    const reset = Number(ok.headers.get('x-rate-limit-reset'));
    const serverNow = Date.parse(ok.headers.get('date') ?? '') / 1000;
    expect(reset).toBeGreaterThan(serverNow); // an epoch, in the window ahead
    expect(reset).toBeLessThanOrEqual(serverNow + 61);
    expect(ok.headers.get('x-rate-limit-limit')).toBe('3');
    // The refused call above counted too.
    expect(ok.headers.get('x-rate-limit-remaining')).toBe('1');
    await call(w, 'GET', '/api/v1/apps');
    const over = await call(w, 'GET', '/api/v1/apps');
    expect(over.status).toBe(429);
    expect(over.body).toEqual(expect.objectContaining({ errorCode: 'E0000047' }));
    expect(over.headers.get('x-rate-limit-remaining')).toBe('0');
    // Another bucket is counted apart.
    expect((await call(w, 'GET', '/api/v1/groups')).status).toBe(200);
  });

  test("faults and the request log work as for the other servers, under the name okta; an injected 429 carries Okta's headers", async () => {
    const log = new RequestLog();
    const faults = new FaultInjector(parseFaultSpec('okta:GET:/api/v1/groups:429,okta:GET:/api/v1/apps/:503'));
    w = await startOktaWorld({ log, faults });
    const limited = await call(w, 'GET', '/api/v1/groups');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual(expect.objectContaining({ errorCode: 'E0000047' }));
    expect(Number(limited.headers.get('x-rate-limit-reset'))).toBeGreaterThan(0);
    const failed = await call(w, 'GET', `/api/v1/apps/${w.okta.zscalerApp.id}`);
    expect(failed.status).toBe(503);
    expect(failed.body).toEqual(expect.objectContaining({ errorCode: 'E0000009' }));
    expect((await call(w, 'GET', '/api/v1/apps')).status).toBe(200);
    expect(log.list().map((e) => `${e.server} ${e.method} ${e.status}`)).toEqual(['okta GET 429', 'okta GET 503', 'okta GET 200']);
  });

  test('the Zscaler 2.0 app takes its connection by API in both Base URL forms; the token is never returned; another app refuses', async () => {
    w = await startOktaWorld();
    const id = w.okta.zscalerApp.id;
    const list = await call(w, 'GET', '/api/v1/apps?filter=name%20eq%20%22zscalerbyz%22');
    expect((list.body as Array<{ id: string }>).map((a) => a.id)).toEqual([id]);
    const m = /\/(\d+)\/(\d+)\/scim$/.exec(w.scim.baseUrl)!;
    const path = `/${m[1]}/${m[2]}/`;
    const byPath = await call(w, 'POST', `/api/v1/apps/${id}/connections/default?activate=true`, {
      baseUrl: path,
      profile: { authScheme: 'TOKEN', token: w.scim.token },
    });
    expect(byPath.status).toBe(200);
    expect(byPath.body).toEqual(expect.objectContaining({ authScheme: 'TOKEN', status: 'ENABLED', baseUrl: path, profile: { authScheme: 'TOKEN' } }));
    expect(JSON.stringify(byPath.body)).not.toContain(w.scim.token);
    const full = await call(w, 'POST', `/api/v1/apps/${id}/connections/default?activate=TRUE`, {
      baseUrl: w.scim.baseUrl,
      profile: { authScheme: 'TOKEN', token: w.scim.token },
    });
    expect(full.status).toBe(200);
    // A token ZIA refuses fails the connection test when activating.
    const bad = await call(w, 'POST', `/api/v1/apps/${id}/connections/default?activate=true`, {
      baseUrl: w.scim.baseUrl,
      profile: { authScheme: 'TOKEN', token: 'not-the-token' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual(expect.objectContaining({ errorCode: 'E0000001' }));
    const custom = await call(w, 'POST', `/api/v1/apps/${w.okta.customApp.id}/connections/default?activate=true`, {
      baseUrl: w.scim.baseUrl,
      profile: { authScheme: 'TOKEN', token: w.scim.token },
    });
    expect(custom.status).toBe(400);
    const off = await call(w, 'POST', `/api/v1/apps/${id}/connections/default/lifecycle/deactivate`);
    expect(off.status).toBe(204);
    expect(((await call(w, 'GET', `/api/v1/apps/${id}/connections/default`)).body as { status: string }).status).toBe('DISABLED');
  });

  test.each([
    ['full', 'path form refused'],
    ['path', 'full form refused'],
  ] as const)('variant baseUrlForm=%s: the other form is a 400 (%s)', async (form, _why) => {
    w = await startOktaWorld({ baseUrlForm: form });
    const m = /\/(\d+)\/(\d+)\/scim$/.exec(w.scim.baseUrl)!;
    const other = form === 'full' ? `/${m[1]}/${m[2]}/` : w.scim.baseUrl;
    const own = form === 'full' ? w.scim.baseUrl : `/${m[1]}/${m[2]}/`;
    const send = (baseUrl: string) =>
      call(w, 'POST', `/api/v1/apps/${w.okta.zscalerApp.id}/connections/default?activate=true`, {
        baseUrl,
        profile: { authScheme: 'TOKEN', token: w.scim.token },
      });
    expect((await send(other)).status).toBe(400);
    expect((await send(own)).status).toBe(200);
  });

  test('private_key_jwt: a signed assertion gets a scoped token; a bad signature, audience, replayed jti or ungranted scope is refused', async () => {
    w = await startOktaWorld({ grantedScopes: ['okta.apps.read', 'okta.apps.manage'] });
    const good = assertion(w);
    const t = await token(w, good, 'okta.apps.manage');
    expect(t.status).toBe(200);
    const access = (t.body as { access_token: string; token_type: string }).access_token;
    expect((t.body as { token_type: string }).token_type).toBe('Bearer');
    expect((await call(w, 'GET', `/api/v1/apps/${w.okta.zscalerApp.id}`, undefined, `Bearer ${access}`)).status).toBe(200);
    // okta.groups.* was not granted: the groups API answers 403 E0000006.
    const groups = await call(w, 'GET', '/api/v1/groups', undefined, `Bearer ${access}`);
    expect(groups.status).toBe(403);
    expect(groups.body).toEqual(expect.objectContaining({ errorCode: 'E0000006' }));
    expect((await token(w, good, 'okta.apps.manage')).status).toBe(401); // the same jti again
    const tampered = good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await token(w, tampered)).body).toEqual(expect.objectContaining({ error: 'invalid_client' }));
    expect((await token(w, assertion(w, { aud: `${w.okta.orgUrl}/oauth2/default/v1/token` }))).status).toBe(401);
    expect((await token(w, assertion(w), 'okta.groups.manage')).body).toEqual(expect.objectContaining({ error: 'invalid_scope' }));
  });
});

describe('Okta as a SCIM client (simulated engine against the ZIA SCIM service)', () => {
  let w: OktaWorld;
  afterEach(async () => w?.stop());

  test('lookup by userName eq, POST with password and groups: [], PUT to link a synced user; unassigning deactivates with active=false, never DELETE', async () => {
    w = await startOktaWorld({ users: 10 });
    w.sb.resetLog();
    await enableProvisioning(w);
    await w.okta.engine.idle();
    const sent = w.okta.engine.sent;
    const lookups = sent.filter((s) => s.method === 'GET' && s.path.startsWith('/Users?'));
    expect(lookups.length).toBe(w.okta.state.users.length);
    for (const l of lookups) expect(decodeURIComponent(l.path)).toMatch(/^\/Users\?filter=userName eq "[^"]+"&startIndex=1&count=100$/);
    // The Okta-only user is not in ZIA: created, with Okta's password and empty groups.
    const posts = sent.filter((s) => s.method === 'POST' && s.path === '/Users');
    expect(posts.length).toBeGreaterThanOrEqual(1);
    for (const p of posts) expect(p.body).toEqual(expect.objectContaining({ groups: [], active: true, password: expect.any(String) }));
    // Directory-synced users are found and linked by PUT (after a GET of the resource).
    expect(sent.some((s) => s.method === 'PUT' && s.path.startsWith('/Users/'))).toBe(true);
    const zscaler = w.okta.zscalerApp;
    const provisioned = [...zscaler.appUsers.values()].filter((a) => a.status === 'PROVISIONED');
    expect(provisioned.length).toBeGreaterThan(0);
    for (const a of provisioned) expect(a).toEqual(expect.objectContaining({ syncState: 'SYNCHRONIZED', externalId: expect.any(String) }));

    // Unassign one provisioned user: Deactivate Users is on, so Zscaler gets active=false.
    const victim = provisioned[0]!;
    expect((await call(w, 'DELETE', `/api/v1/apps/${zscaler.id}/users/${victim.userId}`)).status).toBe(204);
    await w.okta.engine.idle();
    const patch = sent.filter((s) => s.method === 'PATCH' && s.path === `/Users/${victim.externalId}`).at(-1);
    expect(patch?.body).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
    const scimUser = await fetch(`${w.scim.baseUrl}/Users/${victim.externalId}`, { headers: { authorization: `Bearer ${w.scim.token}` } }).then(
      (r) => r.json() as Promise<{ active: boolean }>,
    );
    expect(scimUser.active).toBe(false);
    // Seen by the SCIM service too: no DELETE ever reached it.
    expect(w.sb.requests().filter((r) => r.server === 'scim' && r.method === 'DELETE')).toEqual([]);
  });

  test('the pitfall: users assigned before provisioning was enabled are not pushed, until Provision User', async () => {
    w = await startOktaWorld({ users: 10, unpushedAssignments: 3 });
    await enableProvisioning(w);
    await w.okta.engine.idle();
    const zscaler = w.okta.zscalerApp;
    const stuck = [...zscaler.appUsers.values()].filter((a) => a.assignedBeforeProvisioning);
    expect(stuck).toHaveLength(3);
    const logins = new Set(stuck.map((a) => w.okta.state.users.find((u) => u.id === a.userId)!.profile.login.toLowerCase()));
    for (const a of stuck) expect(a).toEqual(expect.objectContaining({ externalId: null, syncState: 'DISABLED' }));
    // Okta never asked Zscaler about them.
    const asked = w.okta.engine.sent
      .filter((s) => s.method === 'GET' && s.path.startsWith('/Users?'))
      .map((s) => /userName eq "([^"]+)"/.exec(decodeURIComponent(s.path))![1]!.toLowerCase());
    for (const l of logins) expect(asked).not.toContain(l);
    // The Assignments tab says so.
    const tab = (await call(w, 'GET', `/_sandbox/apps/${zscaler.id}/assignments`, undefined, null)).body as Array<{ userId: string; message: string | null }>;
    expect(
      tab
        .filter((r) => /assigned this application before Provisioning was enabled/.test(r.message ?? ''))
        .map((r) => r.userId)
        .sort(),
    ).toEqual(stuck.map((a) => a.userId).sort());

    // The remedy: the console's Provision User button, per user.
    for (const a of stuck) expect((await call(w, 'POST', `/_sandbox/apps/${zscaler.id}/users/${a.userId}/provision`, undefined, null)).status).toBe(204);
    await w.okta.engine.idle();
    for (const a of stuck) expect(zscaler.appUsers.get(a.userId)).toEqual(expect.objectContaining({ externalId: expect.any(String) }));
  });

  test('an assignment made through the API while provisioning is off is not pushed either; made while on, it is', async () => {
    w = await startOktaWorld({ users: 6 });
    const zscaler = w.okta.zscalerApp;
    const u = w.okta.state.users[0]!;
    expect((await call(w, 'DELETE', `/api/v1/apps/${zscaler.id}/users/${u.id}`)).status).toBe(204);
    expect((await call(w, 'POST', `/api/v1/apps/${zscaler.id}/users`, { id: u.id, scope: 'USER' })).status).toBe(200);
    await enableProvisioning(w);
    await w.okta.engine.idle();
    expect(zscaler.appUsers.get(u.id)).toEqual(expect.objectContaining({ assignedBeforeProvisioning: true, externalId: null }));
    // Unassign and assign again (the other documented remedy): pushed now.
    await call(w, 'DELETE', `/api/v1/apps/${zscaler.id}/users/${u.id}`);
    await call(w, 'POST', `/api/v1/apps/${zscaler.id}/users`, { id: u.id, scope: 'USER' });
    await w.okta.engine.idle();
    expect(zscaler.appUsers.get(u.id)).toEqual(expect.objectContaining({ status: 'PROVISIONED', externalId: expect.any(String) }));
  });

  test('group push: POST /Groups with empty members, then PATCH with the rename op and the provisioned members', async () => {
    w = await startOktaWorld({ users: 8 });
    await enableProvisioning(w);
    await w.okta.engine.idle();
    const zscaler = w.okta.zscalerApp;
    const group = w.okta.state.groups.find((g) => g.memberIds.some((id) => zscaler.appUsers.get(id)?.status === 'PROVISIONED'))!;
    const created = await call(w, 'POST', `/api/v1/apps/${zscaler.id}/group-push/mappings`, {
      sourceGroupId: group.id,
      targetGroupName: group.name,
      status: 'ACTIVE',
    });
    expect(created.status).toBe(200);
    await w.okta.engine.idle();
    const mapping = (await call(w, 'GET', `/api/v1/apps/${zscaler.id}/group-push/mappings/${(created.body as { id: string }).id}`)).body as {
      targetGroupId: string;
      status: string;
    };
    expect(mapping.status).toBe('ACTIVE');
    const sent = w.okta.engine.sent;
    const post = sent.find((s) => s.method === 'POST' && s.path === '/Groups');
    // The directory-synced group is not a SCIM group of this IdP: Okta creates it.
    expect(post?.body).toEqual(expect.objectContaining({ displayName: group.name, members: [] }));
    const patch = sent.find((s) => s.method === 'PATCH' && s.path === `/Groups/${mapping.targetGroupId}`);
    const ops = (patch?.body as { Operations: Array<{ op: string; path?: string; value: unknown }> }).Operations;
    expect(ops[0]).toEqual({ op: 'replace', value: { id: mapping.targetGroupId, displayName: group.name } });
    expect(ops[1]).toEqual(expect.objectContaining({ op: 'add', path: 'members' }));
    const scimGroup = await fetch(`${w.scim.baseUrl}/Groups/${mapping.targetGroupId}`, { headers: { authorization: `Bearer ${w.scim.token}` } }).then(
      (r) => r.json() as Promise<{ members: unknown[] }>,
    );
    expect(scimGroup.members.length).toBe(group.memberIds.filter((id) => zscaler.appUsers.get(id)?.status === 'PROVISIONED').length);
    // Removing the mapping: INACTIVE first; the Zscaler group stays unless asked.
    const mid = (created.body as { id: string }).id;
    expect((await call(w, 'DELETE', `/api/v1/apps/${zscaler.id}/group-push/mappings/${mid}`)).status).toBe(400);
    expect((await call(w, 'PATCH', `/api/v1/apps/${zscaler.id}/group-push/mappings/${mid}`, { status: 'INACTIVE' })).status).toBe(200);
    expect((await call(w, 'DELETE', `/api/v1/apps/${zscaler.id}/group-push/mappings/${mid}?deleteTargetGroup=false`)).status).toBe(204);
    await w.okta.engine.idle();
    expect(w.sb.requests().filter((r) => r.server === 'scim' && r.method === 'DELETE')).toEqual([]);
  });
});
