/**
 * The ad-to-scim flow against the sandbox's Entra/Graph as Microsoft documents it
 * (docs/vendor-facts.md, "Entra ID / Microsoft Graph"): what the flow sends, and that it works, or
 * stops with a clear explanation, under each reading the public sources leave open.
 */
import { adToScimFlow } from '../../src/flows/ad-to-scim.js';
import { rollbackFlow } from '../../src/flows/rollback.js';
import { startHarness, type Harness } from './harness.js';

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
    expect(puts.map((r) => r.path.split('/')[1])).toEqual(['v1.0']);
  });

  it.each(['refused', 'absent'] as const)('beta read %s: the run completes, the plan says the PUT replaces the set, and rollback still tests the saved token', async (how) => {
    h = await startHarness({ users: 20, sandbox: { entra: { betaSecretsRead: how } } });
    const plan = await h.run(adToScimFlow, { dryRun: true });
    const creds = plan.plan.steps.find((s) => s.id === 'entra-credentials')!.observation;
    expect(creds.state).toBe('pending');
    expect((creds.changes ?? []).join('\n')).toMatch(/replaces the whole set/);
    expect((await h.run(adToScimFlow)).completed).toBe(true);
    expect(h.sandbox.world.entra.secrets.map((s) => s.key).sort()).toEqual(['BaseAddress', 'SecretToken', 'SyncAll']);
    const back = await h.run(rollbackFlow, { ctx: h.ctx() });
    expect(back.completed).toBe(true);
    // SCIM is off after rollback: Entra's Test Connection with the saved token was used to observe it.
    expect(h.sandbox.requests().some((r) => r.method === 'POST' && r.path.endsWith('/validateCredentials'))).toBe(true);
  });
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
