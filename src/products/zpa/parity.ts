import { UserError } from '../../engine/errors.js';
import { checkDirectoryScope, directoryPages, reportRun, scimGroupIndex, SOURCE_LABELS, type ParityRun } from '../../flows/parity-check.js';
import type { MigrationContext, ScimCredentials } from '../../flows/context.js';
import { computeParity, directoryRecords, evaluateThresholds, scimRecordsWithLazyGroups, withVerdict, type ParityReport } from '../../parity/index.js';
import { zpaNamesStore, zpaScimStore } from '../../parity/zpa.js';
import { createReadProgress } from '../../ui/progress.js';
import { zpaClientOf, zpaIdpId } from './client.js';

/**
 * ZPA's parity (issue 15, part 2): the directory against ZPA's SCIM users and groups, read through the
 * SCIM Service Provider Endpoint with the token; without the token, against the userNames and group
 * names ZPA's admin API shows for the IdP (the report says only names were compared).
 */

/** ZPA's SCIM group names for the IdP; an incomplete list (a page that ended early or repeated an id) is "rerun when idle". */
async function zpaGroupNames(ctx: MigrationContext, idpId: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const page of zpaClientOf(ctx).listScimGroups(idpId, { sortBy: 'name' })) for (const g of page) names.push(g.name);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    throw new UserError(`ZPA's SCIM group list for IdP ${idpId} came back incomplete (${err.message}); no group finding was made from it`, {
      hint: 'this is not a parity finding: rerun verify when the IdP is idle (no provisioning cycle running)',
      cause: err,
    });
  }
  return names;
}

export async function runZpaParity(ctx: MigrationContext, opts: { scim?: ScimCredentials }): Promise<ParityRun> {
  const cfg = ctx.config.parity;
  const idpKind = ctx.config.idp.kind;
  if (!opts.scim && cfg.key !== 'userName') {
    throw new UserError(`parity.key is ${cfg.key}, but without the SCIM token ZPA shows only userNames, so there is nothing to match on`, {
      hint: 'give the SCIM token (scim.tokenEnv or scim.tokenFile), or set parity.key: userName',
    });
  }
  let store;
  if (opts.scim) {
    // The run's one client of the endpoint (ctx.scim): parity shares its rate limiter with the flow's reads.
    const scim = ctx.scim(opts.scim);
    store = zpaScimStore(
      (async function* () {
        for await (const page of scimRecordsWithLazyGroups(scim.listUsers({ stripUnknown: true }), () => scimGroupIndex(scim))) {
          yield page.map((r) => ({ ...r, source: 'zpa' as const }));
        }
      })(),
      idpKind,
    );
  } else {
    const idpId = await zpaIdpId(ctx);
    const client = zpaClientOf(ctx);
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
        onProgress: (source, records) => progress.update(SOURCE_LABELS[source], records),
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
