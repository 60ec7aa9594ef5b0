import { existsSync } from 'node:fs';
import { adToScimFlowFor } from '../../src/flows/ad-to-scim.js';
import type { IdpKind } from '../../src/idps/actions.js';
import { loadProvisioner } from '../../src/idps/index.js';
import type { OktaIdpSimulation } from '../../src/sandbox/idps/okta.js';
import { CrashAfter, startHarness, type Harness } from './harness.js';
import type { PingFederateSimulation } from '../../src/sandbox/pingfederate/index.js';

const pingFederateOf = (h: Harness) => (h.sandbox.idp as unknown as { pingfederate: PingFederateSimulation }).pingfederate;

/**
 * The test set every IdP gets (issue 14): dry-run with zero writes, clean run, idempotent rerun,
 * crash at every step and resume, rollback from every step. One line per IdP: what its simulation
 * shows when the IdP is no longer pushing. Okta and PingFederate add theirs here.
 */
const IDPS: Array<{ kind: IdpKind; notPushing(h: Harness): void }> = [
  // `manual` is played by the sandbox's Entra tenant driven through its console: the same job state.
  { kind: 'entra', notPushing: (h) => expect(h.sandbox.world.entra.job.schedule.state).not.toBe('Active') },
  { kind: 'manual', notPushing: (h) => expect(h.sandbox.world.entra.job.schedule.state).not.toBe('Active') },
  // Okta's Zscaler 2.0 app: its provisioning connection is off (docs/vendor-facts.md K3).
  { kind: 'okta', notPushing: (h) => expect((h.sandbox.idp as OktaIdpSimulation).okta.zscalerApp.connection?.status ?? 'DISABLED').not.toBe('ENABLED') },
  // PingFederate's provisioner runs only while a channel of the Zscaler connection is active.
  {
    kind: 'pingfederate',
    notPushing: (h) =>
      expect(
        pingFederateOf(h)
          .state.connections.get(pingFederateOf(h).connectionId)
          ?.outbound?.channels.filter((c) => c.active),
      ).toEqual([]),
  },
];

/** The tenant as the documented end state describes it. */
function expectMigrated(h: Harness) {
  const tenant = h.sandbox.world.tenant;
  expect(tenant.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(true);
  const idp = [...tenant.idps.values()].find((i) => i.name === h.config.zia!.idpName)!;
  expect(idp.scimEnabled).toBe(true);
  expect(idp.samlAutoProvisioning).toBe(false);
}

/** Requests that change something (logins and token requests change nothing). */
function writes(h: Harness): string[] {
  return h.sandbox
    .requests()
    .filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !/authenticatedSession|\/token$/.test(r.path))
    .map((r) => `${r.method} ${r.path}`);
}

describe.each(IDPS)('idp.kind $kind', ({ kind }) => {
  describe('forward', () => {
    let h: Harness;
    afterEach(async () => h?.close());

    it("dry-run: plans the IdP's steps, makes zero mutating requests, creates no state file", async () => {
      h = await startHarness({ idp: kind, users: 30 });
      expect(h.config.idp.kind).toBe(kind);
      h.sandbox.resetLog();
      const result = await h.run(h.forward, { dryRun: true });
      expect(result.completed).toBe(false);
      expect(result.plan.preflight.filter((c) => !c.ok)).toEqual([]);
      const planned = result.plan.steps.map((s) => s.id);
      expect(planned).toEqual(expect.arrayContaining([`${kind}-credentials`, `${kind}-start`, `${kind}-initial-cycle`]));
      expect(result.plan.steps.find((s) => s.id === `${kind}-credentials`)!.observation.state).toBe('pending');
      expect(writes(h)).toEqual([]);
      expect(h.sandbox.stats().mutations).toBe(0);
      expect(existsSync(h.statePath)).toBe(false);
    });

    it('clean run reaches the documented end state with parity; a rerun changes nothing and asks the operator nothing', async () => {
      h = await startHarness({ idp: kind, users: 30 });
      const first = await h.run(h.forward);
      expect(first.completed).toBe(true);
      expectMigrated(h);
      const state = await h.store.load();
      expect(Object.values(state!.flows['ad-to-scim']!.steps).every((s) => s.status === 'succeeded')).toBe(true);
      expect(state!.flows['ad-to-scim']!.steps['verify-parity']!.outputs!.ok).toBe(true);

      h.sandbox.resetLog();
      const serial = state!.serial;
      const ctx = h.ctx();
      const asked: string[] = [];
      const scripted = ctx.operator;
      ctx.operator = { perform: (t) => (asked.push(t.action), scripted.perform(t)) };
      const again = await h.run(h.forward, { ctx });
      expect(again.completed).toBe(true);
      expect(asked).toEqual([]);
      expect(writes(h)).toEqual([]);
      expect(h.sandbox.stats().mutations).toBe(0);
      expect((await h.store.load())!.serial).toBe(serial);
    });
  });
});

/** Every (IdP, forward step) pair: the crash and rollback tests run once per pair. */
const POINTS = (await Promise.all(IDPS.map(async (c) => adToScimFlowFor(await loadProvisioner(c.kind)).steps.map((s) => [c.kind, s.id, c] as const))))
  .flat()
  .filter(([, id]) => id !== 'deprovision-guard');

describe.each(POINTS)('idp.kind %s: a run that dies right after "%s"', (kind, stepId, { notPushing }) => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('resumes to completion with a new process (no token in memory) and then rolls back cleanly', async () => {
    h = await startHarness({ idp: kind, users: 30 });
    await expect(h.run(h.forward, { store: new CrashAfter(h.store, stepId) })).rejects.toThrow(`simulated crash after ${stepId}`);
    // Either in doubt ("started") or, for a step found already in place, not recorded yet.
    expect((await h.store.load())!.flows['ad-to-scim']!.steps[stepId]?.status ?? 'pending').toMatch(/^(started|pending)$/);
    // A fresh context stands for a new process: the SCIM token must be obtained again, never read from disk.
    const resumed = await h.run(h.forward, { ctx: h.ctx() });
    expect(resumed.completed).toBe(true);
    expectMigrated(h);
    const back = await h.run(h.rollback, { ctx: h.ctx() });
    expect(back.completed).toBe(true);
    expect(h.sandbox.world.tenant.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(false);
    notPushing(h);
  });
});

describe.each(POINTS)('idp.kind %s: rollback from a forward run that stopped after "%s"', (kind, stepId, { notPushing }) => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('restores the snapshotted settings and leaves the IdP not pushing', async () => {
    h = await startHarness({ idp: kind, users: 30 });
    const before = structuredClone(h.sandbox.world.tenant.getActiveAuthSettings());
    await h.run(h.forward, { store: new CrashAfter(h.store, stepId) }).catch(() => undefined);
    const result = await h.run(h.rollback, { ctx: h.ctx() });
    expect(result.completed).toBe(true);
    const after = h.sandbox.world.tenant.getActiveAuthSettings();
    for (const key of ['directorySyncMigrateToScimEnabled', 'orgAuthType', 'samlEnabled', 'autoProvision'] as const) {
      expect(after[key]).toEqual(before[key]);
    }
    const idp = [...h.sandbox.world.tenant.idps.values()].find((i) => i.name === h.config.zia!.idpName)!;
    expect(idp.scimEnabled).toBe(false);
    notPushing(h);
    // The completed rollback closed the run: its records are history, and nothing current remains.
    const state = await h.store.load();
    expect(state!.flows).toEqual({});
    const closed = state!.history!.at(-1)!;
    expect(closed.outcome).toBe('rolled-back');
    expect(Object.values(closed.flows['ad-to-scim']!.steps).every((s) => s.status === 'rolled-back' || s.status === 'pending')).toBe(true);
  });
});
