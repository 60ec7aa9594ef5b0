/**
 * An Okta app other than the Zscaler 2.0 app (docs/vendor-facts.md K12): its provisioning cannot be set
 * through the API, so the IdP steps are the operator's, at the exact Admin Console path, and are verified
 * through Okta's read API (the app users' provisioning state) and the SCIM service. The sandbox's scripted
 * operator plays the admin at the simulated console.
 */
import type { CheckpointStore } from '../../src/engine/checkpoint.js';
import type { OktaIdpSimulation } from '../../src/sandbox/idps/okta.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

test('app.type other: the operator configures and starts provisioning in the console; forward, parity and rollback complete', async () => {
  h = await startHarness({
    idp: 'okta',
    users: 30,
    tweak: (c) => {
      (c.idp as Record<string, unknown>).app = { type: 'other', label: 'Zscaler SCIM (custom app)' };
    },
  });
  const sim = h.sandbox.idp as OktaIdpSimulation;
  sim.consoleApp = sim.okta.customApp;

  const plan = await h.run(h.forward, { dryRun: true });
  const creds = plan.plan.steps.find((s) => s.id === 'okta-credentials')!;
  expect(creds.observation.changes?.join(' ')).toMatch(/operator: Okta Admin Console > the app > Provisioning > Configure API Integration/);

  const fwd = await h.run(h.forward);
  expect(fwd.completed).toBe(true);
  const apiWrites = h.sandbox.requests().filter((r) => r.server === 'okta' && r.method !== 'GET' && !r.path.startsWith('/oauth2/'));
  expect(apiWrites).toEqual([]); // nothing set through the API: the console did it
  expect(h.sandbox.requests().filter((r) => r.path === '/portal/idp-console').length).toBeGreaterThanOrEqual(2);
  const custom = sim.okta.customApp;
  expect([...custom.appUsers.values()].every((a) => a.status === 'PROVISIONED')).toBe(true);
  expect(sim.okta.zscalerApp.connection).toBeNull(); // the Zscaler 2.0 app was never touched

  const back = await h.run(h.rollback, { ctx: h.ctx() });
  expect(back.completed).toBe(true);
  expect(custom.provisioning.create).toBe(false); // paused in the console
  expect(custom.appUsers.size).toBe(sim.okta.state.users.length); // nobody unassigned
});

test('app.type other: the initial push is not over while the groups the operator pushed in the console are still queued in Okta', async () => {
  h = await startHarness({
    idp: 'okta',
    users: 30,
    tweak: (c) => {
      (c.idp as Record<string, unknown>).app = { type: 'other', label: 'Zscaler SCIM (custom app)' };
    },
  });
  const sim = h.sandbox.idp as OktaIdpSimulation;
  sim.consoleApp = sim.okta.customApp;
  const custom = sim.okta.customApp;
  // Okta pushes the users first; the group pushes wait until the step has looked at the mappings with every user pushed.
  const release = sim.okta.engine.holdGroupPushes();
  let lastPushAtDone: Array<string | null> | undefined;
  const inner = h.store;
  const store: CheckpointStore = {
    describe: () => inner.describe(),
    load: () => inner.load(),
    save: (state) => {
      if (!lastPushAtDone && state.flows['ad-to-scim']?.steps['okta-initial-cycle']?.status === 'succeeded')
        lastPushAtDone = custom.mappings.map((m) => m.lastPush);
      return inner.save(state);
    },
  };
  const mappingReads = () =>
    h!.sandbox.requests().filter((r) => r.server === 'okta' && r.method === 'GET' && r.path.includes(`/apps/${custom.id}/group-push/mappings`)).length;
  let settled = false;
  const running = h.run(h.forward, { store }).finally(() => {
    settled = true;
  });
  let readsWhenUsersPushed: number | undefined;
  while (!settled) {
    const usersPushed = custom.appUsers.size > 0 && [...custom.appUsers.values()].every((a) => a.status === 'PROVISIONED');
    if (usersPushed && readsWhenUsersPushed === undefined) readsWhenUsersPushed = mappingReads();
    if (readsWhenUsersPushed !== undefined && mappingReads() > readsWhenUsersPushed) break; // the step saw the unpushed groups
    await new Promise((r) => setTimeout(r, 5));
  }
  release();
  const fwd = await running.catch((err: unknown) => ({ completed: false, err }));
  expect(lastPushAtDone).toBeDefined();
  expect(lastPushAtDone!.length).toBeGreaterThan(0);
  expect(lastPushAtDone!.filter((p) => p === null)).toEqual([]); // every pushed group had reached SCIM
  expect(fwd.completed).toBe(true);
});
