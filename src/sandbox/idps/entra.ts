import type { IdpSimulationModule } from './simulation.js';
import { operateEntraConsole } from './entra-console.js';

/** Entra ID: the Graph service the sandbox always runs (src/sandbox/entra), configured for its API. */
export const entraSimulation: IdpSimulationModule = {
  kind: 'entra',
  async start(host) {
    const { entra } = host;
    return {
      kind: 'entra',
      endpoints: { 'Entra login': entra.loginUrl, 'Microsoft Graph': entra.graphUrl },
      configSection: (secret) => ({
        kind: 'entra',
        tenantId: entra.credentials.tenantId,
        clientId: entra.credentials.clientId,
        ...secret('clientSecret', entra.credentials.clientSecret, { env: 'MIGRATE_SANDBOX_GRAPH_SECRET', file: 'graph-client-secret' }),
        servicePrincipal: { displayName: entra.credentials.servicePrincipalDisplayName },
        loginUrl: entra.loginUrl,
        graphUrl: entra.graphUrl,
      }),
      operate: (action) => operateEntraConsole(entra, action),
      stop: async () => undefined, // the sandbox stops the Entra service itself
    };
  },
};
