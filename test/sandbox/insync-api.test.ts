import { afterEach, describe, expect, test } from '@jest/globals';
import { startInsyncSimulation, type InsyncSimulation } from '../../src/sandbox/insync/index.js';
import { call } from './core-helpers.js';

/**
 * The Druva inSync simulation over raw HTTP: what a client that is not ours would see.
 * Facts: docs/vendor-facts.md, "Druva inSync".
 */

const HOUR = 3_600_000;
let sim: InsyncSimulation | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function token(s: InsyncSimulation, basic = Buffer.from(`${s.credentials.clientId}:${s.credentials.secretKey}`).toString('base64')) {
  return call(s.endpoints.tokenUrl, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=read',
  });
}

async function bearer(s: InsyncSimulation): Promise<Record<string, string>> {
  const t = await token(s);
  return { authorization: `Bearer ${t.body.access_token as string}` };
}

describe('token endpoint (docs/vendor-facts.md D2–D4)', () => {
  test('Basic client id:secret key and grant_type=client_credentials give a bearer token of 1800 s', async () => {
    sim = await startInsyncSimulation({ users: 3 });
    const t = await token(sim);
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ token_type: 'bearer', expires_in: 1800 });
    expect(typeof t.body.access_token).toBe('string');
  });

  test('a wrong secret, no Basic header or another grant type: 400 with an empty object, as the reference shows', async () => {
    sim = await startInsyncSimulation({ users: 3 });
    expect(await token(sim, Buffer.from(`${sim.credentials.clientId}:nope`).toString('base64'))).toMatchObject({ status: 400, body: {} });
    const noBasic = await call(sim.endpoints.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(noBasic.status).toBe(400);
  });

  test('no token: 401; a token past its 30 minutes on the simulated clock: 403 by default, with the error body', async () => {
    sim = await startInsyncSimulation({ users: 3 });
    const users = `${sim.endpoints.apiUrl}/usermanagement/v1/users`;
    const none = await call(users);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ retryable: false, data: {} });
    const h = await bearer(sim);
    expect((await call(users, { headers: h })).status).toBe(200);
    sim.advance(29 * 60_000);
    expect((await call(users, { headers: h })).status).toBe(200);
    sim.advance(60_001);
    const expired = await call(users, { headers: h });
    expect(expired.status).toBe(403);
    expect(expired.body).toMatchObject({ code: expect.any(String), message: expect.stringMatching(/expired/), retryable: false });
  });

  test('the token request is not a mutation in the request log', async () => {
    sim = await startInsyncSimulation({ users: 3 });
    await token(sim);
    expect(sim.stats()).toMatchObject({ requests: 1, mutations: 0 });
    expect(sim.requests()[0]).toMatchObject({ server: 'login', method: 'POST', path: '/token' });
  });
});

describe('lists and paging (docs/vendor-facts.md D5, D10, D12)', () => {
  test('pages of pageSize records chained by nextPageToken, empty on the last; a made-up token is a 400', async () => {
    sim = await startInsyncSimulation({ users: 7, pageSize: 3 });
    const h = await bearer(sim);
    const base = `${sim.endpoints.apiUrl}/usermanagement/v1/users`;
    const seen: number[] = [];
    let next = '';
    let pages = 0;
    do {
      const r = await call(next ? `${base}?pageToken=${encodeURIComponent(next)}` : base, { headers: h });
      expect(r.status).toBe(200);
      expect(r.body.totalSize).toBe(7);
      expect(r.body.users.length).toBeLessThanOrEqual(3);
      seen.push(...(r.body.users as Array<{ userID: number }>).map((u) => u.userID));
      next = r.body.nextPageToken as string;
      pages++;
    } while (next !== '');
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(7);
    const bad = await call(`${base}?pageToken=bm9wZQ`, { headers: h });
    expect(bad.status).toBe(400);
    expect(bad.body.retryable).toBe(false);
  });

  test('users carry the documented fields; storages spell their id StorageID; filters by status and userIDs', async () => {
    sim = await startInsyncSimulation({ users: 30 });
    const h = await bearer(sim);
    const r = await call(`${sim.endpoints.apiUrl}/usermanagement/v1/users`, { headers: h });
    const u = r.body.users[0];
    expect(Object.keys(u)).toEqual(
      expect.arrayContaining(['userID', 'userName', 'emailID', 'status', 'profileID', 'storageID', 'quotaInBytes', 'addedOn', 'privacySettingsEnabled']),
    );
    expect(typeof u.privacySettingsEnabled).toBe('string');
    const s = await call(`${sim.endpoints.apiUrl}/storagemanagement/v1/storages`, { headers: h });
    expect(s.body.storages[0]).toHaveProperty('StorageID');
    const active = await call(`${sim.endpoints.apiUrl}/usermanagement/v1/users?status=active`, { headers: h });
    expect((active.body.users as Array<{ status: string }>).every((x) => x.status === 'active')).toBe(true);
    const two = await call(`${sim.endpoints.apiUrl}/usermanagement/v1/users?userIDs=${u.userID},${u.userID + 1}`, { headers: h });
    expect(two.body.users).toHaveLength(2);
    expect((await call(`${sim.endpoints.apiUrl}/usermanagement/v1/users?userIDs=a,b`, { headers: h })).status).toBe(400);
  });
});

describe('backups over simulated time (docs/vendor-facts.md D13)', () => {
  test('lastSuccessful is required and only true is accepted', async () => {
    sim = await startInsyncSimulation({ users: 3 });
    const h = await bearer(sim);
    expect((await call(`${sim.endpoints.apiUrl}/endpoints/v1/backups`, { headers: h })).status).toBe(400);
    expect((await call(`${sim.endpoints.apiUrl}/endpoints/v1/backups?lastSuccessful=false`, { headers: h })).status).toBe(400);
    expect((await call(`${sim.endpoints.apiUrl}/endpoints/v1/backups?lastSuccessful=true`, { headers: h })).status).toBe(200);
  });

  test("an active user's devices back up every interval and grow; a preserved user's do not; nothing moves without the clock", async () => {
    sim = await startInsyncSimulation({ users: 40, backupIntervalHours: 8 });
    const preserved = [...sim.tenant.users.values()].find((u) => u.status === 'preserved');
    expect(preserved).toBeDefined();
    const read = async () => {
      const h = await bearer(sim!);
      const b = await call(`${sim!.endpoints.apiUrl}/endpoints/v1/backups?lastSuccessful=true`, { headers: h });
      const d = await call(`${sim!.endpoints.apiUrl}/endpoints/v2/devices`, { headers: h });
      return {
        end: new Map((b.body.backups as Array<{ deviceID: number; endTime: string }>).map((x) => [x.deviceID, x.endTime])),
        bytes: new Map((d.body.devices as Array<{ deviceID: number; totalBackupDataInBytes: number; userID: number }>).map((x) => [x.deviceID, x])),
      };
    };
    const t0 = await read();
    expect(await read()).toEqual(t0);
    sim.advance(8 * HOUR);
    const t1 = await read();
    for (const [id, dev] of t1.bytes) {
      if (dev.userID === preserved!.userID) {
        expect(dev.totalBackupDataInBytes).toBe(t0.bytes.get(id)?.totalBackupDataInBytes);
        expect(t1.end.has(id)).toBe(false);
      } else {
        expect(dev.totalBackupDataInBytes).toBeGreaterThan(t0.bytes.get(id)?.totalBackupDataInBytes ?? Infinity);
        expect(Date.parse(t1.end.get(id)!)).toBeGreaterThan(Date.parse(t0.end.get(id)!));
      }
    }
  });
});

describe('events with a tracker (docs/vendor-facts.md D14)', () => {
  test('at most 500 a call; the tracker continues, nextPageExists says more; a tracker older than 48 hours is refused', async () => {
    sim = await startInsyncSimulation({ users: 300, backupIntervalHours: 1 });
    // Each catch-up reports a device's latest backup once: two hourly steps give 300+ devices two events each.
    sim.advance(HOUR);
    sim.advance(HOUR);
    const h = await bearer(sim);
    const url = `${sim.endpoints.apiUrl}/eventmanagement/v2/events`;
    const first = await call(url, { headers: h });
    expect(first.body.events).toHaveLength(500);
    expect(first.body.nextPageExists).toBe(true);
    const again = await call(url, { headers: h });
    expect(again.body.events[0].eventID).toBe(first.body.events[0].eventID); // no tracker: the same first events
    const second = await call(`${url}?tracker=${encodeURIComponent(first.body.tracker as string)}`, { headers: h });
    expect(second.body.events[0].eventID).toBe((first.body.events[499].eventID as number) + 1);
    sim.advance(49 * HOUR);
    const h2 = await bearer(sim);
    const stale = await call(`${url}?tracker=${encodeURIComponent(first.body.tracker as string)}`, { headers: h2 });
    expect(stale.status).toBe(400);
    expect(stale.body.message).toMatch(/expired/);
  });
});

describe('faults and the user DELETE (docs/vendor-facts.md D6, D8)', () => {
  test('an injected 503 carries the Druva error body with retryable as set; the control API is never faulted', async () => {
    sim = await startInsyncSimulation({ users: 3, faults: 'insync:GET:/profilemanagement:5xx' });
    const h = await bearer(sim);
    const r = await call(`${sim.endpoints.apiUrl}/profilemanagement/v1/profiles`, { headers: h });
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: 'InsyncEndpoints-1006', retryable: true, data: {} });
    sim.setFaults('insync:GET:/profilemanagement:500', { retryable: false });
    expect((await call(`${sim.endpoints.apiUrl}/profilemanagement/v1/profiles`, { headers: h })).body.retryable).toBe(false);
    sim.setFaults('login:POST:/token:500');
    expect((await token(sim)).status).toBe(500);
    sim.setFaults('*:*:*:500');
    expect((await call(`${sim.endpoints.controlUrl}/clock`)).status).toBe(200);
  });

  test("DELETE of a user is simulated as documented: the user's devices and backups go with it", async () => {
    sim = await startInsyncSimulation({ users: 5 });
    const h = await bearer(sim);
    const [u] = [...sim.tenant.users.values()];
    const devices = [...sim.tenant.devices.values()].filter((d) => d.userID === u!.userID);
    expect(devices.length).toBeGreaterThan(0);
    expect((await call(`${sim.endpoints.apiUrl}/usermanagement/v1/users/${u!.userID}`, { method: 'DELETE', headers: h })).status).toBe(200);
    expect(sim.tenant.users.has(u!.userID)).toBe(false);
    expect(devices.every((d) => !sim!.tenant.devices.has(d.deviceID))).toBe(true);
    expect(sim.stats().mutations).toBe(1);
  });

  test('the control API moves the clock and sets the switch faults', async () => {
    sim = await startInsyncSimulation({ users: 3, clockStart: Date.parse('2026-01-01T00:00:00Z') });
    expect((await call(`${sim.endpoints.controlUrl}/clock`)).body.now).toBe('2026-01-01T00:00:00Z');
    expect((await call(`${sim.endpoints.controlUrl}/clock/advance`, { method: 'POST', json: { ms: HOUR } })).body.now).toBe('2026-01-01T01:00:00Z');
    expect((await call(`${sim.endpoints.controlUrl}/clock/advance`, { method: 'POST', json: { ms: -1 } })).status).toBe(400);
    const f = await call(`${sim.endpoints.controlUrl}/switch-faults`, { method: 'POST', json: { loseUser: { how: 'preserved' } } });
    expect(f.body).toEqual({ loseUser: { how: 'preserved' } });
    expect(sim.tenant.switchFaults).toEqual({ loseUser: { how: 'preserved' } });
  });
});
