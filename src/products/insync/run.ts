import { dirname, join } from 'node:path';
import { runNumber } from '../../engine/checkpoint.js';
import { UserError } from '../../engine/errors.js';
import { digestOf } from '../../engine/saved-plan.js';
import { createSandboxInsyncClock, createSandboxInsyncPortalClient } from '../../clients/sandbox-insync-portal.js';
import { PersonOperator } from '../../ui/person-operator.js';
import type { ProductRun, RunSetup } from '../product.js';
import type { InsyncConfig } from './config.js';
import { createInsyncContext, type InsyncContext, type InsyncOperator, type Method } from './context.js';
import { insyncRollbackFlow, provisioningSwitchFlow } from './flow.js';
import { renderSwitchReport, writeSwitchReport } from './report.js';
import { InsyncSandboxOperator } from './sandbox-operator.js';

/**
 * `migrate provisioning-switch --product insync --to …` and `migrate rollback` on a `product: insync`
 * configuration: the inSync flows on an InsyncContext, for the one run path (src/cli/run-flow.ts).
 */

/** One simulated hour per look while the rehearsal waits for backups (the sandbox's clock moves only when told). */
const SANDBOX_STEP_MS = 3_600_000;

export const methodOf = (to: string): Method => (to === 'scim' ? 'SCIM' : 'Azure AD');

/** The operator steps `--attest` may name: what the API cannot show (docs/vendor-facts.md D15, D16). */
const ATTESTABLE = ['switch-method', 'create-mapping', 'attest-manual-mode'];

/** `--attest a,b`: operator steps done in the console, for an unattended rerun after exit 3. */
export function attestFlag(value: unknown): string[] {
  if (value === undefined) return [];
  const ids = String(value)
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  const unknown = ids.filter((id) => !ATTESTABLE.includes(id));
  if (unknown.length > 0) {
    throw new UserError(`--attest: ${unknown.join(', ')} is not an operator step of the inSync switch`, {
      hint: `Name one or more of ${ATTESTABLE.join(', ')}, comma-separated. Nothing was contacted.`,
    });
  }
  return ids;
}

const CONFIG_DIGEST_COVERS = 'sha256 of the validated configuration (defaults applied; secret references only, never secret values)';

export async function insyncProductRun(command: string, raw: unknown, setup: RunSetup): Promise<ProductRun<InsyncContext>> {
  const config = raw as InsyncConfig;
  const { cli, flags } = setup;
  const attested = attestFlag(flags.attest);
  const to = typeof flags.to === 'string' ? flags.to : 'azure-ad';
  const forward = command === 'provisioning-switch';
  const flow = forward ? provisioningSwitchFlow(methodOf(to), config.insync.keepExistingMappings) : insyncRollbackFlow();
  const sandbox = config.operator.kind === 'sandbox' ? config.operator : undefined;
  const clock = sandbox ? createSandboxInsyncClock({ controlUrl: sandbox.controlUrl }) : undefined;
  return {
    flow,
    command: forward ? `migrate provisioning-switch --product insync --to ${to}` : 'migrate rollback',
    ...(forward ? { reverse: { command: 'migrate rollback', flow: insyncRollbackFlow() } } : {}),
    context(readOnly) {
      const operator: InsyncOperator = sandbox
        ? new InsyncSandboxOperator(createSandboxInsyncPortalClient({ portalUrl: sandbox.portalUrl, readOnly }), cli.out)
        : new PersonOperator(cli.out, cli.prompter);
      return createInsyncContext({
        config,
        readOnly,
        out: cli.out,
        operator,
        stateDir: dirname(cli.statePath),
        reportDir: join(dirname(cli.statePath), 'reports'),
        ...(cli.opts.auditLog ? { auditLog: cli.opts.auditLog } : {}),
        ...(setup.env ? { env: setup.env } : {}),
        attested,
        // A rehearsal reads the simulation's clock and moves it an hour per look (a dry-run never moves it).
        ...(clock ? { clock: { now: () => clock.now(), pause: () => (readOnly ? Promise.resolve() : clock.advance(SANDBOX_STEP_MS)) } } : {}),
      });
    },
    resume(ctx, state) {
      ctx.runNumber = state ? runNumber(state) : 1;
    },
    planIdentity: {
      digest: digestOf(config),
      covers: CONFIG_DIGEST_COVERS,
      settings: [
        { key: 'insync.keepExistingMappings', value: String(config.insync.keepExistingMappings) },
        { key: 'insync.backupWindowHours', value: String(config.insync.backupWindowHours) },
      ],
    },
    verification(ctx) {
      const report = ctx.lastReport;
      if (!report) return { json: { report: null } };
      const where = ctx.reportDir ? join(ctx.reportDir, `${flow.id}-run${ctx.runNumber}-failed`) : undefined;
      return {
        text: renderSwitchReport(report),
        json: { report },
        // A verification that failed leaves its before/after report for the change ticket.
        ...(!report.ok && where ? { keep: async () => (await writeSwitchReport(report, where), where) } : {}),
      };
    },
    clearVerification(ctx) {
      ctx.lastReport = undefined;
    },
    finish(result, out) {
      if (result.plan.alreadyDone) out.print(result.plan.alreadyDone);
      else {
        out.print(out.color.bold('Next steps:'));
        for (const line of flow.closingAdvice ?? []) out.print(`   · ${line}`);
      }
    },
  };
}
