/**
 * Okta's documented pitfall (docs/vendor-facts.md K10): users assigned to the Zscaler app before
 * provisioning was enabled are never pushed. The forward run catches them after the initial push
 * (assigned in Okta, not provisioned, and in SCIM at most as the directory-synced record) and the
 * guided remedy (the operator's Provision User, played by the sandbox's scripted operator) fixes them,
 * verified through Okta's app users and the SCIM service.
 */
import type { OktaIdpSimulation } from '../../src/sandbox/idps/okta.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function scimUser(hh: Harness, userName: string): Promise<{ externalId?: string } | undefined> {
  const tenant = hh.sandbox.world.tenant;
  const idpId = hh.sandbox.credentials.zia.idpId;
  const rec = tenant.scimUserByUserName(idpId, userName);
  if (!rec) return undefined;
  return rec.scim?.externalId === undefined ? {} : { externalId: rec.scim.externalId };
}

test('users assigned before provisioning was enabled are caught after the initial push and provisioned by the remedy', async () => {
  h = await startHarness({ idp: 'okta' });
  const okta = (h.sandbox.idp as OktaIdpSimulation).okta;
  const victims = okta.console.assignBeforeProvisioning(okta.zscalerApp.id, 3);
  expect(victims).toHaveLength(3);

  const result = await h.run(h.forward);
  expect(result.completed).toBe(true);

  const state = await h.store.load();
  const step = state?.flows['ad-to-scim']?.steps['okta-unpushed-users'];
  expect(step?.status).toBe('succeeded');
  expect(step?.outputs).toEqual(expect.objectContaining({ users: 3 }));
  // Each is now Okta's in Zscaler: linked by Okta (externalId = the Okta user id), not the directory-synced record.
  for (const login of victims) {
    const oktaUser = okta.state.users.find((u) => u.profile.login === login)!;
    expect(okta.zscalerApp.appUsers.get(oktaUser.id)).toEqual(expect.objectContaining({ status: 'PROVISIONED', assignedBeforeProvisioning: false }));
    expect(await scimUser(h, login)).toEqual({ externalId: oktaUser.id });
  }
});

test('with no user skipped, the check passes without asking the operator', async () => {
  h = await startHarness({ idp: 'okta' });
  const result = await h.run(h.forward);
  expect(result.completed).toBe(true);
  const step = (await h.store.load())?.flows['ad-to-scim']?.steps['okta-unpushed-users'];
  expect(step?.status).toBe('succeeded');
  expect(h.sandbox.requests().filter((r) => r.path.startsWith('/portal/idp-console'))).toHaveLength(0);
});
