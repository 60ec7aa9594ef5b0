import { OperatorNeeded } from '../../src/engine/errors.js';
import type { IdpKind } from '../../src/idps/actions.js';
import { loadProvisioner } from '../../src/idps/index.js';
import { zpaFlowsFor } from '../../src/products/zpa/flow.js';
import { CrashAfter, startHarness, type Harness } from './harness.js';
import { pushing, zpaIdp } from './zpa-idps-world.js';

/**
 * ZPA provisioned by Okta, PingFederate or by hand: a run that dies right after each forward step
 * resumes to completion in a new context (no token in memory), and a rollback from a run stopped
 * after each step turns off what was turned on and closes the run. Entra's set is
 * test/flows/zpa-flow.test.ts; forward, soak and the Okta pitfall are test/flows/zpa-idps.test.ts.
 */
const HOUR = 3_600_000;
type Idp = 'okta' | 'pingfederate' | 'manual';

async function forwardThroughSoak(h: Harness) {
  try {
    return await h.run(h.forward, { ctx: h.ctx() });
  } catch (err) {
    if (!(err instanceof OperatorNeeded) || !/soak gate/.test(err.message)) throw err;
    h.sandbox.zpa!.clock.advance(48 * HOUR);
    return h.run(h.forward, { ctx: h.ctx() });
  }
}

/** Runs forward with a crash after stepId; past the soak gate first when the gate stops the run before it. */
async function crashAfter(h: Harness, stepId: string): Promise<Error> {
  const err = (await h.run(h.forward, { store: new CrashAfter(h.store, stepId) }).catch((e: unknown) => e)) as Error;
  if (!(err instanceof OperatorNeeded)) return err;
  h.sandbox.zpa!.clock.advance(48 * HOUR);
  return (await h.run(h.forward, { store: new CrashAfter(h.store, stepId), ctx: h.ctx() }).catch((e: unknown) => e)) as Error;
}

const cases: Array<[Idp, string]> = [];
for (const idp of ['okta', 'pingfederate', 'manual'] as const) {
  const steps = zpaFlowsFor(await loadProvisioner(idp as IdpKind))['ad-to-scim'].steps.map((s) => s.id);
  for (const id of steps) if (id !== 'deprovision-guard') cases.push([idp, id]);
}

describe.each(cases)('ZPA with %s: a run that dies right after "%s"', (idp, stepId) => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('resumes to completion, then rolls back', async () => {
    h = await startHarness({ idp, zpa: {}, users: 20 });
    expect((await crashAfter(h, stepId)).message).toContain(`simulated crash after ${stepId}`);
    const resumed = await forwardThroughSoak(h);
    expect(resumed.completed).toBe(true);
    expect(zpaIdp(h).enableScimBasedPolicy).toBe(true);
    expect(pushing[idp](h)).toBe(true);
    const back = await h.run(h.rollback, { ctx: h.ctx() });
    expect(back.completed).toBe(true);
    expect(zpaIdp(h).scimEnabled).toBe(false);
    expect(pushing[idp](h)).toBe(false);
  });

  it('rolls back from there: SCIM Sync and the policy off, the IdP not pushing, the run closed', async () => {
    h = await startHarness({ idp, zpa: {}, users: 20 });
    await crashAfter(h, stepId);
    const back = await h.run(h.rollback, { ctx: h.ctx() });
    expect(back.completed).toBe(true);
    expect(zpaIdp(h).enableScimBasedPolicy).toBe(false);
    expect(zpaIdp(h).scimEnabled).toBe(false);
    expect(pushing[idp](h)).toBe(false);
    const state = await h.store.load();
    expect(state!.flows).toEqual({});
    expect(state!.history!.at(-1)!.outcome).toBe('rolled-back');
  });
});
