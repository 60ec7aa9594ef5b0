/**
 * A sandbox (ZIA, ZIA SCIM, AD) with SCIM enabled on the ZIA IdP, and the simulated Okta org beside
 * it pushing to that IdP's SCIM base URL: the ground of the Okta client and simulation tests.
 */
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { startOktaSimulation, type OktaSimulation, type StartOktaSimulationOptions } from '../../src/sandbox/okta/index.js';

export interface OktaWorld {
  sb: Sandbox;
  okta: OktaSimulation;
  /** The ZIA IdP's SCIM Base URL (new format) and Bearer Token, as Edit IdP shows them. */
  scim: { baseUrl: string; token: string };
  idpId: number;
  stop(): Promise<void>;
}

export async function startOktaWorld(o: { users?: number } & Partial<Omit<StartOktaSimulationOptions, 'directory' | 'scimOrigin'>> = {}): Promise<OktaWorld> {
  const { users, ...oktaOpts } = o;
  const sb = await startSandbox({ users: users ?? 12, speed: 50, seed: 7 });
  const tenant = sb.world.tenant;
  const { kerberosPwd: _k, lastSyncStartTime: _s, lastSyncEndTime: _e, ...settings } = tenant.getAuthSettings();
  tenant.putAuthSettings({ ...settings, directorySyncMigrateToScimEnabled: true });
  tenant.activate();
  const idpId = sb.credentials.zia.idpId;
  const { baseUrl, bearerToken } = sb.portal.setScim(idpId, true);
  tenant.activate();
  const okta = await startOktaSimulation({ directory: sb.world.directory, scimOrigin: sb.endpoints.scimServerUrl, speed: 50, ...oktaOpts });
  return {
    sb,
    okta,
    scim: { baseUrl: baseUrl as string, token: bearerToken as string },
    idpId,
    stop: async () => {
      await okta.stop();
      await sb.stop();
    },
  };
}
