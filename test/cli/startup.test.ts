import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/migrate', import.meta.url));
const RECORDER = fileURLToPath(new URL('./record-loads.mjs', import.meta.url));

/**
 * Starting fast is measured by bench/startup.mjs (CPU time against `node -e 0`). Here, the
 * behaviour behind it: what a start that runs no command loads. Commands are registered from
 * light definitions; their modules (the clients, the sandbox, zod, chalk, prompts) load only
 * when the command runs.
 */
async function loadsOf(args: string[]): Promise<{ packages: string[]; dist: string[]; stdout: string; code: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'migrate-loads-'));
  const log = join(dir, 'loads.txt');
  try {
    let stdout = '';
    let code = 0;
    try {
      ({ stdout } = await run(process.execPath, ['--import', RECORDER, BIN, ...args], { env: { ...process.env, MIGRATE_LOAD_LOG: log, NO_COLOR: '1' } }));
    } catch (e) {
      const err = e as { stdout: string; code: number };
      ({ stdout, code } = err);
    }
    const urls = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
    const packages = [...new Set(urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((p): p is string => !!p))].sort();
    const dist = urls.map((u) => /\/dist\/(.+)$/.exec(u)?.[1]).filter((p): p is string => !!p);
    return { packages, dist, stdout, code };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const HEAVY_DIST =
  /^(clients|flows|parity|sandbox\/index|sandbox\/(zia|scim|entra|ldap)|config\/(schema|load)|engine\/(checkpoint|lock|runner)|ui\/(output|prompts|progress))/;

describe('start-up loads only what the command needs', () => {
  it("--help, --version and every command's --help load commander and no other package", async () => {
    const cases = [['--help'], ['--version'], ...['demo', 'ad-to-scim', 'rollback', 'verify', 'status', 'init', 'unlock', 'sandbox'].map((c) => [c, '--help'])];
    for (const args of cases) {
      const r = await loadsOf(args);
      expect({ args, code: r.code, packages: r.packages }).toEqual({ args, code: 0, packages: ['commander'] });
      expect({ args, heavy: r.dist.filter((d) => HEAVY_DIST.test(d)) }).toEqual({ args, heavy: [] });
      expect(r.stdout.length).toBeGreaterThan(0);
    }
  });

  it("a command's help is still complete: its options, the shared options and its examples", async () => {
    const verify = await loadsOf(['verify', '--help']);
    for (const text of ['--report <dir>', '--junit <file>', '--directory-only', 'Examples:', 'migrate verify --json > parity.json']) {
      expect(verify.stdout).toContain(text);
    }
    const sandbox = await loadsOf(['sandbox', '--help']);
    for (const text of ['--faults <spec>', '--state-dir <dir>', 'Fault grammar', 'MIGRATE_SANDBOX_DIRECTORY_PASSWORD']) expect(sandbox.stdout).toContain(text);
  });

  it("status without a state file answers without loading the state file's schema", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrate-status-'));
    try {
      const r = await loadsOf(['status', '--state', join(dir, 'none.json')]);
      expect(r.code).toBe(1);
      expect(r.packages).toEqual(['commander']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a command that runs loads its modules (the recorder sees them)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrate-init-'));
    try {
      const r = await loadsOf(['init', '--yes', '-o', join(dir, 'm.yaml')]);
      expect(r.code).toBe(0);
      expect(r.packages).toEqual(expect.arrayContaining(['commander', 'yaml', 'zod']));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
