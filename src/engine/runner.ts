import { OperatorNeeded, ReadOnlyViolation, UserError, errorText } from './errors.js';
import type { JsonValue } from './json.js';
import { redact } from './redact.js';
import {
  newState,
  type CheckpointStore,
  type FlowRecord,
  type State,
  type StepRecord,
  type StepStatus,
  type Target,
  type UnsealedState,
} from './checkpoint.js';
import type { CheckResult, Flow, Observation, PreflightCheck, Step, StepGuide, StepOutputs, StepRun } from './step.js';

export interface CheckOutcome extends CheckResult {
  id: string;
  title: string;
}

export interface StepPlan {
  id: string;
  title: string;
  kind: Step<unknown>['kind'];
  doc: string;
  observation: Observation;
  /** What the checkpoint says about this step, if anything. */
  recorded?: StepStatus;
  /** Earlier steps (declared by `after`) still to change in this plan: this step runs after them. */
  after?: { id: string; step: number; title: string }[];
  /** What a runbook tells the people doing the change (the step's `guide`), when the step has one. */
  guide?: StepGuide;
}

/** The plan is a value: printable, serialisable, computed without writing anything. */
export interface Plan {
  flow: { id: string; title: string; doc: string };
  target: Target;
  stateFile: string;
  stateSerial: number | null;
  preflight: CheckOutcome[];
  steps: StepPlan[];
  /** A preflight failure or a blocked/drifted step: apply would stop. */
  blocking: boolean;
  /** Some step is not done yet. */
  changesPending: boolean;
  /** Set when the checkpoint shows there is nothing to do at all (a rollback completed earlier). */
  alreadyDone?: string;
}

/** What the UI hears while a flow runs. Every method is optional. */
export interface RunEvents {
  preflight?(outcomes: CheckOutcome[]): void;
  observed?(step: StepPlan): void;
  started?(step: { id: string; title: string; kind: string }, attempt: number): void;
  succeeded?(step: { id: string; title: string }, how: 'applied' | 'already-done' | 'resumed'): void;
  failed?(step: { id: string; title: string }, error: Error): void;
}

export interface RunOptions {
  store: CheckpointStore;
  target: Target;
  dryRun: boolean;
  events?: RunEvents;
  /** Clock, for tests. */
  now?: () => Date;
  /**
   * A saved plan this run applies (`--plan`): its digest is recorded in the checkpoint, and `check`
   * is asked before each step that would change something, with what the run observes now and what
   * the checkpoint records; a reason stops the run there (nothing of that step is done).
   */
  approval?: { digest: string; check(step: StepPlan, recorded: StepStatus): Error | undefined };
}

export interface RunResult {
  plan: Plan;
  completed: boolean;
  state: State | undefined;
}

const nowIso = (opts: RunOptions) => (opts.now ? opts.now() : new Date()).toISOString();

export async function runPreflight<C>(checks: PreflightCheck<C>[], ctx: C): Promise<CheckOutcome[]> {
  // Every check runs, and all are reported together, so an administrator fixes everything in one go.
  return Promise.all(
    checks.map(async (check) => {
      try {
        const result = await check.run(ctx);
        return { id: check.id, title: check.title, ...result };
      } catch (err) {
        return {
          id: check.id,
          title: check.title,
          ok: false,
          severity: 'error' as const,
          detail: redact(errorText(err)),
          fix: err instanceof UserError ? err.hint : undefined,
        };
      }
    }),
  );
}

/** A failed preflight check of severity error (a warning never blocks). */
export function isBlockingCheck(c: CheckOutcome): boolean {
  return !c.ok && (c.severity ?? 'error') === 'error';
}

/** A step observed blocked or drifted: the plan cannot be applied as it stands. */
export function isBlockingStep(s: StepPlan): boolean {
  return s.observation.state === 'blocked' || s.observation.state === 'drifted';
}

/** Refuses a state file that belongs to another tenant. */
export function assertSameTarget(state: State | undefined, target: Target, where: string): void {
  if (state && state.target.id !== target.id) {
    throw new UserError(
      `state file ${where} belongs to ${state.target.label} (${state.target.id}), but this configuration points at ${target.label} (${target.id})`,
      { hint: 'Use the state file of this tenant (--state), or a new path for a new migration.' },
    );
  }
}

type SnapshotAccess = Pick<StepRun<unknown>, 'snapshot' | 'saveSnapshot'>;

const readOnlySnapshot = (state: State | undefined): SnapshotAccess => ({
  snapshot: state?.snapshot?.data,
  saveSnapshot: async () => {
    throw new ReadOnlyViolation('save the settings snapshot');
  },
});

function stepRun<C>(
  ctx: C,
  flowRecord: FlowRecord | undefined,
  step: Step<C>,
  dryRun: boolean,
  snap: SnapshotAccess,
  flows: Record<string, FlowRecord> | undefined,
): StepRun<C> {
  const rec = flowRecord?.steps[step.id];
  /** `stepId` in this flow, or `flowId:stepId` in another. */
  const recordOf = (id: string): StepRecord | undefined => {
    const [flowId, stepId] = id.includes(':') ? id.split(':', 2) : [undefined, id];
    const record = flowId === undefined ? flowRecord : flows?.[flowId];
    return record?.steps[stepId!];
  };
  return {
    ctx,
    previous: rec?.outputs,
    startedAt: rec?.startedAt,
    outputsOf: (id) => recordOf(id)?.outputs,
    statusOf: (id) => recordOf(id)?.status ?? 'pending',
    dryRun,
    ...snap,
  };
}

async function observeSafely<C>(step: Step<C>, run: StepRun<C>): Promise<Observation> {
  try {
    return await step.observe(run);
  } catch (err) {
    return { state: 'blocked', detail: `could not observe: ${redact(errorText(err))}` };
  }
}

/** Refuses to run a flow whose precondition on the recorded state does not hold (np: check before undoing). */
function assertPrecondition<C>(flow: Flow<C>, state: State | undefined, where: string): void {
  const why = flow.precondition?.(state);
  if (why) throw new UserError(`${flow.title}: ${why}`, { hint: `State file: ${where}. Nothing was changed.` });
}

/** The plan of a flow the checkpoint shows finished in a closed run: nothing observed, nothing to do. */
function alreadyDonePlan<C>(flow: Flow<C>, state: State | undefined, opts: RunOptions): Plan | undefined {
  const done = flow.alreadyDone?.(state);
  if (!done) return undefined;
  return {
    flow: { id: flow.id, title: flow.title, doc: flow.doc },
    target: opts.target,
    stateFile: opts.store.describe(),
    stateSerial: state?.serial ?? null,
    preflight: [],
    steps: [],
    blocking: false,
    changesPending: false,
    alreadyDone: done,
  };
}

/** Observes every step without changing anything. */
export async function planFlow<C>(flow: Flow<C>, ctx: C, opts: RunOptions): Promise<Plan> {
  const state = await opts.store.load();
  assertSameTarget(state, opts.target, opts.store.describe());
  const done = alreadyDonePlan(flow, state, opts);
  if (done) return done;
  assertPrecondition(flow, state, opts.store.describe());
  const preflight = await runPreflight(flow.preflight, ctx);
  opts.events?.preflight?.(preflight);
  const flowRecord = state?.flows[flow.id];
  const steps: StepPlan[] = [];
  for (const step of flow.steps) {
    const observed = await observeSafely(step, stepRun(ctx, flowRecord, step, true, readOnlySnapshot(state), state?.flows));
    const waitsFor = pendingPredecessors(flow, step, steps);
    const guide = guideOf(step, ctx);
    const planned: StepPlan = {
      id: step.id,
      title: step.title,
      kind: step.kind,
      doc: step.doc,
      observation: waitsFor.length > 0 ? afterObservation(observed, waitsFor) : observed,
      recorded: flowRecord?.steps[step.id]?.status,
      ...(waitsFor.length > 0 ? { after: waitsFor } : {}),
      ...(guide ? { guide } : {}),
    };
    steps.push(planned);
    opts.events?.observed?.(planned);
  }
  return {
    flow: { id: flow.id, title: flow.title, doc: flow.doc },
    target: opts.target,
    stateFile: opts.store.describe(),
    stateSerial: state?.serial ?? null,
    preflight,
    steps,
    blocking: preflight.some(isBlockingCheck) || steps.some(isBlockingStep),
    changesPending: steps.some((s) => s.observation.state !== 'done'),
  };
}

/** A step's runbook guide; a guide that throws is a wiring mistake and is left out rather than failing the plan. */
function guideOf<C>(step: Step<C>, ctx: C): StepGuide | undefined {
  try {
    return step.guide?.(ctx);
  } catch {
    return undefined;
  }
}

/** The steps named in `step.after` that this plan (so far) shows as not done, with their step numbers. */
function pendingPredecessors<C>(flow: Flow<C>, step: Step<C>, planned: StepPlan[]): { id: string; step: number; title: string }[] {
  const waiting: { id: string; step: number; title: string }[] = [];
  for (const id of step.after ?? []) {
    const index = planned.findIndex((p) => p.id === id);
    if (index < 0) {
      // A wiring mistake in the flow, not something an administrator can fix.
      throw new Error(`flow ${flow.id}: step ${step.id} runs after "${id}", which is not an earlier step of the flow`);
    }
    const before = planned[index]!;
    if (before.observation.state !== 'done') waiting.push({ id, step: index + 1, title: before.title });
  }
  return waiting;
}

/**
 * A step observed done whose outcome depends on earlier steps still pending: what it sees now is
 * the state before their change, so the plan says it will run after them (and counts it as a change,
 * as the run will). Any other observation already says what the run will meet, and is kept.
 */
function afterObservation(observed: Observation, waitsFor: { step: number; title: string }[]): Observation {
  if (observed.state !== 'done') return observed;
  const which = waitsFor.map((w) => `step ${w.step} (${w.title})`).join(' and ');
  return {
    state: 'pending',
    detail: `will run after ${which}; observed now: ${observed.detail}`,
    ...(observed.facts ? { facts: observed.facts } : {}),
  };
}

/**
 * Runs a flow: preflight (read-only; any failure stops before the first write), then each step:
 * observe → (done: record and move on) | (pending: record started → apply → verify → record succeeded).
 * A step recorded `started` but not finished is in doubt: it is observed again, never blindly re-applied.
 */
export async function runFlow<C>(flow: Flow<C>, ctx: C, opts: RunOptions): Promise<RunResult> {
  if (opts.dryRun) {
    const plan = await planFlow(flow, ctx, opts);
    return { plan, completed: false, state: await opts.store.load() };
  }

  let sealed = await opts.store.load();
  assertSameTarget(sealed, opts.target, opts.store.describe());
  const done = alreadyDonePlan(flow, sealed, opts);
  if (done) return { plan: done, completed: true, state: sealed };
  assertPrecondition(flow, sealed, opts.store.describe());

  const preflight = await runPreflight(flow.preflight, ctx);
  opts.events?.preflight?.(preflight);
  const failures = preflight.filter(isBlockingCheck);
  const planBase = {
    flow: { id: flow.id, title: flow.title, doc: flow.doc },
    target: opts.target,
    stateFile: opts.store.describe(),
    stateSerial: sealed?.serial ?? null,
    preflight,
  };
  if (failures.length > 0) {
    throw new UserError(
      `preflight failed (${failures.length} of ${preflight.length} checks); nothing was changed:\n` +
        failures.map((f) => `  ✗ ${f.title}: ${f.detail}${f.fix ? `\n      fix: ${f.fix}` : ''}`).join('\n'),
    );
  }

  let working: UnsealedState = sealed ? stripChecksum(sealed) : newState(opts.target, opts.now?.());
  const save = async (): Promise<void> => {
    sealed = await opts.store.save(working);
    working = stripChecksum(sealed);
  };
  const flowRecord = (): FlowRecord => {
    working.flows[flow.id] ??= { startedAt: nowIso(opts), steps: {} };
    return working.flows[flow.id]!;
  };
  const setRecord = (id: string, rec: StepRecord): void => {
    flowRecord().steps[id] = rec;
  };
  if (opts.approval && flowRecord().approvedPlan !== opts.approval.digest) {
    flowRecord().approvedPlan = opts.approval.digest;
    await save();
  } else if (!sealed) await save();
  const snap = (): SnapshotAccess => ({
    snapshot: working.snapshot?.data,
    saveSnapshot: async (data) => {
      working.snapshot = { takenAt: nowIso(opts), data };
      await save();
    },
  });

  const observedSteps: StepPlan[] = [];
  let changedAnything = false;
  for (const step of flow.steps) {
    const record: StepRecord = flowRecord().steps[step.id] ?? { status: 'pending', attempts: 0 };
    const run = stepRun(ctx, flowRecord(), step, false, snap(), working.flows);
    const observation = await observeSafely(step, run);
    const planned: StepPlan = { id: step.id, title: step.title, kind: step.kind, doc: step.doc, observation, recorded: record.status };
    observedSteps.push(planned);
    opts.events?.observed?.(planned);

    if (observation.state === 'done') {
      if (record.status !== 'succeeded') {
        changedAnything = true;
        const how = record.status === 'started' ? 'resumed' : 'already-done';
        setRecord(step.id, { ...record, status: 'succeeded', finishedAt: nowIso(opts), lastError: undefined });
        await save();
        opts.events?.succeeded?.(step, how);
      }
      continue;
    }

    if (observation.state === 'blocked' || observation.state === 'drifted') {
      const message = `step "${step.title}" is ${observation.state}: ${observation.detail}`;
      setRecord(step.id, { ...record, status: 'failed', lastError: redact(message) });
      await save();
      const error = new UserError(message, { hint: 'Nothing further was changed. Fix the cause and re-run; completed steps are not repeated.' });
      opts.events?.failed?.(step, error);
      throw error;
    }

    // A saved plan: only what it approved is done. Checked before the attempt is recorded.
    const refusal = opts.approval?.check(planned, record.status);
    if (refusal) {
      opts.events?.failed?.(step, refusal);
      throw refusal;
    }

    // pending: record the attempt before touching anything, so a crash leaves the step in doubt.
    const started: StepRecord = {
      status: 'started',
      attempts: record.attempts + 1,
      startedAt: nowIso(opts),
      outputs: record.outputs,
    };
    setRecord(step.id, started);
    changedAnything = true;
    await save();
    opts.events?.started?.(step, started.attempts);

    let outputs: StepOutputs | undefined;
    let verification: Observation;
    try {
      const applyRun = stepRun(ctx, flowRecord(), step, false, snap(), working.flows);
      outputs = (await step.apply(applyRun)) ?? undefined;
      const verifyRun: StepRun<C> = { ...applyRun, ...snap(), previous: outputs ?? applyRun.previous };
      verification = step.verify ? await step.verify(verifyRun, outputs) : await step.observe(verifyRun);
    } catch (err) {
      if (err instanceof OperatorNeeded) {
        // Waiting for a person is not a failure: the step stays `started` and a rerun observes it again.
        opts.events?.failed?.(step, err);
        throw err;
      }
      setRecord(step.id, { ...started, status: 'failed', lastError: redact(errorText(err)) });
      await save();
      opts.events?.failed?.(step, err as Error);
      throw err;
    }
    if (verification.state !== 'done') {
      const message = `step "${step.title}" did not verify after apply: ${verification.detail}`;
      setRecord(step.id, { ...started, status: 'failed', outputs: mergeOutputs(started.outputs, outputs), lastError: redact(message) });
      await save();
      const error = new UserError(message, { hint: 'Re-run to observe again; the step is retried only if it is still not in place.' });
      opts.events?.failed?.(step, error);
      throw error;
    }
    setRecord(step.id, {
      status: 'succeeded',
      attempts: started.attempts,
      startedAt: started.startedAt,
      finishedAt: nowIso(opts),
      outputs: mergeOutputs(started.outputs, outputs),
    });
    await save();
    opts.events?.succeeded?.(step, 'applied');
  }

  if (changedAnything || !flowRecord().completedAt) {
    flowRecord().completedAt = nowIso(opts);
    flow.onComplete?.(working);
    await save();
  }
  return {
    plan: { ...planBase, steps: observedSteps, blocking: false, changesPending: false },
    completed: true,
    state: sealed,
  };
}

function mergeOutputs(a: StepOutputs | undefined, b: StepOutputs | undefined): StepOutputs | undefined {
  if (!a && !b) return undefined;
  return { ...(a ?? {}), ...(b ?? {}) } as Record<string, JsonValue>;
}

function stripChecksum(state: State): UnsealedState {
  const { checksum: _checksum, ...rest } = state;
  return structuredClone(rest);
}
