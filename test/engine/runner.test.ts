import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCheckpointStore, MemoryCheckpointStore, type CheckpointStore, type UnsealedState } from '../../src/engine/checkpoint.js';
import { OperatorNeeded, UserError } from '../../src/engine/errors.js';
import { planFlow, runFlow } from '../../src/engine/runner.js';
import { forgetSecrets, registerSecret } from '../../src/engine/redact.js';
import type { Flow } from '../../src/engine/step.js';
import { newWorld, toyFlow, type ToyCtx } from './toy-flow.js';

const target = { system: 'toy', id: 'toy:tenant-1', label: 'toy tenant 1' };

async function tempState(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'migrate-engine-')), 'state.json');
}

describe('plan vs apply', () => {
  it('plans by observing only: no writes, no changes, pending steps say what they would do', async () => {
    const store = new MemoryCheckpointStore();
    const ctx: ToyCtx = { world: newWorld(), operatorPresent: true };
    const plan = await planFlow(toyFlow, ctx, { store, target, dryRun: true });
    expect(plan.changesPending).toBe(true);
    expect(plan.blocking).toBe(false);
    expect(plan.steps.map((s) => s.observation.state)).toEqual(['pending', 'pending', 'pending']);
    expect(plan.steps[0]!.observation.changes).toEqual(['set flag false → true']);
    expect(store.writes).toBe(0);
    expect(ctx.world.applies).toEqual({});
  });

  it('dry-run through runFlow is the same code path and also writes nothing', async () => {
    const store = new MemoryCheckpointStore();
    const ctx: ToyCtx = { world: newWorld(), operatorPresent: true };
    const result = await runFlow(toyFlow, ctx, { store, target, dryRun: true });
    expect(result.completed).toBe(false);
    expect(store.writes).toBe(0);
    expect(ctx.world).toEqual(newWorld());
  });

  it('applies every pending step in order and records it', async () => {
    const store = new MemoryCheckpointStore();
    const ctx: ToyCtx = { world: newWorld(), operatorPresent: true };
    const result = await runFlow(toyFlow, ctx, { store, target, dryRun: false });
    expect(result.completed).toBe(true);
    expect(ctx.world.flag && ctx.world.consoleClicked && ctx.world.activated).toBe(true);
    const state = await store.load();
    expect(Object.values(state!.flows.toy!.steps).map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(state!.flows.toy!.steps['set-flag']!.outputs).toEqual({ flagWas: false });
    expect(state!.flows.toy!.completedAt).toBeDefined();
  });
});

describe('idempotence', () => {
  it('a second run applies nothing and writes nothing', async () => {
    const store = new MemoryCheckpointStore();
    const ctx: ToyCtx = { world: newWorld(), operatorPresent: true };
    await runFlow(toyFlow, ctx, { store, target, dryRun: false });
    const writesAfterFirst = store.writes;
    const appliesAfterFirst = { ...ctx.world.applies };
    await runFlow(toyFlow, ctx, { store, target, dryRun: false });
    expect(ctx.world.applies).toEqual(appliesAfterFirst);
    expect(store.writes).toBe(writesAfterFirst);
  });

  it('a step already in place on the systems is recorded without being applied', async () => {
    const store = new MemoryCheckpointStore();
    const world = { ...newWorld(), flag: true };
    await runFlow(toyFlow, { world, operatorPresent: true }, { store, target, dryRun: false });
    expect(world.applies['set-flag']).toBeUndefined();
    expect((await store.load())!.flows.toy!.steps['set-flag']!.status).toBe('succeeded');
  });
});

/** Dies on the Nth save, like a process killed between apply and the record of it. */
class CrashingStore implements CheckpointStore {
  saves = 0;
  constructor(
    private readonly inner: CheckpointStore,
    private readonly crashOnSave: number,
  ) {}
  describe() {
    return this.inner.describe();
  }
  load() {
    return this.inner.load();
  }
  async save(state: UnsealedState) {
    this.saves += 1;
    if (this.saves === this.crashOnSave) throw new Error('simulated crash');
    return this.inner.save(state);
  }
}

describe('resume after a crash', () => {
  it('a step left "started" is observed again, not blindly redone', async () => {
    const path = await tempState();
    const file = new FileCheckpointStore(path);
    const ctx: ToyCtx = { world: newWorld(), operatorPresent: true };
    // saves: 1 = new state, 2 = set-flag started, 3 = set-flag succeeded  → crash there (after apply).
    await expect(runFlow(toyFlow, ctx, { store: new CrashingStore(file, 3), target, dryRun: false })).rejects.toThrow('simulated crash');
    expect(ctx.world.flag).toBe(true);
    expect((await file.load())!.flows.toy!.steps['set-flag']!.status).toBe('started');

    const events: string[] = [];
    await runFlow(toyFlow, ctx, {
      store: file,
      target,
      dryRun: false,
      events: { succeeded: (s, how) => events.push(`${s.id}:${how}`) },
    });
    expect(ctx.world.applies['set-flag']).toBe(1);
    expect(events[0]).toBe('set-flag:resumed');
    expect((await file.load())!.flows.toy!.steps['set-flag']!.status).toBe('succeeded');
  });

  it('a step left "started" whose change never happened is applied on resume', async () => {
    const store = new MemoryCheckpointStore();
    const world = newWorld();
    // Crash on save 2 = the "started" record of set-flag: it never reached apply.
    await expect(runFlow(toyFlow, { world, operatorPresent: true }, { store: new CrashingStore(store, 2), target, dryRun: false })).rejects.toThrow();
    expect(world.flag).toBe(false);
    await runFlow(toyFlow, { world, operatorPresent: true }, { store, target, dryRun: false });
    expect(world.applies['set-flag']).toBe(1);
    expect(world.flag).toBe(true);
  });
});

describe('operator steps', () => {
  it('stop with OperatorNeeded (exit 3), keep the step started, and continue on the rerun by observation', async () => {
    const store = new MemoryCheckpointStore();
    const world = newWorld();
    const err = await runFlow(toyFlow, { world, operatorPresent: false }, { store, target, dryRun: false }).catch((e) => e);
    expect(err).toBeInstanceOf(OperatorNeeded);
    expect((err as OperatorNeeded).exitCode).toBe(3);
    const state = await store.load();
    expect(state!.flows.toy!.steps.click!.status).toBe('started');
    expect(state!.flows.toy!.steps.activate).toBeUndefined();

    world.consoleClicked = true; // the person did it in the console
    await runFlow(toyFlow, { world, operatorPresent: false }, { store, target, dryRun: false });
    expect(world.activated).toBe(true);
    expect(world.applies.click).toBe(1);
  });
});

describe('failures', () => {
  it('preflight failures are all reported together and nothing is written', async () => {
    const flow: Flow<ToyCtx> = {
      ...toyFlow,
      preflight: [
        { id: 'a', title: 'check A', run: async () => ({ ok: false, detail: 'A is wrong', fix: 'fix A' }) },
        { id: 'b', title: 'check B', run: async () => ({ ok: false, detail: 'B is wrong' }) },
        { id: 'c', title: 'check C', run: async () => ({ ok: false, severity: 'warning', detail: 'C is odd' }) },
      ],
    };
    const store = new MemoryCheckpointStore();
    const err = (await runFlow(flow, { world: newWorld(), operatorPresent: true }, { store, target, dryRun: false }).catch((e) => e)) as Error;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('check A: A is wrong');
    expect(err.message).toContain('fix: fix A');
    expect(err.message).toContain('check B: B is wrong');
    expect(err.message).not.toContain('check C');
    expect(store.writes).toBe(0);
  });

  it('a step whose verify fails is recorded failed with the reason', async () => {
    const flow: Flow<ToyCtx> = {
      ...toyFlow,
      steps: [{ ...toyFlow.steps[0]!, apply: async () => undefined }],
    };
    const store = new MemoryCheckpointStore();
    await expect(runFlow(flow, { world: newWorld(), operatorPresent: true }, { store, target, dryRun: false })).rejects.toThrow(/did not verify/);
    const rec = (await store.load())!.flows.toy!.steps['set-flag']!;
    expect(rec.status).toBe('failed');
    expect(rec.lastError).toMatch(/flag is off/);
  });

  it('refuses a state file that belongs to another tenant', async () => {
    const store = new MemoryCheckpointStore();
    await runFlow(toyFlow, { world: newWorld(), operatorPresent: true }, { store, target, dryRun: false });
    const other = { ...target, id: 'toy:tenant-2', label: 'toy tenant 2' };
    await expect(runFlow(toyFlow, { world: newWorld(), operatorPresent: true }, { store, target: other, dryRun: false })).rejects.toThrow(
      /belongs to toy tenant 1/,
    );
  });
});

describe('secrets', () => {
  afterEach(() => forgetSecrets());

  it('a secret never reaches the state file: a step output holding one is refused before writing', async () => {
    const path = await tempState();
    const store = new FileCheckpointStore(path);
    const token = 'tok-0123456789abcdef0123456789';
    registerSecret(token);
    const flow: Flow<ToyCtx> = {
      ...toyFlow,
      steps: [
        {
          ...toyFlow.steps[0]!,
          apply: async ({ ctx }) => {
            ctx.world.flag = true;
            return { leaked: token };
          },
        },
      ],
    };
    await expect(runFlow(flow, { world: newWorld(), operatorPresent: true }, { store, target, dryRun: false })).rejects.toThrow(
      /secret value was about to be written/,
    );
    expect(await readFile(path, 'utf8')).not.toContain(token);
  });

  it('error messages recorded in the state are redacted', async () => {
    const store = new MemoryCheckpointStore();
    const secret = 'p@ssw0rd-very-secret';
    registerSecret(secret);
    const flow: Flow<ToyCtx> = {
      ...toyFlow,
      steps: [
        {
          ...toyFlow.steps[0]!,
          apply: async () => {
            throw new Error(`login failed for password ${secret}`);
          },
        },
      ],
    };
    await expect(runFlow(flow, { world: newWorld(), operatorPresent: true }, { store, target, dryRun: false })).rejects.toThrow();
    const rec = (await store.load())!.flows.toy!.steps['set-flag']!;
    expect(rec.lastError).toContain('[REDACTED]');
    expect(JSON.stringify(await store.load())).not.toContain(secret);
  });
});

describe('huge values in errors', () => {
  it('an error echoing a 200 KB value is cut in the state file, and a secret is never cut in half', async () => {
    const store = new MemoryCheckpointStore();
    const secret = `S${'k'.repeat(300)}`; // longer than the cut: must be redacted whole, not its first 200 characters left
    registerSecret(secret);
    const huge = 'v'.repeat(200_000);
    const flow: Flow<ToyCtx> = {
      ...toyFlow,
      steps: [
        {
          ...toyFlow.steps[0]!,
          apply: async () => {
            throw new Error(`bad value ${huge}; token=${secret}`);
          },
        },
      ],
    };
    await expect(runFlow(flow, { world: newWorld(), operatorPresent: true }, { store, target, dryRun: false })).rejects.toThrow();
    const rec = (await store.load())!.flows.toy!.steps['set-flag']!;
    // The cut keeps a run's first 200 characters (the ';' that ended it is part of what was cut).
    expect(rec.lastError).toBe(`bad value ${'v'.repeat(200)}… (199801 more characters) token=[REDACTED]`);
  });

  it('UserError bounds message and hint: long runs to 200 characters, long lines to 1,000', () => {
    const e = new UserError(`field "${'x'.repeat(5000)}" is wrong\n${'word '.repeat(1000)}`, { hint: `see ${'h'.repeat(300)}` });
    const [first, second] = e.message.split('\n');
    expect(first).toBe(`field "${'x'.repeat(199)}… (4802 more characters) is wrong`);
    expect(second).toMatch(/^(word ){200}… \(4000 more characters\)$/);
    expect(e.hint).toBe(`see ${'h'.repeat(200)}… (100 more characters)`);
    expect(new UserError('short and plain').message).toBe('short and plain');
  });
});

describe('state file on disk', () => {
  it('is written with mode 0600 and keeps the previous version as .bak', async () => {
    const path = await tempState();
    const store = new FileCheckpointStore(path);
    await runFlow(toyFlow, { world: newWorld(), operatorPresent: true }, { store, target, dryRun: false });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(existsSync(`${path}.bak`)).toBe(true);
    const now = await store.load();
    const bak = JSON.parse(await readFile(`${path}.bak`, 'utf8'));
    expect(bak.serial).toBe(now!.serial - 1);
    expect(bak.lineage).toBe(now!.lineage);
  });
});
