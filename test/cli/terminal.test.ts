import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { hasScript, runInTerminal } from './terminal.js';

/**
 * The built CLI on a real pseudo-terminal (util-linux `script`), as an administrator runs it:
 * the confirmation before the first change, Ctrl-C at a prompt and during a run, and the
 * Sync Now step that continues by itself. (test/cli/commands.test.ts covers runs without a terminal.)
 */
if (!hasScript) {
  console.warn('WARNING: `script` (util-linux) is missing: the terminal tests cannot run and fail.');
}

const QUESTION = /Type its Company ID to confirm \(anything else stops\):/;

describe('on a terminal, ad-to-scim and rollback ask before the first change', () => {
  let sandbox: Sandbox;
  let dir: string;
  let config: string;
  let state: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ users: 30, speed: 500, port: 0, seed: 3 });
    dir = await mkdtemp(join(tmpdir(), 'migrate-tty-'));
    config = await sandbox.writeConfig(dir);
    state = join(dir, 'state.json');
  });
  afterAll(async () => sandbox?.stop());
  const orgId = () => sandbox.credentials.zia.orgId;

  it('shows the plan and names the tenant; any answer but its Company ID changes nothing (exit 1)', async () => {
    sandbox.resetLog();
    const run = runInTerminal(['ad-to-scim', '--config', config, '--state', state]);
    const shown = await run.waitFor(QUESTION);
    expect(shown).toContain('Steps');
    expect(shown).toContain('would change something. Nothing was written.');
    expect(shown).toContain(`Apply the 14 step(s) that would change ZIA org ${orgId()} on `);
    run.type('yes\r');
    expect(await run.exit).toBe(1);
    expect(run.screen()).toContain(`not confirmed (the answer was not the Company ID ${orgId()}): nothing was changed`);
    expect(sandbox.stats().mutations).toBe(0);
    expect(existsSync(state)).toBe(false);
    expect(existsSync(`${state}.lock`)).toBe(false);
  });

  it('the Company ID applies the plan', async () => {
    const run = runInTerminal(['ad-to-scim', '--config', config, '--state', state]);
    await run.waitFor(QUESTION);
    run.type(`${orgId()}\r`);
    expect(await run.exit).toBe(0);
    expect(run.screen()).toContain('SCIM provisioning from Entra ID: complete.');
    expect(sandbox.world.tenant.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(true);
  });

  it('Ctrl-C at the question: exit 130, "interrupted; state saved; rerun to continue", nothing changed', async () => {
    sandbox.resetLog();
    const run = runInTerminal(['rollback', '--config', config, '--state', state]);
    await run.waitFor(QUESTION);
    run.type('\x03');
    expect(await run.exit).toBe(130);
    expect(run.screen()).toContain('migrate: interrupted; state saved; rerun to continue');
    expect(run.screen()).not.toContain('unexpected error');
    expect(sandbox.stats().mutations).toBe(0);
    expect(existsSync(`${state}.lock`)).toBe(false);
  });

  it('--auto-approve applies without the question (operator steps would still prompt)', async () => {
    const run = runInTerminal(['rollback', '--auto-approve', '--config', config, '--state', state]);
    expect(await run.exit).toBe(0);
    expect(run.screen()).not.toMatch(QUESTION);
    expect(run.screen()).toContain('complete.');
    expect(sandbox.world.tenant.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(false);
  });
});

describe('on a terminal with a person as operator', () => {
  let sandbox: Sandbox;
  afterAll(async () => sandbox?.stop());

  it('Sync Now continues by itself once the sync is seen; Ctrl-C while it waits or at a prompt exits 130 with the state saved', async () => {
    sandbox = await startSandbox({ users: 30, speed: 500, port: 0, seed: 3 });
    const dir = await mkdtemp(join(tmpdir(), 'migrate-tty-person-'));
    const config = await sandbox.writeConfig(dir, { operator: 'person' });
    const state = join(dir, 'state.json');
    const args = ['ad-to-scim', '--auto-approve', '--config', config, '--state', state];

    // 1. The instructions say migrate continues by itself, and nothing is asked: Ctrl-C is a signal here.
    const first = runInTerminal(args);
    const shown = await first.waitFor('Watching lastSyncEndTime');
    expect(shown).toContain('Click Sync Now');
    expect(shown).not.toMatch(/Done: Sync Now|\(y\/N\)/);
    first.type('\x03');
    expect(await first.exit).toBe(130);
    expect(first.screen()).toContain('migrate: interrupted; state saved; rerun to continue');
    expect(existsSync(`${state}.lock`)).toBe(false); // released on the way out
    const saved = JSON.parse(await readFile(state, 'utf8'));
    expect(saved.flows['ad-to-scim'].steps.snapshot.status).toBe('succeeded');
    expect(saved.flows['ad-to-scim'].steps['sync-now'].status).toBe('started');

    // 2. The rerun waits at Sync Now; the administrator clicks it in the console, no key is pressed,
    //    and the run goes on by itself to the next console step, which does ask (the Base URL).
    const second = runInTerminal(args);
    await second.waitFor('Watching lastSyncEndTime');
    sandbox.portal.syncNow();
    await second.waitFor(/\? Base URL/);
    expect(second.screen()).toContain('✓ Sync Now with Active Directory');
    second.type('\x03');
    expect(await second.exit).toBe(130);
    expect(second.screen()).toContain('migrate: interrupted; state saved; rerun to continue');
    expect(second.screen()).not.toContain('User force closed the prompt');
    const after = JSON.parse(await readFile(state, 'utf8'));
    expect(after.flows['ad-to-scim'].steps['sync-now'].status).toBe('succeeded');
    expect(existsSync(`${state}.lock`)).toBe(false);
  });
});
