import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The README's runnable blocks are run as written, so the documentation cannot rot (the idea
 * umzug uses for its example READMEs). A block is runnable when the line before its fence is
 * `<!-- readme-test: NAME -->`. Two commands are not re-run from inside the test suite, and the
 * test says so: `npm ci` (it would replace node_modules under the running tests) and `npm test`
 * (it is this very run).
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(`${ROOT}/README.md`, 'utf8');

export function runnableBlocks(markdown: string): { name: string; script: string }[] {
  const blocks: { name: string; script: string }[] = [];
  const re = /<!-- readme-test: ([\w-]+) -->\s*\n```sh\n([\s\S]*?)```/g;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) blocks.push({ name: m[1]!, script: m[2]! });
  return blocks;
}

const NOT_RERUN = [
  { pattern: /^npm ci && /, replacement: '', why: 'dependencies are installed by the run that executes this test' },
  { pattern: /^npm test$/, replacement: ': npm test is this very run', why: 'recursion' },
];

function asTestScript(script: string): string {
  return script
    .split('\n')
    .map((line) => NOT_RERUN.reduce((l, r) => l.replace(r.pattern, r.replacement), line))
    .join('\n');
}

describe('README', () => {
  const blocks = runnableBlocks(README);

  it('has the quick start and the rehearsal as runnable blocks', () => {
    expect(blocks.map((b) => b.name)).toEqual(['quick-start', 'rehearsal']);
    expect(blocks[0]!.script).toContain('npx migrate demo');
  });

  it.each(blocks.map((b) => [b.name, b.script] as const))(
    'block "%s" runs as written',
    (_name, script) => {
      const r = spawnSync('bash', ['-euo', 'pipefail', '-c', asTestScript(script)], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 180_000,
        killSignal: 'SIGKILL',
      });
      // A failed block must not leave a background sandbox behind.
      const pidFile = `${ROOT}/.migrate/rehearsal/sandbox.pid`;
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      if (r.status !== 0) throw new Error(`exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      expect(r.status).toBe(0);
    },
    300_000,
  );
});
