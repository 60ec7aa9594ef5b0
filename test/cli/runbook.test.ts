import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli } from './cli.js';

/**
 * The change-ticket runbook (`--dry-run --format markdown`) and saved plans (`--dry-run --out`,
 * `--plan`), through the built binary against a sandbox in this process (issue 17, sections 4–5).
 */

const EXAMPLE = fileURLToPath(new URL('../fixtures/runbook/ad-to-scim.md', import.meta.url));
const REGENERATE = 'UPDATE_EXAMPLES=1 node --experimental-vm-modules node_modules/jest/bin/jest.js test/cli/runbook.test.ts';
/** SOURCE_DATE_EPOCH fixes the runbook's (and the saved plan's) time: 2027-01-15T08:00:00.000Z. */
const EPOCH = '1800000000';
const FIXED_TIME = '2027-01-15T08:00:00.000Z';

/**
 * What differs between two sandboxes started alike, and nothing else: their ports, the ids Entra
 * generates, the moment of the seeded directory sync, the temporary directory, and the digests
 * that hash them (placeholders in capitals, so the stored example still renders on GitHub). The
 * runbook's own time is fixed by SOURCE_DATE_EPOCH and kept.
 */
function normalise(md: string, dir: string): string {
  return md
    .split(dir)
    .join('DIR')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
    .replace(/zscalerthree\.[0-9a-f]{32}\.[0-9a-f]{16}/g, 'JOB-ID')
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:DIGEST')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, (t) => (t === FIXED_TIME ? t : 'SANDBOX-TIME'));
}

function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `line ${i + 1}:\n  stored:    ${x[i] ?? '(end of file)'}\n  generated: ${y[i] ?? '(end of file)'}`;
  }
  return '';
}

describe('the runbook and saved plans against a sandbox in another process', () => {
  let sandbox: Sandbox;
  let dir: string;
  let config: string;

  beforeEach(async () => {
    sandbox = await startSandbox({ users: 40, speed: 500, port: 0, seed: 3 });
    dir = await mkdtemp(join(tmpdir(), 'migrate-runbook-'));
    config = await sandbox.writeConfig(dir);
  });
  afterEach(async () => sandbox.stop());

  const cli = (args: string[]) => runCli(args, { cwd: dir, env: { SOURCE_DATE_EPOCH: EPOCH } });

  it("writes the runbook the stored example shows, byte for byte on a rerun, with the saved plan's digest", async () => {
    const args = ['ad-to-scim', '--dry-run', '--format', 'markdown', '--out', 'plan.json', '--config', config, '--state', 'state.json'];
    const r = await cli(args);
    expect(r.code).toBe(0);
    const again = await cli(args);
    expect(again.stdout).toBe(r.stdout); // same inputs, same bytes
    const digest = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')).digest as string;
    expect(r.stdout).toContain(`| Saved plan | \`plan.json\`, digest \`${digest}\` |`);
    expect(r.stdout).toContain(`| Generated | ${FIXED_TIME} by migrate`);

    const generated = normalise(r.stdout, dir);
    if (process.env.UPDATE_EXAMPLES === '1') {
      await mkdir(join(EXAMPLE, '..'), { recursive: true });
      await writeFile(EXAMPLE, generated);
    }
    const stored = await readFile(EXAMPLE, 'utf8');
    if (stored !== generated) {
      throw new Error(
        `the runbook differs from ${EXAMPLE} at ${firstDifference(stored, generated)}\nIf the change is intended, regenerate the example: ${REGENERATE}`,
      );
    }
  });

  it('a dry-run with --out writes that one file and nothing else, then the plan applied unchanged runs to completion', async () => {
    const before = await readdir(dir);
    sandbox.resetLog();
    const audit = join(dir, 'audit.jsonl');
    const dry = await cli(['ad-to-scim', '--dry-run', '--out', 'plan.json', '--audit-log', audit, '--config', config, '--state', 'state.json']);
    expect(dry.code).toBe(0);
    expect((await readdir(dir)).sort()).toEqual([...before, 'plan.json'].sort());
    expect(sandbox.stats().mutations).toBe(0);
    const plan = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8'));
    expect(plan).toMatchObject({ kind: 'migrate-plan', schemaVersion: 1, tool: { name: 'migrate' }, flow: { id: 'ad-to-scim' }, state: { serial: null } });
    expect(plan.config.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(plan.steps.find((s: { id: string }) => s.id === 'deprovision-guard').facts).toEqual({ inScope: 40, wouldDisable: 1, wouldDelete: 0 });
    expect(dry.stderr).toContain(`saved the plan to plan.json (digest ${plan.digest}); apply it with: migrate ad-to-scim --plan plan.json`);
    // No secret reaches the plan (the configuration holds references; the digest covers those).
    const text = await readFile(join(dir, 'plan.json'), 'utf8');
    for (const f of ['zia-password', 'zia-api-key', 'graph-client-secret', 'ldap-password']) {
      expect(text).not.toContain((await readFile(join(dir, 'secrets', f), 'utf8')).trim());
    }

    const run = await cli(['ad-to-scim', '--plan', 'plan.json', '--config', config, '--state', 'state.json']);
    expect(run.stderr).toContain('the tenant matches the approved plan plan.json');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('complete.');
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    expect(state.flows['ad-to-scim'].approvedPlan).toBe(plan.digest);

    // The way back, as its own ticket: the rollback's runbook and plan, applied.
    const back = await cli(['rollback', '--dry-run', '--format', 'markdown', '--out', 'rollback.json', '--config', config, '--state', 'state.json']);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('# Change runbook: ZIA: roll back SCIM provisioning');
    expect(back.stdout).toContain('To undo the change: `migrate ad-to-scim`');
    const undo = await cli(['rollback', '--plan', 'rollback.json', '--config', config, '--state', 'state.json']);
    expect(undo.code).toBe(0);
  });

  it('an unattended run of a plan that stops at an operator step (exit 3) resumes with the same --plan, the SCIM answers added to the configuration', async () => {
    const personConfig = await sandbox.writeConfig(join(dir, 'person'), { operator: 'person' });
    const args = ['ad-to-scim', '--yes', '--config', personConfig, '--state', 'state.json'];
    expect((await cli(['ad-to-scim', '--dry-run', '--out', 'plan.json', '--config', personConfig, '--state', 'state.json'])).code).toBe(0);
    const digest = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8')).digest as string;

    const first = await cli([...args, '--plan', 'plan.json']);
    expect(first.stderr).toContain('the tenant matches the approved plan plan.json');
    expect(first.code).toBe(3); // Sync Now needs a person
    sandbox.portal.syncNow();
    const second = await cli([...args, '--plan', 'plan.json']);
    expect(second.stderr).toContain(`resuming the approved plan plan.json (digest ${digest})`);
    expect(second.code).toBe(3); // Edit IdP needs a person
    const doc = YAML.parse(await readFile(personConfig, 'utf8'));
    const idp = sandbox.portal.idps().find((i) => i.name === doc.zia.idpName)!;
    const { baseUrl, bearerToken } = sandbox.portal.setScim(idp.id, true);
    sandbox.portal.setSamlAutoProvisioning(idp.id, false);
    doc.scim = { ...(doc.scim ?? {}), baseUrl, tokenEnv: 'TEST_SCIM_TOKEN' };
    await writeFile(personConfig, YAML.stringify(doc));
    const third = await runCli([...args, '--plan', 'plan.json'], { cwd: dir, env: { SOURCE_DATE_EPOCH: EPOCH, TEST_SCIM_TOKEN: bearerToken! } });
    expect(third.stderr).toContain('resuming the approved plan plan.json');
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('complete.');
  });

  it('refuses a plan the tenant no longer matches (the migration flag flipped), listing the differences, exit 4, nothing written', async () => {
    expect((await cli(['ad-to-scim', '--dry-run', '--out', 'plan.json', '--config', config, '--state', 'state.json'])).code).toBe(0);
    // Someone turns the migration flag on in the console and activates, after the plan was approved.
    const tenant = sandbox.world.tenant;
    const { kerberosPwd: _k, lastSyncStartTime: _s, lastSyncEndTime: _e, ...settings } = tenant.getAuthSettings();
    tenant.putAuthSettings({ ...settings, directorySyncMigrateToScimEnabled: true });
    tenant.activate();
    sandbox.resetLog();
    const r = await cli(['ad-to-scim', '--plan', 'plan.json', '--yes', '--config', config, '--state', 'state.json']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('saved plan plan.json: stale: what the run observes no longer matches what was approved');
    expect(r.stderr).toContain(
      '  - step 5 (Enable "Disable Directory Sync & Enable SCIM Provisioning"): pending when planned (directorySyncMigrateToScimEnabled is false), done now (directorySyncMigrateToScimEnabled is true)',
    );
    expect(r.stderr).toMatch(
      / {2}- preflight "The tenant is at the migration guide's starting point, or this state file records its migration": passed when planned .*, failed now/,
    );
    expect(r.stderr).toContain('Nothing was changed.');
    expect(sandbox.stats().mutations).toBe(0);
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
    expect(existsSync(join(dir, 'state.json.lock'))).toBe(false);
  });

  it('refuses an edited plan (digest mismatch) and a plan made with another configuration, before contacting anything', async () => {
    expect((await cli(['ad-to-scim', '--dry-run', '--out', 'plan.json', '--config', config, '--state', 'state.json'])).code).toBe(0);
    const original = await readFile(join(dir, 'plan.json'), 'utf8');
    // Raise the approved guard figure by hand, leaving the digest as it was.
    const edited = original.replace('"inScope": 40', '"inScope": 4000');
    expect(edited).not.toBe(original);
    await writeFile(join(dir, 'edited.json'), edited);
    sandbox.resetLog();
    const tampered = await cli(['ad-to-scim', '--plan', 'edited.json', '--config', config, '--state', 'state.json']);
    expect(tampered.code).toBe(4);
    expect(tampered.stderr).toMatch(
      /saved plan edited\.json: its content does not match its digest \(recorded sha256:[0-9a-f]{64}, computed sha256:[0-9a-f]{64}\): it was changed after it was saved/,
    );

    const doc = YAML.parse(await readFile(config, 'utf8'));
    doc.guards = { ...(doc.guards ?? {}), maxDisablePercent: 50 };
    const other = join(dir, 'other.yaml');
    await writeFile(other, YAML.stringify(doc));
    const wrongConfig = await cli(['ad-to-scim', '--plan', 'plan.json', '--config', other, '--state', 'state.json']);
    expect(wrongConfig.code).toBe(4);
    expect(wrongConfig.stderr).toMatch(/ {2}- configuration: its digest was sha256:[0-9a-f]{64} when planned, it is sha256:[0-9a-f]{64} now/);
    expect(sandbox.stats().requests).toBe(0);
    expect(existsSync(join(dir, 'state.json'))).toBe(false);
  });

  it('refuses the plan flags where they would be ignored, before anything is loaded or contacted', async () => {
    sandbox.resetLog();
    const cases: [string[], RegExp][] = [
      [['ad-to-scim', '--out', 'p.json', '--yes'], /--out saves the dry-run's plan; refusing to run `migrate ad-to-scim` for real/],
      [['rollback', '--format', 'markdown'], /--format markdown writes the dry-run's plan as a runbook; refusing to run `migrate rollback` for real/],
      [['ad-to-scim', '--dry-run', '--plan', 'p.json'], /--plan applies a saved plan; a dry-run makes one/],
      [['ad-to-scim', '--dry-run', '--json', '--format', 'markdown'], /--format markdown and --json both claim stdout/],
    ];
    for (const [args, message] of cases) {
      const r = await cli([...args, '--config', config, '--state', 'state.json']);
      expect([args, r.code]).toEqual([args, 1]);
      expect(r.stderr).toMatch(message);
    }
    expect(sandbox.stats().requests).toBe(0);
    expect(existsSync(join(dir, 'p.json'))).toBe(false);
  });
});
