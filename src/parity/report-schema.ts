import { z } from 'zod';
import { sourceSchema } from './identity.js';

/**
 * The parity report: the `--json` output (schemaVersion 2) and what every writer renders.
 * Field meanings are documented in src/parity/README.md; change both together, and bump
 * schemaVersion on any incompatible change.
 */

/** Kinds in report order: the worst (within a severity) first. */
export const FINDING_KINDS = [
  /** One per user in the directory scope absent from ZIA, SCIM or both (sources: where it is missing). */
  'missing',
  /** One per user in ZIA, SCIM or both but not in the directory scope (sources: where it is present). */
  'extra',
  'duplicate',
  'case-mismatch',
  'attribute-drift',
  'disabled-in-ad-active-in-scim',
  'active-in-ad-disabled-in-scim',
  'group-count-mismatch',
] as const;
export const findingKindSchema = z.enum(FINDING_KINDS);
export type FindingKind = z.infer<typeof findingKindSchema>;

export const severitySchema = z.enum(['error', 'warning']);
export type Severity = z.infer<typeof severitySchema>;

export const findingSchema = z.object({
  kind: findingKindSchema,
  severity: severitySchema,
  /**
   * The lower-cased matching key of the user; for a duplicate found on the secondary key,
   * the lower-cased secondary value; for group-count-mismatch, the group name.
   */
  key: z.string(),
  /**
   * The sources the finding involves (directory first). For `missing`: the sources the user is
   * missing from; for `extra`: the sources that hold the user (the directory scope does not).
   */
  sources: z.array(sourceSchema),
  /** The compared field: userName, email, displayName, department, groups, active, members. */
  attribute: z.string().optional(),
  /** The directory's value (the reference). */
  expected: z.string().optional(),
  /** The other source's value. */
  actual: z.string().optional(),
  /** What differs and the likely why, for a person. */
  detail: z.string(),
});
export type Finding = z.infer<typeof findingSchema>;

const sourceCounts = z.object({
  /** Records read. */
  records: z.number().int(),
  /** Distinct matching keys (case-insensitive). */
  unique: z.number().int(),
  /** Records without a value for the matching key (cannot be matched; not compared). */
  withoutKey: z.number().int(),
});

const n = z.number().int();

/**
 * Where ZIA's users come from when the comparison ran: directory sync before the migration (the
 * tenant's migration flag off), SCIM provisioning pushed by the IdP after it. Explanations follow it.
 */
export const ziaFeedSchema = z.enum(['directory-sync', 'scim']);
export type ZiaFeed = z.infer<typeof ziaFeedSchema>;

/** One of the product's stores as the report names it (see summary.stores). */
export const storeSummarySchema = z.object({
  /** The source key its findings name: `zpa`. */
  key: sourceSchema,
  /** How the writers name it: "ZPA SCIM", "ZPA (admin API, userNames only)". */
  label: z.string(),
  /** Which of the summary's per-source fields hold its counts. */
  slot: z.enum(['zia', 'scim']),
  /** The fields compared with the directory. */
  compared: z.array(z.string()),
  /** Its groups were compared by name only (the store lists groups without members). */
  groupsByName: z.boolean(),
  /** What a reader must know about this store's reading (e.g. only userNames were compared, and why). */
  note: z.string().optional(),
});

/** Per user (each user once, whatever the number of sources) and per source. */
const perUser = z.object({ users: n, zia: n, scim: n.nullable() });

export const paritySummarySchema = z.object({
  key: z.enum(['userName', 'email']),
  secondaryKey: z.enum(['userName', 'email']),
  ziaFedBy: ziaFeedSchema,
  /** false when SCIM was not read (rollback: directory vs ZIA only); SCIM fields are then null. */
  scimCompared: z.boolean(),
  counts: z.object({ directory: sourceCounts, zia: sourceCounts, scim: sourceCounts.nullable() }),
  matched: z.object({ directoryZia: n, directoryScim: n.nullable(), allThree: n.nullable() }),
  /** Directory users absent downstream: `users` counts each once; zia/scim count per source. */
  missing: perUser,
  /** Users absent from the directory scope: `users` counts each once; zia/scim count per source. */
  extra: perUser,
  duplicates: z.object({ total: n, sameKey: n, sameSecondaryKey: n }),
  caseMismatches: n,
  drift: z.object({
    total: n,
    byAttribute: z.object({ userName: n, email: n, displayName: n, department: n, groups: n }),
  }),
  active: z.object({ disabledInAdActiveInScim: n, activeInAdDisabledInScim: n }),
  groups: z.object({
    directory: n,
    zia: n,
    scim: n.nullable(),
    mismatchedZia: n,
    mismatchedScim: n.nullable(),
  }),
  findingsByKind: z.object(Object.fromEntries(FINDING_KINDS.map((k) => [k, n])) as Record<FindingKind, typeof n>),
  /**
   * Additive in schemaVersion 2: present when the product is not ZIA (ZIA's reports keep the shape
   * above). The compared stores in slot order: the first fills the fields named `zia` (counts,
   * matched.directoryZia, missing.zia, …), a second those named `scim`.
   */
  stores: z.array(storeSummarySchema).optional(),
});
export type ParitySummary = z.infer<typeof paritySummarySchema>;

export const groupParityRowSchema = z.object({
  name: z.string(),
  /** Member count per source; null = the group does not exist there (or the source was not read). */
  directory: n.nullable(),
  zia: n.nullable(),
  scim: n.nullable(),
  /** Additive: the stores that list this group by name only (no member count, so their column is null). */
  presentIn: z.array(sourceSchema).optional(),
});
export type GroupParityRow = z.infer<typeof groupParityRowSchema>;

/** The allowances of config `parity.thresholds` the verdict was judged against. */
export const thresholdsSchema = z.object({ missing: n, extra: n, duplicates: n, drift: n });

/** One threshold exceeded: `count` found against `allowed`, `over` = count - allowed. */
export const breachSchema = z.object({
  category: z.enum(['missing', 'extra', 'duplicates', 'drift']),
  count: n,
  allowed: n,
  over: n,
  /** The breach for a person, as `migrate verify` prints it. */
  text: z.string(),
});

/** Pass, or which thresholds were breached and by how much. */
export const verdictSchema = z.object({
  ok: z.boolean(),
  thresholds: thresholdsSchema,
  breaches: z.array(breachSchema),
});
export type Verdict = z.infer<typeof verdictSchema>;

/** Which tenant was compared, by which tool. Optional: computeParity alone knows neither. */
export const reportRunSchema = z.object({
  tool: z.object({ name: z.string(), version: z.string() }),
  tenant: z.object({
    product: z.string(),
    /** The ZIA cloud name, or the host of zia.baseUrl when no cloud is configured. */
    cloud: z.string(),
    /** ZIA's orgId; for ZPA, the customer id. */
    orgId: z.string(),
    /** The ZIA identity provider (zia.idpName) and the IdP that provisions it (idp.kind). */
    idpName: z.string(),
    idp: z.string(),
  }),
});
export type ReportRun = z.infer<typeof reportRunSchema>;

export const parityReportSchema = z.object({
  schemaVersion: z.literal(2),
  generatedAt: z.string(),
  summary: paritySummarySchema,
  groups: z.array(groupParityRowSchema),
  /** Worst first: errors before warnings, then by kind order, then by key. */
  findings: z.array(findingSchema),
  /** All findings found; larger than findings.length when findingsTruncated. */
  findingsTotal: n,
  /** true when computeParity was given maxFindings and kept only the worst ones. */
  findingsTruncated: z.boolean(),
  /**
   * Additive in schemaVersion 2 (a reader of the older shape ignores them): present when the
   * report comes from a run against a tenant (`migrate verify`, the flows), absent from a bare
   * computeParity.
   */
  verdict: verdictSchema.optional(),
  run: reportRunSchema.optional(),
});
export type ParityReport = z.infer<typeof parityReportSchema>;

/** The report's JSON Schema (draft 2020-12), generated from the zod schema above. */
export function parityReportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(parityReportSchema) as Record<string, unknown>;
}

const KIND_RANK = new Map<FindingKind, number>(FINDING_KINDS.map((k, i) => [k, i]));

export function compareFindings(a: Finding, b: Finding): number {
  if (a.severity !== b.severity) return a.severity === 'error' ? -1 : 1;
  const kr = KIND_RANK.get(a.kind)! - KIND_RANK.get(b.kind)!;
  if (kr !== 0) return kr;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  const as = a.sources.join(','),
    bs = b.sources.join(',');
  if (as !== bs) return as < bs ? -1 : 1;
  const aa = a.attribute ?? '',
    ba = b.attribute ?? '';
  return aa < ba ? -1 : aa > ba ? 1 : 0;
}
