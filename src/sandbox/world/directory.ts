/**
 * The sandbox's Active Directory data model: the shape every sandbox service shares
 * (the LDAP server serves it, ZIA "Sync Now" copies it, the simulated Entra tenant is
 * synchronised from it the way Entra Connect would).
 *
 * Attribute names and encodings follow Active Directory: objectGUID is 16 raw bytes,
 * userAccountControl is the AD bit field (0x2 = ACCOUNTDISABLE), memberOf/member hold DNs.
 */
export interface SandboxDirectoryUser {
  dn: string;
  objectGUID: Buffer;
  sAMAccountName: string;
  userPrincipalName: string;
  /** Absent for some users, as in real directories. */
  mail?: string;
  displayName: string;
  givenName: string;
  sn: string;
  department?: string;
  /** 512 = normal account; 514 = normal + ACCOUNTDISABLE. */
  userAccountControl: number;
  /** DNs of the groups the user is a direct member of. */
  memberOf: string[];
}

export interface SandboxDirectoryGroup {
  dn: string;
  objectGUID: Buffer;
  cn: string;
  sAMAccountName: string;
  /** DNs of direct members: users and nested groups. */
  member: string[];
}

export interface SandboxDirectory {
  /** e.g. DC=example,DC=test */
  baseDn: string;
  /** DNS domain, e.g. example.test (UPN suffix) */
  domain: string;
  /** Simple-bind credentials the sandbox LDAP server accepts. */
  bindDn: string;
  bindPassword: string;
  users: SandboxDirectoryUser[];
  groups: SandboxDirectoryGroup[];
}

export const UF_ACCOUNTDISABLE = 0x2;

export function isDisabled(user: Pick<SandboxDirectoryUser, 'userAccountControl'>): boolean {
  return (user.userAccountControl & UF_ACCOUNTDISABLE) !== 0;
}
