import { Chalk, type ChalkInstance } from 'chalk';
import { redact } from '../engine/redact.js';

/**
 * Human output goes to stderr, machine output (--json) to stdout, so scripts can pipe one
 * and still see the other. Everything printed passes through redact().
 */
export interface Output {
  readonly color: ChalkInstance;
  readonly json: boolean;
  readonly quiet: boolean;
  /** A line for people (stderr). */
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  /** The one JSON document of a --json run (stdout). */
  result(value: unknown): void;
  /** Whether stderr is a terminal (progress bars only then). */
  readonly interactive: boolean;
  /** Where progress bars draw: the same stream as the human lines. */
  readonly stderr: NodeJS.WritableStream;
}

export interface OutputOptions {
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

export { ignoreClosedPipes } from './pipes.js';

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
  const color = new Chalk({ level: wantsColor(opts.color, stderr) ? 1 : 0 });
  const write = (line: string) => stderr.write(`${redact(line)}\n`);
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
    result: (value) => {
      stdout.write(`${redact(JSON.stringify(value, null, 2))}\n`);
    },
  };
}
