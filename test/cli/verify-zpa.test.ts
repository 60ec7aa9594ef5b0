import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startZpaParityWorld, type ZpaParityWorld } from '../flows/zpa-parity-world.js';
import { runCli } from './cli.js';

/**
 * `migrate verify` on a product: zpa configuration, as cron or CI runs it: the directory against
 * ZPA's SCIM users and groups with the token named by scim.tokenEnv, or without a token the names
 * ZPA's admin API shows. Report formats and exit codes as for ZIA; it writes to no system.
 */
describe('migrate verify with product: zpa', () => {
  let w: ZpaParityWorld;
  let dir: string;
  const TOKEN_ENV = 'TEST_ZPA_SCIM_TOKEN';
  const config = async (name: string, scim: Record<string, unknown>) => {
    const file = join(dir, name);
    await writeFile(file, YAML.stringify({ ...w.raw, scim }));
    return file;
  };
  const cli = (args: string[], file: string) =>
    runCli(['verify', '--config', file, '--state', join(dir, 'state.json'), ...args], { env: { ...w.env, [TOKEN_ENV]: w.scim.token } });

  beforeAll(async () => {
    w = await startZpaParityWorld();
    dir = await mkdtemp(join(tmpdir(), 'migrate-verify-zpa-'));
  });
  afterAll(async () => w?.close());

  it('with the token: exit 0, every report format written and labelled ZPA SCIM, the endpoint read from the IdP, nothing written to ZPA', async () => {
    const file = await config('token.yaml', { tokenEnv: TOKEN_ENV });
    const before = w.sandbox.stats().mutations;
    const reports = join(dir, 'reports');
    const junit = join(dir, 'parity.xml');
    const r = await cli(['--report', reports, '--junit', junit], file);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ZPA SCIM');
    expect(r.stdout).toContain('parity within thresholds');
    expect((await readdir(reports)).sort()).toEqual(['parity.html', 'parity.json', 'parity.md']);
    expect(await readFile(join(reports, 'parity.md'), 'utf8')).toContain('| tenant | ZPA, cloud');
    expect(await readFile(junit, 'utf8')).toContain('0 from ZPA SCIM');
    expect(w.sandbox.stats().mutations).toBe(before);
    expect(`${r.stdout}${r.stderr}`).not.toContain(w.scim.token);
  });

  it('a user the IdP has not pushed: exit 1 with the breach in ZPA words, --json on stdout', async () => {
    const z = w.sandbox.zpa!;
    const u = [...z.tenant.store(w.idpId).users.values()][4]!;
    z.tenant.deleteUser(w.idpId, u.id);
    try {
      const r = await cli(['--json'], await config('token.yaml', { tokenEnv: TOKEN_ENV }));
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc.summary.stores[0].label).toBe('ZPA SCIM');
      expect(doc.summary.missing).toEqual({ users: 1, zia: 1, scim: null });
      expect(doc.findings.find((f: { kind: string }) => f.kind === 'missing').sources).toEqual(['zpa']);
      expect(r.stderr).toContain('parity outside thresholds: missing: 1 user (1 from ZPA SCIM)');
    } finally {
      z.provisionFromDirectory();
    }
  });

  it('without a token: the admin API reading (names only), said on stderr and in the report; exit 0', async () => {
    const r = await cli(['--json'], await config('no-token.yaml', {}));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no SCIM token configured');
    const doc = JSON.parse(r.stdout);
    expect(doc.summary.stores[0]).toMatchObject({ label: 'ZPA (names only)', compared: ['userName'] });
    expect(doc.summary.stores[0].note).toContain('Only userNames and group names were compared');
  });

  it("a token the endpoint refuses: exit 1 naming ZPA's checks, before any comparison", async () => {
    const r = await runCli(['verify', '--config', await config('token.yaml', { tokenEnv: TOKEN_ENV }), '--state', join(dir, 'state.json')], {
      env: { ...w.env, [TOKEN_ENV]: 'not-the-token-0123456789' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refused the token (HTTP 401)');
    expect(r.stderr).toContain('SCIM Sync is on for this IdP');
  });
});
