import type { Config } from '../config/schema.js';
import type { Flow } from '../engine/step.js';
import { loadProvisioner } from '../idps/index.js';
import type { IdpProvisioner } from '../idps/provisioner.js';
import { adToScimFlowFor } from './ad-to-scim.js';
import type { MigrationContext } from './context.js';
import { rollbackFlowFor } from './rollback.js';

export type FlowName = 'ad-to-scim' | 'rollback';

/** The configured IdP's provisioner (src/idps/index.ts). */
export function provisionerFor(config: Config): Promise<IdpProvisioner> {
  return loadProvisioner(config.idp.kind);
}

/** A flow with the configured IdP's steps. */
export async function flowFor(name: FlowName, config: Config): Promise<Flow<MigrationContext>> {
  const idp = await provisionerFor(config);
  return name === 'ad-to-scim' ? adToScimFlowFor(idp) : rollbackFlowFor(idp);
}
