import { defineProduct, hostOf } from '../product.js';
import { zpaHelp } from './help.js';
import { zpaConfigSchema } from './config.js';
import { zpaStatusNotes } from './status.js';

/**
 * ZPA: SCIM Sync on one ZPA IdP, provisioned by the IdP, a soak, then SCIM Attributes for Policy
 * (https://help.zscaler.com/zpa/enabling-scim-identity-management; docs/design/zpa-flow.md).
 */
export const zpa = defineProduct({
  kind: 'zpa',
  label: zpaHelp.label,
  stepsHelp: zpaHelp.stepsHelp,
  configSchema: zpaConfigSchema,
  // "Enable SCIM Sync and Generate New Token" (docs/design/zpa-flow.md, step 2): the id its flow will use.
  scimEndpointStep: 'zpa-enable-scim-sync',
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
