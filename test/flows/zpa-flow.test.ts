import { existsSync } from 'node:fs';
import { OperatorNeeded } from '../../src/engine/errors.js';
import { startHarness, type Harness } from './harness.js';

const HOUR = 3_600_000;

/** The configured ZPA IdP as the simulation holds it. */
const zpaIdp = (h: Harness) => h.sandbox.zpa!.tenant.idps.get(h.sandbox.zpa!.credentials.idpId)!;

describe('ZPA: ad-to-scim with product: zpa (Entra pushes into the ZPA SCIM service)', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('keeps its step ids (stored in state files)', async () => {
    h = await startHarness({ zpa: {} });
    expect(h.forward.steps.map((s) => s.id)).toEqual([
      'snapshot',
      'zpa-enable-scim-sync',
      'entra-credentials',
      'deprovision-guard',
      'entra-delete-threshold',
      'entra-pilot',
      'entra-start',
      'entra-initial-cycle',
      'verify-parity',
      'zpa-soak-gate',
      'zpa-scim-policy',
      'complete',
    ]);
    expect(h.rollback.steps.map((s) => s.id)).toEqual(['zpa-scim-policy-off', 'entra-pause', 'zpa-disable-scim-sync', 'entra-restore-delete-threshold']);
  });

  it('dry-run: plans every step, sends nothing to ZPA or anywhere, writes no state file', async () => {
    h = await startHarness({ zpa: {} });
    h.sandbox.resetLog();
    const result = await h.run(h.forward, { dryRun: true });
    expect(result.plan.preflight.every((c) => c.ok)).toBe(true);
    expect(result.plan.steps.find((s) => s.id === 'zpa-enable-scim-sync')!.observation.state).toBe('pending');
    expect(h.sandbox.stats().mutations).toBe(0);
    expect(existsSync(h.statePath)).toBe(false);
    expect(zpaIdp(h).scimEnabled).toBe(false);
  });

  it('runs to the soak gate and stops there (exit 3, "allowed after"); after the clock passes 48 h a later run enables the policy and completes', async () => {
    h = await startHarness({ zpa: {} });
    const first = h.run(h.forward);
    await expect(first).rejects.toThrow(OperatorNeeded);
    await expect(first).rejects.toThrow(/allowed after \d{4}-\d\d-\d\dT/);
    expect(zpaIdp(h).scimEnabled).toBe(true);
    expect(zpaIdp(h).enableScimBasedPolicy).toBe(false);
    // Entra's cycle went into ZPA's SCIM service, not ZIA's.
    expect(h.sandbox.zpa!.tenant.store(h.sandbox.zpa!.credentials.idpId).users.size).toBeGreaterThan(0);
    let state = await h.store.load();
    const steps = state!.flows['ad-to-scim']!.steps;
    expect(steps['verify-parity']!.status).toBe('succeeded');
    expect(steps['zpa-soak-gate']!.status).toBe('started');
    expect(steps['zpa-enable-scim-sync']!.outputs).toMatchObject({ baseUrl: h.sandbox.zpa!.scimEndpoint(h.sandbox.zpa!.credentials.idpId) });

    // Not yet: 47 hours on.
    h.sandbox.zpa!.clock.advance(47 * HOUR);
    await expect(h.run(h.forward)).rejects.toThrow(/allowed after/);
    expect(zpaIdp(h).enableScimBasedPolicy).toBe(false);

    h.sandbox.zpa!.clock.advance(2 * HOUR);
    const done = await h.run(h.forward);
    expect(done.completed).toBe(true);
    expect(zpaIdp(h).enableScimBasedPolicy).toBe(true);
    state = await h.store.load();
    expect(Object.values(state!.flows['ad-to-scim']!.steps).every((s) => s.status === 'succeeded')).toBe(true);

    // A rerun changes nothing.
    h.sandbox.resetLog();
    await h.run(h.forward);
    expect(h.sandbox.stats().mutations).toBe(0);
  });
});
