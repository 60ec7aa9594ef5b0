import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { Command } from 'commander';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerSandboxCommand } from '../../src/cli/commands/sandbox.js';
import { insyncSandboxConfig, startInsyncSimulation, type InsyncSimulation } from '../../src/sandbox/insync/index.js';
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
    JSON.stringify(
      insyncSandboxConfig(sim, { secretKeyEnv: 'T_INSYNC_KEY' }, { operator: opts.operator, settings: { keepExistingMappings: true, pollSeconds: 1 } }),
    ),
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

/** inSync on the one run path (src/cli/run-flow.ts): the plan files, saved plans and product checks of every product's commands. */
describe('provisioning-switch on the run path of every product', () => {
  test('--dry-run --out --format markdown: the runbook names the command and its rollback; the saved plan, applied with --plan, runs', async () => {
    const h = await setup({ operator: 'sandbox' });
    const plan = join(h.dir, 'switch.json');
    const dry = await h.cli([...SWITCH, '--dry-run', '--format', 'markdown', '--out', plan]);
    expect({ code: dry.code, err: dry.code === 0 ? '' : dry.stderr }).toEqual({ code: 0, err: '' });
    expect(dry.stdout).toMatch(/^# /);
    expect(dry.stdout).toContain('migrate provisioning-switch --product insync --to azure-ad');
    expect(dry.stdout).toMatch(/Snapshot every user/);
    expect(dry.stdout).toMatch(/migrate rollback/); // the reverse flow, for the change ticket
    expect(dry.stdout).toContain('insync.keepExistingMappings');
    expect(dry.stderr).toMatch(/apply it with: migrate provisioning-switch --product insync --to azure-ad --plan /);
    expect((await stat(plan)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(plan, 'utf8'))).toMatchObject({ flow: { id: 'insync-provisioning-switch' } });
    expect(h.sim.tenant.switches).toHaveLength(0);
    const applied = await h.cli([...SWITCH, '--plan', plan]);
    expect({ code: applied.code, err: applied.code === 0 ? '' : applied.stderr }).toEqual({ code: 0, err: '' });
    expect(applied.stderr).toMatch(/the tenant matches the approved plan/);
    expect(h.sim.tenant.method).toBe('Azure AD');
  }, 60_000);

  test('a saved plan of another command is refused (exit 4) before anything is contacted', async () => {
    const h = await setup({ operator: 'sandbox' });
    const plan = join(h.dir, 'switch.json');
    expect((await h.cli([...SWITCH, '--dry-run', '--out', plan])).code).toBe(0);
    const back = await h.cli(['rollback', '--plan', plan]);
    expect(back.code).toBe(4);
    expect(h.sim.tenant.switches).toHaveLength(0);
  });

  test("a command the configured product does not offer, or another product's flag, is refused with a sentence", async () => {
    const h = await setup({ operator: 'sandbox' });
    const ad = await h.cli(['ad-to-scim', '--dry-run']);
    expect(ad.code).toBe(1);
    expect(ad.stderr).toMatch(/configures Druva inSync \(product: insync\), which has no `migrate ad-to-scim`/);
    expect(ad.stderr).toMatch(/`migrate provisioning-switch`, `migrate rollback`/);
    const dir = await mkdtemp(join(tmpdir(), 'migrate-cli-insync-zia-'));
    const zia = join(dir, 'zia.yaml');
    await writeFile(
      zia,
      'version: 1\nzia: { cloud: zscalerthree, orgId: "1", idpName: Entra, auth: { kind: legacy, username: a@b.c, passwordEnv: P, apiKeyEnv: K } }\n' +
        'idp: { kind: manual }\ndirectory: { url: ldaps://dc.invalid, bindDn: "CN=a,DC=b", passwordEnv: L, baseDn: "DC=b" }\n',
    );
    const sw = await runCli([...SWITCH, '--dry-run', '--config', zia, '--state', join(dir, 'state.json')]);
    expect(sw.code).toBe(1);
    expect(sw.stderr).toMatch(/needs a configuration with product: insync, but .*zia\.yaml configures ZIA \(product: zia\)/);
    expect(await readdir(dir)).toEqual(['zia.yaml']);
  });
});

describe('migrate sandbox --product insync', () => {
  test('writes a working product: insync configuration: the switch and its rollback run on it unattended', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrate-sbx-insync-'));
    const state = join(dir, 'state', 'state.json');
    const results: Record<string, { code: number | null; stderr: string }> = {};
    let written: { configPath: string; product: string; endpoints: Record<string, string> } | undefined;
    const chunks: string[] = [];
    const program = new Command('migrate').exitOverride();
    registerSandboxCommand(program, {
      waitForStop: async () => {
        written = JSON.parse(chunks.join(''));
        const cli = (args: string[]) => runCli([...args, '--config', written!.configPath, '--state', state]);
        for (const [k, args] of [
          ['switch', [...SWITCH, '--yes']],
          ['rollback', ['rollback', '--yes']],
        ] as const) {
          const r = await cli([...args]);
          results[k] = { code: r.code, stderr: r.code === 0 ? '' : r.stderr };
        }
        return 'SIGTERM';
      },
    });
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((c: string | Uint8Array) => {
      chunks.push(String(c));
      return true;
    }) as typeof process.stdout.write);
    const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation((() => true) as typeof process.stderr.write);
    try {
      await program.parseAsync(['node', 'migrate', 'sandbox', '--product', 'insync', '--users', '15', '--state-dir', dir, '--json']);
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
    }
    expect(written?.product).toBe('insync');
    expect(written?.configPath).toBe(join(dir, 'migrate.sandbox.yaml'));
    expect(results).toEqual({ switch: { code: 0, stderr: '' }, rollback: { code: 0, stderr: '' } });
    const text = await readFile(join(dir, 'migrate.sandbox.yaml'), 'utf8');
    expect(text).toMatch(/product: insync/);
    expect(text).toMatch(/secretKeyFile: /);
    // Stopped: the throwaway secret key is gone with the sandbox.
    expect(await readdir(join(dir, 'secrets'))).toEqual([]);
  }, 120_000);

  test('refuses the ZIA-side flags with a sentence', async () => {
    const program = new Command('migrate').exitOverride();
    registerSandboxCommand(program, { waitForStop: async () => 'SIGTERM' });
    await expect(program.parseAsync(['node', 'migrate', 'sandbox', '--product', 'insync', '--idp', 'manual', '--state-dir', tmpdir()])).rejects.toThrow(
      /--idp configure the ZIA sandbox; --product insync simulates Druva inSync only/,
    );
  });
});

describe('migrate demo --product insync', () => {
  test('switches to Azure AD and back unattended, writes nothing in its dry-run, and leaves both before/after reports', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrate-demo-insync-test-'));
    const r = await runCli(['demo', '--product', 'insync', '--users', '15', '--json', '--state-dir', dir]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, product: 'insync', users: 15, dryRunMutatingRequests: 0 });
    // The state file closed the run as rolled back: the switch, then the switch back.
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { history?: { outcome: string }[]; flows: object };
    expect(state.history?.map((h) => h.outcome)).toEqual(['rolled back']);
    expect(Object.keys(state.flows)).toEqual([]);
    // Each direction verified against the same snapshot: no user or device lost, backup bytes not decreased.
    for (const [flow, from, to] of [
      ['insync-provisioning-switch', 'SCIM', 'Azure AD'],
      ['insync-rollback', 'Azure AD', 'SCIM'],
    ] as const) {
      const report = JSON.parse(await readFile(join(dir, 'reports', `${flow}-run1`, 'switch.json'), 'utf8'));
      expect(report).toMatchObject({ flow, from, to, ok: true, findings: [], manualMode: 'attested by the operator' });
      expect(report.after.users).toBe(report.before.users);
      expect(report.after.devices).toBe(report.before.devices);
      expect(report.after.backupBytes).toBeGreaterThanOrEqual(report.before.backupBytes);
      expect((await readdir(join(dir, 'reports', `${flow}-run1`))).sort()).toEqual([
        'switch.csv',
        'switch.html',
        'switch.json',
        'switch.junit.xml',
        'switch.md',
      ]);
    }
  });
});
