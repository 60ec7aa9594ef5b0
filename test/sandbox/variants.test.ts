import { obfuscateApiKey } from '../../src/sandbox/zia/auth.js';
import { VariantError, parseVariants, startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { variantSettings } from '../../src/sandbox/variants.js';
import { syncAll } from '../../src/sandbox/entra/tenant.js';
import { call } from './core-helpers.js';

/** The variant registry (one parser for startSandbox and the CLI) and what each new reading simulates. */

describe('parseVariants', () => {
  it('takes name=reading pairs as text or as an object', () => {
    expect([...parseVariants('scim-page-cap=100, secrets-get=refused')]).toEqual([
      ['scim-page-cap', '100'],
      ['secrets-get', 'refused'],
    ]);
    expect(variantSettings({ 'scim-page-cap': '100', 'idp-edit-pending': 'yes' })).toEqual({ scimPageCap: 100, idpEditPending: true });
    expect(variantSettings(undefined)).toEqual({});
  });

  it('refuses an unknown name with the list of valid variants and readings', () => {
    expect(() => parseVariants('page-cap=100')).toThrow(VariantError);
    expect(() => parseVariants('page-cap=100')).toThrow(
      /unknown variant "page-cap"; valid variants: ad-org-auth-type=.*scim-page-cap=1000\|100.*secrets-get=masked\|absent\|refused/,
    );
  });

  it('refuses an unknown reading with the valid ones, a missing "=", and a name given twice', () => {
    expect(() => parseVariants('secrets-get=hidden')).toThrow('variant secrets-get has no reading "hidden"; valid: masked, absent, refused');
    expect(() => parseVariants({ 'group-patch-status': '201' })).toThrow('valid: 204, 200');
    expect(() => parseVariants('scim-page-cap')).toThrow(/is not name=reading/);
    expect(() => parseVariants('scim-page-cap=100,scim-page-cap=1000')).toThrow(/given twice/);
  });

  it('ad-org-auth-type takes other enum-like values, but not a Hosted DB one', () => {
    expect(variantSettings('ad-org-auth-type=LDAP_USER')).toEqual({ adOrgAuthType: 'LDAP_USER' });
    expect(() => parseVariants('ad-org-auth-type=SAFECHANNEL_DIR')).toThrow(/Hosted DB value/);
    expect(() => parseVariants('ad-org-auth-type=active directory')).toThrow(/upper-case enum name/);
  });

  it('startSandbox refuses a bad variant before starting anything', async () => {
    await expect(startSandbox({ users: 5, variants: 'nope=1' })).rejects.toThrow(/unknown variant "nope"/);
  });
});

async function session(sb: Sandbox): Promise<string> {
  const zia = sb.endpoints.ziaBaseUrl;
  const ts = String(Date.now());
  const li = await fetch(`${zia}/authenticatedSession`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiKey: obfuscateApiKey(sb.credentials.zia.apiKey, ts),
      username: sb.credentials.zia.username,
      password: sb.credentials.zia.password,
      timestamp: ts,
    }),
  });
  return /JSESSIONID=[^;]+/.exec(li.headers.get('set-cookie') ?? '')![0];
}

describe('the readings the sandbox simulates', () => {
  let sb: Sandbox | undefined;
  afterEach(async () => {
    await sb?.stop();
    sb = undefined;
  });
  const start = async (variants: string) => {
    sb = await startSandbox({ users: 10, speed: 1000, rateLimits: false, variants });
    return sb;
  };

  it.each([
    ['full', 400],
    ['partial', 200],
  ] as const)('authsettings-put=%s: a PUT of one field answers %d', async (reading, status) => {
    const s = await start(`authsettings-put=${reading}`);
    const cookie = await session(s);
    const res = await call(`${s.endpoints.ziaBaseUrl}/authSettings`, { method: 'PUT', headers: { cookie }, json: { directorySyncMigrateToScimEnabled: true } });
    expect(res.status).toBe(status);
    if (status === 200) {
      // The fields not sent keep their values.
      expect(s.world.tenant.getAuthSettings()).toMatchObject({
        directorySyncMigrateToScimEnabled: true,
        samlEnabled: true,
        orgAuthType: 'MICROSOFT_ACTIVE_DIR',
      });
    }
  });

  it('ad-org-auth-type: the AD tenant reports the value, and a repository switched back returns to it', async () => {
    const s = await start('ad-org-auth-type=AD_USER');
    expect(s.world.tenant.getActiveAuthSettings().orgAuthType).toBe('AD_USER');
    expect(s.world.tenant.repositoryType).toBe('ACTIVE_DIRECTORY');
    s.portal.setRepositoryType('HOSTED_DB');
    s.portal.setRepositoryType('ACTIVE_DIRECTORY');
    expect(s.world.tenant.getActiveAuthSettings().orgAuthType).toBe('AD_USER');
  });

  it.each([
    ['required', 409],
    ['not-required', 200],
  ] as const)('activation-before-idp-edit=%s: Edit IdP with the flag saved, not activated', async (reading, status) => {
    const s = await start(`activation-before-idp-edit=${reading}`);
    const { kerberosPwd: _k, lastSyncStartTime: _a, lastSyncEndTime: _b, ...settings } = s.world.tenant.getAuthSettings();
    s.world.tenant.putAuthSettings({ ...settings, directorySyncMigrateToScimEnabled: true });
    const res = await call(`${s.endpoints.portalUrl}/idps/${s.credentials.zia.idpId}/scim`, { method: 'POST', json: { enabled: true } });
    expect(res.status).toBe(status);
  });

  it.each([
    ['no', 'ACTIVE', 200],
    ['yes', 'PENDING', 401],
  ] as const)('idp-edit-pending=%s: after Enable SCIM the tenant is %s and SCIM answers %d until activation', async (reading, status, scimStatus) => {
    const s = await start(`idp-edit-pending=${reading}`);
    const t = s.world.tenant;
    const { kerberosPwd: _k, lastSyncStartTime: _a, lastSyncEndTime: _b, ...settings } = t.getAuthSettings();
    t.putAuthSettings({ ...settings, directorySyncMigrateToScimEnabled: true });
    t.activate();
    const { baseUrl, bearerToken } = s.portal.setScim(s.credentials.zia.idpId, true);
    // Edit IdP shows the saved edit either way.
    expect(s.portal.idps().find((i) => i.id === s.credentials.zia.idpId)!.scimEnabled).toBe(true);
    expect(t.status).toBe(status);
    const probe = () => call(`${baseUrl}/Users?count=1`, { headers: { authorization: `Bearer ${bearerToken}` } });
    expect((await probe()).status).toBe(scimStatus);
    t.activate();
    expect((await probe()).status).toBe(200);
  });

  it("scim-patch-dialect=rfc refuses Entra's capitalised op and string boolean; RFC 7644 form passes", async () => {
    const s = await start('scim-patch-dialect=rfc');
    const f = s.fastForwardToMigrated();
    const h = { authorization: `Bearer ${f.token}`, 'content-type': 'application/scim+json' };
    const list = await call(`${f.baseUrl}/Users?count=1`, { headers: h });
    const id = list.body.Resources[0].id as string;
    const patch = (Operations: unknown[]) =>
      call(`${f.baseUrl}/Users/${id}`, { method: 'PATCH', headers: h, json: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations } });
    const entra = await patch([{ op: 'Replace', path: 'displayName', value: 'X' }]);
    expect(entra.status).toBe(400);
    expect(entra.body.detail).toMatch(/unknown PATCH op "Replace"/);
    expect((await patch([{ op: 'replace', path: 'active', value: 'False' }])).body.detail).toMatch(/"active" must be a boolean/);
    expect((await patch([{ op: 'replace', path: 'active', value: false }])).status).toBe(200);
  });

  it.each([
    ['204', 204],
    ['200', 200],
  ] as const)('group-patch-status=%s', async (reading, status) => {
    const s = await start(`group-patch-status=${reading}`);
    const f = s.fastForwardToMigrated();
    const h = { authorization: `Bearer ${f.token}`, 'content-type': 'application/scim+json' };
    const g = (await call(`${f.baseUrl}/Groups?count=1&excludedAttributes=members`, { headers: h })).body.Resources[0];
    const res = await call(`${f.baseUrl}/Groups/${g.id}`, {
      method: 'PATCH',
      headers: h,
      json: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'displayName', value: `${g.displayName} (renamed)` }],
      },
    });
    expect(res.status).toBe(status);
    if (status === 200) expect(res.body).toMatchObject({ id: g.id, displayName: `${g.displayName} (renamed)` });
  });

  it('syncall-polarity=inverse reads "false" as all users and "true" as assigned only', async () => {
    const s = await start('syncall-polarity=inverse');
    const e = s.world.entra;
    e.secrets = [{ key: 'SyncAll', value: 'false' }];
    expect(syncAll(e)).toBe(true);
    e.secrets = [{ key: 'SyncAll', value: 'true' }];
    expect(syncAll(e)).toBe(false);
  });
});
