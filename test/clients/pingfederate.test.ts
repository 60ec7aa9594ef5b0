import { afterEach, describe, expect, test } from '@jest/globals';
import { ReadOnlyViolation } from '../../src/engine/errors.js';
import { ApiError, SchemaError } from '../../src/clients/http.js';
import {
  createPingFederateClient,
  describeProvisioning,
  PingFederateShapeError,
  SpConnectionSchema,
  type PingFederateClientOptions,
} from '../../src/clients/pingfederate.js';
import { fixture, startServer, type FixtureServer, type Recorded, type Reply } from './helpers/fixture-server.js';
import { startPingWorld, type PingWorld } from '../sandbox/ping-helpers.js';

/**
 * The PingFederate admin API client (docs/vendor-facts.md P1–P9): against PingFederate's documented
 * shapes replayed by a loopback server (where the exact request body is the point), and against
 * the sandbox's simulated PingFederate and ZIA SCIM service end to end.
 */
const PASSWORD = 'pf-Admin-Passw0rd!';
const TOKEN = 'zia-scim-bearer-token-0123456789';
const CONN = () => fixture('pingfederate/sp-connection-outbound.json');
const tuning = { retries: 1, retryBaseDelayMs: 5, timeoutMs: 5_000 };

let server: FixtureServer | undefined;
let world: PingWorld | undefined;
afterEach(async () => {
  await server?.close();
  await world?.stop();
  server = undefined;
  world = undefined;
});

/** A PingFederate admin API that serves one connection and stores what a PUT sends. */
async function startFake(conn: Record<string, unknown> = CONN(), override?: (r: Recorded) => Reply | undefined) {
  let stored = conn;
  server = await startServer((r) => {
    const o = override?.(r);
    if (o) return o;
    if (r.headers['x-xsrf-header'] !== 'PingFederate') return { status: 403, body: { resultId: 'xsrf', message: 'missing X-XSRF-Header' } };
    if (r.path === '/pf-admin-api/v1/idp/spConnections/zscalerzia01') {
      if (r.method === 'GET') return { status: 200, body: stored };
      if (r.method === 'PUT') {
        stored = JSON.parse(r.body);
        return { status: 200, body: stored };
      }
    }
    if (r.path === '/pf-admin-api/v1/idp/spConnections') return { status: 200, body: { items: [stored] } };
    return { status: 404, body: { resultId: 'resource_not_found', message: 'Resource not found.' } };
  });
  return server;
}

function client(s: FixtureServer, o: Partial<PingFederateClientOptions> = {}) {
  return createPingFederateClient({
    adminUrl: `${s.url}/pf-admin-api/v1`,
    auth: { kind: 'basic', username: 'Administrator', password: PASSWORD },
    tuning,
    ...o,
  });
}

const puts = (s: FixtureServer) => s.requests.filter((r) => r.method === 'PUT');

describe('PingFederate client against documented shapes', () => {
  test('every request carries X-XSRF-Header: PingFederate and Basic credentials; a PUT is JSON', async () => {
    const s = await startFake();
    const pf = client(s);
    await pf.getSpConnection('zscalerzia01');
    await pf.setProvisioningActive('zscalerzia01', { active: false });
    expect(s.requests.length).toBe(3);
    for (const r of s.requests) {
      expect(r.headers['x-xsrf-header']).toBe('PingFederate');
      expect(r.headers.authorization).toBe(`Basic ${Buffer.from(`Administrator:${PASSWORD}`).toString('base64')}`);
    }
    expect(puts(s)[0]?.headers['content-type']).toMatch(/^application\/json/);
  });

  test('reads the plugin type and the target setting names from the connection', async () => {
    const shape = describeProvisioning(SpConnectionSchema.parse(CONN()));
    expect(shape).toMatchObject({
      type: 'SCIM',
      baseUrlSetting: 'SCIM_URL',
      baseUrl: 'https://scim.zscalerthree.net/24326813/61233/scim',
      tokenSetting: 'ACCESS_TOKEN',
      tokenSet: true,
      connectionActive: false,
      channels: [{ name: 'AD users', active: false }],
    });
  });

  test('a PUT of the target keeps every encryptedValue it does not change, and every other field as read', async () => {
    const s = await startFake();
    const { shape, kept } = await client(s).setProvisioningTarget('zscalerzia01', {
      baseUrl: 'https://scim.zscalerthree.net/24326813/61999/scim',
      token: TOKEN,
    });
    const sent = JSON.parse(puts(s)[0]!.body);
    const expected = CONN();
    const settings = expected.outboundProvision.targetSettings as Array<Record<string, string>>;
    settings.find((f) => f.name === 'SCIM_URL')!.value = 'https://scim.zscalerthree.net/24326813/61999/scim';
    const token = settings.findIndex((f) => f.name === 'ACCESS_TOKEN');
    settings[token] = { name: 'ACCESS_TOKEN', value: TOKEN };
    expect(sent).toEqual(expected);
    // The untouched secret went back byte for byte.
    expect(sent.outboundProvision.targetSettings.find((f: { name: string }) => f.name === 'CLIENT_SECRET').encryptedValue).toBe(
      CONN().outboundProvision.targetSettings[4].encryptedValue,
    );
    expect(shape.baseUrl).toBe('https://scim.zscalerthree.net/24326813/61999/scim');
    expect(kept).toEqual(['SCIM_VERSION', 'AUTHENTICATION_METHOD', 'CLIENT_SECRET', 'UNIQUE_USER_IDENTIFIER', 'FILTER_EXPRESSION']);
  });

  test('activating the channel sends both encrypted settings back unchanged and turns channel and connection on', async () => {
    const s = await startFake();
    const state = await client(s).setProvisioningActive('zscalerzia01', { active: true });
    expect(state).toEqual({ connectionActive: true, channels: [{ name: 'AD users', active: true }] });
    const sent = JSON.parse(puts(s)[0]!.body);
    const expected = CONN();
    expected.active = true;
    expected.outboundProvision.channels[0].active = true;
    expect(sent).toEqual(expected);
  });

  test('deactivating turns every channel off and leaves the connection as it was unless asked', async () => {
    const on = CONN();
    on.active = true;
    on.outboundProvision.channels[0].active = true;
    const s = await startFake(on);
    expect(await client(s).setProvisioningActive('zscalerzia01', { active: false })).toEqual({
      connectionActive: true,
      channels: [{ name: 'AD users', active: false }],
    });
    expect(await client(s).setProvisioningActive('zscalerzia01', { active: false, connection: false })).toEqual({
      connectionActive: false,
      channels: [{ name: 'AD users', active: false }],
    });
  });

  test('when the settings cannot be told apart, the error names the type and every setting seen, never a value', async () => {
    const conn = CONN();
    conn.outboundProvision.targetSettings[3].name = 'CREDENTIAL_A';
    conn.outboundProvision.targetSettings[4].name = 'CREDENTIAL_B';
    const s = await startFake(conn);
    const pf = client(s);
    const err = await pf.readProvisioning('zscalerzia01').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PingFederateShapeError);
    const msg = (err as Error).message;
    expect(msg).toContain('cannot tell which target setting holds the Bearer Token (2 encrypted settings could be it)');
    expect(msg).toContain('outbound provisioning type "SCIM"');
    expect(msg).toContain('SCIM_URL (a URL), SCIM_VERSION (text), AUTHENTICATION_METHOD (text), CREDENTIAL_A (encrypted), CREDENTIAL_B (encrypted)');
    expect(msg).not.toContain('eyJ');
    expect(msg).not.toContain('scim.zscalerthree.net');
    expect((err as PingFederateShapeError).hint).toMatch(/name the two settings explicitly/);
    // Named explicitly, the same connection works.
    const { shape } = await pf.readProvisioning('zscalerzia01', { token: 'CREDENTIAL_A' });
    expect(shape.tokenSetting).toBe('CREDENTIAL_A');
  });

  test('a connection without outbound provisioning says how to create it', async () => {
    const { outboundProvision: _o, ...plain } = CONN();
    const s = await startFake(plain);
    await expect(client(s).readProvisioning('zscalerzia01')).rejects.toThrow(/has no outbound provisioning configured/);
  });

  test('a response without the documented shape is a SchemaError naming the field', async () => {
    const conn = CONN();
    delete conn.outboundProvision.channels;
    const s = await startFake(conn);
    const err = await client(s)
      .getSpConnection('zscalerzia01')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaError);
    expect((err as SchemaError).issuePaths).toEqual(['outboundProvision.channels']);
  });

  test("a 422 ApiResult is reported with PingFederate's validation message, without the token", async () => {
    const s = await startFake(CONN(), (r) => (r.method === 'PUT' ? { status: 422, body: fixture('pingfederate/api-result-validation.json') } : undefined));
    const err = await client(s)
      .setProvisioningTarget('zscalerzia01', { baseUrl: 'https://scim.example/1/2/scim', token: TOKEN })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.system).toBe('pingfederate');
    expect(e.status).toBe(422);
    expect(e.code).toBe('validation_error');
    expect(e.message).toContain('PingFederate admin API PUT /idp/spConnections/zscalerzia01 failed: HTTP 422');
    expect(e.message).toContain('outboundProvision.targetSettings: Unable to verify the access token with the target.');
    expect(e.message).not.toContain(TOKEN);
  });

  test('read-only (a dry-run) refuses the PUT before anything is sent', async () => {
    const s = await startFake();
    await expect(client(s, { readOnly: true }).setProvisioningActive('zscalerzia01', { active: true })).rejects.toBeInstanceOf(ReadOnlyViolation);
    expect(puts(s)).toEqual([]);
  });

  test('OAuth: one client-credentials token for many calls, fetched again once after a 401', async () => {
    let tokenCalls = 0;
    let expired = false;
    const s = await startFake(CONN(), (r) => {
      if (r.path === '/as/token.oauth2') {
        tokenCalls++;
        const form = new URLSearchParams(r.body);
        if (form.get('grant_type') !== 'client_credentials' || form.get('client_secret') !== 'oauth-client-secret')
          return { status: 401, body: { error: 'invalid_client' } };
        return { status: 200, body: { access_token: `at-${tokenCalls}-abcdef`, token_type: 'Bearer', expires_in: 7200 } };
      }
      if (r.headers.authorization !== `Bearer at-${tokenCalls}-abcdef` || expired) {
        expired = false;
        return { status: 401, body: { resultId: 'invalid_token', message: 'expired' } };
      }
      return undefined;
    });
    const pf = client(s, { auth: { kind: 'oauth', tokenUrl: `${s.url}/as/token.oauth2`, clientId: 'migrate', clientSecret: 'oauth-client-secret' } });
    await pf.getSpConnection('zscalerzia01');
    await pf.listSpConnections();
    expect(tokenCalls).toBe(1);
    expired = true;
    await pf.getSpConnection('zscalerzia01');
    expect(tokenCalls).toBe(2);
  });
});

describe('PingFederate client against the simulated PingFederate and ZIA SCIM', () => {
  const simClient = (w: PingWorld, o: Partial<PingFederateClientOptions> = {}) =>
    createPingFederateClient({ adminUrl: w.pf.adminUrl, auth: { kind: 'basic', ...w.pf.credentials.admin }, tuning, ...o });
  const storedToken = (w: PingWorld) => w.pf.state.connections.get(w.pf.connectionId)?.outbound?.settings.find((x) => x.name === w.pf.state.names.token)?.value;

  test('find the connection, give it the SCIM Base URL and token, activate: users arrive; deactivate keeps the token', async () => {
    world = await startPingWorld({ users: 10 });
    const w = world;
    const pf = simClient(w);
    expect(await pf.version()).toMatch(/^\d+\./);
    const conn = await pf.findProvisioningConnection({ name: 'zscaler zia' });
    expect(conn.id).toBe(w.pf.connectionId);
    await pf.setProvisioningTarget(conn.id, { baseUrl: w.scim.baseUrl, token: w.scim.token });
    expect(storedToken(w)).toBe(w.scim.token);
    expect(await pf.setProvisioningActive(conn.id, { active: true })).toMatchObject({ connectionActive: true, channels: [{ active: true }] });
    await w.pf.provisioner.pass();
    expect([...w.core.tenant.users.values()].filter((u) => u.scim?.idpId === w.scim.idpId)).toHaveLength(w.core.directory.users.length);
    await pf.setProvisioningActive(conn.id, { active: false });
    // The deactivating PUT echoed the token's encryptedValue: the stored token is the one set above.
    expect(storedToken(w)).toBe(w.scim.token);
    const { shape } = await pf.readProvisioning(conn.id);
    expect(shape).toMatchObject({ baseUrl: w.scim.baseUrl, tokenSet: true, channels: [{ active: false }] });
  });

  test.each([
    ['the sandbox default', undefined, undefined],
    ['a generic SCIM reading', 'SCIM', { baseUrl: 'SCIM_URL', token: 'ACCESS_TOKEN' }],
    ['label-like names', 'com.example.ZiaConnector', { baseUrl: 'Base URL', token: 'Bearer Token' }],
  ])('discovers the plugin type and setting names under %s', async (_what, type, names) => {
    world = await startPingWorld({ users: 2, ...(type ? { provisionerType: type } : {}), ...(names ? { targetSettingNames: names } : {}) });
    const { shape } = await simClient(world).readProvisioning(world.pf.connectionId);
    expect({ type: shape.type, baseUrl: shape.baseUrlSetting, token: shape.tokenSetting }).toEqual({
      type: world.pf.state.provisionerType,
      baseUrl: world.pf.state.names.baseUrl,
      token: world.pf.state.names.token,
    });
  });

  test('a token ZIA refuses: PingFederate refuses the activation, the error says so without the token, nothing is switched on', async () => {
    world = await startPingWorld({ users: 2 });
    const pf = simClient(world);
    await pf.setProvisioningTarget(world.pf.connectionId, { baseUrl: world.scim.baseUrl, token: 'not-the-zia-token-123' });
    const err = await pf.setProvisioningActive(world.pf.connectionId, { active: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(422);
    expect((err as ApiError).message).toMatch(/Unable to verify the access token with the target: the target answered HTTP 401/);
    expect((err as ApiError).message).not.toContain('not-the-zia-token-123');
    expect(world.pf.state.connections.get(world.pf.connectionId)?.active).toBe(false);
  });

  test('a connection saved without a token yet: the error lists what it holds; named settings work', async () => {
    world = await startPingWorld({ users: 2, seedTarget: 'none' });
    const pf = simClient(world);
    await expect(pf.readProvisioning(world.pf.connectionId)).rejects.toThrow(/no setting holds or is named like a URL|no encrypted setting is stored/);
    const names = { baseUrl: world.pf.state.names.baseUrl, token: world.pf.state.names.token };
    const { shape } = await pf.setProvisioningTarget(world.pf.connectionId, { baseUrl: world.scim.baseUrl, token: world.scim.token }, names);
    expect(shape.tokenSet).toBe(true);
    expect(storedToken(world)).toBe(world.scim.token);
  });

  test('a connection looked up by a name that is not there: the error lists the connections that match the filter', async () => {
    world = await startPingWorld({ users: 2 });
    const pf = simClient(world);
    await expect(pf.findProvisioningConnection({ name: 'Zscaler' })).rejects.toThrow(
      'no SP connection named "Zscaler" (connections matching the name: "Zscaler ZIA" (id zscaler-zia, outbound provisioning))',
    );
    await expect(pf.findProvisioningConnection({ name: 'Okta' })).rejects.toThrow('no SP connection named "Okta" (connections matching the name: none)');
  });

  test('an Auditor credential reads and is refused writes with the permission hint', async () => {
    world = await startPingWorld({ users: 2 });
    const pf = simClient(world, { auth: { kind: 'basic', ...world.pf.credentials.auditor } });
    await pf.readProvisioning(world.pf.connectionId);
    const err = await pf.setProvisioningActive(world.pf.connectionId, { active: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(403);
    expect((err as ApiError).hint).toMatch(/lacks a role or permission/);
    expect((err as ApiError).message).not.toContain(world.pf.credentials.auditor.password);
  });
});
