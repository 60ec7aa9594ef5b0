import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParitySourceError } from '../../src/parity/engine.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli } from './cli.js';

/** What an administrator reads during a real `ad-to-scim`, run as CI runs it (no terminal). */
describe('the words of a real ad-to-scim run', () => {
  let sandbox: Sandbox;
  afterAll(async () => sandbox?.stop());

  it('closes with the advice, cites only public pages, and keeps each line one thought', async () => {
    sandbox = await startSandbox({ users: 40, speed: 500, port: 0, seed: 3 });
    const dir = await mkdtemp(join(tmpdir(), 'migrate-words-'));
    const config = await sandbox.writeConfig(dir);
    // No terminal and no --yes: unattended, as before; nothing asks for a confirmation.
    const r = await runCli(['ad-to-scim', '--config', config, '--state', join(dir, 'state.json')]);
    expect(r.code).toBe(0);
    // The verdict and the closing advice are the run's result (stdout); progress is on stderr.
    const text = r.stdout + r.stderr;
    expect(r.stdout).toContain('complete.');
    expect(r.stdout).toContain('· Leave "Disable Directory Sync');
    expect(r.stderr).toContain('waiting for the directory sync to finish');
    // The closing advice the demo printed, now printed by the command itself, citing the vendor's page.
    expect(text).toContain('· Leave "Disable Directory Sync & Enable SCIM Provisioning" on, and do not change the User Repository Type to Hosted DB');
    expect(text).toContain('(https://help.zscaler.com/zia/active-directory-scim-provisioning-migration-guide)');
    expect(text).toContain('· If you use the Zscaler Authentication Bridge (ZAB)');
    expect(text).not.toMatch(/seed \d{3}|\.md §|§\d/i);
    expect(text).not.toMatch(/\bthe the\b/i);
    // The waiting line and what it observed are two parts, not one run-on sentence.
    expect(text).toContain('waiting for the directory sync to finish — directory sync finished at');
    expect(text).not.toContain('to finish directory sync');
    // A guard that passed shows its figures.
    expect(text).toMatch(/✓ Guard: users the first cycle would disable or delete — would disable \d+ of 40 \(/);
    expect(text).not.toMatch(/ 0\/\d+ users initial cycle complete/);
  });
});

describe('the help of the commands that change a tenant', () => {
  it('says how a run is confirmed on a terminal, and what --auto-approve and --yes change', async () => {
    for (const name of ['ad-to-scim', 'rollback']) {
      const r = await runCli([name, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("nothing changes until you type the tenant's\nCompany ID (zia.orgId)");
      expect(r.stdout).toContain(`migrate ${name} --auto-approve`);
      expect(r.stdout).toContain(`migrate ${name} --yes                     unattended: no prompts at all`);
    }
    const top = await runCli(['--help']);
    expect(top.stdout).toContain('--auto-approve');
    expect(top.stdout).toContain('130 interrupted (Ctrl-C)');
  });
});

describe('the words of a parity read failure', () => {
  it('name the source once ("the directory", not "the the directory")', () => {
    const hints = (['directory', 'zia', 'scim'] as const).map((s) => new ParitySourceError(s, 0, new Error('reset')).hint ?? '');
    expect(hints).toEqual([
      'fix the connection to the directory or its credentials, and run verify again',
      'fix the connection to ZIA or its credentials, and run verify again',
      'fix the connection to SCIM or its credentials, and run verify again',
    ]);
  });
});
