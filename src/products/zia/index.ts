import { defineProduct, hostOf } from '../product.js';
import { ziaConfigSchema } from './config.js';

/** ZIA: directory sync (AD/LDAP) to SCIM provisioning on one ZIA IdP (src/flows/ad-to-scim.ts, rollback.ts). */
export const zia = defineProduct({
  kind: 'zia',
  label: 'ZIA',
  configSchema: ziaConfigSchema,
  scimEndpointStep: 'enable-scim-on-idp',
  stepsHelp: {
    'ad-to-scim':
      'ZIA ("AD with LDAP to SCIM provisioning migration guide"): preflight → snapshot → Sync Now [operator] → groups snapshot and ' +
      'forecasts → enable "Disable Directory Sync & Enable SCIM Provisioning" → activate → Edit IdP: enable SCIM, disable SAML ' +
      'auto-provisioning, copy the Base URL and Bearer Token [operator] → activate → give the IdP the Base URL and token, Test ' +
      "Connection → deprovision guard → the IdP's safety settings and pilot users (Entra ID) → start provisioning → initial cycle → " +
      'groups check → verify parity (AD, ZIA users, SCIM) → record completion.',
    rollback:
      "ZIA: pause the IdP's provisioning (never unassigns: out-of-scope users would be disabled in ZIA) → disable SCIM on the IdP " +
      "[operator] → turn the migration flag off and restore every snapshotted setting → activate → put the IdP's own settings back " +
      '(Entra ID) → Sync Now [operator] → verify AD vs ZIA users.',
  },
  // Administration > Company Profile: what a person types to approve a plan at the terminal.
  confirmWith: (z) => ({ name: 'Company ID', value: z.orgId }),
  targetOf(z) {
    const cloud = z.cloud ?? hostOf(z.baseUrl);
    // Unchanged since the first state files: `zia:<cloud>:<orgId>` (an IdP is part of the label only).
    return { system: 'zia', id: `zia:${cloud}:${z.orgId}`, label: `ZIA org ${z.orgId} on ${cloud} (IdP "${z.idpName}")` };
  },
  async flows(idp) {
    // One after the other: jest's ESM loader fails on concurrent dynamic imports of a shared graph.
    const { adToScimFlowFor } = await import('../../flows/ad-to-scim.js');
    const { rollbackFlowFor } = await import('../../flows/rollback.js');
    return { 'ad-to-scim': adToScimFlowFor(idp), rollback: rollbackFlowFor(idp) };
  },
});
