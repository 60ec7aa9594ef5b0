// The whole migration with a real Active Directory as the source of truth: the sandbox simulates
// ZIA and Entra on top of the DC's users (as `migrate sandbox --directory ldaps://…` does), while
// the flows and `verify` read the DC itself over LDAPS with CA verification. The counts must equal
// what the seed generator recorded independently (expected.json), not what any of our code read.
import { Writable } from 'node:stream';
import { configSchema } from '../../src/config/schema.js';
import { MemoryCheckpointStore } from '../../src/engine/checkpoint.js';
import { runFlow } from '../../src/engine/runner.js';
import { createSandboxPortalClient } from '../../src/clients/sandbox-portal.js';
import { createMigrationContext, targetOf } from '../../src/flows/context.js';
import { runParity } from '../../src/flows/parity-check.js';
import { SandboxOperator } from '../../src/flows/sandbox-operator.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { createOutput } from '../../src/ui/output.js';
import { adEnv, describeAd } from './ad-env.js';
import { adToScimFlow, rollbackFlow } from '../flows/entra-flows.js';

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

describeAd('migrate ad-to-scim with the live Samba DC as the directory', () => {
  let sandbox: Sandbox;
  afterAll(async () => sandbox?.stop());

  it('migrates, verifies three-way parity with counts equal to the seed record, and rolls back', async () => {
    const ad = adEnv();
    sandbox = await startSandbox({
      speed: 500,
      port: 0,
      directoryUrl: ad.AD_LDAPS_URL,
      directoryBindDn: ad.AD_BIND_DN,
      directoryPassword: ad.password.trim(),
      directoryBaseDn: ad.expected.baseDn,
      directoryCaFile: ad.AD_CA_FILE,
    });
    expect(sandbox.world.directory.users.length).toBe(ad.expected.usersInScope);

    const raw = sandbox.config() as Record<string, unknown>;
    raw.directory = {
      url: ad.AD_LDAPS_URL,
      bindDn: ad.AD_BIND_DN,
      passwordFile: ad.AD_PASSWORD_FILE,
      caFile: ad.AD_CA_FILE,
      baseDn: ad.expected.baseDn,
      userFilter: ad.expected.userFilter,
    };
    // The seed disables 12% of accounts on purpose; the guard is set above that for this rehearsal.
    raw.guards = { maxDeletions: 0, maxDisablePercent: 15, maxSyncAgeHours: 24 };
    const config = configSchema.parse(raw);
    const out = createOutput({ quiet: true, stdout: sink(), stderr: sink() });
    const operator = new SandboxOperator(createSandboxPortalClient({ portalUrl: sandbox.endpoints.portalUrl }), out);
    const ctx = createMigrationContext({ config, readOnly: false, out, operator, env: sandbox.env(), rateLimits: false, pollIntervalMs: 50 });
    const store = new MemoryCheckpointStore();
    try {
      const forward = await runFlow(adToScimFlow, ctx, { store, target: targetOf(config), dryRun: false });
      expect(forward.completed).toBe(true);

      const { report, ok } = await runParity(ctx, { scim: ctx.scimCredentials! });
      expect(ok).toBe(true);
      expect(report.summary.counts.directory.records).toBe(ad.expected.usersInScope);
      expect(report.summary.matched.allThree).toBe(ad.expected.usersInScope);
      expect(report.summary.missing).toEqual({ users: 0, zia: 0, scim: 0 });

      const back = await runFlow(rollbackFlow, ctx, { store, target: targetOf(config), dryRun: false });
      expect(back.completed).toBe(true);
      const after = await runParity(ctx, {});
      expect(after.report.summary.matched.directoryZia).toBe(ad.expected.usersInScope);
    } finally {
      await ctx.close();
    }
  }, 180_000);
});
