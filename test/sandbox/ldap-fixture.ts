/**
 * Small SandboxDirectory fixtures for the LDAP and Entra tests (the shared seed generator
 * lives elsewhere; these stay deterministic and tiny on purpose).
 */
import { createHash } from 'node:crypto';
import type { SandboxDirectory, SandboxDirectoryGroup, SandboxDirectoryUser } from '../../src/sandbox/world/directory.js';

export const BASE_DN = 'DC=example,DC=test';
export const BIND_DN = `CN=svc,CN=Users,${BASE_DN}`;
export const BIND_PASSWORD = 'Sandbox-Bind-Pa55!';

/** 16 deterministic bytes with high bits set, so a UTF-8 mangling on the wire would show. */
export function guidFor(label: string): Buffer {
  const bytes = createHash('sha256').update(label).digest().subarray(0, 16);
  bytes[0] = 0xff;
  bytes[7] = 0x80;
  return Buffer.from(bytes);
}

export interface FixtureOptions {
  users: number;
  /** index → disabled; default every 10th user (index 9, 19, …). */
  disabled?: (i: number) => boolean;
}

export const GROUP_ALL = `CN=All Staff,OU=Groups,${BASE_DN}`;
export const GROUP_ENG = `CN=Engineering,OU=Groups,${BASE_DN}`;
export const GROUP_ENG_MID = `CN=Eng Platform,OU=Groups,${BASE_DN}`;
export const GROUP_ENG_LEAF = `CN=Eng Platform SRE,OU=Groups,${BASE_DN}`;
export const SPECIAL_DISPLAY_NAME = 'Zoë (Ops) *\\ Ünïcode';

export function userDn(i: number): string {
  return `CN=User ${String(i).padStart(6, '0')},OU=Staff,${BASE_DN}`;
}

/**
 * Users 0..n-1 under OU=Staff; "All Staff" holds every user; Engineering ⊃ Eng Platform ⊃
 * Eng Platform SRE (nested two levels) and SRE holds users 0–9; user n-1 is the "special"
 * user whose displayName carries filter metacharacters and non-ASCII letters.
 */
export function makeDirectory(opts: FixtureOptions): SandboxDirectory {
  const disabled = opts.disabled ?? ((i: number) => i % 10 === 9);
  const users: SandboxDirectoryUser[] = [];
  for (let i = 0; i < opts.users; i++) {
    const id = String(i).padStart(6, '0');
    const special = i === opts.users - 1;
    const memberOf = [GROUP_ALL];
    if (i < 10) memberOf.push(GROUP_ENG_LEAF);
    users.push({
      dn: userDn(i),
      objectGUID: guidFor(`user-${i}`),
      sAMAccountName: `user${id}`,
      userPrincipalName: `user${id}@example.test`,
      ...(i % 7 === 3 ? {} : { mail: `user${id}@example.test` }),
      displayName: special ? SPECIAL_DISPLAY_NAME : `User ${id}`,
      givenName: special ? 'Zoë' : 'User',
      sn: special ? 'Ünïcode' : id,
      ...(i % 5 === 0 ? {} : { department: i % 2 === 0 ? 'Engineering' : 'Sales' }),
      userAccountControl: disabled(i) ? 514 : 512,
      memberOf,
    });
  }
  const groups: SandboxDirectoryGroup[] = [
    { dn: GROUP_ALL, cn: 'All Staff', sAMAccountName: 'All Staff', objectGUID: guidFor('g-all'), member: users.map((u) => u.dn) },
    { dn: GROUP_ENG, cn: 'Engineering', sAMAccountName: 'Engineering', objectGUID: guidFor('g-eng'), member: [GROUP_ENG_MID] },
    { dn: GROUP_ENG_MID, cn: 'Eng Platform', sAMAccountName: 'Eng Platform', objectGUID: guidFor('g-mid'), member: [GROUP_ENG_LEAF] },
    {
      dn: GROUP_ENG_LEAF,
      cn: 'Eng Platform SRE',
      sAMAccountName: 'Eng Platform SRE',
      objectGUID: guidFor('g-leaf'),
      member: users.slice(0, 10).map((u) => u.dn),
    },
  ];
  return { baseDn: BASE_DN, domain: 'example.test', bindDn: BIND_DN, bindPassword: BIND_PASSWORD, users, groups };
}
