/**
 * Builds the LDAP view of a SandboxDirectory, shaped like Active Directory: users carry
 * objectClass top/person/organizationalPerson/user and objectCategory CN=Person,CN=Schema,…,
 * groups objectClass group; objectGUID stays 16 raw bytes (clients read it as
 * a Buffer: docs/vendor-facts.md F38, L1); memberOf on groups is derived from the member lists, as AD maintains it as a
 * back-link.
 *
 * Each entry keeps its attributes twice: as sent on the wire (canonical AD casing, raw values)
 * and as lower-cased comparison values for filter evaluation.
 */
import type { SandboxDirectory } from '../world/directory.js';
import { dnKey, firstRdnValue, parentKey } from './dn.js';

export interface LdapEntry {
  dn: string;
  key: string;
  parentKey: string;
  /** lower-case attribute name → { wire name, values } */
  attrs: Map<string, { name: string; values: Array<string | Buffer> }>;
  /** lower-case attribute name → comparison values (lower-case; DN values as dnKey) */
  match: Map<string, string[]>;
}

export interface LdapStore {
  baseDn: string;
  baseKey: string;
  /** Every entry in a stable order: domain root, containers, groups, users. */
  entries: LdapEntry[];
  byKey: Map<string, LdapEntry>;
  /** group key → keys of its direct members (users and groups) */
  membersOf: Map<string, string[]>;
  /** entry key → keys of the groups it is a direct member of */
  memberOfs: Map<string, string[]>;
}

/** Attributes whose values are DNs: compared with dnKey rather than plain lower-casing. */
const DN_VALUED = new Set(['distinguishedname', 'dn', 'member', 'memberof', 'objectcategory']);

function addAttr(entry: LdapEntry, name: string, values: Array<string | Buffer | number | undefined>): void {
  const present = values.filter((v): v is string | Buffer | number => v !== undefined && v !== '');
  if (present.length === 0) return;
  const wire = present.map((v) => (typeof v === 'number' ? String(v) : v));
  const lower = name.toLowerCase();
  entry.attrs.set(lower, { name, values: wire });
  entry.match.set(
    lower,
    wire.map((v) => {
      if (Buffer.isBuffer(v)) return v.toString('latin1');
      return DN_VALUED.has(lower) ? dnKey(v) : v.toLowerCase();
    }),
  );
}

function newEntry(dn: string): LdapEntry {
  const key = dnKey(dn);
  const entry: LdapEntry = { dn, key, parentKey: parentKey(key), attrs: new Map(), match: new Map() };
  addAttr(entry, 'distinguishedName', [dn]);
  return entry;
}

export function buildStore(directory: SandboxDirectory): LdapStore {
  const baseDn = directory.baseDn;
  const baseKey = dnKey(baseDn);
  const schema = `CN=Schema,CN=Configuration,${baseDn}`;
  const entries: LdapEntry[] = [];
  const byKey = new Map<string, LdapEntry>();
  const membersOf = new Map<string, string[]>();
  const memberOfs = new Map<string, string[]>();

  const root = newEntry(baseDn);
  addAttr(root, 'objectClass', ['top', 'domain', 'domainDNS']);
  addAttr(root, 'objectCategory', [`CN=Domain-DNS,${schema}`]);
  addAttr(root, 'name', [firstRdnValue(baseDn)]);
  entries.push(root);
  byKey.set(root.key, root);

  // Intermediate containers (CN=Users, OU=Staff, …) so base/one-level searches on them work.
  const ensureContainers = (dn: string): void => {
    const rdns: string[] = [];
    let rest = dnKey(dn);
    while (rest !== '' && rest !== baseKey) {
      rest = parentKey(rest);
      if (rest === '' || rest === baseKey || byKey.has(rest)) continue;
      rdns.push(rest);
    }
    for (const key of rdns.reverse()) {
      if (byKey.has(key)) continue;
      // Rebuild a display DN from the original spelling's tail of equal RDN count.
      const depth = key.split(/(?<!\\),/).length;
      const parts = dn.split(/(?<!\\),/);
      const display = parts.slice(parts.length - depth).join(',');
      const c = newEntry(display);
      const isOu = /^ou=/i.test(display);
      addAttr(c, 'objectClass', isOu ? ['top', 'organizationalUnit'] : ['top', 'container']);
      addAttr(c, isOu ? 'ou' : 'cn', [firstRdnValue(display)]);
      addAttr(c, 'name', [firstRdnValue(display)]);
      addAttr(c, 'objectCategory', [isOu ? `CN=Organizational-Unit,${schema}` : `CN=Container,${schema}`]);
      entries.push(c);
      byKey.set(c.key, c);
    }
  };

  // Group memberOf is AD's back-link of member: derive it.
  const groupParents = new Map<string, string[]>();
  for (const g of directory.groups) {
    const gKey = dnKey(g.dn);
    const members = g.member.map(dnKey);
    membersOf.set(gKey, members);
    for (const m of members) {
      const list = groupParents.get(m) ?? [];
      list.push(g.dn);
      groupParents.set(m, list);
    }
  }

  for (const g of directory.groups) {
    ensureContainers(g.dn);
    const e = newEntry(g.dn);
    addAttr(e, 'objectClass', ['top', 'group']);
    addAttr(e, 'objectCategory', [`CN=Group,${schema}`]);
    addAttr(e, 'cn', [g.cn]);
    addAttr(e, 'name', [g.cn]);
    addAttr(e, 'objectGUID', [g.objectGUID]);
    addAttr(e, 'sAMAccountName', [g.sAMAccountName]);
    // -2147483646 = global security group (ADS_GROUP_TYPE_GLOBAL_GROUP | SECURITY_ENABLED).
    addAttr(e, 'groupType', [-2147483646]);
    addAttr(e, 'member', g.member);
    const parents = groupParents.get(e.key) ?? [];
    addAttr(e, 'memberOf', parents);
    memberOfs.set(e.key, parents.map(dnKey));
    entries.push(e);
    byKey.set(e.key, e);
  }

  for (const u of directory.users) {
    ensureContainers(u.dn);
    const e = newEntry(u.dn);
    addAttr(e, 'objectClass', ['top', 'person', 'organizationalPerson', 'user']);
    addAttr(e, 'objectCategory', [`CN=Person,${schema}`]);
    addAttr(e, 'cn', [firstRdnValue(u.dn)]);
    addAttr(e, 'name', [firstRdnValue(u.dn)]);
    addAttr(e, 'objectGUID', [u.objectGUID]);
    addAttr(e, 'sAMAccountName', [u.sAMAccountName]);
    addAttr(e, 'userPrincipalName', [u.userPrincipalName]);
    addAttr(e, 'mail', [u.mail]);
    addAttr(e, 'displayName', [u.displayName]);
    addAttr(e, 'givenName', [u.givenName]);
    addAttr(e, 'sn', [u.sn]);
    addAttr(e, 'department', [u.department]);
    addAttr(e, 'userAccountControl', [u.userAccountControl]);
    // A user's memberOf is what the directory says, plus any group listing it as member.
    const fromGroups = groupParents.get(e.key) ?? [];
    const seen = new Set(u.memberOf.map(dnKey));
    const memberOf = [...u.memberOf, ...fromGroups.filter((dn) => !seen.has(dnKey(dn)))];
    addAttr(e, 'memberOf', memberOf);
    memberOfs.set(e.key, memberOf.map(dnKey));
    entries.push(e);
    byKey.set(e.key, e);
  }

  return { baseDn, baseKey, entries, byKey, membersOf, memberOfs };
}

/** Keys of every entry nested (transitively) inside group `groupKey`; cycles are tolerated. */
export function transitiveMembers(store: LdapStore, groupKey: string): Set<string> {
  const out = new Set<string>();
  const stack = [groupKey];
  const visited = new Set<string>();
  while (stack.length > 0) {
    const g = stack.pop() as string;
    if (visited.has(g)) continue;
    visited.add(g);
    for (const m of store.membersOf.get(g) ?? []) {
      out.add(m);
      if (store.membersOf.has(m)) stack.push(m);
    }
  }
  // Users that name the group in memberOf but are missing from its member list still count.
  for (const [entryKey, groups] of store.memberOfs) {
    if (!out.has(entryKey) && groups.some((g) => visited.has(g))) out.add(entryKey);
  }
  return out;
}

/** Keys of every group that contains `entryKey`, directly or through nesting. */
export function transitiveGroups(store: LdapStore, entryKey: string): Set<string> {
  const out = new Set<string>();
  const stack = [...(store.memberOfs.get(entryKey) ?? [])];
  while (stack.length > 0) {
    const g = stack.pop() as string;
    if (out.has(g)) continue;
    out.add(g);
    stack.push(...(store.memberOfs.get(g) ?? []));
  }
  return out;
}
