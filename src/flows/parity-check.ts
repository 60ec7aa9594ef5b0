import { join } from 'node:path';
import { UserError } from '../engine/errors.js';
import { writeReportDir } from '../parity/report/write.js';
import { MATCHING_RULE_IN_CHAIN } from '../clients/ldap.js';
import type { ScimClient } from '../clients/scim.js';
import { ZIA_MAX_PAGE } from '../clients/zia.js';
import {
  computeParity,
  directoryRecords,
  evaluateThresholds,
  withVerdict,
  type ReportRun,
  indexScimGroups,
  scimRecordsWithLazyGroups,
  ziaRecords,
  type ParityReport,
  type Source,
  type ZiaFeed,
} from '../parity/index.js';
import { TOOL_VERSION } from '../engine/version.js';
import { createReadProgress } from '../ui/progress.js';
import type { State } from '../engine/checkpoint.js';
import { targetOf, type MigrationContext, type ScimCredentials } from './context.js';
import { productModule } from '../products/index.js';
import { scimSideOf } from '../products/scim-sides.js';

/**
 * Reads the three sources concurrently (each at its own documented rate, enforced by its
 * client) and hands the pages to the parity engine. Any failed or short read rejects: a
 * partial read must never show up as "missing users".
 */
export interface ParityRun {
  report: ParityReport;
  ok: boolean;
  breaches: string[];
}

/** The progress bar's name of each source. */
export const SOURCE_LABELS: Record<Source, string> = { directory: 'AD', zia: 'ZIA', scim: 'SCIM', zpa: 'ZPA' };

export function directoryScope(ctx: MigrationContext) {
  const d = ctx.config.directory;
  return {
    baseDn: d.baseDn,
    userFilter: d.userFilter,
    groupDn: d.groupDn,
    attributes: Object.values(d.mapping),
  };
}

/** All directory entries in scope, one page at a time. */
export function directoryPages(ctx: MigrationContext) {
  return ctx.directory().streamUsers(directoryScope(ctx));
}

/** The /Groups index, built page by page (a page is dropped once indexed). */
export async function scimGroupIndex(scim: ScimClient) {
  const index = indexScimGroups([]);
  for await (const page of scim.listGroups({ stripUnknown: true })) indexScimGroups(page, index);
  return index;
}

/**
 * Where ZIA's users come from now: after the migration (the tenant's migration flag on) they are
 * the users SCIM provisioning pushes, before it the users directory sync brings. The report's
 * explanations follow it.
 */
export async function ziaFeed(ctx: MigrationContext): Promise<ZiaFeed> {
  const s = await ctx.zia().getAuthSettings();
  return s.directorySyncMigrateToScimEnabled === true ? 'scim' : 'directory-sync';
}

/** Which tenant the report is about, and which tool wrote it (stated at the top of every report). */
export function reportRun(ctx: MigrationContext): ReportRun {
  return {
    tool: { name: 'migrate', version: TOOL_VERSION },
    tenant: { ...scimSideOf(ctx.config.product).reportTenant(ctx.config), idp: ctx.config.idp.kind },
  };
}

/**
 * Parity of the directory against the configured product's users: ZIA (its admin API, and its SCIM
 * service with `scim`), or ZPA (its SCIM service with `scim`: the IdP's SCIM Service Provider
 * Endpoint and token, held in memory; without it, the names ZPA's admin API shows).
 */
export function runParity(ctx: MigrationContext, opts: { scim?: ScimCredentials }): Promise<ParityRun> {
  return scimSideOf(ctx.config.product).parity(ctx, opts);
}

/** ZIA's parity: the directory against ZIA's users (its admin API) and, with `scim`, its SCIM service. */
export async function runZiaParity(ctx: MigrationContext, opts: { scim?: ScimCredentials }): Promise<ParityRun> {
  const cfg = ctx.config.parity;
  const ziaFedBy = await ziaFeed(ctx);
  const reading: Source[] = opts.scim ? ['directory', 'zia', 'scim'] : ['directory', 'zia'];
  const progress = createReadProgress(
    ctx.out,
    reading.map((s) => SOURCE_LABELS[s]),
  );
  let report: ParityReport;
  try {
    const scimSource = opts.scim
      ? (async function* (scim: ScimClient) {
          // Users first; /Groups only if some user does not carry its memberships, and then
          // after the users (scimRecordsWithLazyGroups says why). Both reads go through ONE
          // client: they share the endpoint's 5 req/s (docs/vendor-facts.md F25), so one limiter.
          yield* scimRecordsWithLazyGroups(scim.listUsers({ stripUnknown: true }), () => scimGroupIndex(scim));
        })(ctx.scim(opts.scim))
      : undefined;
    report = await computeParity(
      {
        directory: directoryRecords(directoryPages(ctx), ctx.config.directory.mapping),
        // The documented maximum page (10,000 users, as the Go SDK pages: docs/vendor-facts.md F18) makes
        // the ZIA read 10x fewer GETs than the default 1,000: at 2 GET/s (F20) 100k users take
        // 5.5 s instead of 50.5 s, and stay far below the 1,000 GET/hour cap even at 1M.
        zia: ziaRecords(ctx.zia().listUsers({ pageSize: ZIA_MAX_PAGE.users, stripUnknown: true })),
        scim: scimSource,
      },
      {
        key: cfg.key,
        secondaryKey: cfg.secondaryKey,
        ziaFedBy,
        onProgress: (source, records) => progress.update(SOURCE_LABELS[source], records),
      },
    );
  } finally {
    progress.stop();
  }
  // A scope that returns nothing, or far fewer users than ZIA holds, is a configuration problem:
  // its "missing"/"extra" would be every user, so no report comes out of it, only the error.
  const c = report.summary.counts;
  await checkDirectoryScope(ctx, { entries: c.directory.records, users: c.directory.unique, withoutKey: c.directory.withoutKey }, c.zia.unique);
  const verdict = evaluateThresholds(report, cfg.thresholds);
  return { report: withVerdict(report, cfg.thresholds, reportRun(ctx)), ...verdict };
}

// ---------------------------------------------------------------------------------------------
// The directory scope: refused when empty or far smaller than ZIA, with the likely cause.

/** What the scope search returned: entries, users that can be matched (have the key), entries without it. */
export interface ScopeCount {
  entries: number;
  users: number;
  withoutKey?: number;
}

/** The scope is empty or holds under guards.minScopePercent of ZIA's users. Exit 1; nothing compared. */
export class DirectoryScopeError extends UserError {
  constructor(message: string, hint: string) {
    super(message, { hint });
    this.name = 'DirectoryScopeError';
  }
}

/** The scope as configured, for messages: `baseDn "…", userFilter "…", groupDn "…"` (or no groupDn). */
export function describeScope(ctx: MigrationContext): string {
  const d = ctx.config.directory;
  return (
    `directory.baseDn ${JSON.stringify(d.baseDn)}, directory.userFilter ${JSON.stringify(d.userFilter)}, ` +
    (d.groupDn === undefined ? 'no directory.groupDn' : `directory.groupDn ${JSON.stringify(d.groupDn)}`)
  );
}

/**
 * Undefined when the scope is plausible; else what is wrong with it. An empty scope is always
 * wrong; a non-empty one is wrong below guards.minScopePercent of ZIA's users (0 = no ratio).
 */
export function scopeProblem(ctx: MigrationContext, scope: ScopeCount, ziaUsers: number, product = 'ZIA'): string | undefined {
  const min = ctx.config.guards.minScopePercent;
  if (scope.entries === 0) return `the directory scope returned no users (${product} holds ${ziaUsers})`;
  if (scope.users === 0)
    return `the directory scope returned ${scope.entries} entries, none with a value for the matching key (${product} holds ${ziaUsers} users)`;
  if (min > 0 && scope.users * 100 < ziaUsers * min) {
    const pct = ((scope.users * 100) / ziaUsers).toFixed(1);
    return `the directory scope returned ${scope.users} users, ${pct}% of the ${ziaUsers} users ${product} holds (under guards.minScopePercent, ${min}%)`;
  }
  return undefined;
}

/**
 * The likely cause of a scope problem, found with read-only directory reads: does groupDn name an
 * entry (a base-scope read of the DN), how many users the scope holds without the group, does
 * baseDn exist, do entries lack the mapped key attribute.
 */
export async function explainScope(ctx: MigrationContext, scope: ScopeCount): Promise<string> {
  const d = ctx.config.directory;
  const dir = ctx.directory();
  const causes: string[] = [];
  const tryRead = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      causes.push(`could not check ${what}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const missingKey = scope.withoutKey ?? 0;
  if (missingKey > 0 && missingKey * 2 >= scope.entries) {
    const attr = d.mapping[ctx.config.parity.key];
    causes.push(
      `${missingKey} of the ${scope.entries} entries have no ${attr} attribute, which directory.mapping.${ctx.config.parity.key} names as the matching key: check the mapping`,
    );
  }
  const baseExists = await tryRead(`directory.baseDn ${d.baseDn}`, () => dir.entryExists(d.baseDn));
  if (baseExists === false) {
    causes.push(
      `directory.baseDn ${JSON.stringify(d.baseDn)} was not found in the directory (a base-scope read of that DN returned no entry): check its spelling`,
    );
  }
  if (d.groupDn !== undefined) {
    const groupExists = await tryRead(`directory.groupDn ${d.groupDn}`, () => dir.entryExists(d.groupDn!));
    if (groupExists === false) {
      causes.push(
        `directory.groupDn ${JSON.stringify(d.groupDn)} was not found in the directory (a base-scope read of that DN returned no entry): ` +
          'the group DN is probably mistyped; copy its distinguishedName from AD (for example Get-ADGroup <name> | Select DistinguishedName)',
      );
    } else if (groupExists === true && baseExists !== false) {
      const without = await tryRead('the scope without directory.groupDn', () => dir.countUsers({ baseDn: d.baseDn, userFilter: d.userFilter }));
      if (without !== undefined) {
        causes.push(
          `the group exists; without directory.groupDn the scope holds ${without} users, so the group (nested groups included) holds ${scope.entries} of them: check that it is the group whose members ZIA should have` +
            (scope.entries === 0 && without > 0
              ? `; if the directory is not Active Directory, it may not support the in-chain matching rule (${MATCHING_RULE_IN_CHAIN}) groupDn is searched with: OpenLDAP answers it with no users rather than an error`
              : ''),
        );
      }
    }
  }
  if (causes.length === 0) {
    causes.push(
      `directory.baseDn and directory.userFilter select ${scope.entries} entries: check that baseDn is the part of the directory ZIA's users come from and that userFilter is not narrower than intended`,
    );
  }
  return causes.join('; ');
}

/** Throws DirectoryScopeError naming the scope and its likely cause when scopeProblem finds one. */
export async function checkDirectoryScope(ctx: MigrationContext, scope: ScopeCount, ziaUsers: number, product = 'ZIA'): Promise<void> {
  const problem = scopeProblem(ctx, scope, ziaUsers, product);
  if (problem === undefined) return;
  const cause = await explainScope(ctx, scope);
  throw new DirectoryScopeError(
    `${problem}: comparing would report nearly every user as missing or extra, so nothing was compared. ` +
      `Scope: ${describeScope(ctx)}. Likely cause: ${cause}.`,
    scopeFix(),
  );
}

export function scopeFix(): string {
  return (
    'correct directory.baseDn, directory.userFilter or directory.groupDn in the configuration and run again; ' +
    'if the scope really is this small, lower guards.minScopePercent (0 turns the ratio off; an empty scope is always refused)'
  );
}

/**
 * The SCIM Base URL the forward run recorded (the output of the product's step that enabled SCIM), if the state
 * file belongs to this tenant and still holds it (a completed rollback drops it). Not a secret.
 */
export function recordedScimBaseUrl(state: State | undefined, ctx: MigrationContext): string | undefined {
  if (!state || state.target.id !== targetOf(ctx.config).id) return undefined;
  const url = state.flows['ad-to-scim']?.steps[productModule(ctx.config.product).scimEndpointStep]?.outputs?.baseUrl;
  return typeof url === 'string' && url.length > 0 ? url : undefined;
}

/**
 * A verification that failed inside a flow leaves its full report on disk (Markdown, HTML, JSON,
 * CSV per finding kind) so the operator can look at every finding and attach it to the ticket.
 * Returns a sentence naming where, or an empty string when no report directory is configured.
 */
export async function keepFailedReport(ctx: MigrationContext, result: ParityRun, label: string): Promise<string> {
  if (!ctx.reportDir) return '';
  const dir = join(ctx.reportDir, `${label}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await writeReportDir(result.report, dir);
  return ` The full report is in ${dir} (parity.html, parity.md, CSV per finding kind).`;
}
