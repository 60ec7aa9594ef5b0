import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadOnlyViolation, UserError } from '../../src/engine/errors.js';
import { createJsonlAudit } from '../../src/clients/audit.js';
import { ApiError } from '../../src/clients/http.js';
import { createZiaClient, obfuscateApiKey, oneApiTokenUrl, ziaBaseUrlForCloud, type ZiaClientOptions } from '../../src/clients/zia.js';
import { collect, fixture, slidingWindowGuard, startServer, type FixtureServer, type Recorded, type Reply } from './helpers/fixture-server.js';

const API_KEY = 'AbCdEfGhIjKl';
const PASSWORD = 'S3cret-Admin-Pass!';
const USER = 'api-admin@example.com';
const JSESSIONID = 'JSID-0123456789abcdef';

/**
 * The server's own check of the obfuscated key, written from docs/vendor-facts.md F2 independently
 * of the product code (so a wrong algorithm in the client fails here).
 */
function expectedKey(apiKey: string, ts: string): string {
  const high = ts.slice(-6);
  const low = String(Number(high) >> 1).padStart(6, '0');
  return [...high].map((d) => apiKey.charAt(Number(d))).join('') + [...low].map((d) => apiKey.charAt(Number(d) + 2)).join('');
}

interface ZiaFake {
  server: FixtureServer;
  auth: Record<string, unknown>;
  users: unknown[];
  logins: number;
  sessionValid: boolean;
  override?: (r: Recorded) => Reply | undefined;
}

let fake: ZiaFake | undefined;
const extraServers: FixtureServer[] = [];
afterEach(async () => {
  await fake?.server.close();
  fake = undefined;
  for (const s of extraServers.splice(0)) await s.close();
});

/** A legacy ZIA admin API replaying the documented shapes (docs/vendor-facts.md F2–F5, F9, F18) under /api/v1. */
async function startZia(authFixture = 'zia/authSettings-ad.json'): Promise<ZiaFake> {
  const f: ZiaFake = {
    server: undefined as unknown as FixtureServer,
    auth: fixture(authFixture),
    users: fixture('zia/users.json'),
    logins: 0,
    sessionValid: false,
  };
  f.server = await startServer((r) => {
    const o = f.override?.(r);
    if (o) return o;
    const p = r.path.replace(/^\/api\/v1/, '');
    if (p === '/authenticatedSession' && r.method === 'POST') {
      const b = JSON.parse(r.body) as { apiKey: string; username: string; password: string; timestamp: number | string };
      if (b.username !== USER || b.password !== PASSWORD || b.apiKey !== expectedKey(API_KEY, String(b.timestamp))) {
        return { status: 401, body: { code: 'AUTHENTICATION_FAILED', message: 'Invalid credentials' } };
      }
      f.logins++;
      f.sessionValid = true;
      return { status: 200, body: fixture('zia/session.json'), headers: { 'set-cookie': [`JSESSIONID=${JSESSIONID}; Path=/; Secure; HttpOnly`] } };
    }
    if (!f.sessionValid || r.headers.cookie !== `JSESSIONID=${JSESSIONID}`) {
      return { status: 401, body: fixture('zia/error-session-invalid.json') };
    }
    if (p === '/authenticatedSession' && r.method === 'DELETE') {
      f.sessionValid = false;
      return { status: 204 }; // the only logout answer zscaler-sdk-python accepts
    }
    if (p === '/authSettings' && r.method === 'GET') return { status: 200, body: f.auth };
    if (p === '/authSettings' && r.method === 'PUT') {
      f.auth = JSON.parse(r.body) as Record<string, unknown>;
      return { status: 200, body: f.auth };
    }
    if (p === '/status') return { status: 200, body: fixture('zia/status-pending.json') };
    if (p === '/status/activate') return { status: 200, body: fixture('zia/status-active.json') };
    const list =
      p === '/users'
        ? f.users
        : p === '/groups'
          ? fixture<unknown[]>('zia/groups.json')
          : p === '/departments'
            ? fixture<unknown[]>('zia/departments.json')
            : undefined;
    if (list) {
      // F18: page/pageSize, plain JSON array, no total.
      const page = Number(r.query.get('page') ?? 1);
      const size = Number(r.query.get('pageSize') ?? 100);
      return { status: 200, body: list.slice((page - 1) * size, page * size) };
    }
    return { status: 404, body: { code: 'RESOURCE_NOT_FOUND', message: `no ${p}` } };
  });
  fake = f;
  return f;
}

function legacy(f: ZiaFake, extra: Partial<ZiaClientOptions> = {}) {
  return createZiaClient({
    baseUrl: `${f.server.url}/api/v1`,
    auth: { kind: 'legacy', username: USER, password: PASSWORD, apiKey: API_KEY },
    rateLimits: false,
    tuning: { retryBaseDelayMs: 5, retries: 2 },
    ...extra,
  });
}

const mutating = (s: FixtureServer) => s.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/authenticatedSession'));

describe('URLs and key obfuscation (docs/vendor-facts.md F1, F2, O1)', () => {
  it('obfuscates the API key as the SDKs do', () => {
    // high "123456" → indexes 1..6; low 123456>>1 = "061728" → indexes +2 = 2,8,3,9,4,10
    expect(obfuscateApiKey('abcdefghijkl', 1700000123456)).toBe('bcdefgcidjek');
    expect(() => obfuscateApiKey('short', Date.now())).toThrow(UserError);
  });

  it('builds base and token URLs per cloud', () => {
    expect(ziaBaseUrlForCloud('zscalerthree', 'legacy')).toBe('https://zsapi.zscalerthree.net/api/v1');
    expect(ziaBaseUrlForCloud('zspreview', 'legacy')).toBe('https://admin.zspreview.net/api/v1');
    expect(ziaBaseUrlForCloud('zscalerthree', 'oneapi')).toBe('https://api.zsapi.net/zia/api/v1');
    expect(ziaBaseUrlForCloud('beta', 'oneapi')).toBe('https://api.beta.zsapi.net/zia/api/v1');
    expect(ziaBaseUrlForCloud('govus', 'oneapi')).toBe('https://api.zscalergov.us/zia/api/v1');
    expect(oneApiTokenUrl('acme')).toBe('https://acme.zslogin.net/oauth2/v1/token');
    expect(oneApiTokenUrl('acme', 'beta')).toBe('https://acme.zsloginbeta.net/oauth2/v1/token');
    expect(oneApiTokenUrl('acme', 'gov')).toBe('https://acme.zidentitygov.net/oauth2/v1/token');
    expect(() => oneApiTokenUrl('acme.evil.com/x')).toThrow(UserError);
  });
});

describe("OneAPI hosts per cloud, as the SDKs' code maps them (docs/vendor-facts.md)", () => {
  // zscaler-sdk-go zscaler/oneapiclient.go getAuthURL/GetAPIBaseURL and zscaler-sdk-python
  // zscaler/constants.py + oneapi_oauth_client.py: case-insensitive; gov and govus have their own
  // identity provider and gateway; any other non-production cloud is zslogin<cloud>.net / api.<cloud>.zsapi.net.
  const table: [string | undefined, string, string][] = [
    [undefined, 'https://acme.zslogin.net/oauth2/v1/token', 'https://api.zsapi.net/zia/api/v1'],
    ['PRODUCTION', 'https://acme.zslogin.net/oauth2/v1/token', 'https://api.zsapi.net/zia/api/v1'],
    ['production', 'https://acme.zslogin.net/oauth2/v1/token', 'https://api.zsapi.net/zia/api/v1'],
    ['beta', 'https://acme.zsloginbeta.net/oauth2/v1/token', 'https://api.beta.zsapi.net/zia/api/v1'],
    ['gov', 'https://acme.zidentitygov.net/oauth2/v1/token', 'https://api.zscalergov.net/zia/api/v1'],
    ['GOV', 'https://acme.zidentitygov.net/oauth2/v1/token', 'https://api.zscalergov.net/zia/api/v1'],
    // The code says zidentitygov.us; the Go README and a Go unit test say zidentitygovus.net.
    ['govus', 'https://acme.zidentitygov.us/oauth2/v1/token', 'https://api.zscalergov.us/zia/api/v1'],
    ['GOVUS', 'https://acme.zidentitygov.us/oauth2/v1/token', 'https://api.zscalergov.us/zia/api/v1'],
  ];
  it.each(table)('cloud %s', (cloud, token, api) => {
    expect(oneApiTokenUrl('acme', cloud)).toBe(token);
    expect(ziaBaseUrlForCloud(cloud ?? 'production', 'oneapi')).toBe(api);
  });

  it('legacy cloud names of production tenants share the production OneAPI hosts (inferred; the SDKs take no legacy name)', () => {
    for (const c of ['zscaler', 'zscalerone', 'zscalertwo', 'zscalerthree', 'zscloud', 'zscalerten']) {
      expect(oneApiTokenUrl('acme', c)).toBe('https://acme.zslogin.net/oauth2/v1/token');
      expect(ziaBaseUrlForCloud(c, 'oneapi')).toBe('https://api.zsapi.net/zia/api/v1');
    }
    expect(oneApiTokenUrl('acme', 'zscalergov')).toBe('https://acme.zidentitygov.net/oauth2/v1/token');
  });
});

describe('ZIA client, legacy session', () => {
  it('logs in with the obfuscated key and reads auth settings; unknown fields and enum values pass through; kerberosPwd is withheld', async () => {
    const f = await startZia();
    const zia = legacy(f);
    const s = await zia.getAuthSettings();
    expect(f.logins).toBe(1);
    expect(s.orgAuthType).toBe('MICROSOFT_ACTIVE_DIR');
    expect(s.authFrequency).toBe('SOME_FUTURE_COOKIE');
    expect((s as Record<string, unknown>).someNewField).toEqual({ nested: true });
    expect(s.lastSyncEndTime).toBe(1767225720);
    expect(s.kerberosPwd).toBeUndefined();
    const login = f.server.requests[0]!;
    expect(login.headers['content-type']).toBe('application/json');
  });

  it('concurrent reads of authSettings share one GET; a read after a write is a new GET', async () => {
    const f = await startZia();
    const zia = legacy(f);
    const reads = await Promise.all([zia.getAuthSettings(), zia.getAuthSettings(), zia.getAuthSettings()]);
    const gets = () => f.server.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/authSettings')).length;
    expect(gets()).toBe(1);
    expect(reads.map((s) => s.orgAuthType)).toEqual(['MICROSOFT_ACTIVE_DIR', 'MICROSOFT_ACTIVE_DIR', 'MICROSOFT_ACTIVE_DIR']);
    reads[0]!.samlEnabled = !reads[0]!.samlEnabled; // each caller has its own copy
    expect(reads[1]!.samlEnabled).not.toBe(reads[0]!.samlEnabled);
    const { after } = await zia.updateAuthSettings({ directorySyncMigrateToScimEnabled: true });
    expect(after.directorySyncMigrateToScimEnabled).toBe(true);
    expect(gets()).toBe(3); // the read before the PUT and the read back after it
  });

  it('updateAuthSettings changes only the given field and PUTs the whole object back', async () => {
    const f = await startZia();
    const original = fixture<Record<string, unknown>>('zia/authSettings-ad.json');
    const zia = legacy(f);
    const { before, after } = await zia.updateAuthSettings({ directorySyncMigrateToScimEnabled: true });
    expect(before.directorySyncMigrateToScimEnabled).toBe(false);
    expect(after.directorySyncMigrateToScimEnabled).toBe(true);
    const puts = f.server.requests.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(1);
    // Everything else — unknown fields and the read-only kerberosPwd — went back as read.
    expect(JSON.parse(puts[0]!.body)).toEqual({ ...original, directorySyncMigrateToScimEnabled: true });
    expect(JSON.stringify(before)).not.toContain('kerb-Secret');
    expect(JSON.stringify(after)).not.toContain('kerb-Secret');
  });

  it('refuses any change of orgAuthType (the migration guide: Hosted DB deletes mappings, F16) and sends nothing', async () => {
    const f = await startZia();
    const zia = legacy(f);
    const err = (await zia.updateAuthSettings({ orgAuthType: 'SAFECHANNEL_DIR' }).catch((e: unknown) => e)) as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('orgAuthType');
    expect(err.hint).toMatch(/Hosted DB/);
    expect(err.hint).toMatch(/duplicate users/);
    const current = await zia.getAuthSettings();
    await expect(zia.putAuthSettings({ ...current, orgAuthType: 'SAFECHANNEL_DIR' })).rejects.toThrow(/orgAuthType/);
    expect(mutating(f.server)).toHaveLength(0);
    // The exact restore with the same orgAuthType is allowed.
    const restored = await zia.putAuthSettings({ ...current, samlEnabled: false });
    expect(restored.samlEnabled).toBe(false);
    expect(mutating(f.server)).toHaveLength(1);
  });

  it('logs in again once when the session is no longer valid, and only once', async () => {
    const f = await startZia();
    const zia = legacy(f);
    await zia.login();
    f.sessionValid = false; // the server ended the session (idle timeout)
    expect(await zia.getActivationStatus()).toBe('PENDING');
    expect(f.logins).toBe(2);
    // A server that keeps refusing: one re-login, then the 401 surfaces.
    f.override = (r) => (r.path.endsWith('/status') ? { status: 401, body: { code: 'SESSION_NOT_VALID', message: 'Session already invalidated' } } : undefined);
    const err = (await zia.getActivationStatus().catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(401);
    expect(f.logins).toBe(3);
  });

  it('logs in again proactively after the idle timeout, and concurrent first calls share one login', async () => {
    const f = await startZia();
    const zia = legacy(f, { sessionIdleMs: 100 });
    await Promise.all([zia.getActivationStatus(), zia.getActivationStatus(), zia.getAuthSettings()]);
    expect(f.logins).toBe(1);
    await new Promise((r) => setTimeout(r, 150));
    await zia.getActivationStatus();
    expect(f.logins).toBe(2);
    // The re-login came before the call, not after a 401.
    expect(f.server.requests.filter((r) => r.path.endsWith('/status')).length).toBe(3);
  });

  it('a refused password is sent once per run: later calls and re-logins get the same error without a new attempt', async () => {
    const f = await startZia();
    const zia = createZiaClient({
      baseUrl: `${f.server.url}/api/v1`,
      auth: { kind: 'legacy', username: USER, password: 'wrong-password-1', apiKey: API_KEY },
      rateLimits: false,
      tuning: { retryBaseDelayMs: 5, retries: 4 },
    });
    const logins = () => f.server.requests.filter((r) => r.path.endsWith('/authenticatedSession') && r.method === 'POST').length;
    const results = await Promise.allSettled([zia.getAuthSettings(), zia.getActivationStatus()]);
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { status: 401, code: 'AUTHENTICATION_FAILED' } });
    for (const call of [() => zia.getAuthSettings(), () => zia.login(), () => zia.getActivationStatus(), () => zia.activate()]) {
      await expect(call()).rejects.toMatchObject({ status: 401, code: 'AUTHENTICATION_FAILED' });
    }
    expect(logins()).toBe(1);
  });

  it('a password refused at a re-login (expired session) is not tried again either', async () => {
    const f = await startZia();
    const zia = legacy(f);
    await zia.login();
    f.sessionValid = false;
    f.override = (r) =>
      r.path.endsWith('/authenticatedSession') && r.method === 'POST'
        ? { status: 403, body: { code: 'AUTHENTICATION_FAILED', message: 'Account locked' } }
        : undefined;
    await expect(zia.getActivationStatus()).rejects.toMatchObject({ status: 403 });
    await expect(zia.getAuthSettings()).rejects.toMatchObject({ status: 403 });
    expect(f.server.requests.filter((r) => r.path.endsWith('/authenticatedSession') && r.method === 'POST').length).toBe(2); // the first login, one re-login
  });

  it('does not re-login on a 401 that is not a session error, and does not retry 400', async () => {
    const f = await startZia();
    const zia = legacy(f);
    await zia.login();
    f.override = (r) => (r.path.endsWith('/status') ? { status: 401, body: { code: 'NOT_AUTHORIZED', message: 'API key disabled' } } : undefined);
    await expect(zia.getActivationStatus()).rejects.toMatchObject({ status: 401, code: 'NOT_AUTHORIZED' });
    expect(f.logins).toBe(1);
    f.override = (r) => (r.path.endsWith('/status') ? { status: 400, body: fixture('zia/error-invalid-input.json') } : undefined);
    const before = f.server.requests.length;
    await expect(zia.getActivationStatus()).rejects.toThrow(/INVALID_INPUT_ARGUMENT: name cannot be null/);
    expect(f.server.requests.length - before).toBe(1);
  });

  it('retries a 429 whose Retry-After is only in the body (F21), and a 5xx', async () => {
    const f = await startZia();
    const zia = legacy(f);
    await zia.login();
    let n = 0;
    f.override = (r) => {
      if (!r.path.endsWith('/status')) return undefined;
      n++;
      if (n === 1) return { status: 429, body: fixture('zia/error-rate-limit.json') };
      if (n === 2) return { status: 503, body: { code: 'UNAVAILABLE' } };
      return undefined;
    };
    expect(await zia.getActivationStatus()).toBe('PENDING');
    const statusCalls = f.server.requests.filter((r) => r.path.endsWith('/status'));
    expect(statusCalls).toHaveLength(3);
    expect(statusCalls[1]!.time - statusCalls[0]!.time).toBeGreaterThanOrEqual(950);
  });

  it('activates with {} as JSON (as both SDKs do) and logs out explicitly (204)', async () => {
    const f = await startZia();
    const zia = legacy(f);
    expect(await zia.activate()).toBe('ACTIVE');
    const act = f.server.requests.find((r) => r.path.endsWith('/status/activate'))!;
    expect(act.headers['content-type']).toBe('application/json');
    expect(act.body).toBe('{}');
    await zia.logout();
    const del = f.server.requests.find((r) => r.method === 'DELETE');
    expect(del?.headers.cookie).toBe(`JSESSIONID=${JSESSIONID}`);
    expect(f.sessionValid).toBe(false);
  });

  it('logout of a session that already ended (401 SESSION_NOT_VALID) is not an error', async () => {
    const f = await startZia();
    const zia = legacy(f);
    await zia.getAuthSettings();
    f.sessionValid = false; // idle timeout on the server side
    await expect(zia.logout()).resolves.toBeUndefined();
    expect(f.logins).toBe(1); // no login just to log out
  });

  it('read-modify-write of a hosted-DB shape sends back exactly the fields read, nothing added or dropped', async () => {
    const f = await startZia('zia/authSettings-hosted.json');
    const read = fixture<Record<string, unknown>>('zia/authSettings-hosted.json');
    const zia = legacy(f);
    await zia.updateAuthSettings({ autoProvision: true });
    const put = JSON.parse(f.server.requests.find((r) => r.method === 'PUT')!.body) as Record<string, unknown>;
    expect(Object.keys(put).sort()).toEqual(Object.keys(read).sort());
    expect(put).not.toHaveProperty('authCustomFrequency');
    expect(put).not.toHaveProperty('lastSyncStartTime');
    expect(put).toEqual({ ...read, autoProvision: true });
  });

  it('pages users, groups and departments to the end (a short page ends the list)', async () => {
    const f = await startZia();
    const zia = legacy(f);
    const pages = await collect(zia.listUsers({ pageSize: 2 }));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((u) => u.id)).toEqual([1001, 1002, 1003, 1004, 1005]);
    expect(pages[0]![1]!.groups?.map((g) => g.name)).toEqual(['Engineering', 'VPN Users']);
    expect((pages[0]![0]! as Record<string, unknown>).pilotUser).toBe(false);
    expect((pages[1]![0]! as Record<string, unknown>).type).toBe('SOME_NEW_TYPE');
    // Exactly divisible: the empty page after the last full one ends the list.
    f.users = f.users.slice(0, 4);
    expect((await collect(zia.listUsers({ pageSize: 2 }))).map((p) => p.length)).toEqual([2, 2]);
    expect((await collect(zia.listGroups())).flat()).toHaveLength(3);
    expect((await collect(zia.listDepartments())).flat().map((d) => d.name)).toEqual(['R&D', 'Navy', 'Research']);
    const q = f.server.requests.find((r) => r.path.endsWith('/groups'))!.query;
    expect(q.get('pageSize')).toBe('1000');
    expect(q.get('page')).toBe('1');
    // Users by default at the documented maximum (F18): a million-user tenant is 100 requests per read, not 1,000.
    f.server.requests.length = 0;
    await collect(zia.listUsers({ stripUnknown: true }));
    expect(f.server.requests.filter((r) => r.path.endsWith('/users')).map((r) => r.query.get('pageSize'))).toEqual(['10000']);
  });

  it('a failed page is an error, never the end of the list', async () => {
    const f = await startZia();
    const zia = legacy(f);
    f.override = (r) =>
      r.path.endsWith('/users') && r.query.get('page') === '2' ? { status: 500, body: { code: 'UNEXPECTED_ERROR', message: 'boom' } } : undefined;
    const seen: number[] = [];
    const run = async () => {
      for await (const p of zia.listUsers({ pageSize: 2 })) seen.push(p.length);
    };
    await expect(run()).rejects.toMatchObject({ status: 500, attempts: 3 });
    expect(seen).toEqual([2]);
  });

  it('read-only mode: writes throw before leaving the process; login still works', async () => {
    const f = await startZia();
    const zia = legacy(f, { readOnly: true });
    await expect(zia.updateAuthSettings({ directorySyncMigrateToScimEnabled: true })).rejects.toBeInstanceOf(ReadOnlyViolation);
    await expect(zia.activate()).rejects.toBeInstanceOf(ReadOnlyViolation);
    await expect(zia.putAuthSettings(await zia.getAuthSettings())).rejects.toBeInstanceOf(ReadOnlyViolation);
    expect(mutating(f.server)).toHaveLength(0);
    expect(f.logins).toBe(1);
  });

  it('the client-side limiter keeps a burst under the documented 2 GET/s (zero 429s)', async () => {
    const f = await startZia();
    const guard = slidingWindowGuard(2, 1000); // F20: Light (GET) 2/s
    f.override = (r) => (r.method === 'GET' && !guard() ? { status: 429, body: fixture('zia/error-rate-limit.json') } : undefined);
    const zia = legacy(f, { rateLimits: true, tuning: { retries: 0 } });
    await zia.login();
    await Promise.all([zia.getActivationStatus(), zia.getActivationStatus(), zia.getActivationStatus(), zia.getActivationStatus()]);
    expect(f.server.requests.filter((r) => r.method === 'GET')).toHaveLength(4);
    // Control: without the limiter the same burst trips the server's limit.
    const unlimited = legacy(f, { rateLimits: false, tuning: { retries: 0 } });
    const results = await Promise.allSettled([unlimited.getActivationStatus(), unlimited.getActivationStatus(), unlimited.getActivationStatus()]);
    expect(results.some((r) => r.status === 'rejected' && (r.reason as ApiError).status === 429)).toBe(true);
  });

  it('keeps password, API key, obfuscated key and session id out of errors and the audit log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrate-zia-'));
    try {
      const f = await startZia();
      const auditPath = join(dir, 'audit.jsonl');
      const zia = legacy(f, { audit: createJsonlAudit(auditPath) });
      await zia.login();
      const loginBody = JSON.parse(f.server.requests[0]!.body) as { apiKey: string };
      f.override = (r) =>
        r.path.endsWith('/status')
          ? { status: 400, body: { code: 'INVALID_INPUT_ARGUMENT', message: `echo ${PASSWORD} ${API_KEY} ${loginBody.apiKey} ${r.headers.cookie}` } }
          : undefined;
      const err = (await zia.getActivationStatus().catch((e: unknown) => e)) as ApiError;
      const text = `${err.message} ${err.hint ?? ''} ${JSON.stringify(err)} ${readFileSync(auditPath, 'utf8')}`;
      expect(err.code).toBe('INVALID_INPUT_ARGUMENT');
      for (const secret of [PASSWORD, API_KEY, loginBody.apiKey, JSESSIONID, 'kerb-Secret']) expect(text).not.toContain(secret);
      expect(readFileSync(auditPath, 'utf8')).toContain('"path":"/authenticatedSession"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains a OneAPI-only tenant answering the legacy API', async () => {
    const f = await startZia();
    f.override = (r) =>
      r.path.endsWith('/authenticatedSession') ? { status: 401, raw: readFileSync(join(process.cwd(), 'fixtures/zia/only-oneapi.txt'), 'utf8') } : undefined;
    const err = (await legacy(f)
      .login()
      .catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe('ONLY_ONEAPI_SUPPORTED');
    expect(err.hint).toMatch(/oneapi/);
  });
});

describe('ZIA client, OneAPI', () => {
  it('a client secret the token endpoint refuses is sent once per run', async () => {
    const tokens = await startServer(() => ({ status: 401, body: { error: 'invalid_client', error_description: 'bad client secret' } }));
    extraServers.push(tokens);
    const api = await startServer(() => ({ status: 200, body: fixture('zia/status-active.json') }));
    extraServers.push(api);
    const zia = createZiaClient({
      baseUrl: `${api.url}/zia/api/v1`,
      auth: { kind: 'oneapi', tokenUrl: `${tokens.url}/oauth2/v1/token`, clientId: 'cid', clientSecret: 'wrong-client-secret' },
      rateLimits: false,
      tuning: { retryBaseDelayMs: 5, retries: 4 },
    });
    for (let i = 0; i < 3; i++) await expect(zia.getActivationStatus()).rejects.toMatchObject({ status: 401, code: 'invalid_client' });
    await expect(zia.login()).rejects.toMatchObject({ status: 401 });
    expect(tokens.requests).toHaveLength(1);
    expect(api.requests).toHaveLength(0);
  });

  it('gets a client-credentials token with the audience, uses it as Bearer, and refreshes once on 401', async () => {
    let tokenCalls = 0;
    const tokens = await startServer((r) => {
      tokenCalls++;
      const form = new URLSearchParams(r.body);
      if (
        form.get('client_secret') !== 'oneapi-client-secret-value' ||
        form.get('audience') !== 'https://api.zscaler.com' ||
        form.get('grant_type') !== 'client_credentials'
      ) {
        return { status: 401, body: { error: 'invalid_client', error_description: 'bad client' } };
      }
      return { status: 200, body: { ...fixture<Record<string, unknown>>('zia/oneapi-token.json'), access_token: `tok-${tokenCalls}-abcdef` } };
    });
    extraServers.push(tokens);
    let apiCalls = 0;
    const api = await startServer((r) => {
      apiCalls++;
      if (apiCalls === 2) return { status: 401, body: { code: 'UNAUTHORIZED', message: 'token expired' } };
      if (!r.path.startsWith('/zia/api/v1/')) return { status: 404 };
      return { status: 200, body: r.path.endsWith('/authSettings') ? fixture('zia/authSettings-hosted.json') : fixture('zia/status-active.json') };
    });
    extraServers.push(api);
    const zia = createZiaClient({
      baseUrl: `${api.url}/zia/api/v1`,
      auth: { kind: 'oneapi', tokenUrl: `${tokens.url}/oauth2/v1/token`, clientId: 'cid', clientSecret: 'oneapi-client-secret-value' },
      rateLimits: false,
    });
    expect((await zia.getAuthSettings()).orgAuthType).toBe('SAFECHANNEL_DIR');
    expect(api.requests[0]!.headers.authorization).toBe('Bearer tok-1-abcdef');
    expect(tokens.requests[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(tokens.requests[0]!.path).toBe('/oauth2/v1/token');
    expect(await zia.getActivationStatus()).toBe('ACTIVE'); // 401 → new token → retried
    expect(tokenCalls).toBe(2);
    expect(api.requests[2]!.headers.authorization).toBe('Bearer tok-2-abcdef');
  });
});
