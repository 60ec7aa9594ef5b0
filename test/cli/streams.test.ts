import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FileCheckpointStore, newState } from '../../src/engine/checkpoint.js';
import { acquireLock } from '../../src/engine/lock.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { createOutput } from '../../src/ui/output.js';
import { runCli } from './cli.js';

/**
 * Where output goes, as Unix tools expect: the results people ran the command for (the plan, the
 * status, the parity tables, the verdict) on stdout, so `migrate status > s.txt` and
 * `migrate status | less` hold them; progress, prompts, warnings and logs on stderr; with --json,
 * stdout holds exactly one JSON document, which carries a schemaVersion.
 */
const ESC = '\u001b[';

describe('results on stdout, the rest on stderr', () => {
  let sandbox: Sandbox;
  let dir: string;
  let config: string;
  let state: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ users: 30, speed: 500, port: 0, seed: 4 });
    dir = await mkdtemp(join(tmpdir(), 'migrate-streams-'));
    config = await sandbox.writeConfig(dir);
    state = join(dir, 'state.json');
  });
  afterAll(async () => {
    await sandbox?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the dry-run plan is on stdout; with --json stdout is one JSON document with a schemaVersion', async () => {
    const plain = await runCli(['ad-to-scim', '--dry-run', '--config', config, '--state', state]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('Preflight');
    expect(plain.stdout).toContain('would change something. Nothing was written.');
    expect(plain.stderr).toBe('');

    const json = await runCli(['ad-to-scim', '--dry-run', '--json', '--config', config, '--state', state]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.dryRun).toBe(true);
    expect(json.stderr).not.toContain('{');
  });

  it('verify prints the parity table and the verdict on stdout, the files it wrote on stderr', async () => {
    const reportDir = join(dir, 'report');
    const r = await runCli(['verify', '--directory-only', '--report', reportDir, '--config', config]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('User parity: matched on userName');
    expect(r.stdout).toContain('parity within thresholds');
    expect(r.stdout).not.toContain('wrote ');
    expect(r.stderr).toContain(`wrote ${reportDir}`);
    expect(r.stderr).not.toContain('User parity');
  });

  it('status goes to stdout (`migrate status > s.txt` is not empty), without colour codes', async () => {
    const statusState = join(dir, 'status.json');
    await new FileCheckpointStore(statusState).save(newState({ system: 'zia', id: 'zia:test:1', label: 'ZIA org 1' }));
    const r = await runCli(['status', '--state', statusState], { env: { NO_COLOR: '' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Tenant: no change recorded yet');
    expect(r.stdout).toContain('not locked');
    expect(r.stdout).not.toContain(ESC);
    expect(r.stderr).toBe('');
  });

  it('unlock says what it removed on stdout; its --json document has a schemaVersion', async () => {
    const lockState = join(dir, 'lock.json');
    const first = await acquireLock(lockState, 'ad-to-scim');
    const human = await runCli(['unlock', first.info.id, '--state', lockState]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`removed lock ${first.info.id}`);
    const second = await acquireLock(lockState, 'ad-to-scim');
    const json = await runCli(['unlock', second.info.id, '--json', '--state', lockState]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ schemaVersion: 1, unlocked: { id: second.info.id } });
  });

  it('a real run: progress on stderr, the verdict on stdout; its --json document has a schemaVersion', async () => {
    const runState = join(dir, 'run.json');
    const r = await runCli(['ad-to-scim', '--json', '--config', config, '--state', runState]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, flow: 'ad-to-scim', completed: true });
    expect(r.stderr).toMatch(/✓ /); // the step lines
    const human = await runCli(['rollback', '--config', config, '--state', runState]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/: complete\./);
    expect(human.stdout).not.toMatch(/✓ /);
    expect(human.stderr).toMatch(/✓ /);
  });
});

describe('migrate demo > log', () => {
  it('writes the plan, the parity tables and the verdict to stdout, progress to stderr', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'migrate-demo-streams-'));
    try {
      const r = await runCli(['demo', '--users', '60', '--speed', '300', '--state-dir', stateDir], { timeoutMs: 180_000 });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('1. Dry-run');
      expect(r.stdout).toContain('would change something. Nothing was written.');
      expect(r.stdout).toContain('User parity');
      expect(r.stdout).toContain('Demo complete');
      expect(r.stderr).toContain('Starting the sandbox');
      expect(r.stderr).not.toContain('Demo complete');
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe('colour is decided per stream', () => {
  it('a result piped to a file has no escape codes while the terminal beside it is coloured', () => {
    const collect = (isTTY: boolean) => {
      const chunks: string[] = [];
      const stream = Object.assign(new Writable({ write: (c, _e, cb) => (chunks.push(String(c)), cb()) }), { isTTY });
      return { stream, text: () => chunks.join('') };
    };
    const saved = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      const stdout = collect(false);
      const stderr = collect(true);
      const out = createOutput({ stdout: stdout.stream, stderr: stderr.stream });
      out.print(out.color.green('result'));
      out.info(out.color.green('progress'));
      expect(stdout.text()).toBe('result\n');
      expect(stderr.text()).toContain(`${ESC}32mprogress`);
      // --json: stdout keeps the document only; the human result goes to stderr.
      const jsonOut = collect(false);
      const jsonErr = collect(false);
      const j = createOutput({ json: true, stdout: jsonOut.stream, stderr: jsonErr.stream });
      j.print('result');
      j.result({ schemaVersion: 1 });
      expect(JSON.parse(jsonOut.text())).toEqual({ schemaVersion: 1 });
      expect(jsonErr.text()).toBe('result\n');
    } finally {
      if (saved !== undefined) process.env.NO_COLOR = saved;
    }
  });
});
