import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { FileCheckpointStore, newState } from '../../src/engine/checkpoint.js';
import { targetOf } from '../../src/flows/context.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli } from './cli.js';

/**
 * `migrate verify` as cron or CI runs it weeks after the migration: no terminal. It is read-only,
 * so it never stops "waiting for operator" (exit 3): what it lacks is an error (exit 1) that says
 * what to supply, with the SCIM Base URL the forward run recorded. A mistyped scope is exit 1 too.
 */
describe('migrate verify without a terminal', () => {
  let sb: Sandbox;
  let dir: string;
  let file: string;
  let state: string;
  let scim: { baseUrl: string; token: string };

  beforeAll(async () => {
    sb = await startSandbox({ users: 40, speed: 500, port: 0, seed: 5 });
    dir = await mkdtemp(join(tmpdir(), 'migrate-verify-cli-'));
    file = await sb.writeConfig(dir);
    state = join(dir, 'state.json');
    scim = sb.fastForwardToMigrated();
    // The state a forward run leaves: the enable-scim-on-idp step recorded the Base URL (never the token).
    const s = newState(targetOf(await loadConfig(file)));
    s.flows['ad-to-scim'] = {
      startedAt: new Date().toISOString(),
      steps: { 'enable-scim-on-idp': { status: 'succeeded', attempts: 1, outputs: { baseUrl: scim.baseUrl } } },
    };
    await new FileCheckpointStore(state).save(s);
  });
  afterAll(async () => sb?.stop());

  it('without a SCIM token: exit 1 (not 3) naming the recorded Base URL and scim.tokenEnv/scim.tokenFile', async () => {
    const r = await runCli(['verify', '--config', file, '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('waiting for operator');
    expect(r.stderr).toContain('needs the SCIM Bearer Token, but cannot ask for it: stdin is not a terminal');
    expect(r.stderr).toContain(`scim.baseUrl: ${scim.baseUrl}`);
    expect(r.stderr).toContain('scim.tokenEnv');
    expect(r.stderr).toContain('scim.tokenFile');
    expect(r.stderr).toContain('--directory-only');
    expect(sb.stats().mutations).toBe(0);
  });

  it('--yes is no excuse to wait either: exit 1', async () => {
    const r = await runCli(['verify', '--yes', '--config', file, '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot ask for it: --yes was given');
  });

  it('with only scim.tokenEnv configured, the Base URL comes from the state file and the comparison runs', async () => {
    const doc = YAML.parse(await readFile(file, 'utf8'));
    doc.scim = { tokenEnv: 'TEST_VERIFY_SCIM_TOKEN' };
    const tokenOnly = join(dir, 'token-only.yaml');
    await writeFile(tokenOnly, YAML.stringify(doc));
    const r = await runCli(['verify', '--json', '--config', tokenOnly, '--state', state], { env: { TEST_VERIFY_SCIM_TOKEN: scim.token } });
    expect(r.stderr).toContain(`SCIM Base URL ${scim.baseUrl}, as recorded in ${state}`);
    const report = JSON.parse(r.stdout);
    expect(report.schemaVersion).toBe(2);
    expect(report.summary.scimCompared).toBe(true);
    expect(report.summary.ziaFedBy).toBe('scim');
    expect(report.summary.counts.scim.records).toBeGreaterThan(0);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(scim.token);
    // The verdict is a field, beside the thresholds, the tenant and the tool that judged it.
    const config = await loadConfig(tokenOnly);
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(Object.keys(report).slice(0, 4)).toEqual(['schemaVersion', 'generatedAt', 'verdict', 'run']);
    expect(report.verdict).toEqual({ ok: true, thresholds: config.parity.thresholds, breaches: [] });
    expect(report.run).toEqual({
      tool: { name: 'migrate', version: pkg.version },
      tenant: {
        product: 'ZIA',
        cloud: config.zia!.cloud ?? new URL(config.zia!.baseUrl!).host,
        orgId: config.zia!.orgId,
        idpName: config.zia!.idpName,
        idp: 'entra',
      },
    });
  });

  it('--json: a breached threshold is in the verdict field, with how far over it is, and exits 1', async () => {
    const doc = YAML.parse(await readFile(file, 'utf8'));
    const strict = join(dir, 'strict.yaml');
    // A scope narrower than ZIA's users: those left out are extra, over the threshold 0.
    doc.directory.userFilter = `(&${doc.directory.userFilter ?? '(&(objectCategory=person)(objectClass=user))'}(!(cn=a*)))`;
    doc.parity = { ...(doc.parity ?? {}), thresholds: { missing: 0, extra: 0, duplicates: 0, drift: 0 } };
    await writeFile(strict, YAML.stringify(doc));
    const r = await runCli(['verify', '--directory-only', '--json', '--config', strict, '--state', state]);
    const report = JSON.parse(r.stdout || `{"stderr": ${JSON.stringify(r.stderr)}}`);
    expect(r.code).toBe(1);
    expect(report.verdict.ok).toBe(false);
    const extra = report.verdict.breaches.find((b: { category: string }) => b.category === 'extra');
    expect(extra).toMatchObject({ count: report.summary.extra.users, allowed: 0, over: report.summary.extra.users });
    expect(extra.count).toBeGreaterThan(0);
    expect(r.stderr + r.stdout).toContain(extra.text);
  });

  it('--directory-only needs no token', async () => {
    const r = await runCli(['verify', '--directory-only', '--config', file, '--state', state]);
    expect(r.stderr).not.toContain('SCIM Bearer Token');
    expect([0, 1]).toContain(r.code); // by the thresholds, never 3
  });

  it('a mistyped directory.groupDn: exit 1 naming the scope and that the group does not exist, no report', async () => {
    const doc = YAML.parse(await readFile(file, 'utf8'));
    const typo = 'CN=Zscaler Userz,OU=Groups,OU=Corp,DC=example,DC=test';
    doc.directory.groupDn = typo;
    const bad = join(dir, 'typo.yaml');
    await writeFile(bad, YAML.stringify(doc));
    const r = await runCli(['verify', '--directory-only', '--json', '--config', bad, '--state', state]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(''); // no report of "every user extra"
    expect(r.stderr).toContain('the directory scope returned no users');
    expect(r.stderr).toContain(`directory.groupDn "${typo}" was not found in the directory`);
    expect(r.stderr).toContain('directory.baseDn "DC=example,DC=test"');
    expect(r.stderr).toContain('guards.minScopePercent');
  });
});
