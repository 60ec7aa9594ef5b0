import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createSandboxInsyncPortalClient } from '../../src/clients/sandbox-insync-portal.js';
import { parseAnyConfig } from '../../src/config/load.js';
import { FileCheckpointStore } from '../../src/engine/checkpoint.js';
import { UserError } from '../../src/engine/errors.js';
import { runFlow } from '../../src/engine/runner.js';
import type { Flow } from '../../src/engine/step.js';
import { insyncConfigSchema } from '../../src/products/insync/config.js';
import { createInsyncContext, insyncTarget, type InsyncContext } from '../../src/products/insync/context.js';
import { insyncRollbackFlow, provisioningSwitchFlow } from '../../src/products/insync/flow.js';
import { InsyncSandboxOperator } from '../../src/products/insync/sandbox-operator.js';
import { startInsyncSimulation, type InsyncSimulation } from '../../src/sandbox/insync/index.js';
import type { SwitchFaults } from '../../src/sandbox/insync/tenant.js';
import { createOutput } from '../../src/ui/output.js';

/**
 * The inSync provisioning switch end to end against the simulation in this process: the flow's
 * steps, the scripted operator clicking the simulated console, the simulation's clock moved an
 * hour per look while the run waits for backups (no wall clock involved).
 */
const HOUR = 3_600_000;
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
const out = createOutput({ quiet: true, stdout: sink(), stderr: sink() });

let sim: InsyncSimulation | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function setup(opts: { keep?: boolean; switchFaults?: SwitchFaults } = {}) {
  sim = await startInsyncSimulation({ users: 30, seed: 3, ...(opts.switchFaults ? { switchFaults: opts.switchFaults } : {}) });
  const s = sim;
  const config = insyncConfigSchema.parse({
    version: 1,
    product: 'insync',
    insync: {
      apiUrl: s.endpoints.apiUrl,
      tokenUrl: s.endpoints.tokenUrl,
      clientId: s.credentials.clientId,
      secretKeyEnv: 'T_INSYNC_KEY',
      keepExistingMappings: opts.keep ?? false,
    },
    operator: { kind: 'sandbox', portalUrl: s.endpoints.portalUrl, controlUrl: s.endpoints.controlUrl },
  });
  const dir = await mkdtemp(join(tmpdir(), 'migrate-insync-'));
  const statePath = join(dir, 'state.json');
  const store = new FileCheckpointStore(statePath);
  const ctx = (readOnly = false): InsyncContext => {
    const c = createInsyncContext({
      config,
      readOnly,
      out,
      operator: new InsyncSandboxOperator(createSandboxInsyncPortalClient({ portalUrl: s.endpoints.portalUrl, readOnly }), out),
      stateDir: dir,
      env: { T_INSYNC_KEY: s.credentials.secretKey },
      clock: { now: async () => s.clock.now(), pause: async () => s.advance(HOUR) },
    });
    return c;
  };
  const run = async (flow: Flow<InsyncContext>, readOnly = false) => {
    const c = ctx(readOnly);
    const state = await store.load();
    c.runNumber = (state?.history?.length ?? 0) + 1;
    return runFlow(flow, c, { store, target: insyncTarget(config), dryRun: readOnly });
  };
  return { sim: s, config, dir, statePath, store, run };
}

const forward = (keep = false) => provisioningSwitchFlow('Azure AD', keep);

describe('configuration', () => {
  test('product: insync is accepted without a zia section; an inline secret key is refused', () => {
    const ok = parseAnyConfig(
      'version: 1\nproduct: insync\ninsync:\n  cloud: global\n  clientId: abc\n  secretKeyEnv: K\n  keepExistingMappings: true\n',
      'c.yaml',
    );
    expect(ok.product).toBe('insync');
    expect(() =>
      parseAnyConfig('version: 1\nproduct: insync\ninsync:\n  cloud: global\n  clientId: abc\n  secretKey: s3cr3t\n  keepExistingMappings: true\n', 'c.yaml'),
    ).toThrow(/secrets are never written inline/);
    expect(() => parseAnyConfig('version: 1\nproduct: insync\ninsync:\n  cloud: global\n  clientId: abc\n  secretKeyEnv: K\n', 'c.yaml')).toThrow(
      /keepExistingMappings/,
    );
  });
});

describe('provisioning-switch --product insync --to azure-ad', () => {
  test('a clean run switches once, keeps a 0600 snapshot whose hash the checkpoint holds, writes the report; a rerun changes nothing', async () => {
    const h = await setup();
    const result = await h.run(forward());
    expect(result.completed).toBe(true);
    expect(h.sim.tenant.method).toBe('Azure AD');
    expect(h.sim.tenant.mappings.map((m) => m.kind)).toEqual(['Azure AD']);
    const state = await h.store.load();
    const snap = state!.snapshot!.data.insync as { file: string; sha256: string; users: number };
    expect(snap.users).toBe(30);
    expect((await stat(snap.file)).mode & 0o777).toBe(0o600);
    expect(await readFile(snap.file, 'utf8')).not.toContain(h.sim.credentials.secretKey);
    const reports = await readdir(join(h.dir, 'reports', 'insync-provisioning-switch-run1'));
    expect(reports.sort()).toEqual(['switch.csv', 'switch.html', 'switch.json', 'switch.junit.xml', 'switch.md']);
    const report = JSON.parse(await readFile(join(h.dir, 'reports', 'insync-provisioning-switch-run1', 'switch.json'), 'utf8'));
    expect(report).toMatchObject({ ok: true, from: 'SCIM', to: 'Azure AD', manualMode: 'attested by the operator' });

    const serial = state!.serial;
    const again = await h.run(forward());
    expect(again.completed).toBe(true);
    expect(h.sim.tenant.switches).toHaveLength(1);
    expect((await h.store.load())!.serial).toBe(serial);
  });

  test('a dry-run writes nothing: no state, no snapshot, no console change', async () => {
    const h = await setup();
    const result = await h.run(forward(), true);
    expect(result.plan.changesPending).toBe(true);
    expect(result.plan.steps[0]!.observation.state).toBe('pending');
    expect(await readdir(h.dir)).toEqual([]);
    expect(h.sim.tenant.switches).toHaveLength(0);
    expect(h.sim.requests().filter((r) => r.method !== 'GET' && r.path !== '/token')).toEqual([]);
  });

  test.each(['snapshot', 'switch-method', 'create-mapping', 'verify-users', 'verify-devices', 'verify-backups-arriving', 'attest-manual-mode', 'report'])(
    'a crash right after step %s applied resumes to a complete, single switch',
    async (stepId) => {
      const h = await setup();
      const flow = forward();
      const crashing: Flow<InsyncContext> = {
        ...flow,
        steps: flow.steps.map((s) =>
          s.id === stepId
            ? {
                ...s,
                // A verification found in place is never applied: it crashes while it looks instead.
                ...(s.id === 'verify-users' || s.id === 'verify-devices'
                  ? {
                      observe: async () => {
                        throw new Error('simulated crash');
                      },
                    }
                  : {}),
                apply: async (run) => {
                  await s.apply(run);
                  throw new Error('simulated crash');
                },
              }
            : s,
        ),
      };
      await expect(h.run(crashing)).rejects.toThrow('simulated crash');
      const result = await h.run(flow);
      expect(result.completed).toBe(true);
      expect(h.sim.tenant.switches).toHaveLength(1);
      expect(h.sim.tenant.method).toBe('Azure AD');
      expect(h.sim.tenant.mappings.filter((m) => m.kind === 'Azure AD')).toHaveLength(1);
    },
  );

  test('the "lost user" fault of the switch is caught by verification (exit 1, the user named)', async () => {
    const h = await setup({ switchFaults: { loseUser: { userID: 1005 } } });
    const err = await h.run(forward()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(1);
    expect((err as UserError).message).toMatch(/Verify the same users.*userID 1005\) is no longer listed/);
  });

  test('the "lost backup data" fault of the switch is caught by verification (exit 1, the device named)', async () => {
    const h = await setup({ switchFaults: { loseBackupData: { deviceID: 5003 } } });
    const err = await h.run(forward()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(1);
    expect((err as UserError).message).toMatch(/Verify every device.*deviceID 5003.*backup data lost/);
  });

  test('an edited snapshot file stops the run: the checkpoint hash no longer matches', async () => {
    const h = await setup();
    const flow = forward();
    const stopAfterSnapshot: Flow<InsyncContext> = { ...flow, steps: flow.steps.slice(0, 1) };
    await h.run(stopAfterSnapshot);
    const snap = (await h.store.load())!.snapshot!.data.insync as { file: string };
    await writeFile(snap.file, (await readFile(snap.file, 'utf8')).replace('"users":[', '"users":[ '));
    await expect(h.run(flow)).rejects.toThrow(/snapshot .* was changed/);
  });
});

describe('rollback', () => {
  test('switches back, verified against the same snapshot, closes the run; a rerun does nothing', async () => {
    const h = await setup();
    await h.run(forward());
    const result = await h.run(insyncRollbackFlow());
    expect(result.completed).toBe(true);
    expect(h.sim.tenant.method).toBe('SCIM');
    // Without "keep", each switch deleted the previous method's mappings: the SCIM mapping is a new one, with a new token.
    expect(h.sim.tenant.mappings.map((m) => [m.kind, m.id])).toEqual([['SCIM', 'map-3']]);
    expect(h.sim.tenant.scimToken).not.toBeNull();
    const state = await h.store.load();
    expect(state!.history!.at(-1)!.outcome).toBe('rolled back');
    expect(state!.flows).toEqual({});
    const again = await h.run(insyncRollbackFlow());
    expect(again.plan.alreadyDone).toMatch(/already rolled back/);
    expect(h.sim.tenant.switches).toHaveLength(2);
  });

  test('its preflight warns that mappings deleted without "keep" are not restored', async () => {
    const h = await setup();
    await h.run(forward());
    const plan = await h.run(insyncRollbackFlow(), true);
    const keep = plan.plan.preflight.find((c) => c.id === 'insync-keep-choice')!;
    expect(keep).toMatchObject({ ok: false, severity: 'warning' });
    expect(keep.detail).toMatch(/NOT restored by switching back/);
  });

  test('is refused when no switch is recorded', async () => {
    const h = await setup();
    await expect(h.run(insyncRollbackFlow())).rejects.toThrow(/nothing to roll back/);
  });
});
