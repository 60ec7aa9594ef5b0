/**
 * Errors the CLI reports without a stack trace: what went wrong, and what to do.
 * Every message must be free of secrets; `redact()` is applied when printing anyway.
 */
export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(message: string, opts: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'UserError';
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** Stopped at an operator step that needs a person (exit code 3). State is saved; a rerun continues. */
export class OperatorNeeded extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: 3 });
    this.name = 'OperatorNeeded';
  }
}

/** A mutating call attempted while the process is read-only (--dry-run). Always a bug if it surfaces. */
export class ReadOnlyViolation extends Error {
  constructor(what: string) {
    super(`refused to ${what}: this run is read-only (--dry-run)`);
    this.name = 'ReadOnlyViolation';
  }
}

export const EXIT = {
  ok: 0,
  error: 1,
  changesPending: 2,
  operatorNeeded: 3,
} as const;
