/**
 * The Okta Management API client (docs/vendor-facts.md K1–K13): against the simulated Okta org over
 * real loopback HTTP (with the sandbox's ZIA SCIM service behind it), and against a fixture server
 * replaying documented shapes where the simulation would only agree with itself (fixtures/okta).
 */
import { generateKeyPairSync } from 'node:crypto';
import type { AuditEntry } from '../../src/clients/audit.js';
import { ApiError } from '../../src/clients/http.js';
import { connectionPointsAt, createOktaClient, nextLink, zscalerBaseUrlForms, type OktaClientOptions } from '../../src/clients/okta.js';
import { ReadOnlyViolation, UserError } from '../../src/engine/errors.js';
import { startOktaWorld, type OktaWorld } from '../sandbox/okta-world.js';
import { fixture, startServer, type FixtureServer, type Reply } from './helpers/fixture-server.js';

const FAST = { retryBaseDelayMs: 10, retries: 4 };

describe('Okta client against the simulated org', () => {
  let w: OktaWorld;
  afterEach(async () => w?.stop());

  const ssws = (o: Partial<OktaClientOptions> = {}) =>
    createOktaClient({ orgUrl: w.okta.orgUrl, auth: { kind: 'ssws', apiToken: w.okta.credentials.apiToken }, tuning: FAST, ...o });

  test("sets up the Zscaler 2.0 app end to end: connection, features, group push; reads the app users' provisioning state", async () => {
    w = await startOktaWorld({ users: 10 });
    const okta = ssws();
    const app = await okta.findZscalerApp({});
    expect(app).toEqual(expect.objectContaining({ id: w.okta.zscalerApp.id, name: 'zscalerbyz' }));
    expect(await okta.getProvisioningFeature(app.id)).toBeNull(); // no provisioning configured yet
    const set = await okta.setZscalerConnection(app.id, { scimBaseUrl: w.scim.baseUrl, token: w.scim.token });
    expect(set.form).toBe('full');
    expect(set.connection.status).toBe('ENABLED');
    expect(connectionPointsAt(await okta.getConnection(app.id), w.scim.baseUrl)).toBe(true);
    const feature = await okta.setProvisioningFeature(app.id, { create: true, update: true, deactivate: true });
    expect(feature.capabilities?.create?.lifecycleCreate?.status).toBe('ENABLED');
    expect(feature.capabilities?.update?.lifecycleDeactivate?.status).toBe('ENABLED');
    expect(feature.capabilities?.update?.password?.status).toBe('DISABLED'); // left alone
    expect((await okta.getApp(app.id)).features).toEqual(expect.arrayContaining(['PUSH_NEW_USERS', 'PUSH_PROFILE_UPDATES', 'PUSH_USER_DEACTIVATION']));
    await w.okta.engine.idle();

    const users = await okta.listAppUsers(app.id);
    expect(users).toHaveLength(w.okta.state.users.length);
    const provisioned = users.filter((u) => u.status === 'PROVISIONED');
    expect(provisioned.length).toBeGreaterThan(0);
    for (const u of provisioned) expect(u).toEqual(expect.objectContaining({ syncState: 'SYNCHRONIZED', externalId: expect.any(String) }));

    const group = await okta.findGroup(w.okta.state.groups[1]!.name);
    expect(group?.id).toBe(w.okta.state.groups[1]!.id);
    expect(await okta.findGroup('no such group "quoted"')).toBeNull();
    const mapping = await okta.createGroupPushMapping(app.id, { sourceGroupId: group!.id, targetGroupName: group!.profile.name });
    expect(mapping.status).toBe('ACTIVE');
    expect((await okta.listGroupPushMappings(app.id)).map((m) => m.id)).toEqual([mapping.id]);
    expect((await okta.setGroupPushMappingStatus(app.id, mapping.id, 'INACTIVE')).status).toBe('INACTIVE');
    await okta.deleteGroupPushMapping(app.id, mapping.id);
    expect(await okta.listGroupPushMappings(app.id)).toEqual([]);

    // Rollback: the connection is deactivated; nothing more is pushed.
    await okta.deactivateConnection(app.id);
    expect((await okta.getConnection(app.id)).status).toBe('DISABLED');
  });

  test.each([
    ['full', 'full'],
    ['path', 'path'],
    ['either', 'full'],
  ] as const)('Base URL form: an org that takes %s gets the %s form (the other is tried on a 400)', async (accepted, sent) => {
    w = await startOktaWorld({ baseUrlForm: accepted });
    const okta = ssws();
    const r = await okta.setZscalerConnection(w.okta.zscalerApp.id, { scimBaseUrl: w.scim.baseUrl, token: w.scim.token });
    expect(r.form).toBe(sent);
    expect(r.connection.baseUrl).toBe(zscalerBaseUrlForms(w.scim.baseUrl)[sent]);
    expect(connectionPointsAt(r.connection, w.scim.baseUrl)).toBe(true);
  });

  test('OAuth service app: private_key_jwt signed here, scoped token, the key and token never in the audit or an error', async () => {
    w = await startOktaWorld();
    const audit: AuditEntry[] = [];
    const okta = createOktaClient({
      orgUrl: w.okta.orgUrl,
      auth: { kind: 'oauth', clientId: w.okta.credentials.clientId, privateKey: w.okta.credentials.privateKeyPem, keyId: w.okta.credentials.keyId },
      audit: (e) => audit.push(e),
      tuning: FAST,
    });
    const app = await okta.findZscalerApp({ label: 'Zscaler Internet Access' });
    expect(app.id).toBe(w.okta.zscalerApp.id);
    await okta.setZscalerConnection(app.id, { scimBaseUrl: w.scim.baseUrl, token: w.scim.token });
    expect(audit.some((e) => e.system === 'login' && e.path === '' && e.status === 200)).toBe(true);
    const err = await okta.setZscalerConnection(w.okta.customApp.id, { scimBaseUrl: w.scim.baseUrl, token: w.scim.token }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const text = `${JSON.stringify(audit)} ${(err as Error).message} ${(err as UserError).hint ?? ''}`;
    expect(text).not.toContain(w.scim.token);
    expect(text).not.toContain(w.okta.credentials.privateKeyPem.slice(40, 80));
  });

  test("a key not registered on the service app is refused as the credentials, with the vendor's reason", async () => {
    w = await startOktaWorld();
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const okta = createOktaClient({
      orgUrl: w.okta.orgUrl,
      auth: { kind: 'oauth', clientId: w.okta.credentials.clientId, privateKey: other, keyId: w.okta.credentials.keyId },
      tuning: FAST,
    });
    const err = await okta.getApp(w.okta.zscalerApp.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('invalid_client');
    expect((err as ApiError).message).toMatch(/signature is invalid/);
  });

  test('a service app that requires DPoP: the error says which setting to change', async () => {
    w = await startOktaWorld({ requireDpop: true });
    const okta = createOktaClient({
      orgUrl: w.okta.orgUrl,
      auth: { kind: 'oauth', clientId: w.okta.credentials.clientId, privateKey: w.okta.credentials.privateKeyPem },
      tuning: FAST,
    });
    const err = (await okta.getApp(w.okta.zscalerApp.id).catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(/requires DPoP/);
    expect(err.hint).toMatch(/Require Demonstrating Proof of Possession/);
  });

  test('an org whose app list takes no name filter: found by q= and the name', async () => {
    w = await startOktaWorld({ noNameFilter: true });
    expect((await ssws().findZscalerApp({})).id).toBe(w.okta.zscalerApp.id);
  });

  test('X-Rate-Limit-Remaining: waits for the reset instead of running into 429', async () => {
    w = await startOktaWorld({ speed: 1, rateLimitWindowMs: 1_000, bucketLimits: { apps: 3 } });
    const okta = ssws({ reserve: 0, maxConcurrent: 1 });
    for (let i = 0; i < 7; i++) await okta.getApp(w.okta.zscalerApp.id);
    expect(w.okta.stats().rateLimited).toBe(0);
  });

  test('a 429 is retried after X-Rate-Limit-Reset and succeeds', async () => {
    w = await startOktaWorld({ speed: 1, rateLimitWindowMs: 1_000, bucketLimits: { apps: 2 } });
    // reserve 0 and parallel calls: the pacing cannot see the window fill, so some calls meet the 429.
    const okta = ssws({ reserve: 0, maxConcurrent: 6 });
    const got = await Promise.all(Array.from({ length: 6 }, () => okta.getApp(w.okta.zscalerApp.id)));
    expect(got.every((a) => a.id === w.okta.zscalerApp.id)).toBe(true);
    expect(w.okta.stats().rateLimited).toBeGreaterThan(0);
  });

  test("requests in flight never exceed maxConcurrent (the org's concurrent limit is shared)", async () => {
    w = await startOktaWorld({ concurrencyLimit: 3, latencyMs: 40 });
    const okta = ssws({ maxConcurrent: 3 });
    await Promise.all(Array.from({ length: 12 }, () => okta.getApp(w.okta.zscalerApp.id)));
    expect(w.okta.stats().maxInFlight).toBeLessThanOrEqual(3);
    expect(w.okta.stats().rateLimited).toBe(0);
  });

  test('read-only (dry-run): every write is refused before it is sent', async () => {
    w = await startOktaWorld();
    const okta = ssws({ readOnly: true });
    const app = await okta.findZscalerApp({});
    w.sb.resetLog();
    await expect(okta.setZscalerConnection(app.id, { scimBaseUrl: w.scim.baseUrl, token: w.scim.token })).rejects.toBeInstanceOf(ReadOnlyViolation);
    await expect(okta.setProvisioningFeature(app.id, { create: true })).rejects.toBeInstanceOf(ReadOnlyViolation);
    await expect(okta.deactivateConnection(app.id)).rejects.toBeInstanceOf(ReadOnlyViolation);
    expect(w.okta.zscalerApp.connection).toBeNull();
  });

  test("a wrong API token: 401 with Okta's code, the token not in the message", async () => {
    w = await startOktaWorld();
    const okta = createOktaClient({ orgUrl: w.okta.orgUrl, auth: { kind: 'ssws', apiToken: 'wrong-token-value-123' }, tuning: FAST });
    const err = (await okta.findZscalerApp({}).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/Okta Management API GET \/api\/v1\/apps failed: HTTP 401 — E0000011: Invalid token provided/);
    expect(err.message).not.toContain('wrong-token-value-123');
  });
});

describe('Okta client against documented shapes (fixtures/okta)', () => {
  let server: FixtureServer | undefined;
  afterEach(async () => server?.close());
  const client = (url: string, o: Partial<OktaClientOptions> = {}) =>
    createOktaClient({ orgUrl: url, auth: { kind: 'ssws', apiToken: 'ssws-token-abcdef' }, tuning: FAST, ...o });

  test('reads the documented connection, feature and mapping shapes', async () => {
    server = await startServer((r) => {
      if (r.path.endsWith('/connections/default')) return { status: 200, body: fixture('okta/connection.json') };
      if (r.path.endsWith('/features/USER_PROVISIONING')) return { status: 200, body: fixture('okta/feature-user-provisioning.json') };
      if (r.path.endsWith('/group-push/mappings')) return { status: 200, body: [fixture('okta/group-push-mapping.json')] };
      if (r.path === '/api/v1/apps') return { status: 200, body: fixture('okta/apps-zscalerbyz.json') };
      return { status: 404, body: { errorCode: 'E0000007', errorSummary: 'Not found' } };
    });
    const okta = client(server.url);
    const app = await okta.findZscalerApp({});
    expect(app.settings?.app?.siteDomain).toBe('zscalerthree.net');
    expect(server.requests[0]!.query.get('filter')).toBe('name eq "zscalerbyz"');
    expect(server.requests[0]!.headers.authorization).toBe('SSWS ssws-token-abcdef');
    const conn = await okta.getConnection(app.id);
    expect(conn).toEqual(expect.objectContaining({ status: 'ENABLED', authScheme: 'TOKEN' }));
    expect(connectionPointsAt(conn, 'https://scim.zscalerthree.net/24326813/61234/scim')).toBe(true);
    expect(connectionPointsAt(conn, 'https://scim.zscalerthree.net/24326813/99999/scim')).toBe(false);
    expect((await okta.getProvisioningFeature(app.id))?.capabilities?.update?.profile?.status).toBe('ENABLED');
    expect((await okta.listGroupPushMappings(app.id))[0]?.status).toBe('ACTIVE');
  });

  test('follows Link rel="next" on the same org, and refuses a next link to another host', async () => {
    let hostile = false;
    server = await startServer((r): Reply => {
      const base = `http://${r.headers.host}`;
      if (r.query.get('after') === 'p2')
        return { status: 200, body: fixture('okta/app-users-page2.json'), headers: { link: `<${base}${r.path}?after=p2>; rel="self"` } };
      const next = hostile ? 'http://127.0.0.2:9/api/v1/apps/x/users?after=p2' : `${base}${r.path}?after=p2&limit=500`;
      return {
        status: 200,
        body: fixture('okta/app-users-page1.json'),
        headers: { link: [`<${base}${r.path}?limit=500>; rel="self"`, `<${next}>; rel="next"`] },
      };
    });
    const okta = client(server.url);
    const users = await okta.listAppUsers('0oa1zscalerbyzAPP697');
    expect(users.map((u) => [u.credentials?.userName, u.status, u.syncState, u.externalId])).toEqual([
      ['alice@example.com', 'PROVISIONED', 'SYNCHRONIZED', '5e3c0a9b-1f2d-4c6e-8a7b-9c0d1e2f3a4b'],
      ['bob@example.com', 'STAGED', 'OUT_OF_SYNC', null],
    ]);
    hostile = true;
    await expect(client(server.url).listAppUsers('0oa1zscalerbyzAPP697')).rejects.toThrow(/next link to another host/);
  });

  test("a 429 waits until X-Rate-Limit-Reset by the server's Date, not this machine's clock", async () => {
    // The server's clock runs an hour ahead: by the local clock the reset would be an hour away
    // (more than the HTTP layer waits, so the call would fail); by the answer's Date it is a second.
    let calls = 0;
    server = await startServer(() => {
      calls++;
      if (calls > 1) return { status: 200, body: fixture('okta/apps-zscalerbyz.json')[0] };
      const serverNow = Date.now() + 3_600_000;
      return {
        status: 429,
        body: fixture('okta/error-rate-limit.json'),
        headers: {
          date: new Date(serverNow).toUTCString(),
          'x-rate-limit-limit': '100',
          'x-rate-limit-remaining': '0',
          'x-rate-limit-reset': String(Math.ceil(serverNow / 1000) + 1),
        },
      };
    });
    const app = await client(server.url).getApp('0oa1zscalerbyzAPP697');
    expect(app.name).toBe('zscalerbyz');
    expect(calls).toBe(2);
  });

  test("a validation error reports Okta's code, summary and causes", async () => {
    server = await startServer(() => ({ status: 400, body: fixture('okta/error-validation.json') }));
    const err = (await client(server.url)
      .setZscalerConnection('0oa1', { scimBaseUrl: 'https://scim.zscalerthree.net/24326813/61234/scim', token: 'zia-bearer-token-xyz', form: 'full' })
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toContain('E0000001: Api validation failed: baseUrl: baseUrl: The base URL is not valid for this app.');
    expect(err.message).not.toContain('zia-bearer-token-xyz');
    // The request carried the token in the body and activate=true.
    expect(server.requests[0]!.query.get('activate')).toBe('true');
    expect(JSON.parse(server.requests[0]!.body)).toEqual({
      baseUrl: 'https://scim.zscalerthree.net/24326813/61234/scim',
      profile: { authScheme: 'TOKEN', token: 'zia-bearer-token-xyz' },
    });
  });

  test('configuration mistakes are named before anything is sent', () => {
    expect(() => createOktaClient({ orgUrl: 'https://acme-admin.okta.com/api/v1', auth: { kind: 'ssws', apiToken: 'x' } })).toThrow(/no path/);
    expect(() => createOktaClient({ orgUrl: 'https://acme.okta.com', auth: { kind: 'oauth', clientId: '0oa1', privateKey: 'not a key' } })).toThrow(
      /private key could not be read/,
    );
    expect(() => zscalerBaseUrlForms('https://scim.zscalerthree.net/24326813/scim')).toThrow(/does not end in \/<orgId>\/<idpId>\/scim/);
    expect(zscalerBaseUrlForms('https://scim.zscalerthree.net/24326813/61234/scim/')).toEqual({
      full: 'https://scim.zscalerthree.net/24326813/61234/scim',
      path: '/24326813/61234/',
    });
    expect(nextLink({ link: '<https://a/x?after=1>; rel="next", <https://a/x>; rel="self"' })).toBe('https://a/x?after=1');
  });
});
