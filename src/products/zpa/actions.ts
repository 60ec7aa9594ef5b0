/**
 * What an administrator does in the ZPA Admin Portal when a ZPA step is an operator step: ZPA has no
 * API that changes an IdP's SCIM settings or shows its token (docs/vendor-facts.md Y4). The scripted
 * operator (src/flows/sandbox-operator.ts) switches on `action`; a case it misses fails to compile.
 */
export type ZpaAction =
  /** IDP Configuration > Edit: "Enabled for SCIM Sync" on, Generate New Token, copy it before saving (shown once). */
  | { action: 'zpa.enableScimSync'; idpName: string; idpId: string }
  /** IDP Configuration > Edit: Generate New Token (the previous token stops working), copy it, save. */
  | { action: 'zpa.generateScimToken'; idpName: string; idpId: string }
  /** IDP Configuration > Edit: "SCIM Attributes for Policy" on or off. */
  | { action: 'zpa.setScimPolicy'; idpName: string; idpId: string; enabled: boolean }
  /** IDP Configuration > Edit: "Enabled for SCIM Sync" off. */
  | { action: 'zpa.disableScimSync'; idpName: string; idpId: string };
