import { afterEach, describe, expect, test } from '@jest/globals';
import { isDisabled } from '../../src/sandbox/world/directory.js';
import { usersInScope } from '../../src/sandbox/pingfederate/index.js';
import { adminHeaders, startPingWorld, waitFor, type PingWorld } from './ping-helpers.js';
import { call } from './core-helpers.js';
import { createScimClient } from '../../src/clients/scim.js';

/**
 * The simulated PingFederate provisioning engine against the sandbox's ZIA SCIM service
 * (docs/vendor-facts.md P7–P11): it runs only while the connection and its channel are active
 * with a Base URL and a token the target accepts; it matches existing Zscaler users on Username
 * and never deletes under the default Remove User Action. Cycles are driven with
 * `provisioner.pass()` (one polling pass, awaited) except where the polling loop itself is the
 * subject; no test depends on how fast anything runs.
 */
let w: PingWorld | undefined;
afterEach(async () => {
  await w?.stop();
  w = undefined;
});

const managed = (world: PingWorld) => [...world.core.tenant.users.values()].filter((u) => u.scim?.idpId === world.scim.idpId);
const scimRequests = (world: PingWorld) => world.core.log.list().filter((e) => e.server === 'scim');

/** Saves the target and activates channel + connection, through the admin API as an administrator would. */
async function activate(world: PingWorld, token = world.scim.token, headers: Record<string, string> = {}): Promise<void> {
  const url = `${world.pf.adminUrl}/idp/spConnections/${world.pf.connectionId}`;
  const h = adminHeaders(world.pf.credentials.admin, headers);
  const c = (await call(url, { headers: h })).body;
  for (const f of c.outboundProvision.targetSettings) {
    if (f.name === world.pf.state.names.baseUrl) f.value = world.scim.baseUrl;
    if (f.name === world.pf.state.names.token) {
      delete f.encryptedValue;
      f.value = token;
    }
  }
  c.active = true;
  c.outboundProvision.channels[0].active = true;
  const r = await call(url, { method: 'PUT', headers: h, json: c });
  expect(r.status).toBe(200);
}

describe('PingFederate provisioning engine', () => {
  test('an inactive channel pushes nothing', async () => {
    w = await startPingWorld();
    w.core.log.reset();
    await w.pf.provisioner.pass();
    expect(scimRequests(w)).toEqual([]);
    expect(managed(w)).toHaveLength(0);
  });

  test('once active, it takes over every in-scope user by Username: lookup then PUT, never POST for an existing user, never DELETE', async () => {
    w = await startPingWorld({ users: 20 });
    await activate(w);
    w.core.log.reset();
    await w.pf.provisioner.pass();
    const inScope = usersInScope(w.core.directory, w.pf.state.connections.get(w.pf.connectionId)!.outbound!.channels[0]!);
    expect(inScope.length).toBe(w.core.directory.users.length);
    expect(
      managed(w)
        .map((u) => u.userName.toLowerCase())
        .sort(),
    ).toEqual(inScope.map((u) => u.userPrincipalName.toLowerCase()).sort());
    // Disabled directory accounts are linked and disabled, enabled ones active.
    const byName = new Map(managed(w).map((u) => [u.userName.toLowerCase(), u]));
    for (const u of inScope)
      expect({ u: u.userPrincipalName, active: byName.get(u.userPrincipalName.toLowerCase())?.active }).toEqual({
        u: u.userPrincipalName,
        active: !isDisabled(u),
      });
    const reqs = scimRequests(w);
    const userReqs = reqs.filter((r) => /\/Users/.test(r.path));
    expect(userReqs.filter((r) => r.method === 'GET' && /filter=userName(%20|\+)eq/.test(r.path))).toHaveLength(inScope.length);
    expect(userReqs.filter((r) => r.method === 'PUT')).toHaveLength(inScope.length);
    expect(reqs.filter((r) => r.method === 'DELETE' || r.method === 'PATCH')).toEqual([]);
    expect(userReqs.filter((r) => r.method === 'POST')).toEqual([]);
    const status = [...w.pf.provisioner.status.values()][0]!;
    expect(status).toMatchObject({ userCount: inScope.length, dirtyCount: 0 });
    expect(status.lastError).toBeUndefined();
    // Groups under the group source location are created with their members.
    expect(w.core.tenant.scimGroupIds(w.scim.idpId).length).toBeGreaterThan(0);
  });

  test('a second pass with nothing changed writes nothing; a directory change is one PUT', async () => {
    w = await startPingWorld({ users: 10 });
    await activate(w);
    await w.pf.provisioner.pass();
    w.core.log.reset();
    await w.pf.provisioner.pass();
    expect(scimRequests(w)).toEqual([]);
    const user = w.core.directory.users.find((u) => !isDisabled(u))!;
    user.department = 'Moved Department';
    await w.pf.provisioner.pass();
    expect(scimRequests(w).map((r) => `${r.method} ${r.status}`)).toEqual(['PUT 200']);
  });

  test('a user who leaves the source location is disabled (Remove User Action: Disable), not deleted', async () => {
    w = await startPingWorld({ users: 10 });
    await activate(w);
    await w.pf.provisioner.pass();
    const leaver = w.core.directory.users.find((u) => !isDisabled(u))!;
    for (const g of w.core.directory.groups) g.member = g.member.filter((m) => m !== leaver.dn);
    leaver.memberOf = [];
    w.core.log.reset();
    await w.pf.provisioner.pass();
    const rec = managed(w).find((u) => u.userName.toLowerCase() === leaver.userPrincipalName.toLowerCase());
    expect(rec?.active).toBe(false);
    expect(scimRequests(w).filter((r) => r.method === 'DELETE')).toEqual([]);
  });

  test('users absent from Zscaler are created with POST', async () => {
    w = await startPingWorld({ users: 8 });
    const extra = {
      ...w.core.directory.users[0]!,
      dn: `CN=New Hire,${w.core.directory.baseDn}`,
      userPrincipalName: 'new.hire@example.test',
      sAMAccountName: 'nhire',
      userAccountControl: 512,
    };
    extra.memberOf = [...extra.memberOf];
    w.core.directory.users.push(extra);
    await activate(w);
    w.core.log.reset();
    await w.pf.provisioner.pass();
    expect(scimRequests(w).filter((r) => r.method === 'POST' && /\/Users$/.test(r.path))).toHaveLength(1);
    expect(managed(w).find((u) => u.userName === 'new.hire@example.test')?.active).toBe(true);
  });

  test('what the initial cycle counts: SCIM users and groups modified since the channel was activated (meta.lastModified gt)', async () => {
    w = await startPingWorld({ users: 12 });
    const since = new Date().toISOString();
    await activate(w);
    const scim = createScimClient({ baseUrl: w.scim.baseUrl, token: w.scim.token, rateLimits: false });
    const filter = `meta.lastModified gt "${since}"`;
    // Directory-synced users are listed before anything is pushed; none of them was modified since.
    expect(await scim.countUsers()).toBe(w.core.directory.users.length);
    expect(await scim.countUsers(filter)).toBe(0);
    expect(await scim.countGroups(filter)).toBe(0);
    await w.pf.provisioner.pass();
    expect(await scim.countUsers(filter)).toBe(w.core.directory.users.length);
    expect(await scim.countGroups(filter)).toBe(w.core.tenant.scimGroupIds(w.scim.idpId).length);
    expect(await scim.countGroups(filter)).toBeGreaterThan(0);
  });

  test('a token the target refuses: the cycle stops at the first 401, logs it, changes nothing', async () => {
    w = await startPingWorld({ users: 10 });
    await activate(w, 'revoked-or-mistyped-token', { 'x-bypassexternalvalidation': 'true' });
    await w.pf.provisioner.pass();
    expect(managed(w)).toHaveLength(0);
    const status = [...w.pf.provisioner.status.values()][0]!;
    expect(status.lastError).toMatch(/HTTP 401/);
    expect(w.pf.provisioner.log.at(-1)).toMatchObject({ action: 'error', subject: 'cycle' });
    expect(scimRequests(w)).toHaveLength(1);
  });

  test('polling: with the provisioner running, users appear once the channel is activated, and stop with it', async () => {
    w = await startPingWorld({ users: 12, startProvisioner: true, synchronizationFrequencySeconds: 1, speed: 20 });
    await activate(w);
    const world = w;
    await waitFor(() => managed(world).length === world.core.directory.users.length, 'every user provisioned');
    // Deactivate; the provisioner then leaves the target alone even when the directory changes.
    const url = `${w.pf.adminUrl}/idp/spConnections/${w.pf.connectionId}`;
    const h = adminHeaders(w.pf.credentials.admin);
    const c = (await call(url, { headers: h })).body;
    c.outboundProvision.channels[0].active = false;
    expect((await call(url, { method: 'PUT', headers: h, json: c })).status).toBe(200);
    const cycles = [...w.pf.provisioner.status.values()][0]!.cycles;
    w.core.directory.users[0]!.department = 'After Deactivation';
    w.core.log.reset();
    await w.pf.provisioner.pass();
    expect([...w.pf.provisioner.status.values()][0]!.cycles).toBe(cycles);
    expect(scimRequests(w)).toEqual([]);
  });
});
