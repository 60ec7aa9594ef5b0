import { defineIdp } from '../provisioner.js';
import { pingfederateConfigSchema } from './config.js';

/** PingFederate: the Zscaler SP connection's outbound provisioning channel, through the admin API. */
export const pingfederate = defineIdp({
  kind: 'pingfederate',
  label: 'PingFederate',
  configSchema: pingfederateConfigSchema,
  load: async () => (await import('./provisioner.js')).pingfederateProvisioner,
});
