/**
 * Operator steps: the vendor offers some actions only in its admin console. The flow describes
 * the task exactly (where to click, what to copy); an Operator carries it out — a person at a
 * prompt, or the sandbox's scripted operator. The flow then verifies by observation.
 */
export interface OperatorInput {
  name: string;
  label: string;
  /** Secret inputs are read without echo and never stored. */
  secret: boolean;
  /** The environment variable or config field an unattended run uses instead of the prompt. */
  unattended: string;
  validate?(value: string): true | string;
}

/**
 * What the operator is asked to do, as a typed action: the flows define their union
 * (src/flows/operator-actions.ts), so an operator that switches on `action` must handle every
 * case or fail to compile. The engine knows only that there is an `action`.
 */
export interface OperatorAction {
  /** Stable action id, e.g. "zia.syncNow", "idp.start". */
  action: string;
}

/** How the task is put to a person: the same for every action. */
export interface OperatorTaskText {
  title: string;
  /** Exact console instructions, one line each. */
  instructions: string[];
  inputs?: OperatorInput[];
  /**
   * Checks the answers against the real system (a probe). Returns true, or what was wrong when the
   * system gave a definite refusal: a person is asked again; a scripted operator stops. Throws when
   * the system gave no answer (unavailable), which is not the operator's mistake.
   */
  accept?(answers: Record<string, string>): Promise<true | string>;
  /**
   * What the flow watches to see the task done (e.g. "lastSyncEndTime"), when it can: a person at
   * a terminal then has nothing to confirm, and the run continues by itself once it sees the change.
   */
  observedBy?: string;
}

export type OperatorTask<A extends OperatorAction = OperatorAction> = A & OperatorTaskText;

export interface Operator<A extends OperatorAction = OperatorAction> {
  /** Performs the task (or has it performed) and returns the requested inputs. */
  perform(task: OperatorTask<A>): Promise<Record<string, string>>;
}
