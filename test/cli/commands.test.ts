import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { FileCheckpointStore, newState } from '../../src/engine/checkpoint.js';
import { acquireLock } from '../../src/engine/lock.js';
import { PRODUCTS } from '../../src/products/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli } from './cli.js';

async function tempDir(prefix: string) {
  return mkdtemp(join(tmpdir(), prefix));
}

describe('migrate (no sandbox needed)', () => {
  it('--help lists every command and the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['demo', 'ad-to-scim', 'rollback', 'verify', 'status', 'init', 'unlock', 'sandbox']) expect(r.stdout).toContain(c);
    expect(r.stdout).toMatch(/3 stopped at an operator step/);
  });

  it('each command has --help with examples', async () => {
    for (const c of ['ad-to-scim', 'rollback', 'verify', 'status', 'init', 'unlock', 'demo']) {
      const r = await runCli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Examples?:/);
      // The global options its examples use are listed in its own help.
      expect(r.stdout).toContain('Global Options:');
      for (const flag of ['--config <file>', '--state <file>', '--json']) expect(r.stdout).toContain(flag);
    }
    // The program's description is one sentence, wrapped by commander, never cut by a line break of ours.
    const top = await runCli(['--help']);
    expect(top.stdout).not.toMatch(/pushed by the\n/);
  });

  it("each product's steps are in the --help of every command it runs, from its registry entry", async () => {
    const flat = (t: string) => t.replace(/\s+/g, ' ');
    for (const product of PRODUCTS) {
      for (const command of product.commands) {
        const steps = (product.stepsHelp as Readonly<Record<string, string>>)[command];
        expect(steps).toMatch(new RegExp(`^${product.label}`));
        const r = await runCli([command, '--help']);
        expect(r.code).toBe(0);
        expect(flat(r.stdout)).toContain(flat(steps!));
      }
    }
    // ZPA's own steps, not ZIA's, where a ZPA administrator looks.
    const forward = flat((await runCli(['ad-to-scim', '--help'])).stdout);
    expect(forward).toContain('soak gate');
    expect(forward).toContain('"SCIM Attributes for Policy" [operator]');
  });

  it('a missing configuration is a clear error with exit 1', async () => {
    const dir = await tempDir('migrate-cli-');
    const r = await runCli(['ad-to-scim', '--dry-run', '--config', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read configuration');
    expect(r.stderr).toContain('migrate init');
  });

  it('an invalid configuration names the file, the field and what was expected', async () => {
    const dir = await tempDir('migrate-cli-');
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'version: 1\nzia: { cloud: zscalerthree }\n');
    const r = await runCli(['status', '--config', file, '--state', join(dir, 's.json')]);
    expect(r.code).toBe(1);
    const v = await runCli(['verify', '--config', file]);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain(`${file}: zia.orgId`);
    expect(v.stderr).toContain(`${file}: directory`);
  });

  it('init --yes writes a commented file that validates, and refuses to overwrite it', async () => {
    const dir = await tempDir('migrate-cli-');
    const file = join(dir, 'migrate.yaml');
    const r = await runCli(['init', '--yes', '-o', file]);
    expect(r.code).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('# migrate configuration');
    expect(text).toContain('passwordEnv: ZIA_PASSWORD');
    const again = await runCli(['init', '--yes', '-o', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists; not overwriting');
  });

  it('status without a state file says how to start', async () => {
    const dir = await tempDir('migrate-cli-');
    const r = await runCli(['status', '--state', join(dir, 'state.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no migration recorded');
  });
});

describe('migrate against a sandbox in another process', () => {
  let sandbox: Sandbox;
  let dir: string;
  let config: string;
  let state: string;

  beforeEach(async () => {
    sandbox = await startSandbox({ users: 40, speed: 500, port: 0, seed: 3 });
    dir = await tempDir('migrate-cli-sb-');
    config = await sandbox.writeConfig(dir);
    state = join(dir, 'state.json');
  });
  afterEach(async () => sandbox.stop());

  it('dry-run: exit 2 with --detailed-exitcode, one JSON plan on stdout, zero writes, no state file', async () => {
    sandbox.resetLog();
    const audit = join(dir, 'audit.jsonl');
    const r = await runCli(['ad-to-scim', '--dry-run', '--detailed-exitcode', '--json', '--audit-log', audit, '--config', config, '--state', state]);
    expect(r.code).toBe(2);
    expect(existsSync(audit)).toBe(false); // the audit log is a write too
    const doc = JSON.parse(r.stdout);
    expect(doc.dryRun).toBe(true);
    expect(doc.plan.steps.map((s: { id: string }) => s.id)).toContain('enable-migrate-flag');
    // The adoption forecast (issue 17, part 1) in the JSON plan: counts and first examples in the step's facts.
    const forecast = doc.plan.steps.find((s: { id: string }) => s.id === 'entra-adoption-forecast').observation.facts.forecast;
    expect(forecast.counts).toMatchObject({ duplicates: 0, cannotForecast: 0 });
    expect(forecast.counts.adopted).toBeGreaterThan(0);
    expect(forecast.examples.adopted.length).toBeGreaterThan(0);
    expect(doc.plan.changesPending).toBe(true);
    // The groups snapshot and forecast (issue 17, part 1b) are in the JSON plan.
    const groups = doc.plan.steps.find((s: { id: string }) => s.id === 'groups-snapshot');
    expect(groups.observation.facts).toMatchObject({ assumedReading: 'by-name', groups: { twins: 0 }, departments: { twins: 0 } });
    expect(groups.observation.facts.ziaGroups).toBeGreaterThan(0);
    expect(sandbox.stats().mutations).toBe(0);
    expect(existsSync(state)).toBe(false);
    expect(existsSync(`${state}.lock`)).toBe(false);

    const plain = await runCli(['ad-to-scim', '--dry-run', '--config', config, '--state', state]);
    expect(plain.code).toBe(0); // without --detailed-exitcode pending changes are not an error
    expect(plain.stdout).toContain('would change something. Nothing was written.'); // the plan is the result: stdout
    expect(plain.stdout).toMatch(
      /Snapshot ZIA groups and departments.*ZIA holds \d+ group\(s\) and \d+ department\(s\); groups: \d+ taken over, 0 new, 0 twin\(s\)/,
    );
    expect(plain.stderr).toBe('');
  });

  it('dry-run --junit writes one test case per check and step', async () => {
    const junit = join(dir, 'plan.xml');
    const r = await runCli(['ad-to-scim', '--dry-run', '--junit', junit, '--config', config, '--state', state]);
    expect(r.code).toBe(0);
    const xml = await readFile(junit, 'utf8');
    expect(xml).toContain('<testsuites');
    expect((xml.match(/<testcase /g) ?? []).length).toBe(8 + 17); // preflight checks + steps (the adoption forecast, the groups snapshot and check, the pilot and Entra's deletion threshold among them)
    expect(xml).toContain('would: PUT /authSettings');
    expect(xml).toMatch(/name="Forecast: which ZIA users[^"]*"><system-out>done: \d+ user\(s\) in Entra&apos;s scope: \d+ adopted/);
  });

  it('--junit and --detailed-exitcode without --dry-run are refused before anything is loaded or contacted', async () => {
    await new FileCheckpointStore(state).save(newState({ system: 'zia', id: 'zia:test:1', label: 'ZIA org 1' }));
    const before = await readFile(state, 'utf8');
    const junit = join(dir, 'j.xml');
    sandbox.resetLog();
    const cases: [string[], RegExp][] = [
      [['rollback', '--junit', junit], /--junit writes the dry-run plan; refusing to run `migrate rollback` for real/],
      [['ad-to-scim', '--detailed-exitcode', '--yes'], /--detailed-exitcode only describes a dry-run's plan/],
      [['verify', '--directory-only', '--detailed-exitcode'], /--detailed-exitcode means nothing for `migrate verify`/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli([...args, '--config', config, '--state', state]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('Nothing was loaded or contacted.');
    }
    // Before the configuration is even read: a missing file is not what it complains about.
    const missing = await runCli(['rollback', '--junit', junit, '--config', join(dir, 'absent.yaml'), '--state', state]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(cases[0]![1]);
    expect(sandbox.stats().requests).toBe(0);
    expect(existsSync(junit)).toBe(false);
    expect(existsSync(`${state}.lock`)).toBe(false);
    expect(await readFile(state, 'utf8')).toBe(before);
    const fresh = join(dir, 'fresh.json');
    expect((await runCli(['ad-to-scim', '--yes', '--junit', junit, '--config', config, '--state', fresh])).code).toBe(1);
    expect(existsSync(fresh)).toBe(false);
  });

  it('a wrong ZIA password is sent once in a run, however many checks and steps need ZIA', async () => {
    await writeFile(join(dir, 'secrets', 'zia-password'), 'not-the-password-42');
    sandbox.resetLog();
    const r = await runCli(['ad-to-scim', '--dry-run', '--config', config, '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('AUTHENTICATION_FAILED'); // in the plan's failed preflight check (stdout)
    expect(r.stderr).toMatch(/^error: the plan is blocked by: .+Nothing was written\.\n$/);
    const logins = sandbox.requests().filter((e) => e.method === 'POST' && e.path.endsWith('/authenticatedSession'));
    expect(logins).toHaveLength(1);
  });

  it('verify --junit keeps its own meaning (the parity report as JUnit) without --dry-run', async () => {
    const junit = join(dir, 'parity.xml');
    const r = await runCli(['verify', '--directory-only', '--junit', junit, '--config', config]);
    expect(r.code).toBe(0);
    expect(await readFile(junit, 'utf8')).toContain('<testsuite');
  });

  it('rollback refuses to run when the state records no migration to undo', async () => {
    const r = await runCli(['rollback', '--dry-run', '--config', config, '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing to roll back');
  });

  it('unattended with a person as operator: exit 3 at each console step, and continues after the operator acts', async () => {
    const personDir = join(dir, 'person');
    const personConfig = await sandbox.writeConfig(personDir, { operator: 'person' });
    const configText = await readFile(personConfig, 'utf8');
    expect(configText).toContain('Sync Now:             curl -s -X POST'); // the rehearsal's "buttons"
    const doc = YAML.parse(configText);
    expect(doc.operator).toEqual({ kind: 'person' });
    const args = ['ad-to-scim', '--yes', '--config', personConfig, '--state', state];

    const first = await runCli(args);
    expect(first.code).toBe(3);
    expect(first.stderr).toContain('Click Sync Now');
    expect(first.stderr).toContain('waiting for operator');

    sandbox.portal.syncNow(); // the administrator clicks Sync Now in the console
    const second = await runCli(args);
    expect(second.code).toBe(3);
    expect(second.stderr).toContain('Enable SCIM Provisioning');
    expect(second.stderr).toContain('scim.tokenEnv');

    const idp = sandbox.portal.idps().find((i) => i.name === doc.zia.idpName)!;
    const { baseUrl, bearerToken } = sandbox.portal.setScim(idp.id, true);
    sandbox.portal.setSamlAutoProvisioning(idp.id, false);
    doc.scim = { baseUrl, tokenEnv: 'TEST_SCIM_TOKEN' };
    await writeFile(personConfig, YAML.stringify(doc));
    const audit = join(dir, 'audit.jsonl');
    const third = await runCli([...args, '--audit-log', audit], { env: { TEST_SCIM_TOKEN: bearerToken! } });
    expect(third.stdout).toContain('complete.');
    expect(third.code).toBe(0);
    const auditText = await readFile(audit, 'utf8');
    const lines = auditText
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.some((l) => l.system === 'graph' && l.method === 'PUT')).toBe(true);
    expect(auditText).not.toContain(bearerToken);
    for (const f of ['zia-password', 'zia-api-key', 'graph-client-secret', 'ldap-password']) {
      expect(auditText).not.toContain((await readFile(join(personDir, 'secrets', f), 'utf8')).trim());
    }

    const disk = (await readFile(state, 'utf8')) + (await readFile(`${state}.bak`, 'utf8'));
    expect(disk).not.toContain(bearerToken);
    expect(third.stderr + third.stdout).not.toContain(bearerToken);

    const status = await runCli(['status', '--json', '--state', state]);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s.onScimSince).toEqual(expect.any(String));
    expect(s.flows['ad-to-scim'].steps['sync-now'].status).toBe('succeeded');
    expect(s.tenant).toMatch(/^Tenant: on SCIM provisioning \(run 1 completed /);
    const human = await runCli(['status', '--state', state]);
    expect(human.stdout).toMatch(/Tenant: on SCIM provisioning/);
    expect(human.stdout).toMatch(/sync-now +\d{4}-\d\d-\d\dT\S+ \(run 1\)/);
  });

  it('a second run is refused while the lock is held, and unlock clears it', async () => {
    const lock = await acquireLock(state, 'ad-to-scim');
    const r = await runCli(['ad-to-scim', '--yes', '--config', config, '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`lock ${lock.info.id}`);
    expect(r.stderr).toContain(`migrate unlock ${lock.info.id}`);
    const u = await runCli(['unlock', lock.info.id, '--state', state]);
    expect(u.code).toBe(0);
    expect(existsSync(`${state}.lock`)).toBe(false);
  });

  it('status shows an unreadable lock file as a lock (runs refuse it), not as "not locked"', async () => {
    await new FileCheckpointStore(state).save(newState({ system: 'zia', id: 'zia:test:1', label: 'ZIA org 1' }));
    await writeFile(`${state}.lock`, '{ torn');
    try {
      const human = await runCli(['status', '--state', state]);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain(`the lock file ${state}.lock is unreadable`);
      const json = await runCli(['status', '--json', '--state', state]);
      expect(JSON.parse(json.stdout).lock).toBe('unreadable');
    } finally {
      await rm(`${state}.lock`, { force: true });
    }
  });

  it('verify --directory-only --json prints the documented report and exits by the thresholds', async () => {
    const reportDir = join(dir, 'report');
    const r = await runCli(['verify', '--directory-only', '--json', '--report', reportDir, '--config', config]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.schemaVersion).toBe(2);
    expect(report.summary.counts.directory.records).toBe(40);
    expect(existsSync(join(reportDir, 'parity.html'))).toBe(true);
    expect(sandbox.stats().mutations).toBe(0);
  });
});

describe('migrate verify with a wrong SCIM token', () => {
  it("says the token was refused and where to copy it from (the SCIM client's own advice)", async () => {
    const wrongDir = await tempDir('migrate-verify-wrong-');
    const sb = await startSandbox({ users: 10, speed: 50, port: 0 });
    try {
      const file = await sb.writeConfig(wrongDir);
      const doc = YAML.parse(await readFile(file, 'utf8'));
      const { baseUrl } = sb.fastForwardToMigrated(); // SCIM on, users provisioned
      doc.scim = { baseUrl, tokenEnv: 'TEST_WRONG_SCIM_TOKEN' };
      await writeFile(file, YAML.stringify(doc));
      const wrong = 'not-the-token-0123456789abcdef';
      const r = await runCli(['verify', '--config', file], { env: { TEST_WRONG_SCIM_TOKEN: wrong } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('refused the Bearer Token (HTTP 401)');
      expect(r.stderr).toContain("(2) the token must be that IdP's current Bearer Token");
      expect(r.stderr + r.stdout).not.toContain(wrong);
    } finally {
      await sb.stop();
    }
  });
});

describe('migrate demo', () => {
  it('runs the whole rehearsal unattended and reports a zero-write dry-run', async () => {
    const stateDir = await tempDir('migrate-demo-test-');
    const r = await runCli(['demo', '--users', '150', '--speed', '200', '--json', '--state-dir', stateDir], { timeoutMs: 180_000 });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ schemaVersion: 1, ok: true, users: 150, dryRunMutatingRequests: 0, rolledBack: true });
    expect(r.stderr).toContain('Demo complete'); // with --json the human results move to stderr
  });

  it('--idp manual: the scripted operator plays the IdP admin; forward, parity and rollback complete unattended', async () => {
    const stateDir = await tempDir('migrate-demo-manual-');
    const r = await runCli(['demo', '--idp', 'manual', '--users', '60', '--speed', '300', '--json', '--state-dir', stateDir], { timeoutMs: 180_000 });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, idp: 'manual', users: 60, dryRunMutatingRequests: 0, rolledBack: true });
    // The IdP's steps are the admin's actions, done by the operator at the IdP's console.
    for (const step of ['Give the IdP the SCIM Base URL and token', 'Start provisioning', 'Pause provisioning']) expect(r.stderr).toContain(step);
    expect(r.stderr).toContain('[scripted operator] Give the sandbox IdP the SCIM Base URL and token');
  });

  it('--idp refuses a kind it does not know, naming the ones it does, before starting anything', async () => {
    const r = await runCli(['demo', '--idp', 'onelogin']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--idp must be one of .*\bmanual\b.*got "onelogin"/);
  });
});
