import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ENTRA_USER_MAPPING_FOR_ZPA, zpaSandboxConfig } from '../../src/sandbox/zpa/index.js';
import { runCli } from './cli.js';

/**
 * `migrate ad-to-scim` on a product: zpa configuration, as cron or CI runs it (no terminal): the soak
 * gate stops the run with exit 3 and "allowed after"; `migrate status` says when the gate opens; once the
 * sandbox's ZPA clock has passed the soak, the same command continues from the gate and completes.
 */
describe('migrate ad-to-scim with product: zpa, unattended', () => {
  let sb: Sandbox;
  let dir: string;
  let file: string;
  let state: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    sb = await startSandbox({ users: 20, speed: 500, port: 0, seed: 9, zpa: true });
    dir = await mkdtemp(join(tmpdir(), 'migrate-zpa-cli-'));
    sb.world.entra.userMapping = ENTRA_USER_MAPPING_FOR_ZPA;
    const z = zpaSandboxConfig(sb.config(), sb.zpa!);
    file = join(dir, 'migrate.yaml');
    await writeFile(file, YAML.stringify(z.config), { mode: 0o600 });
    state = join(dir, 'state.json');
    env = { ...sb.env(), ...z.env };
  });
  afterAll(async () => sb?.stop());

  it('stops at the soak gate (exit 3), status shows when it opens, and a later run continues after the soak', async () => {
    const first = await runCli(['ad-to-scim', '--yes', '--config', file, '--state', state], { env });
    expect(first.stderr).toMatch(/soak gate: SCIM Attributes for Policy is allowed after (\S+) \(48 h after SCIM Sync began/);
    expect(first.code).toBe(3);
    const until = /allowed after (\S+) \(/.exec(first.stderr)![1]!;

    const status = await runCli(['status', '--state', state], { env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Soak gate: "SCIM Attributes for Policy" is allowed after ${until}`);
    const json = await runCli(['status', '--json', '--state', state], { env });
    expect(JSON.parse(json.stdout).soakGateOpensAt).toBe(until);

    sb.zpa!.clock.advance(48 * 3_600_000);
    const second = await runCli(['ad-to-scim', '--yes', '--config', file, '--state', state], { env });
    expect(second.stderr).toContain('re-authenticate');
    expect(second.code).toBe(0);
    expect(sb.zpa!.tenant.idps.get(sb.zpa!.credentials.idpId)!.enableScimBasedPolicy).toBe(true);
    const after = await runCli(['status', '--json', '--state', state], { env });
    expect(JSON.parse(after.stdout).soakGateOpensAt).toBeNull();
  });

  it('migrate demo --product zpa runs unattended: soak refused, then allowed, policy, rollback', async () => {
    const r = await runCli(['demo', '--product', 'zpa', '--users', '20', '--speed', '500', '--json', '--state-dir', join(dir, 'demo')]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ ok: true, product: 'zpa', dryRunMutatingRequests: 0, rolledBack: true });
    expect(summary.soakGateRefused).toMatch(/allowed after/);
  });
});
