import { unhandled, type IdpAction } from '../../idps/actions.js';
import { startOktaSimulation, type OktaAppRec, type OktaSimulation } from '../okta/index.js';
import { IdpConsoleRefusal, type IdpSimulation, type IdpSimulationModule } from './simulation.js';

/** The Okta simulation as the sandbox runs it; `okta` gives tests the org (its state and console). */
export interface OktaIdpSimulation extends IdpSimulation {
  okta: OktaSimulation;
  /** The app the console actions concern: the Zscaler 2.0 app, or (tests of `app.type: other`) the custom app. */
  consoleApp: OktaAppRec;
}

/**
 * A person at the Okta Admin Console (docs/vendor-facts.md K12, K10): the same effects as the console's
 * buttons on the Zscaler 2.0 app of the simulated org.
 */
async function operateOktaConsole(okta: OktaSimulation, app: OktaAppRec, action: IdpAction): Promise<void> {
  switch (action.action) {
    case 'idp.setCredentials':
      // Provisioning > Integration > Configure API Integration, Test API Credentials, Save.
      await okta.console.configureApiIntegration(app.id, { baseUrl: action.baseUrl, token: action.token });
      return;
    case 'idp.start':
      okta.console.setToApp(app.id, { create: true, update: true, deactivate: true });
      // Push Groups: the groups the sandbox's configuration names (all of the directory's).
      okta.console.pushGroups(
        app.id,
        okta.state.groups.map((g) => g.name),
      );
      return;
    case 'idp.pause':
      okta.console.setToApp(app.id, { create: false, update: false, deactivate: false });
      return;
    case 'idp.provisionUsers': {
      // Assignments > Provision User, row by row.
      const byLogin = new Map(okta.state.users.map((u) => [u.profile.login.toLowerCase(), u.id]));
      const unknown = action.users.filter((l) => !byLogin.has(l.toLowerCase()));
      if (unknown.length) throw new IdpConsoleRefusal(`no Okta user has the login ${unknown.slice(0, 5).join(', ')}`);
      for (const login of action.users) okta.console.provisionUser(app.id, byLogin.get(login.toLowerCase())!);
      return;
    }
    default:
      return unhandled(action);
  }
}

/** Okta: a simulated org (Management API + its SCIM client engine) pushing to the sandbox's ZIA SCIM service. */
export const oktaSimulation: IdpSimulationModule = {
  kind: 'okta',
  async start(host) {
    const okta = await startOktaSimulation({
      directory: host.directory,
      scimOrigin: new URL(host.scimBaseUrl(host.zia.idpId)).origin,
      speed: host.speed,
      rateLimits: host.rateLimits,
      faults: host.faults,
      log: host.log,
      port: host.port,
    });
    // ZPA is provisioned through Okta's "Zscaler Private Access (ZPA) 2.0" app, whose API integration is
    // set in the Admin Console (docs/vendor-facts.md ZI1): the org's console-configured app plays it.
    const zpa = host.product === 'zpa';
    const sim: OktaIdpSimulation = {
      kind: 'okta',
      okta,
      consoleApp: zpa ? okta.customApp : okta.zscalerApp,
      endpoints: { 'Okta API': okta.orgUrl },
      configSection: (secret) => ({
        kind: 'okta',
        orgUrl: okta.orgUrl,
        auth: { kind: 'ssws', ...secret('apiToken', okta.credentials.apiToken, { env: 'MIGRATE_SANDBOX_OKTA_API_TOKEN', file: 'okta-api-token' }) },
        app: zpa ? { type: 'other', label: okta.customApp.label } : { type: 'zscaler2', label: okta.zscalerApp.label },
        // The directory's groups, as the Entra simulation assigns them all.
        pushGroups: okta.state.groups.map((g) => g.name),
      }),
      operate: (action) => operateOktaConsole(okta, sim.consoleApp, action),
      stop: () => okta.stop(),
    };
    return sim;
  },
};
