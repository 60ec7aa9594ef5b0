import { unhandled, type IdpAction } from '../../idps/actions.js';
import { startPingFederateSimulation, storeSetting, type PingFederateSimulation } from '../pingfederate/index.js';
import { IdpConsoleRefusal, type IdpSimulation, type IdpSimulationModule } from './simulation.js';

/**
 * PingFederate: the simulated admin API and provisioning engine (src/sandbox/pingfederate), on the
 * sandbox's IdP port, reading the sandbox directory and pushing to whatever SCIM target its Zscaler
 * connection is given. Its console (for a person rehearsing with operator steps) does what the
 * admin API does.
 */
async function operate(pf: PingFederateSimulation, action: IdpAction): Promise<void> {
  const c = pf.state.connections.get(pf.connectionId);
  const out = c?.outbound;
  if (!c || !out) throw new IdpConsoleRefusal('the Zscaler SP connection has no outbound provisioning');
  switch (action.action) {
    case 'idp.setCredentials': {
      // What the console's Target page saves: the token is stored encrypted like any API save.
      const set = (name: string, value: string, encrypted: boolean) => {
        const i = out.settings.findIndex((x) => x.name === name);
        if (i >= 0) out.settings[i] = storeSetting(pf.state, name, value, encrypted);
      };
      set(pf.state.names.baseUrl, action.baseUrl, false);
      set(pf.state.names.token, action.token, true);
      return;
    }
    case 'idp.start':
      c.active = true;
      out.channels.forEach((ch, i) => (ch.active = i === 0));
      return;
    case 'idp.pause':
      out.channels.forEach((ch) => (ch.active = false));
      return;
    case 'idp.provisionUsers':
      throw new IdpConsoleRefusal(
        'PingFederate has no "provision these users" action: users in the channel\'s source location are pushed at the next polling interval',
      );
    default:
      return unhandled(action);
  }
}

export const pingfederateSimulation: IdpSimulationModule = {
  kind: 'pingfederate',
  async start(host) {
    const pf = await startPingFederateSimulation({
      directory: host.directory,
      speed: host.speed,
      port: host.port,
      log: host.log,
      faults: host.faults,
    });
    const simulation: IdpSimulation & { pingfederate: PingFederateSimulation } = {
      kind: 'pingfederate',
      endpoints: { 'PingFederate admin API': pf.adminUrl },
      configSection: (secret) => ({
        kind: 'pingfederate',
        adminUrl: pf.adminUrl,
        auth: {
          kind: 'basic',
          username: pf.credentials.admin.username,
          ...secret('password', pf.credentials.admin.password, { env: 'MIGRATE_SANDBOX_PINGFEDERATE_PASSWORD', file: 'pingfederate-password' }),
        },
        connection: { name: 'Zscaler ZIA' },
      }),
      operate: (action) => operate(pf, action),
      stop: () => pf.stop(),
      /** The simulation itself, for tests that look at PingFederate's own state (its provisioner, its connections). */
      pingfederate: pf,
    };
    return simulation;
  },
};
