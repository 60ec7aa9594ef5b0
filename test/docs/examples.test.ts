import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

/**
 * examples/ci holds ready CI jobs (issue 18). So they cannot rot, this runs the exact `migrate`
 * command line each one holds (only the path of the tool is ours) against a sandbox, in a shell, and
 * checks what the job relies on: exit 2 for pending changes, a JUnit plan, one JSON document.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'migrate');
const EXAMPLES = ['github-actions.yml', 'gitlab-ci.yml'];

/** Every shell line of the example that invokes the tool. */
function migrateLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/^\s*-\s+/, '').trim())
    .filter((l) => l.startsWith('node tool/bin/migrate '))
    .map((l) => l.replace(/;\s*code=\$\?$/, ''));
}

function sh(line: string, cwd: string, env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`timed out: ${line}\n${stderr}`))), 120_000);
    child.on('close', (code) => (clearTimeout(timer), resolve(code)));
  });
}

describe.each(EXAMPLES)('examples/ci/%s', (name) => {
  let sandbox: Sandbox;
  afterEach(async () => sandbox?.stop());

  it('is valid YAML whose migrate command plans against a sandbox: exit 2 (changes pending), plan.xml and plan.json', async () => {
    const text = await readFile(join(ROOT, 'examples', 'ci', name), 'utf8');
    expect(() => YAML.parse(text)).not.toThrow();
    const lines = migrateLines(text);
    expect(lines).toHaveLength(1);
    expect(text).toMatch(/"\$code" -eq 2/); // the job treats "changes pending" as a notice, not a failure

    sandbox = await startSandbox({ users: 20, speed: 500, port: 0, seed: 11 });
    const dir = await mkdtemp(join(tmpdir(), 'migrate-example-'));
    await copyFile(await sandbox.writeConfig(dir), join(dir, 'migrate.yaml'));
    sandbox.resetLog();
    const code = await sh(lines[0]!.replace('node tool/bin/migrate', `node ${JSON.stringify(BIN)}`), dir, {});
    expect(code).toBe(2);
    const xml = await readFile(join(dir, 'plan.xml'), 'utf8');
    expect((xml.match(/<testcase /g) ?? []).length).toBeGreaterThan(10);
    expect(JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')).dryRun).toBe(true);
    expect(existsSync(join(dir, '.migrate', 'state.json'))).toBe(false); // a dry-run writes no state
    expect(sandbox.stats().mutations).toBe(0);
  });
});
