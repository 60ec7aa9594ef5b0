import { runParity } from '../../src/flows/parity-check.js';
import { startHarness, type Harness } from './harness.js';

/**
 * Verification after the migration, on the sandbox's migrated tenant: the IdP deletes 7 users
 * over SCIM, which removes them from ZIA too. An administrator counts 7 missing users; the report
 * and the thresholds say the same, and no ZIA-side explanation blames directory sync (it is off).
 */
describe('verify after the migration', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ users: 60 });
  });
  afterAll(async () => h?.close());

  it('before the migration ZIA-side findings name directory sync', async () => {
    const run = await runParity(h.ctx({ readOnly: true }), {});
    expect(run.report.summary.ziaFedBy).toBe('directory-sync');
  });

  it('7 users deleted over SCIM are 7 missing users (7 from ZIA, 7 from SCIM), explained by SCIM provisioning', async () => {
    const { baseUrl, token } = h.sandbox.fastForwardToMigrated();
    const tenant = h.sandbox.world.tenant;
    const idpId = h.sandbox.credentials.zia.idpId;
    const before = await runParity(h.ctx({ readOnly: true }), { scim: { baseUrl, token } });
    expect(before.report.summary.missing.users).toBe(0);

    const victims = tenant.scimUserIds(idpId).slice(0, 7);
    const names = victims.map((id) => tenant.scimUser(idpId, id)!.userName.toLowerCase());
    for (const id of victims) tenant.scimDeleteUser(idpId, id); // what an IdP's DELETE /Users/{id} does

    const run = await runParity(h.ctx({ readOnly: true }), { scim: { baseUrl, token } });
    const s = run.report.summary;
    expect(s.ziaFedBy).toBe('scim');
    expect(s.missing).toEqual({ users: 7, zia: 7, scim: 7 });
    const missing = run.report.findings.filter((f) => f.kind === 'missing');
    expect(missing.map((f) => f.key).sort()).toEqual(names.sort());
    for (const f of missing) {
      expect(f.sources).toEqual(['zia', 'scim']);
      expect(f.detail).toContain('one cause, counted once');
    }
    expect(run.ok).toBe(false);
    expect(run.breaches).toContain('missing: 7 users (7 from ZIA, 7 from SCIM), 0 allowed by parity.thresholds.missing');
    for (const f of run.report.findings.filter((x) => x.sources.includes('zia') && x.kind !== 'duplicate')) {
      expect(f.detail).not.toMatch(/directory sync has not|not synced yet|sync scope|cleaned up by directory sync/);
    }
  });
});
