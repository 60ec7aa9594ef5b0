import type { Config } from '../config/schema.js';
import type { Flow } from '../engine/step.js';
import { loadProvisioner } from '../idps/index.js';
import type { IdpProvisioner } from '../idps/provisioner.js';
import { productModule } from '../products/index.js';
import type { ProductFlows } from '../products/product.js';
import type { MigrationContext } from './context.js';

export type FlowName = keyof ProductFlows;

/** The configured IdP's provisioner (src/idps/index.ts). */
export function provisionerFor(config: Config): Promise<IdpProvisioner> {
  return loadProvisioner(config.idp.kind);
}

/** A flow of the configured product (src/products/index.ts) with the configured IdP's steps. */
export async function flowFor(name: FlowName, config: Config): Promise<Flow<MigrationContext>> {
  const idp = await provisionerFor(config);
  const flows = await productModule(config.product).flows(idp);
  return flows[name];
}
