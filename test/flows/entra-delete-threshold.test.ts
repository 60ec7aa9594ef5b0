import { assignedUsers } from '../../src/sandbox/entra/tenant.js';
import { CrashAfter, startHarness, type Harness } from './harness.js';
import { adToScimFlow, rollbackFlow } from './entra-flows.js';

/**
 * Issue 17, section 3: Entra's accidental-deletion threshold (SyncNotificationSettings) set for the migration
 * from the guards, kept when the tenant's own is stricter, put back on rollback (or left, as configured),
 * and enforced by the simulated provisioning service.
 */

const KEY = 'SyncNotificationSettings';
/** What an administrator saved in the portal before the migration: notification email on, no threshold. */
const BEFORE = '{"Enabled":true,"Recipients":"ops@example.com","DeleteThresholdEnabled":false}';

const secretOf = (h: Harness, key: string) => h.sandbox.world.entra.secrets.find((s) => s.key === key)?.value;
const settingsOf = (h: Harness) => JSON.parse(secretOf(h, KEY) ?? 'null') as Record<string, unknown> | null;
const secretPuts = (h: Harness) => h.sandbox.requests().filter((r) => r.method === 'PUT' && /synchronization\/secrets$/.test(r.path)).length;

async function forwardOutputs(h: Harness) {
  return (await h.store.load())!.flows['ad-to-scim']!.steps['entra-delete-threshold']!;
}

describe("Entra's accidental-deletion threshold during the migration", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('dry-run plans the threshold and the guard states both checks, writing nothing', async () => {
    h = await startHarness({ users: 30 });
    h.sandbox.resetLog();
    const result = await h.run(adToScimFlow, { dryRun: true });
    const step = result.plan.steps.find((s) => s.id === 'entra-delete-threshold')!;
    expect(step.observation.state).toBe('pending');
    const value = step.observation.facts!.deleteThresholdValue as number;
    expect(step.observation.changes!.join('\n')).toContain(`DeleteThresholdValue ${value}`);
    const guard = result.plan.steps.find((s) => s.id === 'deprovision-guard')!;
    expect(guard.observation.detail).toMatch(
      /\(the tool's forecast\); Entra's own stop: the next step sets its accidental-deletion threshold \(now off\) to \d+/,
    );
    expect(h.sandbox.stats().mutations).toBe(0);
    expect(secretOf(h, KEY)).toBeUndefined();
  });

  it('sets it from the guards without dropping a secret, and rollback puts the previous value back', async () => {
    h = await startHarness({ users: 30 });
    h.sandbox.world.entra.secrets = [{ key: KEY, value: BEFORE }];
    const ctx = h.ctx();
    const forward = await h.run(adToScimFlow, { ctx });
    expect(forward.completed).toBe(true);

    const rec = await forwardOutputs(h);
    expect(rec.status).toBe('succeeded');
    const inScope = rec.outputs!.usersInScope as number;
    // guards of the sandbox configuration: 0 deletions + 15 % of the users in scope, plus one.
    const value = Math.floor((15 * inScope) / 100) + 1;
    expect(value).toBeGreaterThan(1);
    expect(rec.outputs).toMatchObject({ setValue: value, previousReadable: true, previous: BEFORE });
    expect(settingsOf(h)).toEqual({ Enabled: true, Recipients: 'ops@example.com', DeleteThresholdEnabled: true, DeleteThresholdValue: value });
    // The PUT replaced the whole set: the credentials went with it, and the cycle that followed used them.
    expect(secretOf(h, 'BaseAddress')).toBe(ctx.scimCredentials!.baseUrl);
    expect(secretOf(h, 'SecretToken')).toBe(ctx.scimCredentials!.token);
    expect(secretOf(h, 'SyncAll')).toBe('false');
    expect(h.sandbox.world.entra.job.status.code).not.toBe('Quarantine');
    expect((await h.store.load())!.snapshot!.data.entraDeleteThreshold).toEqual({ readable: true, value: BEFORE });
    const done = forward.plan.steps.find((s) => s.id === 'deprovision-guard')!;
    expect(done.observation.detail).toContain("Entra's own stop");

    const back = await h.run(rollbackFlow, { ctx: h.ctx() });
    expect(back.completed).toBe(true);
    expect(secretOf(h, KEY)).toBe(BEFORE);
  });

  it('keeps a stricter threshold the tenant already has, and rollback leaves it', async () => {
    h = await startHarness({ users: 30 });
    const strict = '{"Enabled":false,"DeleteThresholdEnabled":true,"DeleteThresholdValue":1}';
    h.sandbox.world.entra.secrets = [{ key: KEY, value: strict }];
    await h.run(adToScimFlow);
    const rec = await forwardOutputs(h);
    expect(rec.status).toBe('succeeded');
    expect(secretOf(h, KEY)).toBe(strict);
    // One PUT: the credentials; the threshold step found the tenant's own stricter and wrote nothing.
    expect(secretPuts(h)).toBe(1);
    h.sandbox.resetLog();
    const back = await h.run(rollbackFlow, { ctx: h.ctx() });
    expect(back.completed).toBe(true);
    expect(secretOf(h, KEY)).toBe(strict);
    expect(secretPuts(h)).toBe(0);
  });

  it('leaves the migration threshold on rollback with guards.keepEntraDeleteThreshold', async () => {
    h = await startHarness({
      users: 30,
      tweak: (c) => {
        (c.guards as Record<string, unknown>).keepEntraDeleteThreshold = true;
      },
    });
    await h.run(adToScimFlow);
    const set = (await forwardOutputs(h)).outputs!.setValue;
    expect(settingsOf(h)).toMatchObject({ DeleteThresholdEnabled: true, DeleteThresholdValue: set });
    await h.run(rollbackFlow, { ctx: h.ctx() });
    expect(settingsOf(h)).toMatchObject({ DeleteThresholdEnabled: true, DeleteThresholdValue: set });
  });

  it('when Graph will not show the secrets, records the previous value as unknown and rollback leaves the threshold', async () => {
    h = await startHarness({ users: 30, sandbox: { variants: 'secrets-get=refused' } });
    await h.run(adToScimFlow);
    const rec = await forwardOutputs(h);
    expect(rec.outputs).toMatchObject({ previousReadable: false });
    expect((await h.store.load())!.snapshot!.data.entraDeleteThreshold).toMatchObject({ readable: false });
    const set = rec.outputs!.setValue;
    expect(settingsOf(h)).toMatchObject({ DeleteThresholdEnabled: true, DeleteThresholdValue: set });
    const back = await h.run(rollbackFlow, { ctx: h.ctx() });
    expect(back.completed).toBe(true);
    const restore = back.plan.steps.find((s) => s.id === 'entra-restore-delete-threshold')!;
    expect(restore.observation.detail).toMatch(/unknown .* left as the migration set it/);
    expect(settingsOf(h)).toMatchObject({ DeleteThresholdEnabled: true, DeleteThresholdValue: set });
  });

  it("Entra's own stop holds a first cycle that would disable as many users as the threshold: quarantine, nothing disabled", async () => {
    h = await startHarness({ users: 30 });
    await expect(h.run(adToScimFlow, { store: new CrashAfter(h.store, 'entra-delete-threshold') })).rejects.toThrow('simulated crash');
    const value = settingsOf(h)!.DeleteThresholdValue as number;
    // Sign-in blocked in Entra for as many users as the threshold: the AD-based forecast cannot see it.
    const blocked = assignedUsers(h.sandbox.world.entra)
      .filter((u) => u.accountEnabled && u.sourceDn !== null)
      .slice(0, value);
    expect(blocked).toHaveLength(value);
    for (const u of blocked) u.accountEnabled = false;
    const err = (await h.run(adToScimFlow, { ctx: h.ctx() }).catch((e) => e)) as Error;
    expect(err.message).toMatch(/quarantine \(TooManyDeletes/);
    expect(h.sandbox.world.entra.job.status.quarantine?.reason).toBe('TooManyDeletes');
    const logs = h.sandbox.world.entra.logs;
    expect(
      logs
        .filter((l) => l.provisioningAction === 'stagedDelete')
        .map((l) => l.sourceIdentity.id)
        .sort(),
    ).toEqual(blocked.map((u) => u.id).sort());
    expect(logs.some((l) => l.provisioningAction === 'disable')).toBe(false);
    const zia = [...h.sandbox.world.tenant.users.values()];
    for (const u of blocked) expect(zia.find((z) => z.userName.toLowerCase() === u.userPrincipalName.toLowerCase())?.active).toBe(true);
  });

  it('below the threshold the same cycle disables them at its end (logged as disable)', async () => {
    h = await startHarness({ users: 30 });
    await expect(h.run(adToScimFlow, { store: new CrashAfter(h.store, 'entra-delete-threshold') })).rejects.toThrow('simulated crash');
    const value = settingsOf(h)!.DeleteThresholdValue as number;
    const blocked = assignedUsers(h.sandbox.world.entra)
      .filter((u) => u.accountEnabled && u.sourceDn !== null)
      .slice(0, value - 1);
    for (const u of blocked) u.accountEnabled = false;
    await expect(h.run(adToScimFlow, { ctx: h.ctx(), store: new CrashAfter(h.store, 'entra-initial-cycle') })).rejects.toThrow('simulated crash');
    expect(h.sandbox.world.entra.job.status.code).not.toBe('Quarantine');
    const disabled = h.sandbox.world.entra.logs.filter((l) => l.provisioningAction === 'disable' && l.provisioningStatusInfo.status === 'success');
    expect(disabled.map((l) => l.sourceIdentity.id).sort()).toEqual(blocked.map((u) => u.id).sort());
    const zia = [...h.sandbox.world.tenant.users.values()];
    for (const u of blocked) expect(zia.find((z) => z.userName.toLowerCase() === u.userPrincipalName.toLowerCase())?.active).toBe(false);
  });
});
