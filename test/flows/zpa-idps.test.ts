import { existsSync } from 'node:fs';
import { OperatorNeeded } from '../../src/engine/errors.js';
import type { IdpKind } from '../../src/idps/actions.js';
import type { OktaIdpSimulation } from '../../src/sandbox/idps/okta.js';
import { CrashAfter, startHarness, type Harness } from './harness.js';
import { enabledInDirectory, pushing, zpaIdp, zpaUserNames } from './zpa-idps-world.js';

/**
 * ZPA provisioned by each IdP other than Entra (issue 15): Okta (its "Zscaler Private Access (ZPA) 2.0"
 * app, configured in the Admin Console by the scripted operator), PingFederate (its SCIM connection,
 * whose initial-cycle watch counts what it wrote since it started) and an IdP configured by hand
 * (manual). Each runs forward to the soak gate (exit 3), past it after the ZPA clock is advanced,
 * and back by rollback. Entra's full set is test/flows/zpa-flow.test.ts.
 */
const HOUR = 3_600_000;

describe.each(['okta', 'pingfederate', 'manual'] as const)('ZPA provisioned by %s', (idp) => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('dry-run: preflight passes, every step planned, zero mutating requests, no state file', async () => {
    h = await startHarness({ idp: idp as IdpKind, zpa: {}, users: 20 });
    h.sandbox.resetLog();
    const result = await h.run(h.forward, { dryRun: true });
    expect(result.plan.preflight.filter((c) => !c.ok)).toEqual([]);
    expect(result.plan.steps.map((s) => s.id)).toEqual(h.forward.steps.map((s) => s.id));
    expect(h.sandbox.stats().mutations).toBe(0);
    expect(existsSync(h.statePath)).toBe(false);
    expect(zpaIdp(h).scimEnabled).toBe(false);
  });

  it("forward stops at the soak gate, passes it once ZPA's clock has moved 48 h, enables the policy; rollback turns it all off and deletes nothing", async () => {
    h = await startHarness({ idp: idp as IdpKind, zpa: {}, users: 30 });
    const first = await h.run(h.forward).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(OperatorNeeded);
    expect((first as OperatorNeeded).exitCode).toBe(3);
    expect((first as Error).message).toMatch(/soak gate: SCIM Attributes for Policy is allowed after/);
    const steps = (await h.store.load())!.flows['ad-to-scim']!.steps;
    expect(steps['verify-parity']!.status).toBe('succeeded');
    expect(zpaIdp(h).scimEnabled).toBe(true);
    expect(zpaIdp(h).enableScimBasedPolicy).toBe(false);
    // The IdP pushed every enabled user in scope into ZPA's SCIM service.
    expect(zpaUserNames(h).sort()).toEqual(expect.arrayContaining(enabledInDirectory(h)));
    expect(pushing[idp](h)).toBe(true);

    h.sandbox.zpa!.clock.advance(48 * HOUR);
    const done = await h.run(h.forward, { ctx: h.ctx() });
    expect(done.completed).toBe(true);
    expect(zpaIdp(h).enableScimBasedPolicy).toBe(true);

    // A rerun of the completed migration asks nothing and writes nothing.
    h.sandbox.resetLog();
    const rerunCtx = h.ctx();
    const asked: string[] = [];
    const scripted = rerunCtx.operator;
    rerunCtx.operator = { perform: (t) => (asked.push(t.action), scripted.perform(t)) };
    expect((await h.run(h.forward, { ctx: rerunCtx })).completed).toBe(true);
    expect(asked).toEqual([]);
    expect(h.sandbox.stats().mutations).toBe(0);

    const users = zpaUserNames(h).length;
    h.sandbox.resetLog();
    const back = await h.run(h.rollback, { ctx: h.ctx() });
    expect(back.completed).toBe(true);
    expect(zpaIdp(h).enableScimBasedPolicy).toBe(false);
    expect(zpaIdp(h).scimEnabled).toBe(false);
    expect(pushing[idp](h)).toBe(false);
    expect(zpaUserNames(h)).toHaveLength(users);
    expect(h.sandbox.requests().filter((r) => r.server === 'zpa-scim' && r.method === 'DELETE')).toEqual([]);
  });
});

it("Okta: the Zscaler 2.0 app (ZIA's) is refused at preflight for ZPA, with what to configure instead", async () => {
  const h = await startHarness({
    idp: 'okta',
    zpa: {},
    users: 10,
    tweak: (c) => {
      (c.idp as Record<string, unknown>).app = { type: 'zscaler2' };
    },
  });
  try {
    const plan = await h.run(h.forward, { dryRun: true }).catch((e: unknown) => e);
    const text = plan instanceof Error ? plan.message : JSON.stringify((plan as { plan: unknown }).plan);
    expect(text).toMatch(/Zscaler Private Access \(ZPA\) 2\.0/);
    expect(zpaIdp(h).scimEnabled).toBe(false);
  } finally {
    await h.close();
  }
});

describe("Okta's pitfall on ZPA: users assigned before SCIM was enabled are not pushed", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('parity finds them missing from ZPA, the operator provisions them in the Okta console, parity verifies each is in ZPA; then the soak gate', async () => {
    h = await startHarness({ idp: 'okta', zpa: {}, users: 30 });
    const sim = h.sandbox.idp as OktaIdpSimulation;
    const victims = sim.okta.console.assignBeforeProvisioning(sim.okta.customApp.id, 3).map((l) => l.toLowerCase());
    expect(victims).toHaveLength(3);
    const ctx = h.ctx();
    const tasks: Array<{ action: string; users?: string[]; instructions: string[] }> = [];
    const scripted = ctx.operator;
    ctx.operator = {
      perform: (t) => {
        tasks.push({ action: t.action, ...('users' in t ? { users: [...t.users] } : {}), instructions: [...t.instructions] });
        return scripted.perform(t);
      },
    };
    const first = await h.run(h.forward, { ctx }).catch((e: unknown) => e);
    expect((first as Error).message).toMatch(/soak gate/);

    const provision = tasks.filter((t) => t.action === 'idp.provisionUsers');
    expect(provision).toHaveLength(1);
    expect(provision[0]!.users!.sort()).toEqual([...victims].sort());
    const said = provision[0]!.instructions.join('\n');
    expect(said).toContain('Assignments tab');
    expect(said).toContain('Click Provision User.');
    expect(said).toContain('unassign the user (or the group that assigns it) and assign it again');
    expect(said).toContain('PROVISION_OUT_OF_SYNC_USERS');

    const steps = (await h.store.load())!.flows['ad-to-scim']!.steps;
    expect(steps['zpa-okta-unpushed-users']).toMatchObject({ status: 'succeeded', outputs: expect.objectContaining({ users: 3 }) });
    expect(steps['verify-parity']!.status).toBe('succeeded');
    for (const v of victims) expect(zpaUserNames(h)).toContain(v);
  });

  it('on a resumed run (no token in memory) parity reads ZPA through its admin API, finds them and verifies each', async () => {
    h = await startHarness({ idp: 'okta', zpa: {}, users: 30 });
    const sim = h.sandbox.idp as OktaIdpSimulation;
    const victims = sim.okta.console.assignBeforeProvisioning(sim.okta.customApp.id, 2).map((l) => l.toLowerCase());
    await expect(h.run(h.forward, { store: new CrashAfter(h.store, 'okta-initial-cycle') })).rejects.toThrow('simulated crash after okta-initial-cycle');
    const ctx = h.ctx();
    const asked: Array<{ action: string; users?: string[] }> = [];
    const scripted = ctx.operator;
    ctx.operator = { perform: (t) => (asked.push({ action: t.action, ...('users' in t ? { users: [...t.users] } : {}) }), scripted.perform(t)) };
    await expect(h.run(h.forward, { ctx })).rejects.toThrow(/soak gate/);
    expect(ctx.scimCredentials).toBeUndefined(); // nothing asked for a token: parity read the admin API's names
    expect(asked.filter((t) => t.action === 'idp.provisionUsers').map((t) => t.users!.sort())).toEqual([[...victims].sort()]);
    const steps = (await h.store.load())!.flows['ad-to-scim']!.steps;
    expect(steps['zpa-okta-unpushed-users']).toMatchObject({ status: 'succeeded', outputs: expect.objectContaining({ users: 2 }) });
    for (const v of victims) expect(zpaUserNames(h)).toContain(v);
  });

  it('with every user pushed, the step passes on parity without asking the operator', async () => {
    h = await startHarness({ idp: 'okta', zpa: {}, users: 20 });
    const ctx = h.ctx();
    const asked: string[] = [];
    const scripted = ctx.operator;
    ctx.operator = { perform: (t) => (asked.push(t.action), scripted.perform(t)) };
    await h.run(h.forward, { ctx }).catch(() => undefined);
    expect(asked).not.toContain('idp.provisionUsers');
    const step = (await h.store.load())!.flows['ad-to-scim']!.steps['zpa-okta-unpushed-users'];
    expect(step?.status).toBe('succeeded');
    expect(step?.outputs?.users ?? 0).toBe(0);
  });
});
