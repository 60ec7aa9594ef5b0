import { FilterParser } from 'ldapts';
import { UserError } from '../../engine/errors.js';

/** The AD matching rule that walks nested group membership (LDAP_MATCHING_RULE_IN_CHAIN). */
export const MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';

/**
 * Escapes a value for use inside an LDAP filter assertion (RFC 4515 §3): `\`, `*`, `(`, `)` and
 * NUL become `\5c`, `\2a`, `\28`, `\29`, `\00`.
 *
 * Non-ASCII characters are left as UTF-8 by default: RFC 4515 allows UTF-8 in assertion values,
 * and ldapts 8's own filter parser turns each `\xx` escape into one code point before re-encoding
 * as UTF-8, so `\c3\a9` would reach the server as "Ã©" and match nothing (docs/vendor-facts.md
 * F37). `escapeNonAscii: true` writes every non-ASCII UTF-8 byte as `\xx`, for filters
 * handed to tools that decode escapes byte-wise (ldapsearch).
 */
export function escapeFilterValue(value: string, opts: { escapeNonAscii?: boolean } = {}): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || ch === '*' || ch === '(' || ch === ')' || code === 0) {
      out += `\\${code.toString(16).padStart(2, '0')}`;
    } else if (code > 0x7f && opts.escapeNonAscii) {
      for (const byte of Buffer.from(ch, 'utf8')) out += `\\${byte.toString(16).padStart(2, '0')}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** `(attribute=value)` with the value escaped. */
export function equalityFilter(attribute: string, value: string): string {
  assertAttributeName(attribute);
  return `(${attribute}=${escapeFilterValue(value)})`;
}

function assertAttributeName(attribute: string): void {
  // RFC 4512 attribute description: a name or OID, with optional ;options.
  if (!/^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)*)(;[A-Za-z0-9-]+)*$/.test(attribute)) {
    throw new UserError(`"${attribute}" is not a valid LDAP attribute name`);
  }
}

/**
 * Checks that a filter from configuration parses, and wraps a bare `attr=value` in parentheses.
 * Throws a UserError naming `where` (for example `directory.userFilter`).
 */
export function normalizeFilter(filter: string, where: string): string {
  const trimmed = filter.trim();
  const wrapped = trimmed.startsWith('(') ? trimmed : `(${trimmed})`;
  try {
    // ldapts's parser accepts some unbalanced input (for example a missing final ")"), so check
    // the structure first: in RFC 4515 every literal parenthesis inside a value is escaped (\28,
    // \29), so every raw one is structural and they must close exactly at the end.
    checkParentheses(wrapped);
    FilterParser.parseString(wrapped);
  } catch (err) {
    throw new UserError(`${where} is not a valid LDAP filter: ${(err as Error).message}`, {
      hint: 'write it as in RFC 4515, for example (&(objectCategory=person)(objectClass=user)); escape ( ) * \\ inside values as \\28 \\29 \\2a \\5c',
    });
  }
  return wrapped;
}

function checkParentheses(filter: string): void {
  let depth = 0;
  for (let i = 0; i < filter.length; i += 1) {
    const ch = filter[i];
    if (ch === '\\') {
      i += 2; // an escape is a backslash and two hex digits
    } else if (ch === '(') {
      depth += 1;
    } else if (ch === ')') {
      depth -= 1;
      if (depth === 0 && i !== filter.length - 1) throw new Error(`text after the filter's closing ")" at position ${i + 2}`);
    }
  }
  if (depth !== 0) throw new Error(`${depth} unclosed "("`);
}

/**
 * The scope filter: the user filter, AND-ed with nested membership of `groupDn` when given.
 * The group DN comes from configuration, so it is escaped (a CN may contain `(`, `)`, `*`, `\`).
 */
export function buildScopeFilter(userFilter: string, groupDn?: string): string {
  const base = normalizeFilter(userFilter, 'directory.userFilter');
  if (groupDn === undefined) return base;
  const chain = `(memberOf:${MATCHING_RULE_IN_CHAIN}:=${escapeFilterValue(groupDn)})`;
  return `(&${base}${chain})`;
}
