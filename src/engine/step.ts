import type { UnsealedState } from './checkpoint.js';
import type { JsonValue } from './json.js';

/**
 * What a step found when it looked at the real systems.
 * - done:     the change this step makes is already in place (nothing to do).
 * - pending:  the change is not in place; `changes` says what apply would do.
 * - drifted:  the systems are in a state this step did not expect and will not paper over
 *             (for example a setting someone changed by hand); the run stops for a person.
 * - blocked:  the step cannot run yet or at all (a guard or precondition failed); `detail` says why.
 */
export type ObservedState = 'done' | 'pending' | 'drifted' | 'blocked';

export interface Observation {
  state: ObservedState;
  /** One sentence an administrator reads in the plan. */
  detail: string;
  /** What apply would change, in words ("set directorySyncMigrateToScimEnabled false → true"). */
  changes?: string[];
  /** Non-secret facts for --json plans and reports. */
  facts?: Record<string, JsonValue>;
  /**
   * Facts that move without changing what the step will do (a timestamp the step itself moves on,
   * such as the last directory sync before a Sync Now): shown, but a saved plan does not hold a run to them.
   */
  volatileFacts?: string[];
}

/**
 * What a runbook says about a step beyond its observation: for an operator step the exact console
 * instructions and what the tool verifies afterwards; for a step that waits, what for and how long.
 * Static for a configuration: it never reads a system, so it is the same in every plan.
 */
export interface StepGuide {
  /** Exact console path and instructions, one line each (operator steps). */
  instructions?: string[];
  /** What the tool observes afterwards before it counts the step as done. */
  verifiedBy?: string;
  /** A wait: what for, how long it usually takes when known (else undefined: never invented), and the tool's bound. */
  wait?: { for: string; expected?: string; limit?: string };
  /** A guard: what it stops on (the configured threshold). */
  guard?: string;
}

export type StepKind = 'automated' | 'operator';

/** Non-secret values a step hands to later steps and to the checkpoint. */
export type StepOutputs = Record<string, JsonValue>;

/** What the runner gives a step: the flow's context plus this step's memory. */
export interface StepRun<C> {
  ctx: C;
  /** Outputs this step recorded earlier (a resumed or repeated run), if any. */
  previous: StepOutputs | undefined;
  /** When this step was (last) started, ISO time, if it has been. */
  startedAt: string | undefined;
  /** Outputs recorded by another step: `stepId` in this flow, or `flowId:stepId` in another (rollback reads what the forward run set). */
  outputsOf(stepId: string): StepOutputs | undefined;
  /**
   * What the checkpoint says about another step ('pending' when nothing): `stepId` in this flow,
   * or `flowId:stepId` in another (rollback reads how far the forward run got).
   */
  statusOf(stepId: string): string;
  /** True during --dry-run: observe only. The runner never calls apply then. */
  dryRun: boolean;
  /** The settings snapshot taken before the first write (rollback restores it). */
  snapshot: Record<string, JsonValue> | undefined;
  /** Stores the snapshot in the checkpoint at once. Refused during --dry-run. */
  saveSnapshot(data: Record<string, JsonValue>): Promise<void>;
}

export interface Step<C> {
  id: string;
  title: string;
  /** The vendor document (and step) this follows, e.g. "ZIA AD→SCIM migration guide, step 2". */
  doc: string;
  kind: StepKind;
  /**
   * Earlier steps of this flow whose change decides this step's outcome (an activation publishes
   * the write before it). While one of them is not done in a plan, this step's observation cannot
   * see the change that is still to come, so the plan shows it as pending: "will run after step N".
   */
  after?: string[];
  /** What a runbook tells the people doing the change (console instructions, waits, guards). Never reads a system. */
  guide?(ctx: C): StepGuide;
  /** Reads the real current state. Must not write anything. */
  observe(run: StepRun<C>): Promise<Observation>;
  /** Makes the change (an operator step asks a person, or the scripted operator, to make it). */
  apply(run: StepRun<C>): Promise<StepOutputs | void>;
  /** Observes again after apply; the step is recorded as succeeded only when this says done. Defaults to observe. */
  verify?(run: StepRun<C>, applied: StepOutputs | undefined): Promise<Observation>;
}

/** A read-only check run before anything is written; all are run and reported together. */
export interface PreflightCheck<C> {
  id: string;
  title: string;
  run(ctx: C): Promise<CheckResult>;
}

export interface CheckResult {
  ok: boolean;
  /** Warnings do not block; failures do. */
  severity?: 'error' | 'warning';
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export interface Flow<C> {
  id: string;
  title: string;
  /** The documented procedure this flow automates. */
  doc: string;
  preflight: PreflightCheck<C>[];
  steps: Step<C>[];
  /**
   * What the checkpoint must show before this flow may run at all (rollback needs a forward run to
   * undo). Returns the reason it may not, or undefined.
   */
  precondition?(state: UnsealedState | undefined): string | undefined;
  /**
   * The checkpoint shows this flow's work already finished in a closed run (a rollback completed
   * earlier): returns what to tell the user, and the run changes nothing and succeeds.
   */
  alreadyDone?(state: UnsealedState | undefined): string | undefined;
  /** What the administrator should know once the flow has completed; printed after it completes. */
  closingAdvice?: string[];
  /** Edits the checkpoint when the flow completes (a completed rollback closes the run). */
  onComplete?(state: UnsealedState): void;
}
