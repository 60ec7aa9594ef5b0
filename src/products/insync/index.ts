import { defineOwnProduct } from '../product.js';
import { insyncConfigKeys, insyncSectionSchema, insyncTargetOf } from './config.js';
import { insyncStatusSentence } from './status.js';

/**
 * Druva inSync: the switch of user provisioning between SCIM and Azure AD (`migrate provisioning-switch
 * --product insync`, and `migrate rollback`), with its own configuration, context and flows (flow.ts).
 */
export const insync = defineOwnProduct({
  kind: 'insync',
  label: 'Druva inSync',
  configSchema: insyncSectionSchema,
  configKeys: insyncConfigKeys,
  targetOf: insyncTargetOf,
  confirmWith: (s) => ({ name: 'API client ID', value: s.clientId }),
  commands: ['provisioning-switch', 'rollback'],
  stepsHelp: {
    'provisioning-switch':
      'Druva inSync: preflight (credential, current method, the "Keep existing … mappings" choice and its impact) → snapshot users, ' +
      'devices, backup bytes and last backups (a 0600 file beside the state file) → change the provisioning method [operator] → ' +
      "create the new method's mapping [operator] → verify users, devices and backup bytes against the snapshot → wait for backups " +
      'after the switch → attest manual mode [operator] → before/after report (reports/ beside the state file).',
    rollback: "Druva inSync: the same steps switching the provisioning method back, verified against the forward run's snapshot.",
  },
  statusSentence: insyncStatusSentence,
  async run(command, config, setup) {
    const { insyncProductRun } = await import('./run.js');
    return insyncProductRun(command, config, setup) as never;
  },
});
