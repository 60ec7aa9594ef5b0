/** Public surface of the simulated Entra ID / Microsoft Graph service. */
export { startEntraService } from './service.js';
export type { StartEntraServiceOptions, SandboxEntraService, EntraCredentials } from './service.js';
export { assignedUsers, assignedGroups } from './tenant.js';
export type { EntraState, EntraUser, EntraGroup, SyncJob, ProvisioningLogEntry, SecretPair } from './tenant.js';
export { ZSCALER_USER_MAPPING } from './mapping.js';
export type { AttributeMapping, EntraSource } from './mapping.js';
