import type { Config } from '../config/schema.js';

/**
 * What parity reads from each source. These are the clients' own validated outputs: each API
 * has ONE zod schema, in the client that validates its responses, and parity takes the types
 * derived from it. (A second, parity-side set of schemas used to drift from the clients'; the
 * reads had to be cast to fit, which hid that ZIA may send a department or group without a name.)
 */
export type { DirectoryEntry } from '../clients/ldap.js';
export type { ZiaListedUser as ZiaUser } from '../clients/zia.js';
export type { ScimListedUser as ScimUser, ScimListedGroup as ScimGroup } from '../clients/scim.js';

/** Which AD attribute feeds each compared identity field (config `directory.mapping`). */
export type DirectoryMapping = Config['directory']['mapping'];
export { DEFAULT_DIRECTORY_MAPPING } from '../config/schema.js';
