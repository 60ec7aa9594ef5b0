import { mkdtemp, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type Config } from '../../src/config/schema.js';
import { FileCheckpointStore, type CheckpointStore, type UnsealedState } from '../../src/engine/checkpoint.js';
import { runFlow } from '../../src/engine/runner.js';
import type { Flow } from '../../src/engine/step.js';
import { createSandboxPortalClient } from '../../src/clients/sandbox-portal.js';
import { createSandboxZpaPortalClient } from '../../src/clients/sandbox-zpa-portal.js';
import { ENTRA_USER_MAPPING_FOR_ZPA, zpaSandboxConfig } from '../../src/sandbox/zpa/index.js';
import { createMigrationContext, targetOf, type MigrationContext } from '../../src/flows/context.js';
import { SandboxOperator } from '../../src/flows/sandbox-operator.js';
import { applyCheckpointFacts } from '../../src/flows/resume.js';
import { flowFor } from '../../src/flows/for-config.js';
import type { IdpKind } from '../../src/idps/actions.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { createOutput } from '../../src/ui/output.js';

/** Output that goes nowhere, so test logs stay readable. */
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

export interface Harness {
  sandbox: Sandbox;
  /** The configured IdP's flows (idp.kind of the harness). */
  forward: Flow<MigrationContext>;
  rollback: Flow<MigrationContext>;
  config: Config;
  env: Record<string, string>;
  statePath: string;
  /** The directory holding the state file (reports go to its reports/). */
  dir: string;
  store: FileCheckpointStore;
  ctx(opts?: { readOnly?: boolean }): MigrationContext;
  run(flow: Flow<MigrationContext>, opts?: { store?: CheckpointStore; dryRun?: boolean; ctx?: MigrationContext }): ReturnType<typeof runFlow>;
  /** Every byte the run left on disk: state, backup and anything else in the state directory. */
  diskText(): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(
  opts: {
    users?: number;
    idp?: IdpKind;
    tweak?: (c: Record<string, unknown>) => void;
    sandbox?: Partial<SandboxOptions>;
    /** product: zpa on the sandbox's ZPA simulation (its SCIM service with this filter reading), soak as given. */
    zpa?: { filter?: 'supported' | 'ignored' | 'refused'; soakHours?: number; overrideReason?: string };
  } = {},
): Promise<Harness> {
  const sandbox = await startSandbox({
    users: opts.users ?? 60,
    speed: 500,
    port: 0,
    seed: 7,
    ...(opts.idp ? { idp: opts.idp } : {}),
    ...(opts.zpa ? { zpa: { ...(opts.zpa.filter ? { scimFilter: opts.zpa.filter } : {}) } } : {}),
    ...opts.sandbox,
  });
  let raw = sandbox.config();
  let zpaEnv: Record<string, string> = {};
  if (opts.zpa) {
    const z = zpaSandboxConfig(raw, sandbox.zpa!, opts.zpa);
    raw = z.config;
    zpaEnv = z.env;
    sandbox.world.entra.userMapping = ENTRA_USER_MAPPING_FOR_ZPA;
  }
  opts.tweak?.(raw);
  const config = configSchema.parse(raw);
  const [forward, rollback] = await Promise.all([flowFor('ad-to-scim', config), flowFor('rollback', config)]);
  const env = { ...sandbox.env(), ...zpaEnv };
  const dir = await mkdtemp(join(tmpdir(), 'migrate-flow-'));
  const statePath = join(dir, 'state.json');
  const store = new FileCheckpointStore(statePath);
  const out = createOutput({ quiet: true, stdout: sink(), stderr: sink() });
  const portal = createSandboxPortalClient({ portalUrl: sandbox.endpoints.portalUrl });
  const contexts: MigrationContext[] = [];
  const ctx = (o: { readOnly?: boolean } = {}) => {
    const c = createMigrationContext({
      config,
      readOnly: o.readOnly ?? false,
      out,
      operator: new SandboxOperator(portal, out, sandbox.zpa ? createSandboxZpaPortalClient({ portalUrl: sandbox.zpa.endpoints.portalUrl }) : undefined),
      env,
      rateLimits: false, // the sandbox enforces the vendors' limits (× speed); clients honour its 429s
      pollIntervalMs: 20,
      reportDir: join(dir, 'reports'),
    });
    contexts.push(c);
    return c;
  };
  return {
    sandbox,
    forward,
    rollback,
    config,
    env,
    statePath,
    dir,
    store,
    ctx,
    async run(flow, o = {}) {
      const c = o.ctx ?? ctx({ readOnly: o.dryRun });
      const s = o.store ?? store;
      applyCheckpointFacts(c, await s.load()); // as the CLI does
      return runFlow(flow, c, { store: s, target: targetOf(config), dryRun: o.dryRun ?? false });
    },
    async diskText() {
      const parts: string[] = [];
      for (const p of [statePath, `${statePath}.bak`]) if (existsSync(p)) parts.push(await readFile(p, 'utf8'));
      return parts.join('\n');
    },
    async close() {
      for (const c of contexts) await c.close();
      await sandbox.stop();
    },
  };
}

/** Dies on the save that records the given step as succeeded: the step's change is made, its record is not. */
export class CrashAfter implements CheckpointStore {
  constructor(
    private readonly inner: CheckpointStore,
    private readonly stepId: string,
  ) {}
  describe() {
    return this.inner.describe();
  }
  load() {
    return this.inner.load();
  }
  async save(state: UnsealedState) {
    if (state.flows['ad-to-scim']?.steps[this.stepId]?.status === 'succeeded') throw new Error(`simulated crash after ${this.stepId}`);
    return this.inner.save(state);
  }
}
