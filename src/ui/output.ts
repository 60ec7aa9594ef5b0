import { stripVTControlCharacters } from 'node:util';
import { Chalk, type ChalkInstance } from 'chalk';
import { redact } from '../engine/redact.js';

/**
 * The streams, as Unix tools expect them (`migrate status > s.txt`, `migrate status | less`):
 * - stdout: what the command was run for. For people, the results (the plan, the status, the
 *   parity tables, the verdict: `print`); with --json, only the one JSON document (`result`), and
 *   the human results move to stderr so stdout stays parseable.
 * - stderr: everything about the run: progress, prompts, operator instructions, warnings, logs,
 *   errors (`info`, `warn`, `error`).
 * Everything printed passes through redact(). Colour is decided per stream: a result piped to a
 * file carries no escape codes even when the progress beside it on the terminal is coloured.
 */
export interface Output {
  readonly color: ChalkInstance;
  readonly json: boolean;
  readonly quiet: boolean;
  /** Progress or a log line for people (stderr). */
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  /** A human result: the plan, the status, a parity table, the verdict (stdout; stderr with --json). */
  print(text: string): void;
  /** The one JSON document of a --json run (stdout). */
  result(value: unknown): void;
  /** Whether stderr is a terminal (progress bars only then). */
  readonly interactive: boolean;
  /** Where progress bars draw: the same stream as the human lines. */
  readonly stderr: NodeJS.WritableStream;
}

/** The version of the CLI's own --json documents (plan, run, demo, sandbox, unlock); verify's report and status carry their own. */
export const JSON_SCHEMA_VERSION = 1;

export interface OutputOptions {
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Colour only on a terminal, never with --no-color or NO_COLOR. (commander gives `color: true`
 * whenever --no-color is absent, so true means "automatic", not "forced".)
 */
export function wantsColor(flag: boolean | undefined, stream: { isTTY?: boolean }): boolean {
  if (flag === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return Boolean(stream.isTTY);
}

export function createOutput(opts: OutputOptions = {}): Output {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const colorOn = { stderr: wantsColor(opts.color, stderr), stdout: wantsColor(opts.color, stdout as { isTTY?: boolean }) };
  const color = new Chalk({ level: colorOn.stderr || colorOn.stdout ? 1 : 0 });
  const to = (stream: NodeJS.WritableStream, coloured: boolean) => (line: string) => {
    const text = redact(line);
    stream.write(`${coloured ? text : stripVTControlCharacters(text)}\n`);
  };
  const write = to(stderr, colorOn.stderr);
  // With --json, stdout holds the JSON document only: the human results go beside the progress.
  const printTo = opts.json ? write : to(stdout, colorOn.stdout);
  return {
    color,
    json: Boolean(opts.json),
    quiet: Boolean(opts.quiet),
    interactive: Boolean(stderr.isTTY),
    stderr,
    info: (line) => {
      if (!opts.quiet) write(line);
    },
    warn: (line) => write(color.yellow(`warning: ${line}`)),
    error: (line) => write(color.red(`error: ${line}`)),
    print: (text) => {
      if (!opts.quiet) printTo(text);
    },
    result: (value) => {
      stdout.write(`${redact(JSON.stringify(value, null, 2))}\n`);
    },
  };
}
