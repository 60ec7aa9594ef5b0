import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../../src/sandbox/index.js';

const BIN = fileURLToPath(new URL('../../bin/migrate', import.meta.url));

/**
 * Runs the built CLI with one of its output pipes already closed by the reader, as
 * `migrate … | head -1` leaves it once head has its line: every write to it fails with EPIPE.
 */
function runWithClosed(which: 'stdout' | 'stderr', args: string[]): Promise<{ code: number | null; other: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    child[which].destroy(); // the reader is gone before the first byte is written
    let other = '';
    child[which === 'stdout' ? 'stderr' : 'stdout'].on('data', (d) => (other += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`migrate ${args.join(' ')} did not finish`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, other });
    });
  });
}

describe('a closed output pipe (migrate … | head -1)', () => {
  it('help and version of every command exit 0, without a stack trace', async () => {
    const commands = ['demo', 'ad-to-scim', 'rollback', 'verify', 'status', 'init', 'unlock', 'sandbox'];
    for (const args of [['--help'], ['--version'], ...commands.map((c) => [c, '--help'])]) {
      const r = await runWithClosed('stdout', args);
      expect({ args, code: r.code, stderr: r.other }).toEqual({ args, code: 0, stderr: '' });
    }
  });

  it('a closed stderr does not turn a command into a crash: it exits by its own rules', async () => {
    const sandbox = await startSandbox({ users: 20, speed: 500, port: 0, seed: 3 });
    try {
      const dir = await mkdtemp(join(tmpdir(), 'migrate-pipes-'));
      const config = await sandbox.writeConfig(dir);
      const human = await runWithClosed('stderr', ['ad-to-scim', '--dry-run', '--config', config, '--state', join(dir, 'state.json')]);
      // stdout is shown with the code so that a failure says why (stderr, where errors go, is closed)
      expect({ code: human.code, stdout: human.other.slice(-2000) }).toEqual({ code: 0, stdout: expect.stringContaining('Nothing was written.') });
      const errorPath = await runWithClosed('stderr', ['status', '--state', join(dir, 'none.json')]);
      expect(errorPath.code).toBe(1); // its own exit code ("no migration recorded"), not a crash
    } finally {
      await sandbox.stop();
    }
  });
});
