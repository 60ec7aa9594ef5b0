import { PassThrough, Writable } from 'node:stream';
import { OperatorNeeded } from '../../src/engine/errors.js';
import type { Operator, OperatorTask } from '../../src/engine/operator.js';
import { createOutput } from '../../src/ui/output.js';
import { PersonOperator } from '../../src/ui/person-operator.js';
import { createPrompter } from '../../src/ui/prompts.js';
import { startHarness, type Harness } from './harness.js';
import { adToScimFlow, rollbackFlow } from './entra-flows.js';

/**
 * Rollback must never believe SCIM is off when it is not (issue 11): only a definite refusal of a
 * token accepted in this run, or the operator's confirmation, counts. A failing Test Connection, a
 * 5xx or a timeout is "unknown"; ZIA refusing the restore because SCIM is still on reopens the
 * operator step instead of failing the same way on every rerun.
 */

const idpOf = (h: Harness) => [...h.sandbox.world.tenant.idps.values()].find((i) => i.name === h.config.zia!.idpName)!;
const disableClicks = (h: Harness) => h.sandbox.requests().filter((r) => r.method === 'POST' && /\/idps\/\d+\/scim$/.test(r.path)).length;

/** Answers every task like the scripted operator, except that it "forgets" the first N SCIM disables. */
class ForgetfulOperator implements Operator {
  constructor(
    private readonly inner: Operator,
    private forget: number,
  ) {}
  seen: string[] = [];
  async perform(task: OperatorTask): Promise<Record<string, string>> {
    this.seen.push(task.action);
    if (task.action === 'zia.disableScim' && this.forget > 0) {
      this.forget -= 1;
      return {}; // says "done" without clicking anything
    }
    return this.inner.perform(task);
  }
}

describe('rollback: is SCIM really off?', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('after a token regeneration (Test Connection fails while SCIM stays on), asks the operator and completes', async () => {
    h = await startHarness({ users: 30 });
    expect((await h.run(adToScimFlow)).completed).toBe(true);
    h.sandbox.portal.generateToken(idpOf(h).id); // Generate Token: Entra's saved token stops working, SCIM stays on
    h.sandbox.resetLog();

    // A new process: no token in memory; Entra's Test Connection fails with the stale token.
    const plan = await h.run(rollbackFlow, { dryRun: true });
    const step = plan.plan.steps.find((s) => s.id === 'disable-scim-on-idp')!;
    expect(step.observation.state).toBe('pending');
    expect(step.observation.detail).toMatch(/cannot tell whether SCIM is off/);

    const result = await h.run(rollbackFlow, { ctx: h.ctx() });
    expect(result.completed).toBe(true);
    expect(disableClicks(h)).toBe(1); // the operator was asked, and did it
    expect(idpOf(h).scimEnabled).toBe(false);
    expect(h.sandbox.world.tenant.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(false);
    const rec = (await h.store.load())!.history!.at(-1)!.flows.rollback!.steps['disable-scim-on-idp']!;
    expect(rec.status).toBe('succeeded');
  });

  it('with the SCIM endpoint answering 500 while rollback checks it, never records "off" from an error', async () => {
    h = await startHarness({ users: 30 });
    const ctx = h.ctx(); // one process: the token was accepted earlier in this run
    expect((await h.run(adToScimFlow, { ctx })).completed).toBe(true);
    expect(ctx.scimCredentials?.accepted).toBe(true);
    h.sandbox.setFaults('scim:*:*:500');
    h.sandbox.resetLog();

    const plan = await h.run(rollbackFlow, { dryRun: true, ctx });
    const step = plan.plan.steps.find((s) => s.id === 'disable-scim-on-idp')!;
    expect(step.observation.state).toBe('pending');
    expect(step.observation.detail).toMatch(/no answer/);

    const result = await h.run(rollbackFlow, { ctx });
    expect(result.completed).toBe(true);
    expect(disableClicks(h)).toBe(1);
    expect(idpOf(h).scimEnabled).toBe(false);
  }, 120_000); // each failing SCIM call is retried with back-off before it counts as "no answer"

  it('a definite refusal of the token accepted in this run is evidence: no operator needed', async () => {
    h = await startHarness({ users: 30 });
    const ctx = h.ctx();
    expect((await h.run(adToScimFlow, { ctx })).completed).toBe(true);
    h.sandbox.portal.setScim(idpOf(h).id, false); // someone already turned it off in the console
    h.sandbox.resetLog();
    const result = await h.run(rollbackFlow, { ctx });
    expect(result.completed).toBe(true);
    expect(disableClicks(h)).toBe(0);
    const rec = (await h.store.load())!.history!.at(-1)!.flows.rollback!.steps['disable-scim-on-idp']!;
    expect(rec.outputs).toBeUndefined(); // observed done, never applied
  });

  it('when ZIA refuses the restore because SCIM is still on, the operator step is reopened', async () => {
    h = await startHarness({ users: 30 });
    expect((await h.run(adToScimFlow)).completed).toBe(true);
    h.sandbox.portal.generateToken(idpOf(h).id);
    const ctx = h.ctx();
    const forgetful = new ForgetfulOperator(ctx.operator, 1);
    ctx.operator = forgetful;
    const result = await h.run(rollbackFlow, { ctx });
    expect(result.completed).toBe(true);
    expect(forgetful.seen.filter((a) => a === 'zia.disableScim')).toHaveLength(2);
    expect(idpOf(h).scimEnabled).toBe(false);
    expect(h.sandbox.world.tenant.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(false);
  });

  it('unattended, the reopened operator step stops with exit 3 and its instructions; a rerun after the fix completes', async () => {
    h = await startHarness({ users: 30 });
    expect((await h.run(adToScimFlow)).completed).toBe(true);
    h.sandbox.portal.generateToken(idpOf(h).id);
    const ctx = h.ctx();
    ctx.operator = new ForgetfulOperator(ctx.operator, 1);
    // The second time the task is asked, nobody is at a terminal.
    const lines: string[] = [];
    const out = createOutput({
      quiet: false,
      stdout: new Writable({ write: (_c, _e, cb) => cb() }),
      stderr: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }),
    });
    const unattended = new PersonOperator(out, createPrompter({ yes: false, stdin: Object.assign(new PassThrough(), { isTTY: false }) }));
    let calls = 0;
    const first = ctx.operator;
    ctx.operator = { perform: (t) => (t.action === 'zia.disableScim' && ++calls > 1 ? unattended.perform(t) : first.perform(t)) };
    const err = (await h.run(rollbackFlow, { ctx }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(OperatorNeeded);
    expect((err as OperatorNeeded).exitCode).toBe(3);
    expect(lines.join('')).toMatch(/ZIA refused to turn directory sync back on because SCIM provisioning is still enabled/);
    expect(lines.join('')).toMatch(/Disable the Enable SCIM Provisioning option/);
    expect(idpOf(h).scimEnabled).toBe(true);

    h.sandbox.portal.setScim(idpOf(h).id, false); // the administrator does it, then reruns
    const rerun = await h.run(rollbackFlow, { ctx: h.ctx() });
    expect(rerun.completed).toBe(true);
    expect(h.sandbox.world.tenant.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(false);
  });
});
