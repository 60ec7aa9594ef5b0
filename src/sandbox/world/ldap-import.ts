import { readFileSync } from 'node:fs';
import { Client } from 'ldapts';
import type { SandboxDirectory, SandboxDirectoryGroup, SandboxDirectoryUser } from './directory.js';

/**
 * `--directory ldap[s]://…`: read a real directory once at start so the sandbox simulates ZIA and
 * Entra on top of real AD data. Read-only: a simple bind, two paged searches, unbind.
 */
export interface ImportDirectoryOptions {
  url: string;
  bindDn: string;
  password: string;
  /** Defaults to the RootDSE defaultNamingContext. */
  baseDn?: string;
  /** PEM CA that signed the directory's certificate (ldaps://). */
  caFile?: string;
  /** The migration's user filter (the config's directory.userFilter); default every person. */
  userFilter?: string;
  /** Only members of this group, nested membership included (the config's directory.groupDn). */
  groupDn?: string;
}

const SEARCH_TIME_LIMIT_S = 300;
export const DEFAULT_USER_FILTER = '(&(objectCategory=person)(objectClass=user))';
/** AD's LDAP_MATCHING_RULE_IN_CHAIN: membership through nested groups. */
const IN_CHAIN = '1.2.840.113556.1.4.1941';

/** RFC 4515 §3 escaping of an assertion value (non-ASCII stays UTF-8, which AD and Samba accept). */
function escapeFilterValue(v: string): string {
  return v.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The scope as `migrate` itself reads it: the user filter, AND-ed with nested group membership. */
export function scopeFilter(userFilter: string | undefined, groupDn: string | undefined): string {
  const f = (userFilter ?? DEFAULT_USER_FILTER).trim();
  const base = f.startsWith('(') ? f : `(${f})`;
  return groupDn ? `(&${base}(memberOf:${IN_CHAIN}:=${escapeFilterValue(groupDn)}))` : base;
}

const str = (v: unknown): string | undefined => {
  if (Array.isArray(v)) return str(v[0]);
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return typeof v === 'string' ? v : undefined;
};
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => str(x) ?? '') : v === undefined ? [] : [str(v) ?? '']).filter(Boolean);
const buf = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Array.isArray(v) && Buffer.isBuffer(v[0]) ? v[0] : Buffer.alloc(16));

export async function importDirectory(opts: ImportDirectoryOptions): Promise<SandboxDirectory> {
  const tlsOptions = opts.caFile ? { ca: [readFileSync(opts.caFile)] } : undefined;
  // ldapts asks the server for a 10 s time limit unless told otherwise; a nested-group (IN_CHAIN)
  // scope over a few thousand users takes longer than that on Samba. Same limit as the config default.
  const client = new Client({ url: opts.url, tlsOptions, timeout: (SEARCH_TIME_LIMIT_S + 60) * 1000 });
  try {
    await client.bind(opts.bindDn, opts.password);
    let baseDn = opts.baseDn;
    if (!baseDn) {
      const root = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['defaultNamingContext'] });
      baseDn = str(root.searchEntries[0]?.defaultNamingContext);
      if (!baseDn) throw new Error(`the directory at ${opts.url} does not publish defaultNamingContext: give the base DN`);
    }
    const users = await client.search(baseDn, {
      scope: 'sub',
      // Only the users in the migration's scope: ZIA's directory sync and Entra's app assignments
      // are built from this list, so out-of-scope users exist on neither simulated side.
      filter: scopeFilter(opts.userFilter, opts.groupDn),
      attributes: [
        'objectGUID',
        'sAMAccountName',
        'userPrincipalName',
        'mail',
        'displayName',
        'givenName',
        'sn',
        'department',
        'userAccountControl',
        'memberOf',
      ],
      explicitBufferAttributes: ['objectGUID'],
      paged: { pageSize: 500 },
      sizeLimit: 0,
      timeLimit: SEARCH_TIME_LIMIT_S,
    });
    const groups = await client.search(baseDn, {
      scope: 'sub',
      filter: '(objectClass=group)',
      attributes: ['objectGUID', 'cn', 'sAMAccountName', 'member'],
      explicitBufferAttributes: ['objectGUID'],
      paged: { pageSize: 500 },
      sizeLimit: 0,
      timeLimit: SEARCH_TIME_LIMIT_S,
    });
    const outUsers: SandboxDirectoryUser[] = [];
    for (const e of users.searchEntries) {
      const upn = str(e.userPrincipalName);
      if (!upn) continue; // no login name: ZIA could not sync it either
      const u: SandboxDirectoryUser = {
        dn: e.dn,
        objectGUID: buf(e.objectGUID),
        sAMAccountName: str(e.sAMAccountName) ?? '',
        userPrincipalName: upn,
        displayName: str(e.displayName) ?? upn,
        givenName: str(e.givenName) ?? '',
        sn: str(e.sn) ?? '',
        userAccountControl: Number(str(e.userAccountControl) ?? 512),
        memberOf: strs(e.memberOf),
      };
      const mail = str(e.mail);
      if (mail) u.mail = mail;
      const dept = str(e.department);
      if (dept) u.department = dept;
      outUsers.push(u);
    }
    const outGroups: SandboxDirectoryGroup[] = groups.searchEntries.map((e) => ({
      dn: e.dn,
      objectGUID: buf(e.objectGUID),
      cn: str(e.cn) ?? e.dn,
      sAMAccountName: str(e.sAMAccountName) ?? '',
      member: strs(e.member),
    }));
    const domain = baseDn
      .split(',')
      .filter((p) => /^dc=/i.test(p.trim()))
      .map((p) => p.trim().slice(3))
      .join('.');
    return { baseDn, domain, bindDn: opts.bindDn, bindPassword: opts.password, users: outUsers, groups: outGroups };
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
