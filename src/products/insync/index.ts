import { defineOwnProduct } from '../product.js';
import { insyncHelp } from './help.js';
import { insyncConfigKeys, insyncSectionSchema, insyncTargetOf } from './config.js';
import { insyncStatusSentence } from './status.js';

/**
 * Druva inSync: the switch of user provisioning between SCIM and Azure AD (`migrate provisioning-switch
 * --product insync`, and `migrate rollback`), with its own configuration, context and flows (flow.ts).
 */
export const insync = defineOwnProduct({
  kind: 'insync',
  label: insyncHelp.label,
  stepsHelp: insyncHelp.stepsHelp,
  configSchema: insyncSectionSchema,
  configKeys: insyncConfigKeys,
  targetOf: insyncTargetOf,
  confirmWith: (s) => ({ name: 'API client ID', value: s.clientId }),
  commands: ['provisioning-switch', 'rollback'],
  statusSentence: insyncStatusSentence,
  async run(command, config, setup) {
    const { insyncProductRun } = await import('./run.js');
    return insyncProductRun(command, config, setup) as never;
  },
});
