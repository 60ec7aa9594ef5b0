import { join } from 'node:path';
import { writeReportDir } from '../parity/report/write.js';
import type { ScimClient } from '../clients/scim.js';
import { ZIA_MAX_PAGE } from '../clients/zia.js';
import {
  computeParity,
  directoryRecords,
  evaluateThresholds,
  indexScimGroups,
  scimRecordsWithLazyGroups,
  ziaRecords,
  type ParityReport,
  type Source,
} from '../parity/index.js';
import { createReadProgress } from '../ui/progress.js';
import type { MigrationContext, ScimCredentials } from './context.js';

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

const LABELS: Record<Source, string> = { directory: 'AD', zia: 'ZIA', scim: 'SCIM' };

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

export async function runParity(ctx: MigrationContext, opts: { scim?: ScimCredentials }): Promise<ParityRun> {
  const cfg = ctx.config.parity;
  const reading: Source[] = opts.scim ? ['directory', 'zia', 'scim'] : ['directory', 'zia'];
  const progress = createReadProgress(ctx.out, reading.map((s) => LABELS[s]));
  try {
    const scimSource = opts.scim
      ? (async function* (scim: ScimClient) {
          // Users first; /Groups only if some user does not carry its memberships, and then
          // after the users (scimRecordsWithLazyGroups says why). Both reads go through ONE
          // client: they share the endpoint's 5 req/s (zscaler-api.md §10), so one limiter.
          yield* scimRecordsWithLazyGroups(scim.listUsers({ stripUnknown: true }), () => scimGroupIndex(scim));
        })(ctx.scim(opts.scim))
      : undefined;
    const report = await computeParity(
      {
        directory: directoryRecords(directoryPages(ctx), ctx.config.directory.mapping),
        // The documented maximum page (zscaler-api.md §5: 10,000 users, as the Go SDK pages) makes
        // the ZIA read 10x fewer GETs than the default 1,000: at 2 GET/s (§6) 100k users take
        // 5.5 s instead of 50.5 s, and stay far below the 1,000 GET/hour cap even at 1M.
        zia: ziaRecords(ctx.zia().listUsers({ pageSize: ZIA_MAX_PAGE.users, stripUnknown: true })),
        scim: scimSource,
      },
      {
        key: cfg.key,
        secondaryKey: cfg.secondaryKey,
        onProgress: (source, records) => progress.update(LABELS[source], records),
      },
    );
    const verdict = evaluateThresholds(report, cfg.thresholds);
    return { report, ...verdict };
  } finally {
    progress.stop();
  }
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
