import { defineProduct, hostOf } from '../product.js';
import { ziaHelp } from './help.js';
import { ziaConfigSchema } from './config.js';

/** ZIA: directory sync (AD/LDAP) to SCIM provisioning on one ZIA IdP (src/flows/ad-to-scim.ts, rollback.ts). */
export const zia = defineProduct({
  kind: 'zia',
  label: ziaHelp.label,
  stepsHelp: ziaHelp.stepsHelp,
  configSchema: ziaConfigSchema,
  scimEndpointStep: 'enable-scim-on-idp',
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
