/** ZPA's words for `--help` (no schema here: `migrate --help` loads commander only, test/cli/startup.test.ts). */
export const zpaHelp = {
  label: 'ZPA',
  stepsHelp: {
    'ad-to-scim':
      'ZPA ("Enabling SCIM for Identity Management"): preflight → snapshot → "Enabled for SCIM Sync" and Generate New Token on the ' +
      'IdP [operator; the token is held in memory only] → give the IdP the SCIM Service Provider Endpoint and token, Test Connection ' +
      "→ deprovision guard → the IdP's safety settings and pilot users (Entra ID) → start provisioning → initial cycle → users Okta " +
      "did not push (Okta) [operator] → verify parity (directory vs ZPA's SCIM users and groups) → soak gate (zpa.soak.hours, " +
      'default 48; exit 3 until it opens on ZPA\'s clock) → "SCIM Attributes for Policy" [operator] → record completion.',
    rollback:
      'ZPA: "SCIM Attributes for Policy" off [operator] → pause the IdP\'s provisioning → "Enabled for SCIM Sync" off [operator; ZPA ' +
      "keeps its SCIM users and groups, which policies may reference] → put the IdP's own settings back (Entra ID).",
  },
} as const;
