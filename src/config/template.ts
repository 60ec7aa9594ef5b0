/**
 * The commented configuration `migrate init` writes. Every secret is a reference to an
 * environment variable; the file itself can be committed to a change ticket.
 */
export interface InitAnswers {
  cloud: string;
  orgId: string;
  idpName: string;
  ziaUsername: string;
  tenantId: string;
  clientId: string;
  servicePrincipal: string;
  ldapUrl: string;
  bindDn: string;
  baseDn: string;
  groupDn?: string;
}

export const PLACEHOLDER_ANSWERS: InitAnswers = {
  cloud: 'zscalerthree',
  orgId: '24326813',
  idpName: 'Entra ID',
  ziaUsername: 'api-admin@example.com',
  tenantId: 'contoso.onmicrosoft.com',
  clientId: '00000000-0000-0000-0000-000000000000',
  servicePrincipal: 'Zscaler Three',
  ldapUrl: 'ldaps://dc1.example.com:636',
  bindDn: 'CN=svc-migrate,OU=Service Accounts,DC=example,DC=com',
  baseDn: 'OU=Staff,DC=example,DC=com',
};

const q = (s: string) => JSON.stringify(s);

export function renderConfigTemplate(a: InitAnswers): string {
  return `# migrate configuration — ZIA: Active Directory (LDAP sync) → SCIM provisioning from Entra ID.
# Secrets are never written here: each *Env names an environment variable (or use *File for a
# file readable only by you). Validate with: migrate ad-to-scim --dry-run
version: 1

zia:
  cloud: ${q(a.cloud)}                 # zscaler, zscalerone, zscalertwo, zscalerthree, zscloud, zscalerbeta, zscalergov, zscalerten
  orgId: ${q(a.orgId)}                 # Administration > Company Profile > Company ID
  idpName: ${q(a.idpName)}             # the ZIA identity provider that will receive SCIM
  auth:
    kind: legacy                       # or: oneapi (clientId, clientSecretEnv, vanityDomain)
    username: ${q(a.ziaUsername)}      # an admin with rights to Authentication Settings and Activation
    passwordEnv: ZIA_PASSWORD
    apiKeyEnv: ZIA_API_KEY             # Administration > Cloud Service API Key

# For unattended runs: the Base URL and Bearer Token from Edit IdP. Interactive runs ask for them.
scim: {}
#  baseUrl: https://scim.${a.cloud}.net/${a.orgId}/<idpId>/scim
#  tokenEnv: ZIA_SCIM_TOKEN

idp:
  kind: entra
  tenantId: ${q(a.tenantId)}
  clientId: ${q(a.clientId)}           # app registration with Synchronization.ReadWrite.All
  clientSecretEnv: GRAPH_CLIENT_SECRET #   (or Application.ReadWrite.OwnedBy and owner of the Zscaler app)
  servicePrincipal:
    displayName: ${q(a.servicePrincipal)}   # the Zscaler enterprise app (or id: / appId:)
  initialCycleTimeoutMinutes: 240

directory:
  url: ${q(a.ldapUrl)}                 # ldaps:// (or ldap:// with StartTLS); plain ldap only with insecure: true
  bindDn: ${q(a.bindDn)}               # read-only account
  passwordEnv: LDAP_PASSWORD
  # caFile: /etc/ssl/certs/corp-root-ca.pem
  baseDn: ${q(a.baseDn)}
  userFilter: "(&(objectCategory=person)(objectClass=user))"
${a.groupDn ? `  groupDn: ${q(a.groupDn)}` : '  # groupDn: "CN=Zscaler Users,OU=Groups,DC=example,DC=com"   # nested membership counts'}
  mapping:                             # which AD attribute feeds each compared field
    userName: userPrincipalName
    email: mail
    displayName: displayName
    department: department

parity:
  key: userName                        # match users on this, case-insensitively
  secondaryKey: email                  # and flag the same person under two userNames
  thresholds: { missing: 0, extra: 0, duplicates: 0, drift: 0 }

guards:
  maxDeletions: 0                      # stop before a plan that deletes more users than this
  maxDisablePercent: 2                 # ... or disables more than this share of users in scope
  maxSyncAgeHours: 24
  minScopePercent: 50                  # refuse a directory scope holding under this share of ZIA's users

operator:
  kind: person                         # console-only steps are done by a person at the prompt
`;
}
