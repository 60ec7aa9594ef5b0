/**
 * The ad-to-scim flow against the sandbox's Entra/Graph as Microsoft documents it
 * (docs/vendor-facts.md, "Entra ID / Microsoft Graph"): what the flow sends, and that it works, or
 * stops with a clear explanation, under each reading the public sources leave open.
 */
import { startHarness, type Harness } from './harness.js';
import { adToScimFlow, rollbackFlow } from './entra-flows.js';

describe('Graph synchronization secrets: v1.0 documents PUT only', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('a clean run and its rollback never send the undocumented v1.0 GET', async () => {
    h = await startHarness({ users: 20 });
    expect((await h.run(adToScimFlow)).completed).toBe(true);
    expect((await h.run(rollbackFlow, { ctx: h.ctx() })).completed).toBe(true);
    const secretsReads = h.sandbox.requests().filter((r) => r.method === 'GET' && r.path.endsWith('/synchronization/secrets'));
    expect(secretsReads.length).toBeGreaterThan(0);
    expect(secretsReads.filter((r) => r.path.startsWith('/v1.0/'))).toEqual([]);
    const puts = h.sandbox.requests().filter((r) => r.method === 'PUT' && r.path.endsWith('/synchronization/secrets'));
    // The credentials; the same set again with Entra's deletion threshold; rollback putting the threshold back.
    expect(puts.map((r) => r.path.split('/')[1])).toEqual(['v1.0', 'v1.0', 'v1.0']);
  });

  it.each(['refused', 'absent'] as const)(
    'beta read %s: the run completes, the plan says the PUT replaces the set, and rollback still tests the saved token',
    async (how) => {
      h = await startHarness({ users: 20, sandbox: { entra: { betaSecretsRead: how } } });
      const plan = await h.run(adToScimFlow, { dryRun: true });
      const creds = plan.plan.steps.find((s) => s.id === 'entra-credentials')!.observation;
      expect(creds.state).toBe('pending');
      expect((creds.changes ?? []).join('\n')).toMatch(/replaces the whole set/);
      expect((await h.run(adToScimFlow)).completed).toBe(true);
      expect(h.sandbox.world.entra.secrets.map((s) => s.key).sort()).toEqual(['BaseAddress', 'SecretToken', 'SyncAll', 'SyncNotificationSettings']);
      const back = await h.run(rollbackFlow, { ctx: h.ctx() });
      expect(back.completed).toBe(true);
      // SCIM is off after rollback: Entra's Test Connection with the saved token was used to observe it.
      expect(h.sandbox.requests().some((r) => r.method === 'POST' && r.path.endsWith('/validateCredentials'))).toBe(true);
    },
  );
});

describe('"initial cycle complete" is judged against the moment this run started the job', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('a job that provisioned before (steadyStateFirstAchievedTime already set) is waited for, not taken as done', async () => {
    h = await startHarness({ users: 20, sandbox: { entra: { previouslyProvisioned: true } } });
    const firstBefore = h.sandbox.world.entra.job.status.steadyStateFirstAchievedTime;
    expect(firstBefore.startsWith('0001')).toBe(false);
    const plan = await h.run(adToScimFlow, { dryRun: true });
    expect(plan.plan.steps.find((s) => s.id === 'entra-initial-cycle')!.observation.state).toBe('pending');
    expect((await h.run(adToScimFlow)).completed).toBe(true);
    const steps = (await h.store.load())!.flows['ad-to-scim']!.steps;
    const startedAt = Date.parse(String(steps['entra-start']!.outputs!.startedAt));
    const completedAt = steps['entra-initial-cycle']!.outputs?.completedAt;
    // The step waited (apply ran) until a cycle that began after the start had finished.
    expect(typeof completedAt).toBe('string');
    const job = h.sandbox.world.entra.job;
    expect(job.status.steadyStateFirstAchievedTime).toBe(firstBefore);
    expect(Date.parse(job.status.lastExecution!.timeBegan)).toBeGreaterThanOrEqual(startedAt);
    expect(Date.parse(job.status.steadyStateLastAchievedTime)).toBeLessThanOrEqual(Date.parse(String(completedAt)));
  });
});

describe('scope and Default Access', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('the flow saves SyncAll "false": unassigned and Default Access users are not taken over by SCIM, and the run says why', async () => {
    h = await startHarness({ users: 20, sandbox: { entra: { assignments: { unassignedUsers: 2, defaultAccessUsers: 2 } } } });
    const warnings: string[] = [];
    const ctx = h.ctx();
    const warn = ctx.out.warn.bind(ctx.out);
    ctx.out.warn = (line: string) => {
      warnings.push(line);
      warn(line);
    };
    // Their directory group memberships no longer match what SCIM manages, so parity stops the
    // run; the error names the Default Access users as the cause instead of leaving them unexplained.
    await expect(h.run(adToScimFlow, { ctx })).rejects.toThrow(
      /users do not match[\s\S]*2 user\(s\) are assigned to the Zscaler app with the Default Access role/,
    );
    const { tenant, entra, directory } = h.sandbox.world;
    const idpId = h.sandbox.credentials.zia.idpId;
    const byName = (upn: string) => [...tenant.users.values()].find((u) => u.userName === upn)!;
    const tail = directory.users.slice(-4).map((u) => u.userPrincipalName);
    for (const upn of tail) expect(byName(upn).scim).toBeUndefined();
    for (const u of directory.users.slice(0, -4)) expect(byName(u.userPrincipalName).scim?.idpId).toBe(idpId);
    expect(entra.secrets.find((s) => s.key === 'SyncAll')?.value).toBe('false');
    const steps = (await h.store.load())!.flows['ad-to-scim']!.steps;
    expect(steps['entra-initial-cycle']!.outputs!.defaultAccessUsers).toEqual(directory.users.slice(-4, -2).map((u) => u.displayName));
    expect(warnings.join('\n')).toMatch(/2 user\(s\) are assigned to the Zscaler app with the Default Access role/);
  });
});

describe('later cycles: the flow waits for retries, or reports the objects that keep failing', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('SCIM faults during the initial cycle: the flow waits for the incremental cycles to retry them, then parity passes', async () => {
    h = await startHarness({ users: 20, sandbox: { speed: 20_000, faults: 'scim:PATCH:/Users:500:0.3' } });
    expect((await h.run(adToScimFlow)).completed).toBe(true);
    const logs = h.sandbox.world.entra.logs;
    const cycles = new Set(logs.map((l) => l.cycleId));
    expect(logs.some((l) => l.provisioningStatusInfo.status === 'failure')).toBe(true);
    expect(cycles.size).toBeGreaterThan(1);
    expect(h.sandbox.world.entra.escrows.size).toBe(0);
    const steps = (await h.store.load())!.flows['ad-to-scim']!.steps;
    expect(steps['verify-parity']!.outputs!.ok).toBe(true);
  });

  it('objects that keep failing: at the budget the run stops naming them and the reason from the provisioning logs', async () => {
    h = await startHarness({
      users: 20,
      sandbox: { speed: 20_000, faults: 'scim:PATCH:/Users:500' },
      tweak: (c) => {
        (c.idp as Record<string, unknown>).initialCycleTimeoutMinutes = 0.05;
      },
    });
    const err = (await h.run(adToScimFlow).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/objects still fail to provision/);
    expect(err.message).toMatch(/object\(s\) failed in Entra's provisioning logs and are being retried: User /);
    expect(err.message).toMatch(/HTTP 500/);
    const steps = (await h.store.load())!.flows['ad-to-scim']!.steps;
    expect(steps['verify-parity']?.status ?? 'pending').toBe('pending');
  });

  it('a refusal a retry cannot clear: the run stops once the retry cycle fails the same objects again, not at the end of its four-hour budget', async () => {
    // ZIA refusing Entra's PATCH dialect (HTTP 400) fails every update in every cycle; the budget stays at its default.
    h = await startHarness({ users: 20, sandbox: { speed: 20_000, variants: 'scim-patch-dialect=rfc' } });
    expect(h.config.idp).toMatchObject({ initialCycleTimeoutMinutes: 240 });
    const err = (await h.run(adToScimFlow).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /objects still fail to provision after Entra retried them: the cycle that ended at \S+ failed the same \d+ object\(s\) for the same reasons/,
    );
    expect(err.message).toMatch(/answered HTTP 400: unknown PATCH op "Replace"/);
    // It watched at least the initial cycle and one retry cycle before judging.
    const cycles = new Set(h.sandbox.world.entra.logs.filter((l) => l.provisioningStatusInfo.status === 'failure').map((l) => l.cycleId));
    expect(cycles.size).toBeGreaterThanOrEqual(2);
    const steps = (await h.store.load())!.flows['ad-to-scim']!.steps;
    expect(steps['entra-initial-cycle']?.status).not.toBe('done');
  });
});
