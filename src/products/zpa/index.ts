import { defineProduct, hostOf } from '../product.js';
import { zpaConfigSchema } from './config.js';
import { zpaStatusNotes } from './status.js';

/**
 * ZPA: SCIM Sync on one ZPA IdP, provisioned by the IdP, a soak, then SCIM Attributes for Policy
 * (https://help.zscaler.com/zpa/enabling-scim-identity-management; docs/design/zpa-flow.md).
 */
export const zpa = defineProduct({
  kind: 'zpa',
  label: 'ZPA',
  configSchema: zpaConfigSchema,
  // "Enable SCIM Sync and Generate New Token" (docs/design/zpa-flow.md, step 2): the id its flow will use.
  scimEndpointStep: 'zpa-enable-scim-sync',
  stepsHelp: {
    'ad-to-scim':
      'ZPA ("Enabling SCIM for Identity Management"): preflight → snapshot → "Enabled for SCIM Sync" and Generate New Token on the ' +
      'IdP [operator; the token is held in memory only] → give the IdP the SCIM Service Provider Endpoint and token, Test Connection ' +
      "→ deprovision guard → the IdP's safety settings and pilot users (Entra ID) → start provisioning → initial cycle → users Okta " +
      "did not push (Okta) [operator] → verify parity (directory vs ZPA's SCIM users and groups) → soak gate (zpa.soak.hours, " +
      'default 48; exit 3 until it opens on ZPA\'s clock) → "SCIM Attributes for Policy" [operator] → record completion.',
    rollback:
      'ZPA: "SCIM Attributes for Policy" off [operator] → pause the IdP\'s provisioning → "Enabled for SCIM Sync" off [operator; ZPA ' +
      "keeps its SCIM users and groups, which policies may reference] → put the IdP's own settings back (Entra ID).",
  },
  confirmWith: (z) => ({ name: 'customer ID', value: z.customerId }),
  statusNotes: zpaStatusNotes,
  targetOf(z) {
    const cloud = z.cloud ?? hostOf(z.baseUrl);
    // SCIM Sync is per IdP: two IdPs of one tenant are two migrations, each with its own state file.
    const idp = z.idpId ?? `name:${z.idpName ?? ''}`;
    return {
      system: 'zpa',
      id: `zpa:${cloud}:${z.customerId}:${idp}`,
      label: `ZPA customer ${z.customerId} on ${cloud} (IdP ${z.idpName ? `"${z.idpName}"` : z.idpId})`,
    };
  },
  async flows(idp) {
    const { zpaFlowsFor } = await import('./flow.js');
    return zpaFlowsFor(idp);
  },
});
