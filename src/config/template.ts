/**
 * The commented configuration `migrate init` writes. Every secret is a reference to an
 * environment variable; the file itself can be committed to a change ticket.
 */
export type InitAuth = { kind: 'legacy'; username: string } | { kind: 'oneapi'; vanityDomain: string; clientId: string };

export interface InitAnswers {
  cloud: string;
  orgId: string;
  idpName: string;
  auth: InitAuth;
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
  auth: { kind: 'legacy', username: 'api-admin@example.com' },
  tenantId: 'contoso.onmicrosoft.com',
  clientId: '00000000-0000-0000-0000-000000000000',
  servicePrincipal: 'Zscaler Three',
  ldapUrl: 'ldaps://dc1.example.com:636',
  bindDn: 'CN=svc-migrate,OU=Service Accounts,DC=example,DC=com',
  baseDn: 'OU=Staff,DC=example,DC=com',
};

/** The environment variables the template references, with what each must hold. */
export function secretVariables(auth: InitAuth): { name: string; field: string; holds: string }[] {
  const zia =
    auth.kind === 'legacy'
      ? [
          { name: 'ZIA_PASSWORD', field: 'zia.auth.passwordEnv', holds: "the ZIA API admin's password" },
          { name: 'ZIA_API_KEY', field: 'zia.auth.apiKeyEnv', holds: 'Administration > Cloud Service API Key' },
        ]
      : [{ name: 'ZIA_CLIENT_SECRET', field: 'zia.auth.clientSecretEnv', holds: "the OneAPI client's secret (ZIdentity > Integration > API Clients)" }];
  return [
    ...zia,
    { name: 'GRAPH_CLIENT_SECRET', field: 'idp.clientSecretEnv', holds: "the Graph app registration's client secret" },
    { name: 'LDAP_PASSWORD', field: 'directory.passwordEnv', holds: "the LDAP bind account's password" },
  ];
}

const q = (s: string) => JSON.stringify(s);

/** Comments after values start in this column; a longer line gets its comment on the line above. */
const COMMENT_COLUMN = 40;

/**
 * Lines are written as `code ⟨#⟩ comment`; the marker is replaced by padding so that every
 * trailing comment starts in the same column, whatever the answers' lengths.
 */
const MARK = '\u0000#';
function alignComments(text: string): string {
  return text
    .split('\n')
    .flatMap((line) => {
      const at = line.indexOf(MARK);
      if (at < 0) return [line];
      const code = line.slice(0, at).trimEnd();
      const comment = line.slice(at + MARK.length).trim();
      if (code.length + 1 < COMMENT_COLUMN) return [`${code.padEnd(COMMENT_COLUMN)}# ${comment}`];
      const indent = /^\s*/.exec(code)![0];
      return [`${indent}# ${comment}`, code];
    })
    .join('\n');
}

export function renderConfigTemplate(a: InitAnswers, opts: { clouds?: readonly string[] } = {}): string {
  const c = (comment: string) => ` ${MARK} ${comment}`;
  const clouds = opts.clouds?.length ? opts.clouds.join(', ') : 'for example zscalerthree (the host in your admin portal URL)';
  const auth =
    a.auth.kind === 'legacy'
      ? `  auth:
    kind: legacy${c('or: oneapi (ZIdentity API client: vanityDomain, clientId, clientSecretEnv)')}
    username: ${q(a.auth.username)}${c('an admin with rights to Authentication Settings and Activation')}
    passwordEnv: ZIA_PASSWORD
    apiKeyEnv: ZIA_API_KEY${c('Administration > Cloud Service API Key')}`
      : `  auth:
    kind: oneapi${c('or: legacy (username, passwordEnv, apiKeyEnv)')}
    vanityDomain: ${q(a.auth.vanityDomain)}${c('<vanity>.zslogin.net, your ZIdentity sign-in host')}
    clientId: ${q(a.auth.clientId)}${c('ZIdentity > Integration > API Clients')}
    clientSecretEnv: ZIA_CLIENT_SECRET`;
  return alignComments(`# migrate configuration — ZIA: Active Directory (LDAP sync) → SCIM provisioning from Entra ID.
# Secrets are never written here: each *Env names an environment variable (or use *File for a
# file readable only by you). Validate with: migrate ad-to-scim --dry-run
version: 1

zia:
  cloud: ${q(a.cloud)}${c(clouds)}
  orgId: ${q(a.orgId)}${c('Administration > Company Profile > Company ID')}
  idpName: ${q(a.idpName)}${c('the ZIA identity provider that will receive SCIM')}
${auth}

# For unattended runs: the Base URL and Bearer Token from Edit IdP. Interactive runs ask for them.
scim: {}
#  baseUrl: https://scim.${a.cloud}.net/${a.orgId}/<idpId>/scim
#  tokenEnv: ZIA_SCIM_TOKEN

idp:
  kind: entra${c('entra (Graph API) or manual (any IdP, every IdP step by hand: README "Any IdP by hand")')}
  tenantId: ${q(a.tenantId)}
  clientId: ${q(a.clientId)}${c('app registration with Synchronization.ReadWrite.All')}
  clientSecretEnv: GRAPH_CLIENT_SECRET${c('(or Application.ReadWrite.OwnedBy and owner of the Zscaler app)')}
  servicePrincipal:
    displayName: ${q(a.servicePrincipal)}${c('the Zscaler enterprise app (or id: / appId:)')}
  initialCycleTimeoutMinutes: 240
  # pilot: { sample: 5 }${c('optional: provision a few users on demand first (or users: [jane@example.com])')}

directory:
  url: ${q(a.ldapUrl)}${c('ldaps:// (or ldap:// with StartTLS); plain ldap only with insecure: true')}
  bindDn: ${q(a.bindDn)}${c('read-only account')}
  passwordEnv: LDAP_PASSWORD
  # caFile: /etc/ssl/certs/corp-root-ca.pem
  baseDn: ${q(a.baseDn)}
  userFilter: "(&(objectCategory=person)(objectClass=user))"
${a.groupDn ? `  groupDn: ${q(a.groupDn)}${c('nested membership counts')}` : '  # groupDn: "CN=Zscaler Users,OU=Groups,DC=example,DC=com"   (nested membership counts)'}
  mapping:${c('which AD attribute feeds each compared field')}
    userName: userPrincipalName
    email: mail
    displayName: displayName
    department: department

parity:
  key: userName${c('match users on this, case-insensitively')}
  secondaryKey: email${c('and flag the same person under two userNames')}
  thresholds: { missing: 0, extra: 0, duplicates: 0, drift: 0 }

guards:
  maxDeletions: 0${c('stop before a plan that deletes more users than this')}
  maxDisablePercent: 2${c('... or disables more than this share of users in scope')}
  maxSyncAgeHours: 24${c('directory sync must have run this recently')}
  minScopePercent: 50${c("refuse a directory scope holding under this share of ZIA's users")}
  maxForecastDuplicates: 0${c('block the flip when the IdP would create more users a second time')}
  groupAdoption: by-name${c('or new-group: assume ZIA SCIM makes a second group of the same name')}
  keepEntraDeleteThreshold: false${c("true: rollback leaves Entra's stricter delete threshold in place")}

operator:
  kind: person${c('console-only steps are done by a person at the prompt')}
`);
}
