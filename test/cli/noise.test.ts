import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A clean `npm test` prints only the runner's output: no ExperimentalWarning from Node (the
 * runner needs --experimental-vm-modules for ESM), no message a test provokes from the code
 * (the stale-lock takeover goes to the test's sink). Runs the runner exactly as the `test`
 * script does, on a test file that exercises the stale-lock takeover.
 */
describe('npm test is quiet', () => {
  it('the test script runs Jest without warnings, and the lock test prints nothing of its own', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { test: string } };
    const command = pkg.scripts.test.split('&&').pop()!.trim().split(/\s+/);
    expect(command[0]).toBe('node');
    const { stdout, stderr } = await run(process.execPath, [...command.slice(1), 'test/engine/lock.test.ts'], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0', JEST_WORKER_ID: '' },
    });
    const output = stdout + stderr;
    expect(output).toMatch(/Tests:\s+\d+ passed/);
    expect(output).not.toContain('ExperimentalWarning');
    expect(output).not.toContain('taking over stale');
    expect(output).not.toContain('console.');
  });
});
