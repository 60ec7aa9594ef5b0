import { defineIdp } from '../provisioner.js';
import { oktaConfigSchema } from './config.js';

/** Okta: the Zscaler 2.0 app's provisioning through the Okta Management API, or any other app by hand. */
export const okta = defineIdp({
  kind: 'okta',
  label: 'Okta',
  configSchema: oktaConfigSchema,
  load: async () => (await import('./provisioner.js')).oktaProvisioner,
});
