import { afterEach, describe, expect, test } from '@jest/globals';
import { ApiError } from '../../src/clients/http.js';
import { createInsyncClient, type InsyncClient } from '../../src/clients/insync.js';
import { createSandboxInsyncPortalClient, type SandboxInsyncPortalClient } from '../../src/clients/sandbox-insync-portal.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { startInsyncSimulation, type InsyncSimulation } from '../../src/sandbox/insync/index.js';

/**
 * The console-only deployment actions of the inSync simulation, driven through the sandbox
 * portal client (as the scripted operator will), and observed through the real inSync client
 * (as the flow's verification will). Facts: docs/vendor-facts.md, "Druva inSync" D15–D20.
 */

const HOUR = 3_600_000;
let sim: InsyncSimulation | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(opts: Parameters<typeof startInsyncSimulation>[0] = {}) {
  sim = await startInsyncSimulation({ users: 60, ...opts });
  const portal: SandboxInsyncPortalClient = createSandboxInsyncPortalClient({ portalUrl: sim.endpoints.portalUrl });
  const api: InsyncClient = createInsyncClient({
    apiUrl: sim.endpoints.apiUrl,
    tokenUrl: sim.endpoints.tokenUrl,
    clientId: sim.credentials.clientId,
    secretKey: sim.credentials.secretKey,
    tuning: { retries: 1, retryBaseDelayMs: 1 },
  });
  return { sim, portal, api };
}

/** What the flow's snapshot holds, per user: the fields the switch must not change. */
async function snapshot(api: InsyncClient) {
  const users = await api.listUsers();
  const devices = await api.listDevices();
  const backups = await api.lastSuccessfulBackups();
  return {
    users: new Map(users.map((u) => [u.userID, { emailID: u.emailID, status: u.status, profileID: u.profileID, storageID: u.storageID }])),
    bytes: new Map(devices.map((d) => [d.deviceID, d.totalBackupDataInBytes])),
    lastBackup: new Map(backups.map((b) => [b.deviceID, Date.parse(b.endTime)])),
  };
}

describe('Change User Deployment method (seed procedure; docs/vendor-facts.md D17–D18)', () => {
  test('SCIM → Azure AD without "keep": SCIM mappings and settings deleted, every user to Manual, users and data untouched', async () => {
    const { portal, api } = await start();
    const before = await snapshot(api);
    expect(await portal.deployment()).toMatchObject({ method: 'SCIM', scimTokenActive: true, mappings: [{ kind: 'SCIM' }] });
    const r = await portal.changeDeploymentMethod('Azure AD', false);
    expect(r).toEqual({
      from: 'SCIM',
      to: 'Azure AD',
      keepExistingMappings: false,
      usersMovedToManual: 60,
      mappingsDeleted: 1,
      settingsDeleted: ['SCIM token'],
    });
    expect(await portal.deployment()).toMatchObject({ method: 'Azure AD', scimTokenActive: false, mappings: [] });
    expect(new Set((await portal.userModes()).map((u) => u.mode))).toEqual(new Set(['Manual']));
    const after = await snapshot(api);
    expect(after.users).toEqual(before.users);
    expect(after.bytes).toEqual(before.bytes);
  });

  test('with "keep": only the move to Manual; the SCIM mappings and token stay', async () => {
    const { portal } = await start();
    const r = await portal.changeDeploymentMethod('Azure AD', true);
    expect(r).toMatchObject({ mappingsDeleted: 0, settingsDeleted: [], usersMovedToManual: 60 });
    expect(await portal.deployment()).toMatchObject({ method: 'Azure AD', scimTokenActive: true, mappings: [{ kind: 'SCIM', name: 'All users' }] });
    expect(new Set((await portal.userModes()).map((u) => u.mode))).toEqual(new Set(['Manual']));
  });

  test('backups keep arriving after the switch, by the profile schedule', async () => {
    const { sim: s, portal, api } = await start({ backupIntervalHours: 8 });
    await portal.changeDeploymentMethod('Azure AD', false);
    const t0 = await snapshot(api);
    s.advance(8 * HOUR);
    const t1 = await snapshot(api);
    const advanced = [...t1.lastBackup].filter(([id, end]) => end > (t0.lastBackup.get(id) ?? Infinity));
    expect(advanced.length).toBe(t0.lastBackup.size);
  });

  test('switching to the current method is refused (409) and changes nothing', async () => {
    const { portal } = await start();
    const err = (await portal.changeDeploymentMethod('SCIM', false).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(409);
    expect(err.vendorMessage).toMatch(/already SCIM/);
    expect((await portal.userModes()).every((u) => u.mode === 'SCIM')).toBe(true);
  });

  test('switching back does not bring back the mappings deleted by a switch without "keep" (the rollback warning)', async () => {
    const { portal } = await start();
    await portal.changeDeploymentMethod('Azure AD', false);
    await portal.grantAzureAdConsent();
    await portal.createMapping('Azure AD', { name: 'Sales', profileID: 1, storageID: 1 });
    const back = await portal.changeDeploymentMethod('SCIM', false);
    expect(back).toMatchObject({ from: 'Azure AD', to: 'SCIM', mappingsDeleted: 1, settingsDeleted: ['Microsoft 365 consent'] });
    const d = await portal.deployment();
    expect(d).toMatchObject({ method: 'SCIM', scimTokenActive: false, mappings: [] });
    // The operator regenerates the SCIM token and recreates the SCIM mapping by hand.
    expect(await portal.generateScimToken()).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    await portal.createMapping('SCIM', { name: 'All users', profileID: 1, storageID: 1 });
    expect(await portal.deployment()).toMatchObject({ scimTokenActive: true, mappings: [{ kind: 'SCIM', name: 'All users' }] });
  });
});

describe('Create Azure AD mapping (docs/vendor-facts.md D19)', () => {
  test('refused before the method is Azure AD, and before the Microsoft 365 consent; then created; users stay Manual', async () => {
    const { portal } = await start();
    await expect(portal.createMapping('Azure AD', { name: 'All', profileID: 1, storageID: 1 })).rejects.toMatchObject({ status: 409 });
    await portal.changeDeploymentMethod('Azure AD', false);
    await expect(portal.createMapping('Azure AD', { name: 'All', profileID: 1, storageID: 1 })).rejects.toMatchObject({ status: 403 });
    await portal.grantAzureAdConsent();
    await expect(portal.createMapping('Azure AD', { name: 'All', profileID: 9, storageID: 1 })).rejects.toMatchObject({ status: 400 });
    const m = await portal.createMapping('Azure AD', { name: 'All', profileID: 1, storageID: 2 });
    expect(m).toMatchObject({ kind: 'Azure AD', name: 'All', profileID: 1, storageID: 2 });
    await expect(portal.createMapping('Azure AD', { name: 'All', profileID: 1, storageID: 2 })).rejects.toMatchObject({ status: 409 });
    // "will not be mapped to any Azure AD mapping automatically" (seed procedure)
    expect((await portal.userModes()).every((u) => u.mode === 'Manual')).toBe(true);
  });

  test('a malformed action body is a 400 that names the field', async () => {
    const { sim: s } = await start();
    const r = await fetch(`${s.endpoints.portalUrl}/deployment/method`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'Okta' }),
    });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toMatch(/method/);
  });
});

describe('switch faults: damage the verification must catch', () => {
  test('"a user lost by the switch": one active user is gone, with their devices', async () => {
    const { sim: s, portal, api } = await start();
    const before = await snapshot(api);
    s.setSwitchFaults({ loseUser: {} });
    await portal.changeDeploymentMethod('Azure AD', false);
    const after = await snapshot(api);
    const missing = [...before.users.keys()].filter((id) => !after.users.has(id));
    expect(missing).toHaveLength(1);
    expect(after.bytes.size).toBeLessThan(before.bytes.size);
  });

  test('"a user lost by the switch" as preserved: the user is still listed, preserved', async () => {
    const { sim: s, portal, api } = await start();
    const before = await snapshot(api);
    const victim = [...before.users].find(([, u]) => u.status === 'active')![0];
    s.setSwitchFaults({ loseUser: { userID: victim, how: 'preserved' } });
    await portal.changeDeploymentMethod('Azure AD', true);
    expect((await api.getUser(victim)).status).toBe('preserved');
  });

  test('"a device\'s backup data lost": its bytes drop to 0 and its last successful backup is gone', async () => {
    const { sim: s, portal, api } = await start();
    const before = await snapshot(api);
    s.setSwitchFaults({ loseBackupData: {} });
    await portal.changeDeploymentMethod('Azure AD', false);
    const after = await snapshot(api);
    const dropped = [...after.bytes].filter(([id, b]) => b < (before.bytes.get(id) ?? 0));
    expect(dropped).toHaveLength(1);
    expect(dropped[0]![1]).toBe(0);
    expect(after.lastBackup.has(dropped[0]![0])).toBe(false);
    expect(after.users).toEqual(before.users);
  });
});

describe('opt-in from startSandbox', () => {
  test('insync: true starts the simulation on the sandbox directory, log and faults; without it there is none', async () => {
    const sb = await startSandbox({ users: 8, insync: true, rateLimits: false });
    try {
      expect(sb.insync).toBeDefined();
      expect(sb.insync!.tenant.users.size).toBe(8);
      const emails = new Set([...sb.insync!.tenant.users.values()].map((u) => u.emailID));
      expect(sb.world.directory.users.every((u) => emails.has((u.mail ?? u.userPrincipalName).toLowerCase()))).toBe(true);
      sb.resetLog();
      await fetch(sb.insync!.endpoints.tokenUrl, { method: 'POST' });
      expect(sb.requests().map((r) => r.server)).toEqual(['login']);
    } finally {
      await sb.stop();
    }
    const plain = await startSandbox({ users: 2, rateLimits: false });
    try {
      expect(plain.insync).toBeUndefined();
    } finally {
      await plain.stop();
    }
  });
});
