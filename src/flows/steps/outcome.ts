import { UserError } from '../../engine/errors.js';
import type { Step } from '../../engine/step.js';
import type { IdpProvisioner } from '../../idps/provisioner.js';
import type { MigrationContext, ScimCredentials } from '../context.js';
import { keepFailedReport, runParity } from '../parity-check.js';
import { deprovisionForecast } from './deprovision.js';

/**
 * The steps both directory→SCIM flows (ZIA's, ZPA's) end the same way with, in the product's words: the
 * guard on what the first cycle would deprovision, parity, and the record of completion. Step ids are
 * stored in state files: never rename one.
 */

/** The deprovision guard: observe-only, blocked over guards.maxDisablePercent; the IdP's own stop stated after it. */
export function deprovisionGuardStep(idp: IdpProvisioner, o: { title: string; doc: string; disabledMeans: string }): Step<MigrationContext> {
  return {
    id: 'deprovision-guard',
    title: o.title,
    doc: o.doc,
    kind: 'automated',
    guide: (ctx) => ({
      guard:
        `more than guards.maxDisablePercent (${ctx.config.guards.maxDisablePercent}%) of the users in scope would be disabled, or more than guards.maxDeletions (${ctx.config.guards.maxDeletions}) deleted, by the first cycle` +
        (idp.deprovisionStop ? `; then ${idp.deprovisionStop.guide(ctx)}` : ''),
    }),
    async observe({ ctx }) {
      const forecast = await deprovisionForecast(ctx);
      const { inScope, wouldDisable: disabled } = forecast;
      const percent = inScope === 0 ? 0 : (100 * disabled) / inScope;
      const { maxDisablePercent, maxDeletions } = ctx.config.guards;
      const facts = { inScope, wouldDisable: disabled, wouldDelete: 0 };
      if (percent > maxDisablePercent) {
        return {
          state: 'blocked',
          detail: `${disabled} of ${inScope} users in scope (${percent.toFixed(1)}%) are disabled in AD and ${o.disabledMeans}: over guards.maxDisablePercent ${maxDisablePercent}%`,
          facts,
        };
      }
      // Other IdPs say nothing more; one with its own stop has it stated after the tool's forecast.
      const own = idp.deprovisionStop ? ` (the tool's forecast); ${await idp.deprovisionStop.describe(ctx, forecast)}` : '';
      return {
        state: 'done',
        detail: `would disable ${disabled} of ${inScope} (${percent.toFixed(1)}% ≤ ${maxDisablePercent}%), delete 0 (≤ ${maxDeletions})${own}`,
        facts,
      };
    },
    async apply() {
      throw new UserError('the deprovision guard only observes');
    },
  };
}

/**
 * Parity of the directory against the product (runParity asks the configured product); a failure keeps
 * its report and says what the IdP knows of the missing users.
 */
export function verifyParityStep(
  idp: IdpProvisioner,
  o: {
    title: string;
    doc: string;
    /** What is read and compared, for the plan. */
    reads: string;
    /** The SCIM credentials parity reads with, or undefined to read without them. */
    credentials(ctx: MigrationContext): Promise<ScimCredentials | undefined>;
    /** The name of the kept report (`reports/<name>/`). */
    reportName: string;
    /** A last sentence for the hint of a failure. */
    after?: string;
  },
): Step<MigrationContext> {
  return {
    id: 'verify-parity',
    title: o.title,
    doc: o.doc,
    kind: 'automated',
    async observe(run) {
      return run.previous?.ok === true
        ? { state: 'done', detail: `parity verified at ${String(run.previous.verifiedAt)} (migrate verify re-checks on demand)` }
        : { state: 'pending', detail: 'parity not verified yet', changes: [`${o.reads}; compare against parity.thresholds`] };
    },
    async apply(run) {
      const { ctx } = run;
      const creds = await o.credentials(ctx);
      const result = await runParity(ctx, creds ? { scim: creds } : {});
      ctx.lastParity = result;
      if (!result.ok) {
        const where = await keepFailedReport(ctx, result, o.reportName);
        const why = await idp.explainMissing(run);
        throw new UserError(`users do not match within parity.thresholds: ${result.breaches.join('; ')}.${where}${why}`, {
          hint:
            `Look at the missing and duplicate findings first. ${idp.label} may still be provisioning (check its provisioning logs); fix the mapping or scope, ` +
            `then run ad-to-scim again to re-verify (\`migrate verify\` re-checks on demand).${o.after ? ` ${o.after}` : ''}`,
        });
      }
      return { ok: true, verifiedAt: new Date().toISOString(), summary: JSON.parse(JSON.stringify(result.report.summary)) };
    },
  };
}

/** The forward flow's last step: the time it completed, which `migrate status` reports. */
export function recordCompletionStep(doc: string): Step<MigrationContext> {
  return {
    id: 'complete',
    title: 'Record completion',
    doc,
    kind: 'automated',
    async observe(run) {
      return run.previous?.completedAt
        ? { state: 'done', detail: `on SCIM since ${String(run.previous.completedAt)}` }
        : { state: 'pending', detail: 'not recorded yet' };
    },
    async apply() {
      return { completedAt: new Date().toISOString() };
    },
  };
}
