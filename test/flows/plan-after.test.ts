import { runFlow, type Plan } from '../../src/engine/runner.js';
import type { Flow } from '../../src/engine/step.js';
import type { MigrationContext } from '../../src/flows/context.js';
import { targetOf } from '../../src/flows/context.js';
import { createOutput } from '../../src/ui/output.js';
import { renderPlan } from '../../src/ui/plan.js';
import { startHarness, type Harness } from './harness.js';
import { adToScimFlow, rollbackFlow } from './entra-flows.js';

const wouldChange = (plan: Plan) => plan.steps.filter((s) => s.observation.state !== 'done').map((s) => s.id);

/** Runs a flow for real and returns the steps it applied (started), in order. */
async function applied(h: Harness, flow: Flow<MigrationContext>): Promise<string[]> {
  const ids: string[] = [];
  const result = await runFlow(flow, h.ctx(), { store: h.store, target: targetOf(h.config), dryRun: false, events: { started: (s) => ids.push(s.id) } });
  expect(result.completed).toBe(true);
  return ids;
}

describe('the dry-run plan counts the activations the run will perform', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('ad-to-scim: the activation after the flag write is planned as "will run after step 5", and the run performs it', async () => {
    h = await startHarness({ users: 30 });
    const { plan } = await h.run(adToScimFlow, { dryRun: true });
    const activate = plan.steps.find((s) => s.id === 'activate-flag')!;
    expect(activate.observation.state).toBe('pending');
    expect(activate.observation.detail).toMatch(
      /^will run after step 5 \(Enable "Disable Directory Sync & Enable SCIM Provisioning"\); observed now: no changes pending activation$/,
    );
    expect(activate.after).toEqual([{ id: 'enable-migrate-flag', step: 5, title: 'Enable "Disable Directory Sync & Enable SCIM Provisioning"' }]);
    expect(plan.steps.find((s) => s.id === 'activate-scim')!.observation.detail).toMatch(/^will run after step 7 /);
    const text = renderPlan(createOutput({ color: false }), plan);
    // Steps 3 and 4 are the groups snapshot and the adoption forecast (read-only), so the flag write is step 5.
    expect(text).toContain(' 6. Activate: directory sync off for the repository — pending: will run after step 5');
    expect(text).toContain(`${wouldChange(plan).length} step(s) would change something`);

    const ran = await applied(h, adToScimFlow);
    expect(ran).toContain('activate-flag');
    // Every step the run changed was announced by the plan. The sandbox applies an IdP edit at once,
    // where ZIA keeps it pending until activated (help.zscaler.com/zia/configuring-scim: "Save and
    // activate the change"), so only there does the run find the second activation already done. The
    // initial-cycle wait is announced too, but the fast sandbox may finish the cycle before the run reaches
    // the step, which then observes it done: the plan marks it as a wait, which may be satisfied early.
    expect(text).toMatch(
      /Wait for the initial provisioning cycle — pending: .*\n {8}waits for: a full provisioning cycle that began after Start, with progress; if that is already so when the run gets here, it waits no time/,
    );
    const waits = plan.steps.filter((s) => s.guide?.wait).map((s) => s.id);
    expect(waits).toContain('entra-initial-cycle');
    const satisfiedEarly = new Set(['activate-scim', ...waits]);
    expect(wouldChange(plan).filter((id) => !satisfiedEarly.has(id) || ran.includes(id))).toEqual(ran);
  });

  it('rollback: the plan says which steps would change, exactly as many as the run changes', async () => {
    h = await startHarness({ users: 30 });
    await applied(h, adToScimFlow);
    const { plan } = await h.run(rollbackFlow, { dryRun: true });
    expect(plan.steps.find((s) => s.id === 'activate-rollback')!.observation.detail).toMatch(/^will run after step 2 \(.*\) and step 3 \(/);
    expect(await applied(h, rollbackFlow)).toEqual(wouldChange(plan));
  });
});
