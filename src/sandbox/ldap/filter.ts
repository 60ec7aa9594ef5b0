/**
 * Evaluates an LDAP search filter (as decoded by ldapjs from BER) against a sandbox entry,
 * with Active Directory's matching semantics for the attributes we serve:
 * - attribute names and string values compare case-insensitively;
 * - DN-valued attributes (member, memberOf, objectCategory, distinguishedName) compare by
 *   canonical DN, and `objectCategory=person` matches the schema DN CN=Person,… (AD shorthand);
 * - LDAP_MATCHING_RULE_IN_CHAIN 1.2.840.113556.1.4.1941 is transitive over nested groups
 *   (docs/vendor-facts.md L3, F41: `memberOf:…1941:=<group>` for users of a group, `member:…1941:=<user>`
 *   for the groups of a user);
 * - bitwise AND/OR rules 1.2.840.113556.1.4.803/804 (e.g. disabled users,
 *   `userAccountControl:1.2.840.113556.1.4.803:=2`).
 */
import type { LdapFilterNode } from './ldapjs-shim.js';
import { dnKey } from './dn.js';
import { transitiveGroups, transitiveMembers, type LdapEntry, type LdapStore } from './entries.js';

export const RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';
const RULE_BIT_AND = '1.2.840.113556.1.4.803';
const RULE_BIT_OR = '1.2.840.113556.1.4.804';
const DN_VALUED = new Set(['distinguishedname', 'member', 'memberof', 'objectcategory']);

/** Per-search evaluation context: caches transitive closures so each is computed once. */
export class FilterContext {
  private readonly chainMembers = new Map<string, Set<string>>();
  private readonly chainGroups = new Map<string, Set<string>>();

  constructor(private readonly store: LdapStore) {}

  membersInChain(groupKey: string): Set<string> {
    let set = this.chainMembers.get(groupKey);
    if (!set) {
      set = transitiveMembers(this.store, groupKey);
      this.chainMembers.set(groupKey, set);
    }
    return set;
  }

  groupsInChain(entryKey: string): Set<string> {
    let set = this.chainGroups.get(entryKey);
    if (!set) {
      set = transitiveGroups(this.store, entryKey);
      this.chainGroups.set(entryKey, set);
    }
    return set;
  }
}

function asText(v: string | Buffer | undefined): string {
  if (v === undefined) return '';
  return Buffer.isBuffer(v) ? v.toString('utf8') : v;
}

/** Reads a BER length at `pos`: [length, offset of the content]. */
function berLength(buf: Buffer, pos: number): [number, number] {
  const first = buf[pos] ?? 0;
  if (first < 0x80) return [first, pos + 1];
  const n = first & 0x7f;
  let len = 0;
  for (let i = 1; i <= n; i++) len = len * 256 + (buf[pos + i] ?? 0);
  return [len, pos + 1 + n];
}

/**
 * The exact assertion bytes of an equality filter. ldapjs's `value` getter UTF-8-decodes
 * them, which is lossy for binary values such as objectGUID, so read them back from the
 * filter's own BER encoding: [3] { attributeDesc OCTET STRING, assertionValue OCTET STRING }.
 */
function rawAssertion(filter: LdapFilterNode): Buffer | null {
  if (typeof filter.toBer !== 'function') return null;
  const buf = filter.toBer().buffer;
  const [, content] = berLength(buf, 1);
  const [attrLen, attrStart] = berLength(buf, content + 1);
  const valuePos = attrStart + attrLen;
  const [valueLen, valueStart] = berLength(buf, valuePos + 1);
  return buf.subarray(valueStart, valueStart + valueLen);
}

function normalise(attr: string, value: string): string {
  return DN_VALUED.has(attr) ? dnKey(value) : value.toLowerCase();
}

function equalityMatches(entry: LdapEntry, attr: string, raw: string, bytes?: Buffer | null): boolean {
  const values = entry.match.get(attr);
  if (!values) return false;
  if (attr === 'objectcategory' && !raw.includes('=')) {
    // AD accepts the class's lDAPDisplayName: (objectCategory=person) → CN=Person,CN=Schema,…
    const prefix = `cn=${raw.toLowerCase()},`;
    return values.some((v) => v.startsWith(prefix));
  }
  if (attr === 'objectguid') {
    const wanted = (bytes ?? Buffer.from(raw, 'utf8')).toString('latin1');
    return values.includes(wanted);
  }
  const wanted = normalise(attr, raw);
  return values.includes(wanted);
}

function substringMatches(value: string, initial: string, any: string[], final: string): boolean {
  let pos = 0;
  if (initial !== '') {
    if (!value.startsWith(initial)) return false;
    pos = initial.length;
  }
  for (const part of any) {
    if (part === '') continue;
    const at = value.indexOf(part, pos);
    if (at < 0) return false;
    pos = at + part.length;
  }
  if (final !== '') {
    return value.length - final.length >= pos && value.endsWith(final);
  }
  return true;
}

function compareOrdered(entry: LdapEntry, attr: string, raw: string, ge: boolean): boolean {
  const values = entry.match.get(attr) ?? [];
  const wanted = raw.toLowerCase();
  return values.some((v) => {
    const a = Number(v);
    const b = Number(wanted);
    if (v !== '' && wanted !== '' && Number.isFinite(a) && Number.isFinite(b)) return ge ? a >= b : a <= b;
    return ge ? v >= wanted : v <= wanted;
  });
}

function bitwise(entry: LdapEntry, attr: string, raw: string, all: boolean): boolean {
  const mask = BigInt.asUintN(32, BigInt(Number.parseInt(raw, 10) || 0));
  return (entry.match.get(attr) ?? []).some((v) => {
    const n = BigInt.asUintN(32, BigInt(Number.parseInt(v, 10) || 0));
    return all ? (n & mask) === mask : (n & mask) !== 0n;
  });
}

export function matchesFilter(filter: LdapFilterNode, entry: LdapEntry, ctx: FilterContext): boolean {
  switch (filter.type) {
    case 'AndFilter':
      return (filter.filters ?? []).every((f) => matchesFilter(f, entry, ctx));
    case 'OrFilter':
      return (filter.filters ?? []).some((f) => matchesFilter(f, entry, ctx));
    case 'NotFilter':
      return filter.filter ? !matchesFilter(filter.filter, entry, ctx) : false;
    case 'PresenceFilter': {
      const attr = (filter.attribute ?? '').toLowerCase();
      return attr === 'objectclass' || entry.match.has(attr);
    }
    case 'EqualityFilter':
    case 'ApproximateFilter': {
      const attr = (filter.attribute ?? '').toLowerCase();
      return equalityMatches(entry, attr, asText(filter.value), attr === 'objectguid' ? rawAssertion(filter) : null);
    }
    case 'SubstringFilter': {
      const attr = (filter.attribute ?? '').toLowerCase();
      const lc = (s: string | undefined): string => (s ?? '').toLowerCase();
      return (entry.match.get(attr) ?? []).some((v) => substringMatches(v, lc(filter.initial), (filter.any ?? []).map(lc), lc(filter.final)));
    }
    case 'GreaterThanEqualsFilter':
      return compareOrdered(entry, (filter.attribute ?? '').toLowerCase(), asText(filter.value), true);
    case 'LessThanEqualsFilter':
      return compareOrdered(entry, (filter.attribute ?? '').toLowerCase(), asText(filter.value), false);
    case 'ExtensibleFilter': {
      const attr = (filter.matchType ?? filter.attribute ?? '').toLowerCase();
      const rule = filter.matchingRule ?? '';
      const value = filter.matchValue ?? asText(filter.value);
      if (rule === RULE_IN_CHAIN) {
        if (attr === 'memberof') return ctx.membersInChain(dnKey(value)).has(entry.key);
        if (attr === 'member') return ctx.groupsInChain(dnKey(value)).has(entry.key);
        return false;
      }
      if (rule === RULE_BIT_AND) return bitwise(entry, attr, value, true);
      if (rule === RULE_BIT_OR) return bitwise(entry, attr, value, false);
      if (rule === '') return equalityMatches(entry, attr, value);
      return false; // unknown matching rule: matches nothing (AD: Undefined)
    }
    default:
      return false;
  }
}
