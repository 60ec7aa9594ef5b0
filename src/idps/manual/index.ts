import { defineIdp } from '../provisioner.js';
import { manualConfigSchema } from './config.js';

/** Any IdP by hand: every IdP-side step is an operator step, verified through the SCIM service. */
export const manual = defineIdp({
  kind: 'manual',
  label: 'your IdP (configured by hand)',
  configSchema: manualConfigSchema,
  load: async () => (await import('./provisioner.js')).manualProvisioner,
});
