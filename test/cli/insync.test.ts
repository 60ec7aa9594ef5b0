import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInsyncSimulation, type InsyncSimulation } from '../../src/sandbox/insync/index.js';
import { runCli } from './cli.js';

/**
 * `migrate provisioning-switch --product insync`, `migrate rollback` and `migrate status` as a
 * separate process without a TTY, against the inSync simulation served by this process.
 */
let sim: InsyncSimulation | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function setup(opts: { operator: 'sandbox' | 'person'; switchFaults?: NonNullable<Parameters<typeof startInsyncSimulation>[0]>['switchFaults'] }) {
  sim = await startInsyncSimulation({ users: 20, seed: 5, ...(opts.switchFaults ? { switchFaults: opts.switchFaults } : {}) });
  const dir = await mkdtemp(join(tmpdir(), 'migrate-cli-insync-'));
  const config = join(dir, 'migrate.json');
  await writeFile(
    config,
    JSON.stringify({
      version: 1,
      product: 'insync',
      insync: {
        apiUrl: sim.endpoints.apiUrl,
        tokenUrl: sim.endpoints.tokenUrl,
        clientId: sim.credentials.clientId,
        secretKeyEnv: 'T_INSYNC_KEY',
        keepExistingMappings: true,
        pollSeconds: 1,
      },
      operator:
        opts.operator === 'sandbox' ? { kind: 'sandbox', portalUrl: sim.endpoints.portalUrl, controlUrl: sim.endpoints.controlUrl } : { kind: 'person' },
    }),
  );
  const state = join(dir, 'state', 'state.json');
  const env = { T_INSYNC_KEY: sim.credentials.secretKey };
  const cli = (args: string[]) => runCli([...args, '--config', config, '--state', state], { env });
  return { sim, dir, cli };
}

const SWITCH = ['provisioning-switch', '--product', 'insync', '--to', 'azure-ad'];

describe('migrate provisioning-switch --product insync', () => {
  test('dry-run: exit 2 with --detailed-exitcode, nothing written, the secret key nowhere in the output', async () => {
    const h = await setup({ operator: 'sandbox' });
    const r = await h.cli([...SWITCH, '--dry-run', '--detailed-exitcode']);
    expect(r.stderr).not.toContain(h.sim.credentials.secretKey);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/Snapshot every user/);
    expect(await readdir(h.dir)).toEqual(['migrate.json']);
    expect(h.sim.tenant.switches).toHaveLength(0);
  });

  test('runs, reports, and `migrate rollback` switches back; `migrate status` says where it is', async () => {
    const h = await setup({ operator: 'sandbox' });
    const r = await h.cli(SWITCH);
    expect(r.stderr + r.stdout).not.toContain(h.sim.credentials.secretKey);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nothing lost/);
    expect(r.stdout).toMatch(/Next steps:[\s\S]*Create and prioritise Azure AD mappings/);
    const status = await h.cli(['status']);
    expect(status.stdout).toMatch(/inSync: user provisioning switched to Azure AD/);
    const back = await h.cli(['rollback']);
    expect(back.code).toBe(0);
    expect(h.sim.tenant.method).toBe('SCIM');
    expect((await h.cli(['status'])).stdout).toMatch(/inSync: switched back/);
  });

  test('a user lost with the switch: exit 1, the user named', async () => {
    const h = await setup({ operator: 'sandbox', switchFaults: { loseUser: { userID: 1004 } } });
    const r = await h.cli(SWITCH);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/userID 1004\) is no longer listed/);
    // The before/after report of the failed verification, for the change ticket.
    const failed = join(h.dir, 'state', 'reports', 'insync-provisioning-switch-run1-failed');
    const report = JSON.parse(await readFile(join(failed, 'switch.json'), 'utf8'));
    expect(report).toMatchObject({ ok: false, before: { users: 20 }, after: { users: 19 } });
    expect(report.findings.map((f: { kind: string; key: string }) => `${f.kind}:${f.key}`)).toContain('user-missing:1004');
    expect(await readFile(join(failed, 'switch.csv'), 'utf8')).toMatch(/^kind,key,who,attribute,before,after,detail\r\nuser-missing,1004,/);
    expect(await readFile(join(failed, 'switch.junit.xml'), 'utf8')).toMatch(
      /<testcase classname="insync.switch" name="user-missing"><failure message="1 finding\(s\)">/,
    );
  });

  test('a device whose backup data is lost with the switch: exit 1, the device named', async () => {
    const h = await setup({ operator: 'sandbox', switchFaults: { loseBackupData: { deviceID: 5002 } } });
    const r = await h.cli(SWITCH);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/deviceID 5002\).*backup data lost/);
  });

  test('unattended with a person: exit 3 at the switch; after the console change, --attest carries the rerun on', async () => {
    const h = await setup({ operator: 'person' });
    const first = await h.cli([...SWITCH, '--yes']);
    expect(first.code).toBe(3);
    expect(first.stderr).toMatch(/Change User Deployment method → Azure → Save/);
    h.sim.tenant.switchMethod('Azure AD', true); // the administrator, in the console
    // A person's run reads this machine's clock: ten simulated days on, every device has backed up after it.
    h.sim.advance(10 * 86_400_000);
    const next = await h.cli([...SWITCH, '--yes', '--attest', 'switch-method,create-mapping,attest-manual-mode']);
    expect({ code: next.code, err: next.code === 0 ? '' : next.stderr }).toEqual({ code: 0, err: '' });
    expect(next.stdout).toMatch(/manual mode: attested by the operator/);
  }, 60_000);
});
