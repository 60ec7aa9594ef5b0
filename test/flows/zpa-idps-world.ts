import type { OktaIdpSimulation } from '../../src/sandbox/idps/okta.js';
import type { PingFederateSimulation } from '../../src/sandbox/pingfederate/index.js';
import type { Harness } from './harness.js';

/** What the ZPA tests of the non-Entra IdPs read of the sandbox: ZPA's IdP and SCIM users, and whether the IdP still pushes. */

export const zpaIdp = (h: Harness) => h.sandbox.zpa!.tenant.idps.get(h.sandbox.zpa!.credentials.idpId)!;
export const zpaUserNames = (h: Harness) =>
  [...h.sandbox.zpa!.tenant.store(h.sandbox.zpa!.credentials.idpId).users.values()].map((u) => String(u.doc.userName).toLowerCase());
export const enabledInDirectory = (h: Harness) =>
  h.sandbox.zpa!.directory.users.filter((u) => (u.userAccountControl & 2) === 0).map((u) => u.userPrincipalName.toLowerCase());

/** Whether the IdP still pushes, as its own simulation shows it. */
export const pushing: Record<'okta' | 'pingfederate' | 'manual', (h: Harness) => boolean> = {
  okta: (h) => (h.sandbox.idp as OktaIdpSimulation).okta.customApp.provisioning.create,
  pingfederate: (h) => {
    const pf = (h.sandbox.idp as unknown as { pingfederate: PingFederateSimulation }).pingfederate;
    const c = pf.state.connections.get(pf.connectionId)!;
    return c.active && (c.outbound?.channels.some((ch) => ch.active) ?? false);
  },
  manual: (h) => h.sandbox.world.entra.job.schedule.state === 'Active',
};
