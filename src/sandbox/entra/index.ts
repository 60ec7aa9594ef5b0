/** Public surface of the simulated Entra ID / Microsoft Graph service. */
export { startEntraService } from './service.js';
export type { StartEntraServiceOptions, SandboxEntraService } from './service.js';
export { assignedUsers } from './tenant.js';
