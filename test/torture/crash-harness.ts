import { Writable } from 'node:stream';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { createSandboxPortalClient } from '../../src/clients/sandbox-portal.js';
import { loadConfig } from '../../src/config/load.js';
import { FileCheckpointStore } from '../../src/engine/checkpoint.js';
import { runFlow } from '../../src/engine/runner.js';
import { createMigrationContext, targetOf } from '../../src/flows/context.js';
import { applyCheckpointFacts } from '../../src/flows/resume.js';
import { SandboxOperator } from '../../src/flows/sandbox-operator.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { ENTRA_USER_MAPPING_FOR_ZPA, zpaSandboxConfig } from '../../src/sandbox/zpa/index.js';
import { createOutput } from '../../src/ui/output.js';
import {
  diskInvariants,
  duplicates,
  fingerprint,
  mutations,
  prng,
  runCli,
  serialOf,
  settingsOf,
  tempDir,
  zpaFingerprint,
  zpaSettingsOf,
  type CliRun,
} from './support.js';
import { adToScimFlow } from '../flows/entra-flows.js';

/**
 * SIGKILL at a chosen moment of a real `migrate` process, resume until it exits 0, compare the
 * world with an uninterrupted run's. One crash point = one fresh sandbox (same seed, so the same
 * directory and tenant), one killed run, as many reruns as it takes (bounded), then the checks.
 */

export type FlowName = 'forward' | 'rollback';
/** The product migrated: ZIA, or ZPA (its simulation, an Entra IdP, the soak gate passed by moving ZPA's clock). */
export type Product = 'zia' | 'zpa';
const SOAK_MS = 48 * 3_600_000;
export type Trigger = { kind: 'boundary'; serial: number } | { kind: 'write'; k: number } | { kind: 'time'; ms: number; fraction: number };

export const USERS = 8;
const SANDBOX_SEED = 11;

export function describeTrigger(t: Trigger): string {
  // A random moment is named by its share of the reference run: the seed replays the share.
  return t.kind === 'boundary'
    ? `after state serial ${t.serial}`
    : t.kind === 'write'
      ? `after write #${t.k}`
      : `at ${(t.fraction * 100).toFixed(2)}% (${t.ms} ms)`;
}

export interface World {
  product: Product;
  sandbox: Sandbox;
  dir: string;
  config: string;
  state: string;
  /** The settings before anything ran (the rollback restores exactly these). */
  initialSettings: string;
}

export async function newWorld(product: Product = 'zia'): Promise<World> {
  const sandbox = await startSandbox({ users: USERS, speed: 2000, port: 0, seed: SANDBOX_SEED, ...(product === 'zpa' ? { zpa: true } : {}) });
  const dir = await tempDir('migrate-torture-');
  let config = await sandbox.writeConfig(dir);
  if (product === 'zpa') config = await writeZpaConfig(sandbox, dir, config);
  const w: World = { product, sandbox, dir, config, state: join(dir, 'state.json'), initialSettings: '' };
  w.initialSettings = JSON.stringify(settingsFor(w));
  return w;
}

/** The sandbox's written configuration turned into a product: zpa one, its ZPA secret in a file beside the others. */
async function writeZpaConfig(sandbox: Sandbox, dir: string, written: string): Promise<string> {
  sandbox.world.entra.userMapping = ENTRA_USER_MAPPING_FOR_ZPA; // the admin maps the work email too
  const { config } = zpaSandboxConfig(YAML.parse(await readFile(written, 'utf8')) as Record<string, unknown>, sandbox.zpa!);
  const secret = join(dir, 'secrets', 'zpa-client-secret');
  await writeFile(secret, sandbox.zpa!.credentials.clientSecret, { mode: 0o600 });
  const auth = (config.zpa as { auth: Record<string, unknown> }).auth;
  delete auth.clientSecretEnv;
  auth.clientSecretFile = secret;
  const file = join(dir, 'migrate.zpa.yaml');
  await writeFile(file, YAML.stringify(config), { mode: 0o600 });
  return file;
}

async function stopWorld(w: World): Promise<void> {
  await w.sandbox.stop();
  await rm(join(w.dir, 'secrets', 'zpa-client-secret'), { force: true });
}

const settingsFor = (w: World) => (w.product === 'zpa' ? zpaSettingsOf(w.sandbox) : settingsOf(w.sandbox));
const fingerprintFor = (w: World): Fingerprint => (w.product === 'zpa' ? zpaFingerprint(w.sandbox) : fingerprint(w.sandbox));
export type Fingerprint = { users: Array<{ userName: string }>; groups: Array<{ name: string }> } & Record<string, unknown>;

/**
 * Runs the CLI; on ZPA, a run stopped at the soak gate (exit 3, not killed) is run again after the
 * sandbox's ZPA clock has moved past the soak, as an admin would run it again two days later.
 */
async function runPastSoak(w: World, flow: FlowName, killWhen?: (elapsedMs: number) => boolean): Promise<CliRun> {
  let r = await runCli(argsFor(flow, w), killWhen ? { killWhen } : {});
  while (w.product === 'zpa' && !r.killed && r.code === 3 && /soak gate/i.test(r.stdout + r.stderr)) {
    w.sandbox.zpa!.clock.advance(SOAK_MS);
    r = await runCli(argsFor(flow, w), killWhen ? { killWhen } : {});
  }
  return r;
}

const quiet = () => createOutput({ quiet: true, stdout: new Writable({ write: (_c, _e, cb) => cb() }), stderr: new Writable({ write: (_c, _e, cb) => cb() }) });

/** The forward migration done in this process (faster), writing the same state file the CLI reads. */
export async function forwardInProcess(w: World): Promise<void> {
  const config = await loadConfig(w.config);
  const out = quiet();
  const ctx = createMigrationContext({
    config,
    readOnly: false,
    out,
    operator: new SandboxOperator(createSandboxPortalClient({ portalUrl: w.sandbox.endpoints.portalUrl }), out),
    rateLimits: false,
    pollIntervalMs: 20,
    reportDir: join(w.dir, 'reports'),
  });
  try {
    const store = new FileCheckpointStore(w.state);
    applyCheckpointFacts(ctx, await store.load());
    const r = await runFlow(adToScimFlow, ctx, { store, target: targetOf(config), dryRun: false });
    if (!r.completed) throw new Error('forward run in process did not complete');
  } finally {
    await ctx.close();
  }
}

export const argsFor = (flow: FlowName, w: World) => [flow === 'forward' ? 'ad-to-scim' : 'rollback', '--yes', '--config', w.config, '--state', w.state];

export interface Reference {
  fp: Fingerprint;
  serials: number;
  writes: number;
  durationMs: number;
}

/** An uninterrupted run of the flow: the end state every crashed-and-resumed run must reach. */
export async function reference(flow: FlowName, product: Product = 'zia'): Promise<Reference> {
  const w = await newWorld(product);
  try {
    if (flow === 'rollback') await forwardBefore(w);
    const serial0 = serialOf(w.state);
    const writes0 = mutations(w.sandbox);
    const t0 = Date.now();
    const r = await runPastSoak(w, flow);
    if (r.code !== 0) throw new Error(`reference ${flow} run exited ${r.code}\n${r.stderr}`);
    if (flow === 'rollback' && JSON.stringify(settingsFor(w)) !== w.initialSettings) {
      throw new Error(
        `the uninterrupted rollback did not restore the settings byte for byte:\n  got    ${JSON.stringify(settingsFor(w))}\n  before ${w.initialSettings}`,
      );
    }
    return { fp: fingerprintFor(w), serials: serialOf(w.state) - serial0, writes: mutations(w.sandbox) - writes0, durationMs: Date.now() - t0 };
  } finally {
    await stopWorld(w);
  }
}

/** The forward migration a rollback starts from: in this process for ZIA (faster), by the CLI past the soak for ZPA. */
async function forwardBefore(w: World): Promise<void> {
  if (w.product === 'zia') return forwardInProcess(w);
  const r = await runPastSoak(w, 'forward');
  if (r.code !== 0) throw new Error(`the forward run before the rollback exited ${r.code}\n${r.stderr}`);
}

/** The crash points of a flow: every step boundary, every write, and `random` seeded moments. */
export function crashPoints(ref: Reference, opts: { long: boolean; seed: number; atLeast: number }): Trigger[] {
  const rand = prng(opts.seed);
  const random = (n: number): Trigger[] =>
    Array.from({ length: n }, () => {
      const fraction = rand();
      return { kind: 'time', fraction, ms: Math.floor(fraction * ref.durationMs) };
    });
  if (!opts.long) {
    // The short variant: one step boundary and one write in the middle, one random moment.
    return [
      { kind: 'boundary', serial: Math.max(1, Math.floor(ref.serials / 2)) },
      { kind: 'write', k: Math.max(1, Math.floor(ref.writes / 2)) },
      ...random(1),
    ];
  }
  const points: Trigger[] = [];
  for (let s = 1; s < ref.serials; s += 1) points.push({ kind: 'boundary', serial: s });
  for (let k = 1; k <= ref.writes; k += 1) points.push({ kind: 'write', k });
  // Random moments: at least 12, more when the flow has few boundaries and writes.
  return [...points, ...random(Math.max(12, opts.atLeast - points.length))];
}

export interface PointResult {
  label: string;
  reached: boolean;
  reruns: number;
  problems: string[];
}

/** One crash point: kill, resume until exit 0, check. Returns what was wrong (empty when all is well). */
export async function crashAt(flow: FlowName, trigger: Trigger, ref: Reference, product: Product = 'zia'): Promise<PointResult> {
  const label = `${product === 'zpa' ? 'ZPA ' : ''}${flow} ${describeTrigger(trigger)}`;
  const w = await newWorld(product);
  const problems: string[] = [];
  let reruns = 0;
  let reached = false;
  try {
    if (flow === 'rollback') await forwardBefore(w);
    const serial0 = serialOf(w.state);
    const writes0 = mutations(w.sandbox);
    const killed = await runPastSoak(w, flow, (elapsed) =>
      trigger.kind === 'boundary'
        ? serialOf(w.state) - serial0 >= trigger.serial
        : trigger.kind === 'write'
          ? mutations(w.sandbox) - writes0 >= trigger.k
          : elapsed >= trigger.ms,
    );
    reached = killed.killed;
    if (!killed.killed && killed.code !== 0) problems.push(`the run exited ${killed.code} before the crash point:\n${killed.stderr.slice(-2000)}`);
    // After the crash: the checkpoint must still parse (a lock is expected: the killed pid's).
    const afterCrash = diskInvariants(w.state).filter((p) => !p.startsWith('lock file'));
    problems.push(...afterCrash.map((p) => `right after the kill: ${p}`));
    let last = killed;
    while (last.code !== 0 && reruns < 4) {
      reruns += 1;
      last = await runPastSoak(w, flow);
    }
    if (last.code !== 0) problems.push(`still exit ${last.code} after ${reruns} reruns:\n${last.stderr.slice(-2000)}`);
    const fp = fingerprintFor(w);
    const dup = duplicates(fp);
    if (dup.length) problems.push(`created twice: ${dup.join(', ')}`);
    problems.push(...diskInvariants(w.state));
    for (const key of Object.keys(ref.fp) as (keyof Fingerprint)[]) {
      const a = JSON.stringify(fp[key]);
      const b = JSON.stringify(ref.fp[key]);
      if (a !== b) problems.push(`${key} differs from the uninterrupted run:\n  got      ${a.slice(0, 600)}\n  expected ${b.slice(0, 600)}`);
    }
    if (flow === 'rollback') {
      const now = JSON.stringify(settingsFor(w));
      if (now !== w.initialSettings) problems.push(`settings not restored byte for byte:\n  got    ${now}\n  before ${w.initialSettings}`);
    }
  } catch (e) {
    problems.push(`harness error: ${(e as Error).stack ?? e}`);
  } finally {
    await stopWorld(w);
  }
  return { label, reached, reruns, problems };
}
