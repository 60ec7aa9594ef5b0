import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/migrate', import.meta.url));

/** `script` (util-linux) gives the CLI a real pseudo-terminal: prompts, raw mode and Ctrl-C behave as for a person. */
export const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface TerminalRun {
  /** Everything the terminal showed so far, escape sequences removed. */
  screen(): string;
  /** Resolves once the screen matches, with the screen; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Types into the terminal, as keys ("\r" is Enter, "\x03" is Ctrl-C). */
  type(keys: string): void;
  /** The exit code of the CLI. */
  exit: Promise<number | null>;
}

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[()][0-9A-Za-z]|\r/g;

/** Runs the built CLI on a pseudo-terminal, the way an administrator runs it. */
export function runInTerminal(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): TerminalRun {
  const command = [process.execPath, BIN, ...args].map(quote).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', TERM: 'xterm', COLUMNS: '200', LINES: '50', ...opts.env },
  });
  let raw = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    raw += d.toString();
    for (const w of waiters) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const screen = () => raw.replace(ANSI, '');
  const exit = new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, opts.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.end();
      resolve(code);
    });
  });
  return {
    screen,
    exit,
    type: (keys) => child.stdin.write(keys),
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const matches = () => (typeof pattern === 'string' ? screen().includes(pattern) : pattern.test(screen()));
        const check = () => {
          if (!matches()) return;
          cleanup();
          resolve(screen());
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`the terminal never showed ${String(pattern)}; it shows:\n${screen()}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        void exit.then(() => {
          if (!matches() && waiters.has(check)) {
            cleanup();
            reject(new Error(`the CLI exited before showing ${String(pattern)}; it shows:\n${screen()}`));
          }
        });
        check();
      }),
  };
}
