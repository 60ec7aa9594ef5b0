import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { ApiError } from '../../src/clients/http.js';
import { createInsyncClient, type InsyncClient, type InsyncClientOptions } from '../../src/clients/insync.js';
import { UserError } from '../../src/engine/errors.js';
import { startInsyncSimulation, type InsyncSimulation } from '../../src/sandbox/insync/index.js';
import { collect, startServer, type FixtureServer, type Reply } from './helpers/fixture-server.js';

/**
 * The Druva inSync client against the inSync simulation over real loopback HTTP, and against
 * fixture servers for the answers the simulation never gives on its own (a permission 403, a
 * paging loop). Facts: docs/vendor-facts.md, "Druva inSync".
 */

const MINUTE = 60_000;
const TUNING = { retries: 2, retryBaseDelayMs: 1, timeoutMs: 10_000 };

let sim: InsyncSimulation | undefined;
let fake: FixtureServer | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  await fake?.close();
  fake = undefined;
});

function clientFor(s: InsyncSimulation, extra: Partial<InsyncClientOptions> = {}): InsyncClient {
  return createInsyncClient({
    apiUrl: s.endpoints.apiUrl,
    tokenUrl: s.endpoints.tokenUrl,
    clientId: s.credentials.clientId,
    secretKey: s.credentials.secretKey,
    tuning: TUNING,
    ...extra,
  });
}

const tokenCalls = (s: InsyncSimulation) => s.requests().filter((r) => r.server === 'login').length;
const apiCalls = (s: InsyncSimulation, prefix: string) => s.requests().filter((r) => r.server === 'insync' && r.path.startsWith(`/insync${prefix}`));

describe('token (docs/vendor-facts.md D2–D4)', () => {
  test('one token serves many calls (the simulation accepts the id and secret only as HTTP Basic)', async () => {
    sim = await startInsyncSimulation({ users: 20 });
    const c = clientFor(sim);
    const users = await c.listUsers();
    expect(users).toHaveLength(20);
    expect(await c.listProfiles()).toHaveLength(2);
    expect(await c.listDevices()).not.toHaveLength(0);
    expect(tokenCalls(sim)).toBe(1);
  });

  test.each([403, 401] as const)('an expired token answered with %i is replaced once and the call sent again', async (status) => {
    sim = await startInsyncSimulation({ users: 5, expiredTokenStatus: status });
    const c = clientFor(sim);
    await c.listUsers();
    // 31 simulated minutes: the 30-minute token is dead on the server; this process's clock has not moved.
    sim.advance(31 * MINUTE);
    expect(await c.listUsers()).toHaveLength(5);
    expect(tokenCalls(sim)).toBe(2);
    expect(apiCalls(sim, '/usermanagement').map((r) => r.status)).toEqual([200, status, 200]);
  });

  test('a wrong secret key is refused at the token endpoint and not sent again in the run', async () => {
    sim = await startInsyncSimulation({ users: 2 });
    const c = clientFor(sim, { secretKey: 'not-the-secret-key' });
    await expect(c.listUsers()).rejects.toMatchObject({ status: 400, system: 'login' });
    await expect(c.listProfiles()).rejects.toBeInstanceOf(ApiError);
    expect(tokenCalls(sim)).toBe(1);
    expect(apiCalls(sim, '')).toHaveLength(0);
  });
});

/** A Druva-shaped fixture: a token endpoint plus `api` answering /insync/... */
async function startDruva(api: (path: string, query: URLSearchParams, n: number) => Reply): Promise<FixtureServer> {
  let n = 0;
  return startServer((r) => {
    if (r.path === '/token') return { status: 200, body: { access_token: `tok-${r.time}-${Math.random()}`, token_type: 'bearer', expires_in: 1800 } };
    return api(r.path.replace(/^\/insync/, ''), r.query, ++n);
  });
}
const fixtureClient = (f: FixtureServer) =>
  createInsyncClient({ apiUrl: `${f.url}/insync`, tokenUrl: `${f.url}/token`, clientId: 'id', secretKey: 'secret-key-value', tuning: TUNING });

describe('the token request (docs/vendor-facts.md D2)', () => {
  test('client id and secret key as HTTP Basic; the form carries the grant type and no secret', async () => {
    fake = await startDruva(() => ({ status: 200, body: { nextPageToken: '', profiles: [] } }));
    await fixtureClient(fake).listProfiles();
    const t = fake.requests.find((r) => r.path === '/token');
    expect(t?.method).toBe('POST');
    expect(t?.headers.authorization).toBe(`Basic ${Buffer.from('id:secret-key-value').toString('base64')}`);
    expect(new URLSearchParams(t?.body).get('grant_type')).toBe('client_credentials');
    expect(t?.body).not.toContain('secret-key-value');
    const call = fake.requests.find((r) => r.path !== '/token');
    expect(call?.headers.authorization).toMatch(/^Bearer tok-/);
  });
});

describe('403 that is a permission (docs/vendor-facts.md D4)', () => {
  test('a 403 with a fresh token too: one re-authentication, then an error that says it is a permission', async () => {
    const denied: Reply = {
      status: 403,
      body: { code: 'InsyncAdmanagement-1221', message: 'Access restricted due to insufficient permissions.', retryable: false, data: {} },
    };
    fake = await startDruva(() => denied);
    const err = (await fixtureClient(fake)
      .listUsers()
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(403);
    expect(err.code).toBe('InsyncAdmanagement-1221');
    expect(err.hint).toMatch(/permission, not an expired token/);
    expect(fake.requests.filter((r) => r.path === '/token')).toHaveLength(2);
    expect(fake.requests.filter((r) => r.path !== '/token')).toHaveLength(2);
  });
});

describe('paging by nextPageToken (docs/vendor-facts.md D5)', () => {
  test('4,100 users come in two responses of at most 4,097, the second asked for with pageToken', async () => {
    sim = await startInsyncSimulation({ users: 4_100 });
    const c = clientFor(sim);
    const pages = await collect(c.usersPages());
    expect(pages.map((p) => p.length)).toEqual([4_097, 3]);
    const all = await c.listUsers();
    expect(new Set(all.map((u) => u.userID)).size).toBe(4_100);
    const calls = apiCalls(sim, '/usermanagement/v1/users');
    expect(calls[0]?.path).toBe('/insync/usermanagement/v1/users');
    expect(calls[1]?.path).toMatch(/[?&]pageToken=/);
  });

  test('a nextPageToken the server gave before stops the read with an error instead of looping', async () => {
    fake = await startDruva(() => ({ status: 200, body: { totalSize: 2, nextPageToken: 'MTExMQ==', users: [] } }));
    await expect(fixtureClient(fake).listUsers()).rejects.toThrow(/would repeat an earlier page/);
    await expect(fixtureClient(fake).listUsers()).rejects.toBeInstanceOf(UserError);
  });

  test('whitespace as nextPageToken ends the list, as an empty one does', async () => {
    fake = await startDruva(() => ({ status: 200, body: { totalSize: 1, nextPageToken: ' ', profiles: [{ profileID: 1, profileName: 'Default' }] } }));
    expect(await fixtureClient(fake).listProfiles()).toEqual([{ profileID: 1, profileName: 'Default' }]);
  });
});

describe('the error body decides retries (docs/vendor-facts.md D6–D7)', () => {
  test('a 500 that says retryable: false is not sent again; one that says true is', async () => {
    sim = await startInsyncSimulation({ users: 3 });
    const c = clientFor(sim);
    sim.setFaults('insync:GET:/profilemanagement:500', { retryable: false });
    const once = (await c.listProfiles().catch((e: unknown) => e)) as ApiError;
    expect(once).toMatchObject({ status: 500, attempts: 1, code: 'InsyncEndpoints-1006' });
    expect(apiCalls(sim, '/profilemanagement')).toHaveLength(1);

    sim.resetLog();
    sim.setFaults('insync:GET:/profilemanagement:500', { retryable: true });
    const thrice = (await c.listProfiles().catch((e: unknown) => e)) as ApiError;
    expect(thrice).toMatchObject({ status: 500, attempts: 3 });
    expect(apiCalls(sim, '/profilemanagement')).toHaveLength(3);
  });

  test('a 4xx that says retryable: true is sent again and then succeeds', async () => {
    fake = await startDruva((_p, _q, n) =>
      n === 1
        ? { status: 422, body: { code: 'InsyncEndpoints-1100', message: 'busy', retryable: true } }
        : { status: 200, body: { nextPageToken: '', storages: [{ StorageID: 7, storageName: 'S' }] } },
    );
    // The reference spells the id StorageID (D12): read as storageID.
    expect(await fixtureClient(fake).listStorages()).toEqual([{ storageID: 7, storageName: 'S' }]);
  });

  test('a 429 is waited out per Retry-After whatever its body says', async () => {
    fake = await startDruva((_p, _q, n) =>
      n === 1
        ? { status: 429, headers: { 'retry-after': '0' }, body: { code: 'X', message: 'slow down', retryable: false } }
        : { status: 200, body: { nextPageToken: '', profiles: [] } },
    );
    expect(await fixtureClient(fake).listProfiles()).toEqual([]);
    expect(fake.requests.filter((r) => r.path !== '/token')).toHaveLength(2);
  });

  test('a response of another shape is a schema error naming the field', async () => {
    fake = await startDruva(() => ({
      status: 200,
      body: { nextPageToken: '', devices: [{ deviceID: 1, deviceName: 'x', userID: 2, totalBackupDataInBytes: 'lots' }] },
    }));
    await expect(fixtureClient(fake).listDevices()).rejects.toThrow(/devices\.0\.totalBackupDataInBytes/);
  });
});

describe('the snapshot reads (docs/vendor-facts.md D10–D14)', () => {
  test('devices carry backup bytes; last successful backups and events advance with the simulated clock', async () => {
    sim = await startInsyncSimulation({ users: 10, backupIntervalHours: 8 });
    const c = clientFor(sim);
    const before = await c.lastSuccessfulBackups();
    const bytesBefore = new Map((await c.listDevices()).map((d) => [d.deviceID, d.totalBackupDataInBytes]));
    const first = await c.events();
    sim.advance(9 * 60 * MINUTE);
    const after = await c.lastSuccessfulBackups();
    for (const b of after) {
      const old = before.find((x) => x.deviceID === b.deviceID);
      if (old) expect(Date.parse(b.endTime)).toBeGreaterThan(Date.parse(old.endTime));
    }
    const grown = (await c.listDevices()).filter((d) => d.totalBackupDataInBytes > (bytesBefore.get(d.deviceID) ?? Infinity));
    expect(grown.length).toBeGreaterThan(0);
    const next = await c.events(first.tracker);
    expect(next.events.some((e) => e.eventType === 'Backup')).toBe(true);
    expect(next.events[0]?.eventID).toBeGreaterThan(first.events.at(-1)?.eventID ?? 0);
  });

  test('lastSuccessfulBackups narrows to one user', async () => {
    sim = await startInsyncSimulation({ users: 10 });
    const c = clientFor(sim);
    const [u] = await c.listUsers({ status: 'active' });
    const devices = await c.listDevices({ userIDs: [u!.userID] });
    const backups = await c.lastSuccessfulBackups({ userID: u!.userID });
    expect(backups.map((b) => b.deviceID).sort()).toEqual(devices.map((d) => d.deviceID).sort());
  });
});

describe('no call that destroys backups (docs/vendor-facts.md D8)', () => {
  test('the client has no delete, and every function it has sends only GETs (and the token POST)', async () => {
    sim = await startInsyncSimulation({ users: 5 });
    const c = clientFor(sim);
    expect(Object.keys(c).filter((k) => /delete|remove|destroy|preserve|purge/i.test(k))).toEqual([]);
    const [u] = await c.listUsers();
    await c.getUser(u!.userID);
    await c.listProfiles();
    await c.listStorages();
    await c.listDevices();
    await c.lastSuccessfulBackups();
    await c.events();
    await collect(c.usersPages());
    await collect(c.devicesPages());
    const methods = new Set(sim.requests().map((r) => `${r.server} ${r.method}`));
    expect([...methods].sort()).toEqual(['insync GET', 'login POST']);
    expect(sim.stats().mutations).toBe(0);
  });

  test('the source holds no DELETE and no generic request on the users path', () => {
    const source = readFileSync(join(process.cwd(), 'src/clients/insync.ts'), 'utf8');
    // Code only: comments may (and do) explain why the call is absent.
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/delete/i);
    expect(code).not.toMatch(/\.request\s*\(/);
    expect(code).not.toMatch(/\.(post|put|patch)\s*\(/);
    // The only users path is the read one.
    expect(code.match(/usermanagement\/v1\/users[^'"`]*/g)?.every((p) => p === 'usermanagement/v1/users')).toBe(true);
  });
});
