/**
 * Active Directory / LDAP client (ldapts 8): paged, TLS-first reads of the users in scope.
 * The implementation is split under ./ldap/: options (validation, transport), filter (RFC 4515
 * escaping, scope filter), guid, uac, entry (zod validation), errors (actionable messages), client.
 */
export { createDirectoryClient, type DirectoryClient } from './ldap/client.js';
export type { DirectoryClientOptions } from './ldap/options.js';
export type { DirectoryEntry } from './ldap/entry.js';
export { buildScopeFilter, equalityFilter, escapeFilterValue, MATCHING_RULE_IN_CHAIN } from './ldap/filter.js';
export { formatObjectGuid, isGuidString, parseObjectGuid } from './ldap/guid.js';
export { isDisabled, parseUac, uacFlags } from './ldap/uac.js';
export { describeLdapError } from './ldap/errors.js';
