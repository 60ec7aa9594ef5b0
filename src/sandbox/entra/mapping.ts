/**
 * The attribute mapping the simulated provisioning engine applies to users: a value (the state's
 * `userMapping`), so a test can change it the way an admin edits Attribute Mappings. The default
 * follows the Zscaler gallery app tutorial's table (docs/vendor-facts.md G7): userName (matching),
 * externalId, active, name.givenName, name.familyName, displayName, the enterprise department;
 * no emails. Source attributes are Entra's usual ones for a gallery SCIM app (inferred).
 */
import { SCHEMA_ENTERPRISE } from './scim-client.js';
import type { EntraUser } from './tenant.js';

export type EntraSource = 'userPrincipalName' | 'objectId' | 'accountEnabled' | 'displayName' | 'givenName' | 'surname' | 'department' | 'mail';

export interface AttributeMapping {
  /** The source attribute (for an expression: the one it reads, shown as the source's name). */
  source: EntraSource;
  /**
   * An expression mapping: its text as Graph reports it, and what it gives, written by hand for each
   * variant below (never by evaluating the text, so the product's forecast is checked against an
   * independent reading of the same mapping).
   */
  expression?: { text: string; value: (user: EntraUser) => string | null };
  /** SCIM attribute path as Entra writes it in PATCH (`name.givenName`, `emails[type eq "work"].value`, `<urn>:department`). */
  target: string;
  /** The attribute Entra filters the target on to find an existing user. */
  matching?: boolean;
}

export const DEPARTMENT_TARGET = `${SCHEMA_ENTERPRISE}:department`;
export const WORK_EMAIL_TARGET = 'emails[type eq "work"].value';

export const ZSCALER_USER_MAPPING: readonly AttributeMapping[] = Object.freeze([
  { source: 'userPrincipalName', target: 'userName', matching: true },
  { source: 'objectId', target: 'externalId' },
  { source: 'accountEnabled', target: 'active' },
  { source: 'givenName', target: 'name.givenName' },
  { source: 'surname', target: 'name.familyName' },
  { source: 'displayName', target: 'displayName' },
  { source: 'department', target: DEPARTMENT_TARGET },
]);

/** The value a mapping gives for a user: its expression's, else its source attribute's. */
export function mappedValue(user: EntraUser, m: AttributeMapping): string | boolean | null {
  return m.expression ? m.expression.value(user) : sourceValue(user, m.source);
}

/** The mappings an administrator may have made of userName (variant `entra-user-mapping`). */
export type UserMappingVariant = 'upn' | 'mail' | 'suffix-rewrite' | 'expression';

/** The second domain of the sandbox tenant: a suffix rewrite moves users to it (registered with ZIA, see startSandbox). */
export const rewrittenDomain = (domain: string): string => `corp.${domain}`;

export function userMappingVariant(variant: UserMappingVariant, domain: string): readonly AttributeMapping[] {
  const withUserName = (m: AttributeMapping): AttributeMapping[] => ZSCALER_USER_MAPPING.map((x) => (x.target === 'userName' ? m : x));
  const suffix = `@${domain}`;
  switch (variant) {
    case 'upn':
      return ZSCALER_USER_MAPPING;
    case 'mail':
      return withUserName({ source: 'mail', target: 'userName', matching: true });
    case 'suffix-rewrite':
      return withUserName({
        source: 'userPrincipalName',
        target: 'userName',
        matching: true,
        expression: {
          text: `Replace([userPrincipalName], "${suffix}", , , "@${rewrittenDomain(domain)}", , )`,
          value: (u) =>
            u.userPrincipalName.endsWith(suffix) ? `${u.userPrincipalName.slice(0, -suffix.length)}@${rewrittenDomain(domain)}` : u.userPrincipalName,
        },
      });
    case 'expression':
      // The local part, lower-cased, joined to the domain again; the externalId as the object id with a prefix.
      return withUserName({
        source: 'userPrincipalName',
        target: 'userName',
        matching: true,
        expression: {
          text: `ToLower(Join("@", Replace([userPrincipalName], "${suffix}", , , "", , ), "${domain}"), )`,
          value: (u) => `${u.userPrincipalName.endsWith(suffix) ? u.userPrincipalName.slice(0, -suffix.length) : u.userPrincipalName}@${domain}`.toLowerCase(),
        },
      }).map((x) => (x.target === 'externalId' ? { ...x, expression: { text: 'Append("aad-", [objectId])', value: (u: EntraUser) => `aad-${u.id}` } } : x));
  }
}

function sourceValue(user: EntraUser, source: EntraSource): string | boolean | null {
  switch (source) {
    case 'objectId':
      return user.id;
    case 'userPrincipalName':
      return user.userPrincipalName;
    case 'accountEnabled':
      return user.accountEnabled;
    case 'displayName':
      return user.displayName;
    case 'givenName':
      return user.givenName;
    case 'surname':
      return user.surname;
    case 'department':
      return user.department;
    case 'mail':
      return user.mail;
  }
}

/** The value a SCIM resource holds at one of the mapping's target paths. */
export function targetValue(resource: Record<string, unknown>, target: string): unknown {
  if (target === WORK_EMAIL_TARGET) {
    const emails = Array.isArray(resource.emails) ? (resource.emails as Array<{ type?: string; value?: string }>) : [];
    return (emails.find((e) => e.type === 'work') ?? emails[0])?.value;
  }
  const urn = /^(urn:.+):([^:]+)$/.exec(target);
  if (urn) return (resource[urn[1] as string] as Record<string, unknown> | undefined)?.[urn[2] as string];
  let cur: unknown = resource;
  for (const part of target.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
  return cur;
}

/** Sets a target path on a resource being built for POST. */
export function setTarget(resource: Record<string, unknown>, target: string, value: unknown): void {
  if (target === WORK_EMAIL_TARGET) {
    resource.emails = [{ primary: true, type: 'work', value }];
    return;
  }
  const urn = /^(urn:.+):([^:]+)$/.exec(target);
  if (urn) {
    resource[urn[1] as string] = { ...(resource[urn[1] as string] as object | undefined), [urn[2] as string]: value };
    return;
  }
  const parts = target.split('.');
  let cur = resource;
  for (const part of parts.slice(0, -1)) cur = (cur[part] ??= {}) as Record<string, unknown>;
  cur[parts.at(-1) as string] = value;
}
