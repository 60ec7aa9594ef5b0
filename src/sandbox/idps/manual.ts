import type { IdpSimulationModule } from './simulation.js';
import { operateEntraConsole } from './entra-console.js';

/**
 * `manual`: some IdP configured by hand. migrate has no API to it; the sandbox's Entra tenant plays
 * that IdP, driven only through its console (the scripted operator's `idp.*` actions), and pushes
 * SCIM with Entra's request pattern once it is started.
 */
export const manualSimulation: IdpSimulationModule = {
  kind: 'manual',
  async start(host) {
    return {
      kind: 'manual',
      endpoints: {},
      configSection: () => ({ kind: 'manual', name: 'the sandbox IdP', appName: `the app "${host.entra.credentials.servicePrincipalDisplayName}"` }),
      operate: (action) => operateEntraConsole(host.entra, action),
      stop: async () => undefined,
    };
  },
};
