import { existsSync } from 'node:fs';
import { startHarness, type Harness } from './harness.js';
import { createPingFederateClient, type PingFederateClient } from '../../src/clients/pingfederate.js';
import { resolveSecret } from '../../src/config/secrets.js';

/**
 * Both flows with idp.kind pingfederate on the sandbox (the simulated PingFederate admin API and its
 * provisioning engine, docs/vendor-facts.md P1–P11), for what is PingFederate's own: the SP
 * connection as the admin API shows it after each flow, every user taken over through SCIM, nothing
 * secret on disk, an initial cycle that waits for PingFederate itself. The shared IdP set
 * (test/flows/idps.test.ts) runs the dry-run, clean run, rerun, crash and rollback at every step.
 */

const start = () => startHarness({ idp: 'pingfederate', users: 30 });

/** The admin API as the product sees it, with the configuration's own credential. */
function admin(h: Harness): PingFederateClient {
  const idp = h.config.idp;
  if (idp.kind !== 'pingfederate' || idp.auth.kind !== 'basic') throw new Error('expected a PingFederate configuration with Basic access');
  return createPingFederateClient({
    adminUrl: idp.adminUrl,
    auth: { kind: 'basic', username: idp.auth.username, password: resolveSecret(idp.auth, 'password', 'idp.auth', h.env) },
  });
}

async function connectionState(h: Harness) {
  const pf = admin(h);
  const [c] = await pf.listSpConnections({ filter: 'Zscaler ZIA' });
  const { shape } = await pf.readProvisioning(c!.id);
  return shape;
}

const managed = (h: Harness) => [...h.sandbox.world.tenant.users.values()].filter((u) => u.scim?.idpId === h.sandbox.credentials.zia.idpId).length;
const onlyReads = (h: Harness) =>
  h.sandbox
    .requests()
    .filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !/authenticatedSession|\/token$|\/token\.oauth2$/.test(r.path))
    .map((r) => `${r.server} ${r.method} ${r.path}`);

describe('ad-to-scim and rollback with PingFederate', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('dry-run: preflight reads the connection, the plan names the settings it would change, zero writes anywhere', async () => {
    h = await start();
    h.sandbox.resetLog();
    const result = await h.run(h.forward, { dryRun: true });
    expect(result.plan.preflight.filter((c) => !c.ok)).toEqual([]);
    expect(result.plan.preflight.find((c) => c.id === 'pingfederate-connection')?.detail).toMatch(
      /Base URL in target setting "baseUrl", token in "bearerToken"/,
    );
    const creds = result.plan.steps.find((s) => s.id === 'pingfederate-credentials')!;
    expect(creds.observation.state).toBe('pending');
    expect(creds.observation.changes?.join('\n')).toMatch(/kept as they are: "userCreate"/);
    expect(h.sandbox.stats().mutations).toBe(0);
    expect(existsSync(h.statePath)).toBe(false);
  });

  it('clean run: the connection gets the SCIM target and is active, PingFederate takes every user over; a rerun writes nothing', async () => {
    h = await start();
    const first = await h.run(h.forward);
    expect(first.completed).toBe(true);
    const shape = await connectionState(h);
    expect(shape).toMatchObject({ connectionActive: true, tokenSet: true, channels: [{ active: true }] });
    expect(shape.baseUrl).toMatch(new RegExp(`/${h.sandbox.credentials.zia.orgId}/${h.sandbox.credentials.zia.idpId}/scim$`));
    expect(managed(h)).toBe(h.sandbox.world.directory.users.length);
    const disk = await h.diskText();
    for (const secret of Object.values(h.env)) expect(disk).not.toContain(secret);

    h.sandbox.resetLog();
    const again = await h.run(h.forward);
    expect(again.completed).toBe(true);
    expect(onlyReads(h)).toEqual([]);
    expect(h.sandbox.stats().mutations).toBe(0);
  });

  it('the initial cycle waits for PingFederate itself: directory-synced users already in SCIM do not count', async () => {
    h = await startHarness({ idp: 'pingfederate', users: 30, tweak: (c) => Object.assign(c.idp as object, { initialCycleTimeoutMinutes: 0.02 }) });
    // A channel whose Source Location holds nobody: PingFederate runs and pushes nothing.
    const pf = admin(h);
    const [c] = await pf.listSpConnections({ filter: 'Zscaler ZIA' });
    const conn = await pf.getSpConnection(c!.id);
    const source = conn.outboundProvision!.channels[0]!.channelSource as { userSourceLocation: { groupDN: string } };
    const groupDn = source.userSourceLocation.groupDN;
    source.userSourceLocation.groupDN = `CN=Nobody,${h.sandbox.world.directory.baseDn}`;
    await pf.putSpConnection(c!.id, conn);
    await expect(h.run(h.forward)).rejects.toThrow(/initial cycle is not complete: 0 users updated by PingFederate of 30/);
    expect(managed(h)).toBe(0);
    // The administrator fixes the Source Location; the same command then completes.
    source.userSourceLocation.groupDN = groupDn;
    const fixed = await pf.getSpConnection(c!.id);
    (fixed.outboundProvision!.channels[0]!.channelSource as { userSourceLocation: { groupDN: string } }).userSourceLocation.groupDN = groupDn;
    await pf.putSpConnection(c!.id, fixed);
    // The short budget only had to expire on an empty push; the real cycle gets a budget no machine load can exhaust.
    Object.assign(h.config.idp, { initialCycleTimeoutMinutes: 10 });
    const again = await h.run(h.forward, { ctx: h.ctx() });
    expect(again.completed).toBe(true);
    expect(managed(h)).toBe(h.sandbox.world.directory.users.length);
  });

  it('rollback deactivates the channel and puts the connection back inactive; nobody is deprovisioned', async () => {
    h = await start();
    expect((await h.run(h.forward)).completed).toBe(true);
    const users = h.sandbox.world.tenant.users.size;
    const back = await h.run(h.rollback, { ctx: h.ctx() });
    expect(back.completed).toBe(true);
    expect(await connectionState(h)).toMatchObject({ connectionActive: false, channels: [{ active: false }] });
    expect(h.sandbox.world.tenant.users.size).toBe(users);
    expect(h.sandbox.world.tenant.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(false);
  });
});
