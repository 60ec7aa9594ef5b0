import { z } from 'zod';
import { clipValue } from '../engine/errors.js';
import { dnProblem } from './dn.js';
import { idpConfigSchema } from '../idps/index.js';
import {
  OWN_CONFIG_PRODUCTS,
  otherSections,
  productKindSchema,
  productSectionIssues,
  productSections,
  unknownProductMessage,
  type ProductKind,
  type ScimProductKind,
} from '../products/index.js';
import { secretRef, webUrl } from './fields.js';

/**
 * The migration configuration: one YAML or JSON file (`--config`). Secrets are references
 * (`<name>Env` or `<name>File`, src/config/fields.ts); the `idp` section is composed from the
 * IdP modules' own schemas (src/idps/index.ts), the product sections (`zia`, `zpa`) from the
 * products' (src/products/index.ts).
 */

/** ldaps://host[:port] or ldap://host[:port]; nothing after the host (the DN goes in baseDn). */
function ldapUrlProblem(v: string): string | undefined {
  const shown = `"${clipValue(v)}"`;
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'ldap:' && u.protocol !== 'ldaps:'))
    return `must be an ldap:// or ldaps:// URL (for example ldaps://dc1.example.com:636), got ${shown}`;
  if (!u.hostname) return `must name the domain controller, got ${shown}`;
  if ((u.pathname !== '' && u.pathname !== '/') || u.search || u.hash) {
    return `must be only ldaps://host[:port], got ${shown}: put the DN in directory.baseDn (and the filter in userFilter)`;
  }
  if (u.username || u.password) return 'must not contain a user name or password: use bindDn and passwordEnv/passwordFile';
  return undefined;
}

const DN_EXAMPLE = 'write it like OU=Staff,DC=example,DC=com (RFC 4514; escape , + = " \\ < > ; with a backslash)';

/** A distinguished name (RFC 4514), checked when the configuration is read rather than when the directory rejects it. */
function distinguishedName() {
  return z.string().superRefine((v, ctx) => {
    const problem = dnProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: `"${clipValue(v)}" is not a distinguished name: ${problem}; ${DN_EXAMPLE}` });
  });
}

/** The bind account: a DN, or the user principal name / DOMAIN\\user forms Active Directory accepts. */
const bindName = z.string().superRefine((v, ctx) => {
  const looksLikeDn = v.includes('=');
  if (!looksLikeDn && (/^[^@\s\\]+@[^@\s]+$/.test(v) || /^[^\\\s]+\\[^\\]+$/.test(v))) return; // UPN or DOMAIN\user
  const problem = looksLikeDn ? dnProblem(v) : 'it has no "=" (and is not user@domain or DOMAIN\\user either)';
  if (problem) {
    ctx.addIssue({
      code: 'custom',
      message: `"${clipValue(v)}" is not a bind name: ${problem}; give a DN (CN=svc-migrate,OU=Service Accounts,DC=example,DC=com), a UPN (svc-migrate@example.com) or DOMAIN\\user`,
    });
  }
});

const password = secretRef('password');
const scimToken = secretRef('token', { optional: true });

export const scimConfigSchema = z
  .object({
    /** The Base URL shown in Edit IdP after Enable SCIM Provisioning. Optional: the operator can paste it when asked. */
    baseUrl: webUrl('the SCIM Base URL').optional(),
    ...scimToken.shape,
    /**
     * Users per SCIM page when reading. Sources disagree (docs/vendor-facts.md F26): the ZIA doc says up to 1,000,
     * the Go SDK uses 100; 100 is the safe default, 1000 reads a large tenant ten times faster.
     */
    pageSize: z.number().int().min(1).max(1000).default(100),
  })
  .strict()
  .superRefine((v, ctx) => scimToken.check(v, ctx));

/** Which AD attribute feeds each identity field parity compares, unless the configuration says otherwise. */
export const DEFAULT_DIRECTORY_MAPPING = {
  userName: 'userPrincipalName',
  email: 'mail',
  displayName: 'displayName',
  department: 'department',
} as const;

export const directoryConfigSchema = z
  .object({
    /** ldaps://host:636 or ldap://host:389 (StartTLS is used on ldap:// unless insecure is set). */
    url: z.string().superRefine((v, ctx) => {
      const problem = ldapUrlProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    bindDn: bindName,
    ...password.shape,
    /** PEM file with the CA that signed the domain controller's certificate. */
    caFile: z.string().min(1).optional(),
    /** Upgrade ldap:// with StartTLS. Default true. */
    startTls: z.boolean().default(true),
    /** Allow plain ldap:// without TLS (lab only). */
    insecure: z.boolean().default(false),
    baseDn: distinguishedName(),
    /** LDAP filter selecting the users in scope (combined with groupDn when both are set). */
    userFilter: z.string().min(1).default('(&(objectCategory=person)(objectClass=user))'),
    /** Only users that are members of this group, directly or through nested groups. */
    groupDn: distinguishedName().optional(),
    /** Users per LDAP page (AD MaxPageSize 1000). 250 keeps a 100k-user read's memory low (clients/ldap/options.ts). */
    pageSize: z.number().int().min(1).max(1000).default(250),
    timeLimitSeconds: z.number().int().positive().default(300),
    /** Which AD attribute feeds each identity field compared by parity. */
    mapping: z
      .object({
        userName: z.string().min(1).default(DEFAULT_DIRECTORY_MAPPING.userName),
        email: z.string().min(1).default(DEFAULT_DIRECTORY_MAPPING.email),
        displayName: z.string().min(1).default(DEFAULT_DIRECTORY_MAPPING.displayName),
        department: z.string().min(1).default(DEFAULT_DIRECTORY_MAPPING.department),
      })
      .strict()
      .default(() => ({ ...DEFAULT_DIRECTORY_MAPPING })),
  })
  .strict()
  .superRefine((v, ctx) => password.check(v, ctx));

const threshold = z.number().int().min(0);

export const parityConfigSchema = z
  .object({
    /** The identity field users are matched on, case-insensitively. */
    key: z.enum(['userName', 'email']).default('userName'),
    /** The field used to detect the same person under two keys. */
    secondaryKey: z.enum(['userName', 'email']).default('email'),
    thresholds: z
      .object({
        missing: threshold.default(0),
        extra: threshold.default(0),
        duplicates: threshold.default(0),
        drift: threshold.default(0),
      })
      .strict()
      .default({ missing: 0, extra: 0, duplicates: 0, drift: 0 }),
  })
  .strict()
  .default({ key: 'userName', secondaryKey: 'email', thresholds: { missing: 0, extra: 0, duplicates: 0, drift: 0 } });

export const guardsConfigSchema = z
  .object({
    /** Users a plan may delete before the run stops. */
    maxDeletions: threshold.default(0),
    /** Percentage of in-scope users a plan may disable before the run stops. */
    maxDisablePercent: z.number().min(0).max(100).default(2),
    /** How old the last directory sync may be before preflight complains. */
    maxSyncAgeHours: z.number().positive().default(24),
    /**
     * What the groups forecast assumes ZIA SCIM does with a group or department value named like a
     * directory-synced one (not documented by Zscaler): take it over (`by-name`) or create a second
     * one (`new-group`, which blocks the flip for every same-named group). Checked after the cycle either way.
     */
    groupAdoption: z.enum(['by-name', 'new-group']).default('by-name'),
    /**
     * The directory scope (baseDn, userFilter, groupDn) must hold at least this percentage of
     * ZIA's users, in preflight and in verify; fewer means a mistyped scope, which a comparison
     * would report as mass "missing"/"extra". 0 turns the ratio off; an empty scope is always refused.
     */
    minScopePercent: z.number().min(0).max(100).default(50),
    /**
     * Users the IdP's adoption forecast may predict as created a second time (its userName matches no
     * ZIA login name) before the flip is blocked; users it cannot forecast count too.
     */
    maxForecastDuplicates: threshold.default(0),
    /**
     * Entra ID: the migration sets the provisioning job's accidental-deletion threshold from the two
     * limits above; rollback puts the previous value back unless this is true (then the stricter value stays).
     */
    keepEntraDeleteThreshold: z.boolean().default(false),
  })
  .strict()
  .default({
    maxDeletions: 0,
    maxDisablePercent: 2,
    maxSyncAgeHours: 24,
    minScopePercent: 50,
    groupAdoption: 'by-name',
    maxForecastDuplicates: 0,
    keepEntraDeleteThreshold: false,
  });

export const operatorConfigSchema = z
  .discriminatedUnion('kind', [
    /** A person follows the printed instructions and answers the prompts. */
    z.object({ kind: z.literal('person') }).strict(),
    /** The sandbox's scripted operator clicks the portal-only buttons (sandbox rehearsals and tests). */
    z
      .object({ kind: z.literal('sandbox'), portalUrl: webUrl('the sandbox portal URL'), zpaPortalUrl: webUrl('the ZPA sandbox portal URL').optional() })
      .strict(),
  ])
  .default({ kind: 'person' });

export const configSchema = z
  .object({
    version: z.literal(1),
    /** The product migrated (src/products/index.ts); its own section is required. Absent: zia. */
    product: productKindSchema.default('zia'),
    ...productSections,
    ...otherSections(Object.keys(productSections)),
    scim: scimConfigSchema.default({ pageSize: 100 }),
    idp: idpConfigSchema,
    directory: directoryConfigSchema,
    parity: parityConfigSchema,
    guards: guardsConfigSchema,
    operator: operatorConfigSchema,
    /** Opt-in JSON-lines audit log of every API call (no bodies, no secrets). */
    auditLog: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    for (const issue of productSectionIssues(v)) ctx.addIssue({ code: 'custom', ...issue });
  });

export type Config = z.infer<typeof configSchema>;

/** The kinds of products with a configuration of their own (src/products ProductModule.configKeys). */
type OwnConfigKind = Exclude<ProductKind, ScimProductKind>;

/**
 * A configuration of a product with its own keys: version, its `product:`, its section, and its keys;
 * another product's section is refused with a sentence, as in the directory migration's.
 */
const ownConfigSchemas = OWN_CONFIG_PRODUCTS.map((m) =>
  z
    .object({
      version: z.literal(1),
      product: z.literal(m.kind),
      ...otherSections([m.kind]),
      [m.kind]: m.configSchema.optional(),
      ...m.configKeys,
    })
    .strict()
    .superRefine((v, ctx) => {
      for (const issue of productSectionIssues(v as never)) ctx.addIssue({ code: 'custom', ...issue });
    }),
);

/** `product:` absent is ZIA (configurations written before ZPA), so the union can pick by it. */
const withDefaultProduct = (raw: unknown) =>
  raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !('product' in raw) ? { ...raw, product: 'zia' } : raw;

/**
 * The configuration file of any registered product, by `product:` (src/products/index.ts): ZIA and
 * ZPA share `configSchema`; a product with its own keys (inSync) has its own. The one schema the CLI reads.
 */
export const anyConfigSchema = z.preprocess(
  withDefaultProduct,
  z.discriminatedUnion('product', [configSchema, ...ownConfigSchemas], {
    error: (iss) => (iss.code === 'invalid_union' ? unknownProductMessage((iss.input as { product?: unknown } | undefined)?.product) : undefined),
  }),
);

/** A configuration of any product: the directory migration's (`Config`), or one a product reads with its own keys. */
export type AnyConfig = Config | ({ version: 1; product: OwnConfigKind } & Record<string, unknown>);

/** Whether a configuration is the directory migration's (ZIA, ZPA). */
export function isScimConfig(c: AnyConfig): c is Config {
  return !OWN_CONFIG_PRODUCTS.some((m) => m.kind === c.product);
}
