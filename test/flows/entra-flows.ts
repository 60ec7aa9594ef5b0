import { adToScimFlowFor } from '../../src/flows/ad-to-scim.js';
import { rollbackFlowFor } from '../../src/flows/rollback.js';
import { entraProvisioner } from '../../src/idps/entra/provisioner.js';

/** The two flows with Entra ID's steps, for the tests written for Entra (the default idp.kind). */
export const adToScimFlow = adToScimFlowFor(entraProvisioner);
export const rollbackFlow = rollbackFlowFor(entraProvisioner);
