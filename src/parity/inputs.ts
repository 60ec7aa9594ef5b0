import { z } from 'zod';

/**
 * The plain records the source clients hand to parity. Declared here structurally (zod)
 * so parity never imports the clients: the lead wires client output to these shapes.
 * Unknown fields pass through untouched (APIs add fields; parity ignores them).
 */

/** One LDAP entry in the directory scope, as the LDAP client produces it. */
export const directoryEntrySchema = z
  .object({
    dn: z.string(),
    objectGUID: z.string(),
    sAMAccountName: z.string().optional(),
    userPrincipalName: z.string().optional(),
    mail: z.string().optional(),
    displayName: z.string().optional(),
    department: z.string().optional(),
    /** userAccountControl has ACCOUNTDISABLE (0x2) set. */
    disabled: z.boolean(),
    /** DNs of the groups the user is a direct member of. */
    memberOf: z.array(z.string()),
    /** Every attribute read, by LDAP name (any case). */
    attributes: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  })
  .loose();
export type DirectoryEntry = z.infer<typeof directoryEntrySchema>;

/** Which AD attribute feeds each compared identity field (config `directory.mapping`). */
export const directoryMappingSchema = z.object({
  userName: z.string().min(1),
  email: z.string().min(1),
  displayName: z.string().min(1),
  department: z.string().min(1),
});
export type DirectoryMapping = z.infer<typeof directoryMappingSchema>;

export const DEFAULT_DIRECTORY_MAPPING: DirectoryMapping = {
  userName: 'userPrincipalName',
  email: 'mail',
  displayName: 'displayName',
  department: 'department',
};

const idName = z.object({ id: z.number(), name: z.string() }).loose();

/**
 * A ZIA admin-API user (per zscaler-api.md §5: `id` int, `name`, `email` = the login name,
 * `department {id,name}`, `groups[] {id,name}`, `deleted`). The API documents no
 * enabled/disabled field, so none is declared here.
 */
export const ziaUserSchema = z
  .object({
    id: z.number(),
    /** Display name. */
    name: z.string(),
    /** The login name, user@domain (unique in the tenant). */
    email: z.string(),
    department: idName.optional(),
    groups: z.array(idName).optional(),
    deleted: z.boolean().optional(),
  })
  .loose();
export type ZiaUser = z.infer<typeof ziaUserSchema>;

export const SCIM_ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/**
 * A SCIM /Users resource as served by the ZIA SCIM service (zscaler-api.md §10: `userName`
 * = login name, `active` false = disabled, department both top-level and in the enterprise
 * extension). `active` arrives as a boolean or as the strings "True"/"false" (the ZPA
 * example returns "true"; Entra sends "False" in PATCH, idp-apis.md A7), so both are accepted.
 */
export const scimUserSchema = z
  .object({
    id: z.string(),
    userName: z.string(),
    externalId: z.string().optional(),
    active: z.union([z.boolean(), z.string()]).optional(),
    displayName: z.string().optional(),
    emails: z
      .array(z.object({ value: z.string(), primary: z.boolean().optional(), type: z.string().optional() }).loose())
      .optional(),
    department: z.string().optional(),
    [SCIM_ENTERPRISE_USER]: z.object({ department: z.string().optional() }).loose().optional(),
    groups: z.array(z.object({ value: z.string(), display: z.string().optional() }).loose()).optional(),
  })
  .loose();
export type ScimUser = z.infer<typeof scimUserSchema>;

/** A SCIM /Groups resource; membership may be known only from here (users without `groups`). */
export const scimGroupSchema = z
  .object({
    id: z.string(),
    displayName: z.string(),
    members: z.array(z.object({ value: z.string() }).loose()).optional(),
  })
  .loose();
export type ScimGroup = z.infer<typeof scimGroupSchema>;
