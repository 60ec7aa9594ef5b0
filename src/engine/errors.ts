import { redact } from './redact.js';

/** The most characters of any one value an error message repeats (a field, a server's body, a flag). */
export const MAX_ECHO = 200;
/** A line of an error message longer than this is cut, whatever it holds. */
const MAX_LINE = 1_000;
const LONG_RUN = new RegExp(`\\S{${MAX_ECHO + 1},}`, 'g');

/** `value`, cut to `max` characters with a note of how much was left out. */
export function clipValue(value: string, max = MAX_ECHO): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max)}… (${value.length - max} more characters)`;
}

/**
 * Bounds what an error message can echo: every run of characters without a space (a token, a
 * key, a JSON body, a base64 blob) longer than MAX_ECHO, and every line longer than MAX_LINE, is
 * cut with a note. A 200 KB field or server body used to be printed (and checkpointed) in full.
 * Applied by UserError to its message and hint, and by `errorText` to any other error, so every
 * error path — printed, planned, checkpointed — goes through it.
 */
export function boundMessage(raw: string): string {
  // Scrubbed first: a cut must never leave the head of a secret that redaction would have matched whole.
  const text = redact(raw);
  if (text.length <= MAX_ECHO) return text;
  return text
    .split('\n')
    .map((line) =>
      clipValue(
        line.replace(LONG_RUN, (run) => clipValue(run)),
        MAX_LINE,
      ),
    )
    .join('\n');
}

/** The bounded message of any thrown value. */
export function errorText(err: unknown): string {
  return boundMessage(err instanceof Error ? err.message : String(err));
}

/**
 * Errors the CLI reports without a stack trace: what went wrong, and what to do.
 * Every message must be free of secrets; `redact()` is applied when printing anyway.
 * Message and hint are bounded (`boundMessage`): no value is echoed beyond MAX_ECHO characters.
 */
export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(message: string, opts: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(boundMessage(message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'UserError';
    this.hint = opts.hint === undefined ? undefined : boundMessage(opts.hint);
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
  /** A saved plan (`--plan`) was refused: unreadable, edited, stale, or for another tenant, configuration or version. Nothing was changed. */
  planRefused: 4,
} as const;
