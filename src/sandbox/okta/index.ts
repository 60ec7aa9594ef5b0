/** Public surface of the simulated Okta org (management API + its SCIM client engine). */
export { startOktaSimulation, oktaErrorBody } from './service.js';
export type { StartOktaSimulationOptions, OktaSimulation, OktaCredentials } from './service.js';
export { OKTA_SCIM_USER_AGENT } from './engine.js';
export type { OktaOrgState, OktaAppRec, AppUserRec, OktaUser, OktaGroup } from './org.js';
