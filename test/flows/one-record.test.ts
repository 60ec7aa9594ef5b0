import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { FileCheckpointStore } from '../../src/engine/checkpoint.js';
import { OperatorNeeded } from '../../src/engine/errors.js';
import { createOutput } from '../../src/ui/output.js';
import { PersonOperator } from '../../src/ui/person-operator.js';
import { createPrompter, type Prompter } from '../../src/ui/prompts.js';
import { startHarness, type Harness } from './harness.js';
import { adToScimFlow, rollbackFlow } from './entra-flows.js';

/** One tenant, one migration record; operator input that is wrong is told apart and asked again (issue 11). */

const idpOf = (h: Harness) => [...h.sandbox.world.tenant.idps.values()].find((i) => i.name === h.config.zia!.idpName)!;

function capture() {
  const lines: string[] = [];
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const out = createOutput({ quiet: false, stdout: sink, stderr: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  return { out, text: () => lines.join('') };
}

describe('one tenant, one migration record', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('a new state file against a migrated tenant is refused with what was seen; --adopt takes it on and rollback still turns SCIM off', async () => {
    h = await startHarness({ users: 30 });
    expect((await h.run(adToScimFlow)).completed).toBe(true);

    const other = new FileCheckpointStore(join(h.dir, 'other.json'));
    h.sandbox.resetLog();
    const err = (await h.run(adToScimFlow, { store: other }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/preflight failed/);
    expect(err.message).toMatch(
      /past the guide's starting point: "Disable Directory Sync & Enable SCIM Provisioning" is already on; the Entra provisioning job is already running/,
    );
    expect(err.message).toMatch(/--state PATH.*--adopt/s);
    expect(await other.load()).toBeUndefined(); // preflight fails before the first write
    expect(h.sandbox.stats().mutations).toBe(0);

    // The documented way to take on the observed state.
    const ctx = h.ctx();
    ctx.adoptObservedState = true;
    const adopted = await h.run(adToScimFlow, { store: other, ctx });
    expect(adopted.completed).toBe(true);
    const state = (await other.load())!;
    expect(state.snapshot!.data.adopted).toMatchObject({ migrationFlag: true });
    expect(state.flows['ad-to-scim']!.steps['sync-now']!.status).toBe('succeeded');

    // A rollback from the adopted record must not conclude "this migration never enabled SCIM".
    const back = await h.run(rollbackFlow, { store: other, ctx: h.ctx() });
    expect(back.completed).toBe(true);
    expect(idpOf(h).scimEnabled).toBe(false);
    expect(h.sandbox.world.tenant.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(false);
  });

  it('migrating again after a completed rollback starts a new run: new snapshot, counters and timestamps; history kept', async () => {
    h = await startHarness({ users: 30 });
    expect((await h.run(adToScimFlow)).completed).toBe(true);
    const first = (await h.store.load())!;
    expect((await h.run(rollbackFlow, { ctx: h.ctx() })).completed).toBe(true);

    // Rerunning the completed rollback changes nothing and says so.
    h.sandbox.resetLog();
    const again = await h.run(rollbackFlow, { ctx: h.ctx() });
    expect(again.completed).toBe(true);
    expect(again.plan.alreadyDone).toMatch(/already rolled back at .* \(run 1\)/);
    expect(h.sandbox.requests()).toHaveLength(0);

    await new Promise((r) => setTimeout(r, 5)); // distinct timestamps
    const second = await h.run(adToScimFlow, { ctx: h.ctx() });
    expect(second.completed).toBe(true);
    const state = (await h.store.load())!;
    expect(state.history).toHaveLength(1);
    expect(state.history![0]!.outcome).toBe('rolled-back');
    expect(state.history![0]!.snapshot!.takenAt).toBe(first.snapshot!.takenAt);
    expect(state.snapshot!.takenAt > first.snapshot!.takenAt).toBe(true);
    const steps = state.flows['ad-to-scim']!.steps;
    expect(steps['enable-migrate-flag']!.attempts).toBe(1);
    expect(steps['entra-start']!.startedAt! > first.flows['ad-to-scim']!.steps['entra-start']!.startedAt!).toBe(true);
    expect(state.flows['ad-to-scim']!.startedAt > first.flows['ad-to-scim']!.startedAt).toBe(true);
    expect(state.flows.rollback).toBeUndefined();
  });
});

/** A person at a terminal who pastes the answers given, in order. */
function typing(answers: string[]): Prompter {
  const next = () => {
    const a = answers.shift();
    if (a === undefined) throw new Error('the test ran out of answers');
    return Promise.resolve(a);
  };
  return { canPrompt: true, confirm: () => Promise.resolve(true), text: next, secret: next };
}

describe('SCIM credentials from the operator', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('unattended with a stale configured token: exit 3 with the operator instructions and what was wrong', async () => {
    h = await startHarness({ users: 30 });
    const { orgId, idpId } = h.sandbox.credentials.zia;
    h.config.scim.baseUrl = `${h.sandbox.endpoints.scimServerUrl}/${orgId}/${idpId}/scim`;
    h.config.scim.tokenEnv = 'STALE_SCIM_TOKEN';
    h.env.STALE_SCIM_TOKEN = 'a-token-that-was-replaced-long-ago';
    const { out, text } = capture();
    const ctx = h.ctx();
    ctx.operator = new PersonOperator(out, createPrompter({ yes: true, stdin: Object.assign(new PassThrough(), { isTTY: false }) }));
    // Let the scripted operator do the steps before the SCIM one; the person takes over there.
    const scripted = h.ctx().operator;
    const person = ctx.operator;
    ctx.operator = { perform: (t) => (t.action.includes('Scim') ? person.perform(t) : scripted.perform(t)) };
    const err = (await h.run(adToScimFlow, { ctx }).catch((e: unknown) => e)) as OperatorNeeded;
    expect(err).toBeInstanceOf(OperatorNeeded);
    expect(err.exitCode).toBe(3);
    expect(err.hint).toMatch(/scim\.tokenEnv/);
    expect(text()).toMatch(/The SCIM credentials in the configuration .* were refused/);
    expect(text()).toMatch(/Enable SCIM Provisioning/);
    expect(text()).not.toContain('a-token-that-was-replaced-long-ago');
  });

  it('a mistyped Base URL is blamed on the URL, not the token, and the person is asked again', async () => {
    h = await startHarness({ users: 30 });
    const idp = idpOf(h);
    const wrongIdp = `${h.sandbox.endpoints.scimServerUrl}/${h.sandbox.credentials.zia.orgId}/${idp.id + 7}/scim`;
    const { out, text } = capture();
    const ctx = h.ctx();
    const scripted = ctx.operator;
    let token = '';
    const person = new PersonOperator(out, {
      ...typing([]),
      // The person enables SCIM in the console, then pastes a wrong URL first and the right one second.
      text: (() => {
        const urls = [wrongIdp, ''];
        return () => Promise.resolve(urls.shift() || h.sandbox.portal.idps().find((i) => i.id === idp.id)!.baseUrl!);
      })(),
      secret: () => Promise.resolve(token),
    });
    ctx.operator = {
      perform: async (t) => {
        if (t.action !== 'zia.enableScim') return scripted.perform(t);
        token = (h.sandbox.portal.setScim(idp.id, true) as { bearerToken: string }).bearerToken;
        return person.perform(t);
      },
    };
    const result = await h.run(adToScimFlow, { ctx });
    expect(result.completed).toBe(true);
    expect(text()).toMatch(/is not a SCIM endpoint/);
    expect(text()).toMatch(/Try again \(2 of 3\)/);
    expect(text()).not.toMatch(/refused the Bearer Token/);
  });
});
