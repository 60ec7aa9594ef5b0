/** Public surface of the simulated Okta org (management API + its SCIM client engine). */
export { startOktaSimulation } from './service.js';
export type { StartOktaSimulationOptions, OktaSimulation } from './service.js';
export type { OktaAppRec } from './org.js';
