import { z } from 'zod';
import type { GroupFields, UserFields, ZiaGroupRecord, ZiaTenant, ZiaUserRecord } from '../world/tenant.js';

/** SCIM representations of the tenant's users and groups (RFC 7643 §4; ZIA's attribute mapping, docs/vendor-facts.md F24). */
export const SCHEMA_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCHEMA_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const SCHEMA_ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const SCHEMA_LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SCHEMA_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCHEMA_PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SCHEMA_SPC = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const SCHEMA_RESOURCE_TYPE = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

const iso = (ms: number) => new Date(ms).toISOString();

export function userToScim(tenant: ZiaTenant, u: ZiaUserRecord, base: string): Record<string, unknown> {
  const dept = u.departmentId === undefined ? undefined : tenant.departmentsById.get(u.departmentId)?.name;
  const out: Record<string, unknown> = {
    schemas: [SCHEMA_USER, SCHEMA_ENTERPRISE],
    id: tenant.scimUserId(u.id),
    userName: u.userName,
    name: { ...(u.givenName !== undefined ? { givenName: u.givenName } : {}), ...(u.familyName !== undefined ? { familyName: u.familyName } : {}) },
    displayName: u.displayName,
    active: u.active,
    emails: u.mail === undefined ? [] : [{ value: u.mail, type: 'work', primary: true }],
    groups: u.groupIds.flatMap((gid) => {
      const g = tenant.groups.get(gid);
      return g && g.scim?.idpId === u.scim?.idpId ? [{ value: tenant.scimGroupId(g.id), display: g.name }] : [];
    }),
    meta: { resourceType: 'User', created: iso(u.created), lastModified: iso(u.lastModified), location: `${base}/Users/${tenant.scimUserId(u.id)}` },
  };
  if (u.scim?.externalId !== undefined) out.externalId = u.scim.externalId;
  // docs/vendor-facts.md F27: the example response carries department top-level and in the enterprise extension.
  if (dept !== undefined) {
    out.department = dept;
    out[SCHEMA_ENTERPRISE] = { department: dept };
  }
  return out;
}

export function groupToScim(g: ZiaGroupRecord, base: string, tenant: ZiaTenant, withMembers = true): Record<string, unknown> {
  const out: Record<string, unknown> = {
    schemas: [SCHEMA_GROUP],
    id: tenant.scimGroupId(g.id),
    displayName: g.name,
    meta: { resourceType: 'Group', created: iso(g.created), lastModified: iso(g.lastModified), location: `${base}/Groups/${tenant.scimGroupId(g.id)}` },
  };
  if (g.scim?.externalId !== undefined) out.externalId = g.scim.externalId;
  if (withMembers) {
    out.members = [...g.memberIds].map((uid) => {
      const id = tenant.scimUserId(uid);
      return { value: id, display: tenant.users.get(uid)?.displayName ?? '', $ref: `${base}/Users/${id}` };
    });
  }
  return out;
}

const boolish = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i)
    .transform((s) => s.toLowerCase() === 'true'),
]);

export const scimUserInputSchema = z
  .object({
    userName: z.string().min(1),
    externalId: z.string().optional().nullable(),
    displayName: z.string().optional().nullable(),
    name: z.object({ givenName: z.string().optional().nullable(), familyName: z.string().optional().nullable() }).passthrough().optional().nullable(),
    active: boolish.optional(),
    emails: z
      .array(z.object({ value: z.string(), type: z.string().optional(), primary: boolish.optional() }).passthrough())
      .optional()
      .nullable(),
    department: z.string().optional().nullable(),
    [SCHEMA_ENTERPRISE]: z.object({ department: z.string().optional().nullable() }).passthrough().optional().nullable(),
  })
  .passthrough();

export function userFieldsFrom(json: unknown): { ok: true; fields: UserFields } | { ok: false; detail: string } {
  const p = scimUserInputSchema.safeParse(json);
  if (!p.success) return { ok: false, detail: p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
  const d = p.data;
  // docs/vendor-facts.md F24: userName must be user@domain.
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(d.userName)) return { ok: false, detail: `userName "${d.userName}" must have the form user@domain` };
  const f: UserFields = { userName: d.userName };
  if (d.externalId) f.externalId = d.externalId;
  if (d.displayName) f.displayName = d.displayName;
  if (d.name?.givenName) f.givenName = d.name.givenName;
  if (d.name?.familyName) f.familyName = d.name.familyName;
  if (d.active !== undefined) f.active = d.active;
  const emails = d.emails ?? [];
  const mail = emails.find((e) => e.primary === true) ?? emails.find((e) => e.type?.toLowerCase() === 'work') ?? emails[0];
  if (mail) f.mail = mail.value;
  const dept = d[SCHEMA_ENTERPRISE]?.department ?? d.department;
  if (dept) f.department = dept;
  return { ok: true, fields: f };
}

export const scimGroupInputSchema = z
  .object({
    displayName: z.string().min(1),
    externalId: z.string().optional().nullable(),
    members: z
      .array(z.object({ value: z.string().min(1) }).passthrough())
      .optional()
      .nullable(),
  })
  .passthrough();

/** `userIdFor` turns a member's SCIM id back into the tenant's user id (undefined: not one of ours). */
export function groupFieldsFrom(
  json: unknown,
  userIdFor: (scimId: string) => number | undefined,
): { ok: true; fields: GroupFields } | { ok: false; detail: string } {
  const p = scimGroupInputSchema.safeParse(json);
  if (!p.success) return { ok: false, detail: p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') };
  const f: GroupFields = { displayName: p.data.displayName };
  if (p.data.externalId) f.externalId = p.data.externalId;
  if (p.data.members) {
    const ids: number[] = [];
    for (const m of p.data.members) {
      const id = userIdFor(m.value);
      if (id === undefined) return { ok: false, detail: `member value "${m.value}" is not a user id of this service` };
      ids.push(id);
    }
    f.members = ids;
  }
  return { ok: true, fields: f };
}

/** Discovery documents (RFC 7643 §5–§7), abbreviated to the attributes the service supports. */
export function serviceProviderConfig(base: string, pageCap: number): Record<string, unknown> {
  return {
    schemas: [SCHEMA_SPC],
    documentationUri: 'https://help.zscaler.com/zia/understanding-scim',
    patch: { supported: true },
    // ZIA documents /Bulk (docs/vendor-facts.md F24); the sandbox does not simulate it and says so here.
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: pageCap },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'The bearer token shown in Edit IdP', primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string): Record<string, unknown>[] {
  return [
    {
      schemas: [SCHEMA_RESOURCE_TYPE],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      schema: SCHEMA_USER,
      schemaExtensions: [{ schema: SCHEMA_ENTERPRISE, required: false }],
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` },
    },
    {
      schemas: [SCHEMA_RESOURCE_TYPE],
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      schema: SCHEMA_GROUP,
      meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` },
    },
  ];
}

const attr = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

export function schemas(base: string): Record<string, unknown>[] {
  return [
    {
      schemas: [SCHEMA_SCHEMA],
      id: SCHEMA_USER,
      name: 'User',
      attributes: [
        attr('userName', 'string', { required: true, uniqueness: 'server' }),
        attr('name', 'complex', { subAttributes: [attr('givenName', 'string'), attr('familyName', 'string')] }),
        attr('displayName', 'string'),
        attr('active', 'boolean'),
        attr('emails', 'complex', { multiValued: true, subAttributes: [attr('value', 'string'), attr('type', 'string'), attr('primary', 'boolean')] }),
        attr('groups', 'complex', { multiValued: true, mutability: 'readOnly', subAttributes: [attr('value', 'string'), attr('display', 'string')] }),
        attr('externalId', 'string', { caseExact: true }),
      ],
      meta: { resourceType: 'Schema', location: `${base}/Schemas/${SCHEMA_USER}` },
    },
    {
      schemas: [SCHEMA_SCHEMA],
      id: SCHEMA_ENTERPRISE,
      name: 'EnterpriseUser',
      attributes: [attr('department', 'string')],
      meta: { resourceType: 'Schema', location: `${base}/Schemas/${SCHEMA_ENTERPRISE}` },
    },
    {
      schemas: [SCHEMA_SCHEMA],
      id: SCHEMA_GROUP,
      name: 'Group',
      attributes: [
        attr('displayName', 'string', { required: true, uniqueness: 'server' }),
        attr('members', 'complex', { multiValued: true, subAttributes: [attr('value', 'string'), attr('display', 'string')] }),
        attr('externalId', 'string', { caseExact: true }),
      ],
      meta: { resourceType: 'Schema', location: `${base}/Schemas/${SCHEMA_GROUP}` },
    },
  ];
}
