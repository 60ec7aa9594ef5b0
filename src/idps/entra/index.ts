import { defineIdp } from '../provisioner.js';
import { entraConfigSchema } from './config.js';

/** Entra ID: the Zscaler enterprise app's provisioning job, driven through Microsoft Graph. */
export const entra = defineIdp({
  kind: 'entra',
  label: 'Entra ID',
  configSchema: entraConfigSchema,
  load: async () => (await import('./provisioner.js')).entraProvisioner,
});
