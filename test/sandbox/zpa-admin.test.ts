import { createSandboxZpaPortalClient } from '../../src/clients/sandbox-zpa-portal.js';
import { createZpaClient } from '../../src/clients/zpa.js';
import { startZpaSimulation, type ZpaSimulation } from '../../src/sandbox/zpa/index.js';

/**
 * The ZPA admin API simulation over raw HTTP (what a client sees: docs/vendor-facts.md Y1–Y12),
 * its portal-only actions (Y4) and its clock, then the real clients against it.
 */

let sim: ZpaSimulation;
afterEach(async () => {
  await sim?.stop();
});

async function call(method: string, url: string, init: { token?: string; body?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.contentType) headers['content-type'] = init.contentType;
  const res = await fetch(url, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

async function signin(s: ZpaSimulation): Promise<string> {
  const r = await call('POST', `${s.endpoints.adminUrl}/signin`, {
    contentType: 'application/x-www-form-urlencoded',
    body: new URLSearchParams({ client_id: s.credentials.clientId, client_secret: s.credentials.clientSecret }).toString(),
  });
  expect(r.status).toBe(200);
  expect(typeof r.json!.expires_in).toBe('string');
  return r.json!.access_token as string;
}

const mgmt = (s: ZpaSimulation, v: 1 | 2) => `${s.endpoints.adminUrl}/mgmtconfig/v${v}/admin/customers/${s.credentials.customerId}`;
const userconfig = (s: ZpaSimulation) => `${s.endpoints.adminUrl}/userconfig/v1/customers/${s.credentials.customerId}`;

describe('ZPA simulation: admin API over HTTP', () => {
  it("signs in with form-encoded client credentials only; a JSON body or a wrong secret is refused in ZPA's error shape", async () => {
    sim = await startZpaSimulation({ users: 10, rateLimits: false });
    const token = await signin(sim);
    expect(token.length).toBeGreaterThan(20);
    const json = await call('POST', `${sim.endpoints.adminUrl}/signin`, {
      contentType: 'application/json',
      body: JSON.stringify({ client_id: sim.credentials.clientId }),
    });
    expect(json.status).toBe(415);
    const wrong = await call('POST', `${sim.endpoints.adminUrl}/signin`, {
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ client_id: sim.credentials.clientId, client_secret: 'nope' }).toString(),
    });
    expect(wrong.status).toBe(401);
    expect(Object.keys(wrong.json!).sort()).toEqual(['id', 'reason']);
    const noToken = await call('GET', `${mgmt(sim, 2)}/idp`);
    expect(noToken.status).toBe(401);
  });

  it("lists IdPs by page and lowercase pagesize, counts as strings; camelCase pageSize is not ZPA's and is ignored", async () => {
    sim = await startZpaSimulation({ users: 10, rateLimits: false });
    const token = await signin(sim);
    const p1 = await call('GET', `${mgmt(sim, 2)}/idp?page=1&pagesize=1`, { token });
    expect(p1.json).toMatchObject({ totalPages: '2', totalCount: '2' });
    expect((p1.json!.list as unknown[]).length).toBe(1);
    const camel = await call('GET', `${mgmt(sim, 2)}/idp?page=1&pageSize=1`, { token });
    expect((camel.json!.list as unknown[]).length).toBe(2); // default page size 20
    const beyond = await call('GET', `${mgmt(sim, 2)}/idp?page=3&pagesize=1`, { token });
    expect(beyond.json).toEqual({ totalPages: '2', totalCount: '2' }); // no `list` when empty
    expect((await call('GET', `${mgmt(sim, 2)}/idp?pagesize=501`, { token })).status).toBe(400);
  });

  it('shows an IdP (v1) with string ids and times, and leaves scimEnabled / scimSharedSecretExists out while false', async () => {
    sim = await startZpaSimulation({ users: 10, rateLimits: false });
    const token = await signin(sim);
    const { idpId } = sim.credentials;
    const before = (await call('GET', `${mgmt(sim, 1)}/idp/${idpId}`, { token })).json!;
    expect(before.id).toBe(idpId);
    expect(typeof before.modifiedTime).toBe('string');
    expect(before.autoProvision).toBe('0');
    expect('scimEnabled' in before).toBe(false);
    expect('scimSharedSecretExists' in before).toBe(false);
    expect(before.scimServiceProviderEndpoint).toBe(`${sim.endpoints.scimUrl}/scim/1/${idpId}/v2`);
    expect((await call('GET', `${mgmt(sim, 1)}/idp/123`, { token })).json).toMatchObject({ id: 'resource.not.found' });
    expect((await call('GET', `${userconfig(sim)}/scimgroup/idpId/123`, { token })).json).toEqual({
      id: 'invalid.resource.argument',
      reason: 'One or more input fields idpId are not valid.',
      params: ['idpId'],
    });
  });

  it('answers 429 beyond 20 GETs per 10 s with Retry-After in ZPA\'s "13s" form', async () => {
    sim = await startZpaSimulation({ users: 10 });
    const token = await signin(sim);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 21; i++) {
      const r = await call('GET', `${mgmt(sim, 2)}/idp`, { token });
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter = r.headers.get('retry-after');
        expect(r.json).toMatchObject({ id: 'too.many.requests' });
      }
    }
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses[20]).toBe(429);
    expect(retryAfter).toMatch(/^\d+s$/);
  });

  it('serves SCIM groups (sorted, paged, numeric counts), attribute headers and values once the IdP has provisioned', async () => {
    sim = await startZpaSimulation({ users: 40, rateLimits: false });
    const token = await signin(sim);
    const { idpId } = sim.credentials;
    sim.provisionFromDirectory(idpId);
    const url = `${userconfig(sim)}/scimgroup/idpId/${idpId}`;
    const asc = (await call('GET', `${url}?page=1&pagesize=500&sortBy=name&sortOrder=ASC`, { token })).json!;
    const dsc = (await call('GET', `${url}?page=1&pagesize=500&sortBy=name&sortOrder=DSC`, { token })).json!;
    const names = (asc.list as Array<{ name: string }>).map((g) => g.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect((dsc.list as Array<{ name: string }>).map((g) => g.name)).toEqual([...names].reverse());
    expect(typeof asc.totalPages).toBe('number');
    const attrs = (await call('GET', `${mgmt(sim, 1)}/idp/${idpId}/scimattribute?pagesize=500`, { token })).json!;
    const userName = (attrs.list as Array<{ id: string; name: string }>).find((a) => a.name === 'userName')!;
    expect((attrs.list as unknown[]).length).toBe(14);
    const values = (await call('GET', `${userconfig(sim)}/scimattribute/idpId/${idpId}/attributeId/${userName.id}?pagesize=500`, { token })).json!;
    expect(values.totalCount).toBe(sim.tenant.store(idpId).users.size);
  });

  it('has no IdP write: a PUT of an IdP is refused', async () => {
    sim = await startZpaSimulation({ users: 5, rateLimits: false });
    const token = await signin(sim);
    const r = await call('PUT', `${mgmt(sim, 1)}/idp/${sim.credentials.idpId}`, { token, contentType: 'application/json', body: '{"scimEnabled":true}' });
    expect(r.status).toBe(405);
    expect(sim.tenant.idp(sim.credentials.idpId).scimEnabled).toBe(false);
  });
});

describe('ZPA simulation: portal actions and the clock', () => {
  it('SCIM Sync, Generate New Token (shown once, replaces the old one) and SCIM Attributes for Policy, seen through the admin API client', async () => {
    sim = await startZpaSimulation({ users: 10, rateLimits: false });
    const { idpId, idpName } = sim.credentials;
    const portal = createSandboxZpaPortalClient({ portalUrl: sim.endpoints.portalUrl });
    const zpa = createZpaClient({
      baseUrl: sim.endpoints.adminUrl,
      customerId: sim.credentials.customerId,
      auth: { kind: 'legacy', clientId: sim.credentials.clientId, clientSecret: sim.credentials.clientSecret },
    });

    const before = (await zpa.findIdpByName(idpName))!;
    expect([before.scimEnabled, before.scimSharedSecretExists, before.enableScimBasedPolicy]).toEqual([false, false, false]);
    await expect(portal.generateToken(idpId)).rejects.toThrow(/Enable SCIM Sync/);
    await expect(portal.setScimPolicy(idpId, true)).rejects.toThrow(/needs SCIM Sync/);

    await portal.setScimSync(idpId, true);
    const { bearerToken, scimServiceProviderEndpoint } = await portal.generateToken(idpId);
    const after = (await zpa.getIdp(idpId))!;
    expect([after.scimEnabled, after.scimSharedSecretExists]).toEqual([true, true]);
    expect(after.modifiedTime!).toBeGreaterThan(before.modifiedTime!);
    expect(scimServiceProviderEndpoint).toBe(after.scimServiceProviderEndpoint);
    // The console never shows the token again.
    expect(JSON.stringify(await portal.idps())).not.toContain(bearerToken);
    expect(JSON.stringify(await zpa.getIdp(idpId))).not.toContain(bearerToken);

    await portal.setScimPolicy(idpId, true);
    expect((await zpa.getIdp(idpId))!.enableScimBasedPolicy).toBe(true);
    // Turning SCIM Sync off while policies may use SCIM criteria is refused: policy first.
    await expect(portal.setScimSync(idpId, false)).rejects.toThrow(/SCIM Attributes for Policy/);
    await portal.setScimPolicy(idpId, false);
    await portal.setScimSync(idpId, false);
    const off = (await zpa.getIdp(idpId))!;
    expect([off.scimEnabled, off.enableScimBasedPolicy]).toEqual([false, false]);
    // Portal actions are mutations in the request log, so a dry-run's zero-write check sees them.
    expect(sim.log.stats().mutations).toBeGreaterThanOrEqual(6);
  });

  it('the clock advances on request, never back, and IdP times follow it (48 hours without waiting)', async () => {
    sim = await startZpaSimulation({ users: 5, rateLimits: false });
    const { idpId } = sim.credentials;
    const before = (await call('GET', `${sim.endpoints.controlUrl}/clock`)).json!.now as number;
    const moved = await call('POST', `${sim.endpoints.controlUrl}/clock`, {
      contentType: 'application/json',
      body: JSON.stringify({ advanceMs: 48 * 3_600_000 }),
    });
    expect(moved.json!.now as number).toBeGreaterThanOrEqual(before + 48 * 3_600_000);
    expect((await call('POST', `${sim.endpoints.controlUrl}/clock`, { contentType: 'application/json', body: '{"advanceMs":-1}' })).status).toBe(400);
    sim.tenant.setScimSync(idpId, true);
    expect(sim.tenant.idp(idpId).scimSyncEnabledAt!).toBeGreaterThanOrEqual(before + 48 * 3_600_000);
    const token = await signin(sim);
    const idp = (await call('GET', `${mgmt(sim, 1)}/idp/${idpId}`, { token })).json!;
    expect(Number(idp.modifiedTime) * 1000).toBeGreaterThanOrEqual(before + 48 * 3_600_000 - 1000);
  });

  it('OneAPI: the token from /oauth2/v1/token opens the same API under /zpa; the legacy token does not', async () => {
    sim = await startZpaSimulation({ users: 5, rateLimits: false });
    const zpa = createZpaClient({
      baseUrl: sim.endpoints.oneApiBaseUrl,
      customerId: sim.credentials.customerId,
      auth: { kind: 'oneapi', tokenUrl: sim.endpoints.tokenUrl, clientId: sim.credentials.oneApiClientId, clientSecret: sim.credentials.oneApiClientSecret },
    });
    expect((await zpa.getIdp(sim.credentials.idpId))!.name).toBe(sim.credentials.idpName);
    const legacy = await signin(sim);
    expect(
      (await call('GET', `${sim.endpoints.oneApiBaseUrl}/mgmtconfig/v2/admin/customers/${sim.credentials.customerId}/idp`, { token: legacy })).status,
    ).toBe(401);
  });
});

describe('ZPA simulation: opt-in from startSandbox', () => {
  it("starts only when asked, on the sandbox's directory and request log", async () => {
    const { startSandbox } = await import('../../src/sandbox/index.js');
    const plain = await startSandbox({ users: 20, rateLimits: false });
    try {
      expect(plain.zpa).toBeUndefined();
    } finally {
      await plain.stop();
    }
    const sb = await startSandbox({ users: 20, rateLimits: false, zpa: true });
    try {
      const z = sb.zpa!;
      expect(z.directory).toBe(sb.world.directory);
      z.tenant.setScimSync(z.credentials.idpId, true);
      expect(z.provisionFromDirectory().users).toBe(sb.world.directory.users.filter((u) => (u.userAccountControl & 2) === 0).length);
      sb.resetLog();
      await fetch(`${z.endpoints.adminUrl}/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'client_id=x&client_secret=y',
      });
      expect(sb.requests().map((e) => [e.server, e.path, e.status])).toEqual([['zpa', '/signin', 401]]);
      expect(sb.stats().mutations).toBe(0);
    } finally {
      await sb.stop();
    }
  });
});
