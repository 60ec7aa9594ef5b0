/**
 * Pilot users before Start (issue 17, section 2): provisioned on demand through Graph, verified as adopted,
 * and a failed pilot stops the run before Entra's job is started, against the sandbox's Entra.
 */
import { existsSync } from 'node:fs';
import type { CheckpointStore, UnsealedState } from '../../src/engine/checkpoint.js';
import { CrashAfter, startHarness, type Harness } from './harness.js';
import { adToScimFlow, rollbackFlow } from './entra-flows.js';
import { isDisabled } from '../../src/sandbox/world/directory.js';

/** Names two directory users of the sandbox as the pilot (the flows read the configuration when they run). */
function namePilot(h: Harness): [string, string] {
  const [a, b] = h.sandbox.world.directory.users.slice(2, 4).map((u) => u.userPrincipalName) as [string, string];
  if (h.config.idp.kind !== 'entra') throw new Error('an Entra test');
  h.config.idp.pilot = { users: [a, b] };
  return [a, b];
}

function ziaUser(h: Harness, upn: string) {
  const all = [...h.sandbox.world.tenant.users.values()].filter((u) => u.userName.toLowerCase() === upn.toLowerCase());
  expect(all).toHaveLength(1);
  return all[0]!;
}

const onDemandRequests = (h: Harness) => h.sandbox.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/provisionOnDemand'));

/** SCIM writes (not reads) the sandbox's SCIM service received. */
const scimWrites = (h: Harness) => h.sandbox.requests().filter((r) => r.server === 'scim' && r.method !== 'GET' && r.method !== 'HEAD');

describe('pilot users before Start', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('a named pilot is provisioned on demand and adopted: same ZIA ids, the job still off until Start, outputs in the checkpoint', async () => {
    h = await startHarness({ users: 20 });
    const [a, b] = namePilot(h);
    const before = new Map([a, b].map((n) => [n, ziaUser(h, n).id]));
    const untouched = h.sandbox.world.directory.users[5]!.userPrincipalName;

    await expect(h.run(adToScimFlow, { store: new CrashAfter(h.store, 'entra-pilot') })).rejects.toThrow('simulated crash after entra-pilot');
    // Right after the pilot: its users are taken over by SCIM, keeping their ids; nobody else is; the job never ran.
    for (const n of [a, b]) {
      const u = ziaUser(h, n);
      expect(u.id).toBe(before.get(n));
      expect(u.scim).toMatchObject({ created: false });
    }
    expect(ziaUser(h, untouched).scim).toBeUndefined();
    const job = h.sandbox.world.entra.job;
    expect(job.schedule.state).not.toBe('Active');
    expect(job.status.lastExecution).toBeNull();
    expect(onDemandRequests(h)).toHaveLength(2);

    expect((await h.run(adToScimFlow, { ctx: h.ctx() })).completed).toBe(true);
    const steps = (await h.store.load())!.flows['ad-to-scim']!.steps;
    const pilot = steps['entra-pilot']!;
    expect(pilot.status).toBe('succeeded');
    expect(pilot.outputs!.users).toEqual([a.toLowerCase(), b.toLowerCase()]);
    expect(pilot.outputs!.results).toEqual([
      expect.objectContaining({ user: a.toLowerCase(), ziaId: before.get(a), result: 'Success' }),
      expect.objectContaining({ user: b.toLowerCase(), ziaId: before.get(b), result: 'Success' }),
    ]);
    // Resumed after the crash: the pilot was done and recorded, so it was not provisioned again.
    expect(onDemandRequests(h)).toHaveLength(2);
    for (const n of [a, b]) expect(ziaUser(h, n).id).toBe(before.get(n));
  });

  it('a pilot user Entra fails to provision stops the run before Start, with the errorCode and the provisioning log; SCIM saw only the pilot', async () => {
    h = await startHarness({ users: 20 });
    const [a, b] = namePilot(h);
    h.sandbox.world.entra.userFaults.set(b.toLowerCase(), {
      errorCode: 'SystemForCrossDomainIdentityManagementBadResponse',
      reason: 'ZIA refused the department',
    });
    h.sandbox.resetLog();
    const err = (await h.run(adToScimFlow).catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(
      `pilot user ${b.toLowerCase()} failed: Entra's provisionOnDemand answered result Failure: errorCode SystemForCrossDomainIdentityManagementBadResponse`,
    );
    expect(err.message).toMatch(/ZIA refused the department/);
    expect(err.message).toMatch(/Provisioning log: \S+ create failure \(SystemForCrossDomainIdentityManagementBadResponse/);
    expect(err.message).toMatch(/The run stopped before Start: no other user was provisioned/);
    const steps = (await h.store.load())!.flows['ad-to-scim']!.steps;
    expect(steps['entra-pilot']!.status).toBe('failed');
    expect(steps['entra-start']).toBeUndefined();
    expect(h.sandbox.world.entra.job.schedule.state).not.toBe('Active');
    // The SCIM service received writes for the first pilot user only (the second failed before any request).
    const aScim = h.sandbox.world.entra.targetIds.get(h.sandbox.world.entra.users.find((u) => u.userPrincipalName === a)!.id)!;
    const writes = scimWrites(h);
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) expect(w.path.endsWith(`/Users/${aScim}`)).toBe(true);
    const others = [...h.sandbox.world.tenant.users.values()].filter((u) => u.scim && u.userName.toLowerCase() !== a.toLowerCase());
    expect(others).toEqual([]);
    // The usual rollback undoes the run stopped by the pilot.
    expect((await h.run(rollbackFlow, { ctx: h.ctx() })).completed).toBe(true);
    expect(h.sandbox.world.tenant.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(false);
  });

  it('a mapping that sends mail as userName: Entra creates a second user, and the pilot stops the run before Start naming both ZIA ids', async () => {
    h = await startHarness({ users: 20 });
    const dir = h.sandbox.world.directory.users.find((u) => !isDisabled(u) && u.mail && u.mail.toLowerCase() !== u.userPrincipalName.toLowerCase())!;
    if (h.config.idp.kind !== 'entra') throw new Error('an Entra test');
    h.config.idp.pilot = { users: [dir.userPrincipalName] };
    const entra = h.sandbox.world.entra;
    entra.userMapping = entra.userMapping.map((m) => (m.target === 'userName' ? { ...m, source: 'mail' as const } : m));
    // The adoption forecast blocks this mapping before the flip; relaxed here so that the pilot's own check is what stops the run.
    h.config.guards.maxForecastDuplicates = 1_000_000;
    const before = ziaUser(h, dir.userPrincipalName).id;
    const err = (await h.run(adToScimFlow).catch((e: unknown) => e)) as Error;
    const second = ziaUser(h, dir.mail!).id;
    expect(second).not.toBe(before);
    expect(err.message).toContain(`pilot user ${dir.userPrincipalName.toLowerCase()} failed: provisioned (result Success) but not adopted as it should be`);
    expect(err.message).toContain(
      `a second ZIA user appeared for ${dir.userPrincipalName.toLowerCase()} / ${dir.mail!.toLowerCase()} (id ${second}): Entra created a user instead of taking over ${before}`,
    );
    expect((await h.store.load())!.flows['ad-to-scim']!.steps['entra-start']).toBeUndefined();
    expect(entra.job.schedule.state).not.toBe('Active');
  });

  it('a crash in the middle of the pilot: the resumed run does not provision the verified user again', async () => {
    h = await startHarness({ users: 20 });
    const [a, b] = namePilot(h);
    await expect(h.run(adToScimFlow, { store: new CrashAfterFirstPilotUser(h.store, a.toLowerCase()) })).rejects.toThrow('simulated crash in the pilot');
    expect(onDemandRequests(h)).toHaveLength(1);
    const held = (await h.store.load())!.snapshot!.data.entraPilot as { progress: Record<string, { verifiedAt?: string }> };
    expect(held.progress[a.toLowerCase()]!.verifiedAt).toEqual(expect.any(String));
    expect(held.progress[b.toLowerCase()]).toBeUndefined();

    expect((await h.run(adToScimFlow, { ctx: h.ctx() })).completed).toBe(true);
    // One more provisionOnDemand in all: the second pilot user's.
    expect(onDemandRequests(h)).toHaveLength(2);
    const steps = (await h.store.load())!.flows['ad-to-scim']!.steps;
    expect(steps['entra-pilot']!.outputs!.users).toEqual([a.toLowerCase(), b.toLowerCase()]);
  });

  it('after a failed pilot the operator drops the failing user: the verified one is not provisioned again, the new list runs', async () => {
    h = await startHarness({ users: 20 });
    const [a, b] = namePilot(h);
    const c = h.sandbox.world.directory.users[6]!.userPrincipalName;
    h.sandbox.world.entra.userFaults.set(b.toLowerCase(), { errorCode: 'SystemForCrossDomainIdentityManagementBadResponse', reason: 'refused' });
    await expect(h.run(adToScimFlow)).rejects.toThrow(`pilot user ${b.toLowerCase()} failed`);
    expect(onDemandRequests(h)).toHaveLength(2);
    if (h.config.idp.kind !== 'entra') throw new Error('an Entra test');
    h.config.idp.pilot = { users: [a, c] };
    // (the cause of b's failure is fixed too, or the initial cycle would keep retrying it)
    h.sandbox.world.entra.userFaults.clear();
    expect((await h.run(adToScimFlow, { ctx: h.ctx() })).completed).toBe(true);
    // a was verified before: only c is provisioned on demand by the second run.
    expect(onDemandRequests(h)).toHaveLength(3);
    expect((await h.store.load())!.flows['ad-to-scim']!.steps['entra-pilot']!.outputs!.users).toEqual([a.toLowerCase(), c.toLowerCase()]);
  });

  it('dry-run: names the pilot users it would provision and writes nothing', async () => {
    h = await startHarness({ users: 20, tweak: (c) => ((c.idp as Record<string, unknown>).pilot = { sample: 3, seed: 'change-42' }) });
    h.sandbox.resetLog();
    const plan = await h.run(adToScimFlow, { dryRun: true });
    const step = plan.plan.steps.find((s) => s.id === 'entra-pilot')!;
    expect(step.observation.state).toBe('pending');
    const users = step.observation.facts!.pilotUsers as string[];
    expect(users).toHaveLength(3);
    expect(step.observation.detail).toContain(`would provision 3 pilot user(s) on demand before Start: ${users.join(', ')}`);
    expect(h.sandbox.stats().mutations).toBe(0);
    expect(onDemandRequests(h)).toEqual([]);
    expect(existsSync(h.statePath)).toBe(false);
    // The same seed and scope pick the same users; they are enabled users of the scope with one ZIA user each.
    const again = await h.run(adToScimFlow, { dryRun: true });
    expect(again.plan.steps.find((s) => s.id === 'entra-pilot')!.observation.facts!.pilotUsers).toEqual(users);
    for (const n of users) expect(ziaUser(h, n).active).toBe(true);
  });

  it('without idp.pilot the step says so and is done', async () => {
    h = await startHarness({ users: 10 });
    const plan = await h.run(adToScimFlow, { dryRun: true });
    const step = plan.plan.steps.find((s) => s.id === 'entra-pilot')!;
    expect(step.observation).toMatchObject({ state: 'done', detail: expect.stringMatching(/^no pilot configured/) });
  });
});

/** Passes the save that records the first pilot user as verified, then dies on the next one. */
class CrashAfterFirstPilotUser implements CheckpointStore {
  private armed = false;
  constructor(
    private readonly inner: CheckpointStore,
    private readonly user: string,
  ) {}
  describe() {
    return this.inner.describe();
  }
  load() {
    return this.inner.load();
  }
  async save(state: UnsealedState) {
    if (this.armed) throw new Error('simulated crash in the pilot');
    const held = state.snapshot?.data.entraPilot as { progress?: Record<string, { verifiedAt?: string }> } | undefined;
    if (held?.progress?.[this.user]?.verifiedAt) this.armed = true;
    return this.inner.save(state);
  }
}
