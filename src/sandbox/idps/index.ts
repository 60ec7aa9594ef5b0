import type { IdpKind } from '../../idps/actions.js';
import { entraSimulation } from './entra.js';
import { manualSimulation } from './manual.js';
import { oktaSimulation } from './okta.js';
import { pingfederateSimulation } from './pingfederate.js';
import type { IdpSimulationModule } from './simulation.js';

/** The sandbox's IdP simulations, one line each (the product's registry is src/idps/index.ts). */
export const IDP_SIMULATIONS: readonly IdpSimulationModule[] = [entraSimulation, manualSimulation, oktaSimulation, pingfederateSimulation];

export function idpSimulation(kind: IdpKind): IdpSimulationModule {
  const m = IDP_SIMULATIONS.find((s) => s.kind === kind);
  if (!m) throw new Error(`the sandbox has no simulation of idp.kind "${kind}" (it has: ${IDP_SIMULATIONS.map((s) => s.kind).join(', ')})`);
  return m;
}

export type { IdpSimulation, IdpSimulationModule, SecretReference } from './simulation.js';
