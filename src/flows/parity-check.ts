import { join } from 'node:path';
import { UserError } from '../engine/errors.js';
import { writeReportDir } from '../parity/report/write.js';
import { MATCHING_RULE_IN_CHAIN } from '../clients/ldap.js';
import type { ScimClient } from '../clients/scim.js';
import { ZIA_MAX_PAGE, oneApiTokenUrl } from '../clients/zia.js';
import { createZpaClient, zpaBaseUrlForCloud, type ZpaClient } from '../clients/zpa.js';
import { createZpaScimClient, type ZpaScimClient } from '../clients/zpa-scim.js';
import { resolveSecret } from '../config/secrets.js';
import { zpaNamesStore, zpaScimStore } from '../parity/zpa.js';
import { hostOf } from '../products/product.js';
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
import { ziaOf } from '../products/zia/config.js';

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

const LABELS: Record<Source, string> = { directory: 'AD', zia: 'ZIA', scim: 'SCIM', zpa: 'ZPA' };

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
async function scimGroupIndex(scim: ScimClient) {
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
  if (ctx.config.product === 'zpa') {
    const p = zpaSection(ctx);
    return {
      tool: { name: 'migrate', version: TOOL_VERSION },
      tenant: { product: 'ZPA', cloud: p.cloud ?? hostOf(p.baseUrl), orgId: p.customerId, idpName: p.idpName ?? p.idpId ?? '', idp: ctx.config.idp.kind },
    };
  }
  const z = ziaOf(ctx.config);
  let cloud = z.cloud;
  if (!cloud) {
    try {
      cloud = new URL(z.baseUrl ?? '').host;
    } catch {
      cloud = 'unknown';
    }
  }
  return {
    tool: { name: 'migrate', version: TOOL_VERSION },
    tenant: { product: 'ZIA', cloud, orgId: z.orgId, idpName: z.idpName, idp: ctx.config.idp.kind },
  };
}

/**
 * Parity of the directory against the configured product's users: ZIA (its admin API, and its SCIM
 * service with `scim`), or ZPA (its SCIM service with `scim`: the IdP's SCIM Service Provider
 * Endpoint and token, held in memory; without it, the names ZPA's admin API shows).
 */
export async function runParity(ctx: MigrationContext, opts: { scim?: ScimCredentials }): Promise<ParityRun> {
  if (ctx.config.product === 'zpa') return runZpaParity(ctx, opts);
  const cfg = ctx.config.parity;
  const ziaFedBy = await ziaFeed(ctx);
  const reading: Source[] = opts.scim ? ['directory', 'zia', 'scim'] : ['directory', 'zia'];
  const progress = createReadProgress(
    ctx.out,
    reading.map((s) => LABELS[s]),
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
        onProgress: (source, records) => progress.update(LABELS[source], records),
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

// ---------------------------------------------------------------------------------------------
// ZPA: the directory against ZPA's SCIM users and groups (issue 15, part 2).

function zpaSection(ctx: MigrationContext) {
  const z = ctx.config.zpa;
  if (!z) throw new UserError('product: zpa is configured without a zpa section', { hint: 'add the zpa section (migrate init writes one)' });
  return z;
}

/** The ZPA admin API client of this run (read-only here: ZPA's API changes no IdP, docs/vendor-facts.md Y4). */
export function zpaAdminClient(ctx: MigrationContext): ZpaClient {
  const z = zpaSection(ctx);
  return ctx.client('zpa', (d) => {
    const a = z.auth;
    const clientSecret = resolveSecret(a, 'clientSecret', 'zpa.auth', d.env);
    return createZpaClient({
      baseUrl: z.baseUrl ?? zpaBaseUrlForCloud(z.cloud!, a.kind),
      customerId: z.customerId,
      auth:
        a.kind === 'legacy'
          ? { kind: 'legacy', clientId: a.clientId, clientSecret }
          : { kind: 'oneapi', tokenUrl: a.tokenUrl ?? oneApiTokenUrl(a.vanityDomain!, z.cloud), clientId: a.clientId, clientSecret },
      ...(z.microtenantId ? { microtenantId: z.microtenantId } : {}),
      readOnly: d.readOnly,
      audit: d.audit,
      rateLimits: d.rateLimits,
    });
  });
}

/** The configured IdP's id: zpa.idpId, else the one IdP named zpa.idpName. */
export async function zpaIdpId(ctx: MigrationContext): Promise<string> {
  const z = zpaSection(ctx);
  if (z.idpId) return z.idpId;
  const idp = await zpaAdminClient(ctx).findIdpByName(z.idpName!);
  if (!idp) {
    throw new UserError(`ZPA has no IdP named ${JSON.stringify(z.idpName)}`, {
      hint: 'copy the name from Administration > IDP Configuration in the ZPA console, or give zpa.idpId',
    });
  }
  return idp.id;
}

/** The IdP's SCIM Service Provider Endpoint as ZPA shows it (docs/vendor-facts.md Y8), for a token given without one. */
export async function zpaScimEndpoint(ctx: MigrationContext): Promise<string> {
  const id = await zpaIdpId(ctx);
  const idp = await zpaAdminClient(ctx).getIdp(id);
  if (!idp?.scimServiceProviderEndpoint) {
    throw new UserError(`the ZPA IdP ${id} shows no SCIM Service Provider Endpoint: SCIM Sync is not enabled on it`, {
      hint: 'enable SCIM Sync on the IdP (IDP Configuration > Edit), or give scim.baseUrl',
    });
  }
  return idp.scimServiceProviderEndpoint;
}

/** One ZPA SCIM client per endpoint and token, so every read of the run shares its rate limiter. */
export function zpaScimClient(ctx: MigrationContext, creds: ScimCredentials): ZpaScimClient {
  return ctx.client(`zpa-scim\n${creds.baseUrl}\n${creds.token}`, (d) =>
    createZpaScimClient({ baseUrl: creds.baseUrl, token: creds.token, readOnly: d.readOnly, audit: d.audit, rateLimits: d.rateLimits }),
  );
}

/** ZPA's SCIM group names for the IdP; an incomplete list (a page that ended early or repeated an id) is "rerun when idle". */
async function zpaGroupNames(ctx: MigrationContext, idpId: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const page of zpaAdminClient(ctx).listScimGroups(idpId, { sortBy: 'name' })) for (const g of page) names.push(g.name);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    throw new UserError(`ZPA's SCIM group list for IdP ${idpId} came back incomplete (${err.message}); no group finding was made from it`, {
      hint: 'this is not a parity finding: rerun verify when the IdP is idle (no provisioning cycle running)',
      cause: err,
    });
  }
  return names;
}

async function runZpaParity(ctx: MigrationContext, opts: { scim?: ScimCredentials }): Promise<ParityRun> {
  const cfg = ctx.config.parity;
  const idpKind = ctx.config.idp.kind;
  if (!opts.scim && cfg.key !== 'userName') {
    throw new UserError(`parity.key is ${cfg.key}, but without the SCIM token ZPA shows only userNames, so there is nothing to match on`, {
      hint: 'give the SCIM token (scim.tokenEnv or scim.tokenFile), or set parity.key: userName',
    });
  }
  let store;
  if (opts.scim) {
    const scim = zpaScimClient(ctx, opts.scim);
    const groupIndex = async () => {
      const index = indexScimGroups([]);
      for await (const page of scim.listGroups({ stripUnknown: true })) indexScimGroups(page, index);
      return index;
    };
    store = zpaScimStore(
      (async function* () {
        for await (const page of scimRecordsWithLazyGroups(scim.listUsers({ stripUnknown: true }), groupIndex)) {
          yield page.map((r) => ({ ...r, source: 'zpa' as const }));
        }
      })(),
      idpKind,
    );
  } else {
    const idpId = await zpaIdpId(ctx);
    const client = zpaAdminClient(ctx);
    store = zpaNamesStore(
      async () => (await client.scimUserNames(idpId)) ?? [], // no userName attribute yet: nothing provisioned
      () => zpaGroupNames(ctx, idpId),
      idpKind,
    );
  }
  const progress = createReadProgress(ctx.out, ['AD', 'ZPA']);
  let report: ParityReport;
  try {
    report = await computeParity(
      { directory: directoryRecords(directoryPages(ctx), ctx.config.directory.mapping), stores: [store] },
      {
        key: cfg.key,
        secondaryKey: cfg.secondaryKey,
        // ZPA's users come from SCIM provisioning by the IdP, always.
        ziaFedBy: 'scim',
        onProgress: (source, records) => progress.update(LABELS[source], records),
      },
    );
  } finally {
    progress.stop();
  }
  const c = report.summary.counts;
  await checkDirectoryScope(ctx, { entries: c.directory.records, users: c.directory.unique, withoutKey: c.directory.withoutKey }, c.zia.unique, 'ZPA');
  const verdict = evaluateThresholds(report, cfg.thresholds);
  return { report: withVerdict(report, cfg.thresholds, reportRun(ctx)), ...verdict };
}
