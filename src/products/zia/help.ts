/** ZIA's words for `--help` (no schema here: `migrate --help` loads commander only, test/cli/startup.test.ts). */
export const ziaHelp = {
  label: 'ZIA',
  stepsHelp: {
    'ad-to-scim':
      'ZIA ("AD with LDAP to SCIM provisioning migration guide"): preflight → snapshot → Sync Now [operator] → groups snapshot and ' +
      'forecasts → enable "Disable Directory Sync & Enable SCIM Provisioning" → activate → Edit IdP: enable SCIM, disable SAML ' +
      'auto-provisioning, copy the Base URL and Bearer Token [operator] → activate → give the IdP the Base URL and token, Test ' +
      "Connection → deprovision guard → the IdP's safety settings and pilot users (Entra ID) → start provisioning → initial cycle → " +
      'groups check → verify parity (AD, ZIA users, SCIM) → record completion.',
    rollback:
      "ZIA: pause the IdP's provisioning (never unassigns: out-of-scope users would be disabled in ZIA) → disable SCIM on the IdP " +
      "[operator] → turn the migration flag off and restore every snapshotted setting → activate → put the IdP's own settings back " +
      '(Entra ID) → Sync Now [operator] → verify AD vs ZIA users.',
  },
} as const;
