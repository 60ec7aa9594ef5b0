import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CrashAfter, startHarness, type Harness } from './harness.js';
import { adToScimFlow, rollbackFlow } from './entra-flows.js';

/** The tenant as the documented end state describes it. */
async function expectMigrated(h: Harness) {
  const settings = h.sandbox.world.tenant;
  expect(settings.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(true);
  const idp = [...settings.idps.values()].find((i) => i.name === h.config.zia!.idpName)!;
  expect(idp.scimEnabled).toBe(true);
  expect(idp.samlAutoProvisioning).toBe(false);
}

describe('Entra behind the IdP interface', () => {
  it('keeps the step ids that state files of earlier versions hold, so a resume finds its records', () => {
    expect(adToScimFlow.steps.map((s) => s.id)).toEqual([
      'snapshot',
      'sync-now',
      'groups-snapshot',
      'entra-adoption-forecast', // new in issue 17, part 1 (beforeFlip); the ids around it are unchanged
      'enable-migrate-flag',
      'activate-flag',
      'enable-scim-on-idp',
      'activate-scim',
      'entra-credentials',
      'deprovision-guard',
      'entra-delete-threshold',
      'entra-pilot',
      'entra-start',
      'entra-initial-cycle',
      'groups-verify',
      'verify-parity',
      'complete',
    ]);
    expect(rollbackFlow.steps.map((s) => s.id)).toEqual([
      'entra-pause',
      'disable-scim-on-idp',
      'restore-auth-settings',
      'activate-rollback',
      'entra-restore-delete-threshold',
      'sync-now-rollback',
      'verify-directory-parity',
    ]);
    expect(adToScimFlow.preflight.map((c) => c.id)).toContain('graph-provisioning');
  });
});

describe('ad-to-scim on the sandbox', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('dry-run: plans every step, makes zero mutating requests, creates no state file', async () => {
    h = await startHarness();
    h.sandbox.resetLog();
    const result = await h.run(adToScimFlow, { dryRun: true });
    expect(result.completed).toBe(false);
    expect(result.plan.preflight.every((c) => c.ok)).toBe(true);
    expect(result.plan.changesPending).toBe(true);
    expect(result.plan.steps.find((s) => s.id === 'enable-migrate-flag')!.observation.state).toBe('pending');
    expect(h.sandbox.stats().mutations).toBe(0);
    expect(existsSync(h.statePath)).toBe(false);
  });

  it('clean run reaches the documented end state with parity; a rerun changes nothing', async () => {
    h = await startHarness();
    const first = await h.run(adToScimFlow);
    expect(first.completed).toBe(true);
    await expectMigrated(h);
    const state = await h.store.load();
    expect(Object.values(state!.flows['ad-to-scim']!.steps).every((s) => s.status === 'succeeded')).toBe(true);
    expect(state!.flows['ad-to-scim']!.steps['verify-parity']!.outputs!.ok).toBe(true);
    expect(state!.snapshot!.data.ziaAuthSettings).toMatchObject({ directorySyncMigrateToScimEnabled: false });

    h.sandbox.resetLog();
    const serial = state!.serial;
    await h.run(adToScimFlow);
    // Logins and token requests change nothing; everything else that is not a read would be a write.
    const writes = h.sandbox.requests().filter((r) => r.method !== 'GET' && r.method !== 'HEAD' && !/authenticatedSession|\/token$/.test(r.path));
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    expect(h.sandbox.stats().mutations).toBe(0);
    expect((await h.store.load())!.serial).toBe(serial);
    // The Zscaler app's service principal is looked up once per run, not once per Graph step.
    const lookups = h.sandbox.requests().filter((r) => r.method === 'GET' && /\/servicePrincipals\?/.test(r.path));
    expect(lookups).toHaveLength(1);
  });

  it('runs with OneAPI (ZIdentity client credentials) instead of the legacy session login', async () => {
    h = await startHarness({ users: 30 });
    const { endpoints, credentials } = h.sandbox;
    h.config.zia!.baseUrl = endpoints.ziaOneApiBaseUrl;
    h.config.zia!.auth = {
      kind: 'oneapi',
      tokenUrl: endpoints.zidentityTokenUrl,
      clientId: credentials.zia.oneApiClientId,
      clientSecretEnv: 'TEST_ONEAPI_SECRET',
    };
    h.env.TEST_ONEAPI_SECRET = credentials.zia.oneApiClientSecret;
    const result = await h.run(adToScimFlow);
    expect(result.completed).toBe(true);
    await expectMigrated(h);
    const paths = h.sandbox.requests().map((r) => r.path);
    expect(paths.some((p) => p.startsWith('/zia/api/v1/authSettings'))).toBe(true);
    expect(paths.some((p) => p.includes('authenticatedSession'))).toBe(false);
  });

  it('the SCIM bearer token never reaches the state file or its backup', async () => {
    h = await startHarness();
    const ctx = h.ctx();
    await h.run(adToScimFlow, { ctx });
    const token = ctx.scimCredentials!.token;
    expect(token.length).toBeGreaterThan(16);
    const disk = await h.diskText();
    expect(disk).not.toContain(token);
    for (const secret of Object.values(h.env)) expect(disk).not.toContain(secret);
  });

  it('stops at the deprovision guard before starting provisioning when too many users would be disabled', async () => {
    h = await startHarness({
      tweak: (c) => {
        (c.guards as Record<string, unknown>) = { maxDisablePercent: 0, maxDeletions: 0, maxSyncAgeHours: 24 };
      },
    });
    await expect(h.run(adToScimFlow)).rejects.toThrow(/would be disabled in ZIA: over guards.maxDisablePercent 0%/);
    const state = await h.store.load();
    expect(state!.flows['ad-to-scim']!.steps['deprovision-guard']!.status).toBe('failed');
    expect(state!.flows['ad-to-scim']!.steps['entra-start']).toBeUndefined();
    expect(h.sandbox.world.entra.job.schedule.state).not.toBe('Active');
  });

  it('explains a quarantine: a token regenerated in the console after Entra started stops the run', async () => {
    h = await startHarness();
    await expect(h.run(adToScimFlow, { store: new CrashAfter(h.store, 'entra-start') })).rejects.toThrow('simulated crash');
    const idp = h.sandbox.portal.idps().find((i) => i.name === h.config.zia!.idpName)!;
    h.sandbox.portal.generateToken(idp.id); // someone clicks Generate Token: Entra's saved token stops working
    const err = (await h.run(adToScimFlow, { ctx: h.ctx() }).catch((e) => e)) as Error;
    expect(err.message).toMatch(/quarantine \(EncounteredQuarantineException/);
    expect(err.message).toMatch(/What to do: .+/);
    expect(err.message).not.toContain('[object Object]');
  });

  it.each(['appId', 'id'] as const)('finds the Zscaler enterprise app by %s as well as by display name', async (field) => {
    h = await startHarness();
    const sp = h.sandbox.world.entra.servicePrincipal;
    if (h.config.idp.kind !== 'entra') throw new Error('an Entra test');
    h.config.idp.servicePrincipal = { [field]: sp[field] };
    const result = await h.run(adToScimFlow, { dryRun: true });
    const check = result.plan.preflight.find((c) => c.id === 'graph-provisioning')!;
    expect(check.ok).toBe(true);
    expect(check.detail).toContain(sp.id);
  });

  it('stops at parity outside the thresholds and leaves the full report for the ticket', async () => {
    h = await startHarness({
      tweak: (c) => {
        c.parity = { key: 'userName', secondaryKey: 'email', thresholds: { missing: 0, extra: 0, duplicates: 0, drift: 0 } };
      },
    });
    const err = (await h.run(adToScimFlow).catch((e) => e)) as Error;
    // The cloud-only user is in SCIM and so in ZIA: one user, counted once (not "extra: 2").
    expect(err.message).toContain('extra: 1 user (1 in ZIA, 1 in SCIM), 0 allowed by parity.thresholds.extra');
    const dir = /The full report is in (\S+) /.exec(err.message)![1]!;
    expect(dir.startsWith(join(h.dir, 'reports'))).toBe(true);
    const html = await readFile(join(dir, 'parity.html'), 'utf8');
    expect(html).toContain('cloud.only@');
    expect((await h.store.load())!.flows['ad-to-scim']!.steps['verify-parity']!.status).toBe('failed');
  });

  it('refuses to start on a Hosted DB repository (the documented trap)', async () => {
    h = await startHarness();
    h.sandbox.portal.setRepositoryType('HOSTED_DB');
    await expect(h.run(adToScimFlow)).rejects.toThrow(/Hosted DB/);
    expect(h.sandbox.world.tenant.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(false);
  });
});

// Crash at every step and rollback from every step: test/flows/idps.test.ts, for every IdP.
