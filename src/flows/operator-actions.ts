import type { Operator, OperatorTask } from '../engine/operator.js';
import type { IdpAction } from '../idps/actions.js';
import type { ZpaAction } from '../products/zpa/actions.js';

/**
 * Every task a flow hands to its operator, as a union on `action`. The scripted operator switches
 * on it; a case it misses fails to compile. ZIA's console-only buttons are here; the IdP's console
 * actions are in src/idps/actions.ts.
 */
export type ZiaAction =
  /** Administration > Authentication Settings > Sync Now. */
  | { action: 'zia.syncNow' }
  /** Edit IdP: Enable SCIM Provisioning, SAML auto-provisioning off, copy Base URL and Bearer Token. */
  | { action: 'zia.enableScim'; idpName: string }
  /** Edit IdP: copy the Bearer Token again (or Generate Token). */
  | { action: 'zia.generateScimToken'; idpName: string; baseUrl?: string }
  /** Edit IdP: disable Enable SCIM Provisioning. */
  | { action: 'zia.disableScim'; idpName: string };

export type MigrationAction = ZiaAction | ZpaAction | IdpAction;
export type MigrationTask = OperatorTask<MigrationAction>;
export type MigrationOperator = Operator<MigrationAction>;
