import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { call } from './core-helpers.js';
import { adminHeaders, startPingWorld, type PingWorld } from './ping-helpers.js';
import { decrypt } from '../../src/sandbox/pingfederate/index.js';
import { FaultInjector, parseFaultSpec } from '../../src/sandbox/http/faults.js';
import { startPingFederateSimulation } from '../../src/sandbox/pingfederate/index.js';
import { RequestLog } from '../../src/sandbox/http/log.js';

/**
 * The simulated PingFederate administrative API with raw HTTP (not our client), against what
 * PingFederate documents (docs/vendor-facts.md P1–P8): the XSRF header, Basic and OAuth access,
 * the Auditor's view-only role, SP connections read and replaced whole, encrypted target
 * settings, the token check when a channel is activated.
 */
let w: PingWorld;
beforeEach(async () => {
  w = await startPingWorld({ users: 12 });
});
afterEach(async () => {
  await w.stop();
});

const connUrl = () => `${w.pf.adminUrl}/idp/spConnections/${w.pf.connectionId}`;
const admin = (extra: Record<string, string> = {}) => adminHeaders(w.pf.credentials.admin, extra);
const settings = (c: { outboundProvision: { targetSettings: Array<{ name: string; value?: string; encryptedValue?: string }> } }) =>
  new Map(c.outboundProvision.targetSettings.map((f) => [f.name, f]));
const storedToken = () => w.pf.state.connections.get(w.pf.connectionId)?.outbound?.settings.find((s) => s.name === w.pf.state.names.token)?.value;

/** GET the connection, let `edit` change it, PUT it back. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw JSON
async function roundTrip(edit: (c: any) => void, headers: Record<string, string> = {}) {
  const got = await call(connUrl(), { headers: admin() });
  expect(got.status).toBe(200);
  edit(got.body);
  return call(connUrl(), { method: 'PUT', headers: admin(headers), json: got.body });
}

describe('access', () => {
  test('every request needs X-XSRF-Header: PingFederate, then credentials', async () => {
    const { 'x-xsrf-header': _x, ...noXsrf } = admin();
    const r1 = await call(`${w.pf.adminUrl}/version`, { headers: noXsrf });
    expect(r1.status).toBe(403);
    expect(r1.body.message).toMatch(/X-XSRF-Header: PingFederate/);
    const r2 = await call(`${w.pf.adminUrl}/version`, { headers: { 'x-xsrf-header': 'PingFederate' } });
    expect(r2.status).toBe(401);
    expect(r2.headers.get('www-authenticate')).toMatch(/^Basic/);
    const r3 = await call(`${w.pf.adminUrl}/version`, { headers: adminHeaders({ username: 'Administrator', password: 'wrong' }) });
    expect(r3.status).toBe(401);
    const ok = await call(`${w.pf.adminUrl}/version`, { headers: admin() });
    expect(ok.status).toBe(200);
    expect(typeof ok.body.version).toBe('string');
  });

  test('an Auditor reads but cannot change a connection', async () => {
    const aud = adminHeaders(w.pf.credentials.auditor);
    const got = await call(connUrl(), { headers: aud });
    expect(got.status).toBe(200);
    const put = await call(connUrl(), { method: 'PUT', headers: aud, json: got.body });
    expect(put.status).toBe(403);
    expect(put.body.resultId).toBe('insufficient_permissions');
  });

  test('an OAuth client-credentials token from the token endpoint opens the API; a wrong secret gets none', async () => {
    const { clientId, clientSecret } = w.pf.credentials.oauth;
    const bad = await call(w.pf.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'nope' }).toString(),
    });
    expect(bad.status).toBe(401);
    expect(bad.body.error).toBe('invalid_client');
    const tok = await call(w.pf.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    });
    expect(tok.status).toBe(200);
    const r = await call(`${w.pf.adminUrl}/idp/spConnections`, {
      headers: { authorization: `Bearer ${tok.body.access_token}`, 'x-xsrf-header': 'PingFederate' },
    });
    expect(r.status).toBe(200);
    expect(r.body.items.map((c: { id: string }) => c.id)).toContain(w.pf.connectionId);
  });

  test('PUT needs application/json', async () => {
    const got = await call(connUrl(), { headers: admin() });
    const r = await call(connUrl(), { method: 'PUT', headers: admin({ 'content-type': 'text/plain' }), body: JSON.stringify(got.body) });
    expect(r.status).toBe(415);
  });
});

describe('the seeded Zscaler connection', () => {
  test('has the documented shape; the encrypted token comes back as encryptedValue only', async () => {
    const r = await call(connUrl(), { headers: admin() });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ type: 'SP', id: w.pf.connectionId, active: false, outboundProvision: { type: w.pf.state.provisionerType } });
    const s = settings(r.body);
    const token = s.get(w.pf.state.names.token);
    expect(token).toEqual({ name: w.pf.state.names.token, encryptedValue: expect.stringMatching(/^ey[^.]+\.\.[^.]+\.[^.]+\.[^.]+$/) });
    expect(s.get(w.pf.state.names.baseUrl)?.value).toMatch(/^https:\/\//);
    expect(r.body.outboundProvision.channels).toEqual([
      expect.objectContaining({ name: expect.any(String), active: false, channelSource: expect.objectContaining({ baseDn: w.core.directory.baseDn }) }),
    ]);
    const list = await call(`${w.pf.adminUrl}/idp/spConnections?filter=zscaler`, { headers: admin() });
    expect(list.body.items).toHaveLength(1);
    expect((await call(`${w.pf.adminUrl}/idp/spConnections?filter=salesforce`, { headers: admin() })).body.items).toEqual([]);
  });
});

describe('PUT replaces the connection', () => {
  test('echoing encryptedValue keeps the stored token; other fields survive the round trip', async () => {
    const before = storedToken();
    const r = await roundTrip((c) => {
      c.extendedProperties = { owner: { values: ['iam-team'] } };
    });
    expect(r.status).toBe(200);
    expect(storedToken()).toBe(before);
    expect(r.body.extendedProperties).toEqual({ owner: { values: ['iam-team'] } });
    expect(settings(r.body).get(w.pf.state.names.token)?.encryptedValue).toBeDefined();
  });

  test('dropping the encryptedValue clears the token, which is refused as required', async () => {
    const r = await roundTrip((c) => {
      for (const f of c.outboundProvision.targetSettings) delete f.encryptedValue;
    });
    expect(r.status).toBe(422);
    expect(r.body.validationErrors).toEqual([
      expect.objectContaining({ fieldPath: 'outboundProvision.targetSettings', message: expect.stringContaining(`"${w.pf.state.names.token}" is required`) }),
    ]);
  });

  test('an encryptedValue this server did not issue is refused; a new value replaces the token', async () => {
    const tampered = await roundTrip((c) => {
      const f = c.outboundProvision.targetSettings.find((x: { name: string }) => x.name === w.pf.state.names.token);
      f.encryptedValue = `${f.encryptedValue.slice(0, -4)}AAAA`;
    });
    expect(tampered.status).toBe(422);
    expect(tampered.body.validationErrors[0].errorId).toBe('invalid_encrypted_value');
    const replaced = await roundTrip((c) => {
      const f = c.outboundProvision.targetSettings.find((x: { name: string }) => x.name === w.pf.state.names.token);
      delete f.encryptedValue;
      f.value = 'a-new-token-value';
    });
    expect(replaced.status).toBe(200);
    expect(storedToken()).toBe('a-new-token-value');
    const jwe = settings(replaced.body).get(w.pf.state.names.token)?.encryptedValue as string;
    expect(jwe).not.toContain('a-new-token-value');
    expect(decrypt(w.pf.state, jwe)).toBe('a-new-token-value');
  });

  test('an unknown target setting or plugin type is a validation error naming it', async () => {
    const field = await roundTrip((c) => c.outboundProvision.targetSettings.push({ name: 'SCIM_URL', value: 'x' }));
    expect(field.status).toBe(422);
    expect(field.body.validationErrors[0].message).toMatch(/"SCIM_URL" is not a field/);
    const type = await roundTrip((c) => {
      c.outboundProvision.type = 'SCIM';
    });
    expect(type.status).toBe(422);
    expect(type.body.validationErrors[0].fieldPath).toBe('outboundProvision.type');
  });
});

describe('activating the channel', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw JSON
  const target = (base: string, token: string) => (c: any) => {
    for (const f of c.outboundProvision.targetSettings) {
      if (f.name === w.pf.state.names.baseUrl) f.value = base;
      if (f.name === w.pf.state.names.token) {
        delete f.encryptedValue;
        f.value = token;
      }
    }
    c.active = true;
    c.outboundProvision.channels[0].active = true;
  };

  test('checks the token against the SCIM target; a refused token is a validation error, unless bypassed', async () => {
    const refused = await roundTrip(target(w.scim.baseUrl, 'not-the-token'));
    expect(refused.status).toBe(422);
    expect(refused.body.validationErrors[0].message).toMatch(/Unable to verify the access token.*HTTP 401/);
    expect(refused.body.validationErrors[0].message).not.toContain('not-the-token');
    expect(w.pf.state.connections.get(w.pf.connectionId)?.active).toBe(false);
    const bypassed = await roundTrip(target(w.scim.baseUrl, 'not-the-token'), { 'x-bypassexternalvalidation': 'true' });
    expect(bypassed.status).toBe(200);
    const good = await roundTrip(target(w.scim.baseUrl, w.scim.token));
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ active: true, outboundProvision: { channels: [expect.objectContaining({ active: true })] } });
  });

  test('only one channel can be the active one', async () => {
    const r = await roundTrip((c) => {
      target(w.scim.baseUrl, w.scim.token)(c);
      c.outboundProvision.channels.push({ ...c.outboundProvision.channels[0], name: 'second' });
    });
    expect(r.status).toBe(422);
    expect(r.body.validationErrors[0].errorId).toBe('multiple_active_channels');
  });
});

describe('the sandbox layer', () => {
  test('fault rules name the server "pingfederate" and match paths without /pf-admin-api/v1; injected errors are ApiResults; the log records the server', async () => {
    const log = new RequestLog();
    const pf = await startPingFederateSimulation({
      directory: w.core.directory,
      log,
      startProvisioner: false,
      faults: new FaultInjector(parseFaultSpec('pingfederate:GET:/idp/spConnections:503'), 1),
    });
    try {
      const h = adminHeaders(pf.credentials.admin);
      const r = await call(`${pf.adminUrl}/idp/spConnections`, { headers: h });
      expect(r.status).toBe(503);
      expect(r.body).toEqual({ resultId: 'server_error', message: 'Injected fault 503 (sandbox).' });
      expect((await call(`${pf.adminUrl}/version`, { headers: h })).status).toBe(200);
      expect(log.list().map((e) => `${e.server} ${e.method} ${e.status}`)).toEqual(['pingfederate GET 503', 'pingfederate GET 200']);
      await call(pf.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
      expect(log.list().at(-1)?.server).toBe('login');
      expect(log.stats().mutations).toBe(0);
    } finally {
      await pf.stop();
    }
  });
});
