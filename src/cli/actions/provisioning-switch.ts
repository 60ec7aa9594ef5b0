import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { loadAnyConfig } from '../../config/load.js';
import { runNumber } from '../../engine/checkpoint.js';
import { EXIT, UserError, errorText } from '../../engine/errors.js';
import { acquireLock, type HeldLock } from '../../engine/lock.js';
import { runFlow } from '../../engine/runner.js';
import type { Flow } from '../../engine/step.js';
import { createSandboxInsyncClock, createSandboxInsyncPortalClient } from '../../clients/sandbox-insync-portal.js';
import type { InsyncConfig } from '../../products/insync/config.js';
import { createInsyncContext, insyncTarget, type InsyncContext, type InsyncOperator, type Method } from '../../products/insync/context.js';
import { insyncRollbackFlow, provisioningSwitchFlow } from '../../products/insync/flow.js';
import { renderSwitchReport, writeSwitchReport } from '../../products/insync/report.js';
import { InsyncSandboxOperator } from '../../products/insync/sandbox-operator.js';
import { exitOnInterrupt } from '../../ui/interrupt.js';
import { planToJUnit } from '../../ui/junit.js';
import { JSON_SCHEMA_VERSION, type Output } from '../../ui/output.js';
import { PersonOperator } from '../../ui/person-operator.js';
import { progressEvents, renderPlan } from '../../ui/plan.js';
import { buildContext, type CliContext } from '../build-context.js';
import { planExitCode } from '../run-flow.js';
import { writeFile } from 'node:fs/promises';

/** One simulated hour per look while the rehearsal waits for backups (the sandbox's clock moves only when told). */
const SANDBOX_STEP_MS = 3_600_000;

export const methodOf = (to: string): Method => (to === 'scim' ? 'SCIM' : 'Azure AD');

/** The operator steps `--attest` may name: what the API cannot show (docs/vendor-facts.md D15, D16). */
const ATTESTABLE = ['switch-method', 'create-mapping', 'attest-manual-mode'];

/** `--attest a,b`: operator steps done in the console, for an unattended rerun after exit 3. */
export function attestFlag(value: string | undefined): string[] {
  if (value === undefined) return [];
  const ids = value
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

export function insyncContextFor(cli: CliContext, config: InsyncConfig, readOnly: boolean, env?: NodeJS.ProcessEnv, attested: string[] = []): InsyncContext {
  const sandbox = config.operator.kind === 'sandbox' ? config.operator : undefined;
  const operator: InsyncOperator = sandbox
    ? new InsyncSandboxOperator(createSandboxInsyncPortalClient({ portalUrl: sandbox.portalUrl, readOnly }), cli.out)
    : new PersonOperator(cli.out, cli.prompter);
  const clock = sandbox ? createSandboxInsyncClock({ controlUrl: sandbox.controlUrl }) : undefined;
  return createInsyncContext({
    config,
    readOnly,
    out: cli.out,
    operator,
    stateDir: dirname(cli.statePath),
    reportDir: join(dirname(cli.statePath), 'reports'),
    ...(cli.opts.auditLog ? { auditLog: cli.opts.auditLog } : {}),
    ...(env ? { env } : {}),
    attested,
    // A rehearsal reads the simulation's clock and moves it an hour per look (a dry-run never moves it).
    ...(clock ? { clock: { now: () => clock.now(), pause: () => (readOnly ? Promise.resolve() : clock.advance(SANDBOX_STEP_MS)) } } : {}),
  });
}

/** `migrate provisioning-switch --product insync --to …`, and `migrate rollback` with an inSync configuration. */
export async function runInsyncCommand(cmd: Command, which: 'switch' | 'rollback', to?: string): Promise<void> {
  const attested = attestFlag((cmd.opts() as { attest?: string }).attest);
  const cli = buildContext(cmd);
  const any = await loadAnyConfig(cli.opts.config);
  if (any.product !== 'insync') {
    throw new UserError(`${cli.opts.config} is a ZIA configuration; provisioning-switch --product insync needs "product: insync" and an insync section`, {
      hint: 'See the inSync section of README.md. Nothing was contacted.',
    });
  }
  const config = any.config;
  const flow = which === 'switch' ? provisioningSwitchFlow(methodOf(to ?? 'azure-ad'), config.insync.keepExistingMappings) : insyncRollbackFlow();
  const ctx = insyncContextFor(cli, config, cli.opts.dryRun, undefined, attested);
  try {
    process.exitCode = await executeInsyncFlow(cli, ctx, flow, {});
  } finally {
    await ctx.close();
  }
}

/** Read through a function: the compiler cannot see that the flow's steps set it. */
const lastReportOf = (ctx: InsyncContext) => ctx.lastReport;

/** Plans (dry-run) or runs an inSync flow under the lock, then prints the before/after report and the next steps. */
export async function executeInsyncFlow(cli: CliContext, ctx: InsyncContext, flow: Flow<InsyncContext>, extra: { junit?: string }): Promise<number> {
  const { opts, out, store } = cli;
  const target = insyncTarget(ctx.config);
  const state = await store.load();
  ctx.runNumber = state ? runNumber(state) : 1;
  if (opts.dryRun) {
    const { plan } = await runFlow(flow, ctx, { store, target, dryRun: true });
    const junit = extra.junit ?? opts.junit;
    if (junit) await writeFile(junit, planToJUnit(plan));
    if (opts.json) out.result({ schemaVersion: JSON_SCHEMA_VERSION, dryRun: true, plan });
    else out.print(renderPlan(out, plan));
    return planExitCode(plan, opts.detailedExitcode);
  }
  ctx.lastReport = undefined;
  let lock: HeldLock | undefined;
  const stop = exitOnInterrupt(async () => lock?.release());
  const printReport = (o: Output) => {
    if (ctx.lastReport && !opts.json) o.print(`\n${renderSwitchReport(ctx.lastReport)}`);
  };
  try {
    lock = await acquireLock(cli.statePath, flow.id);
    out.info(out.color.bold(flow.title) + out.color.dim(`  (state: ${store.describe()})`));
    const result = await runFlow(flow, ctx, { store, target, dryRun: false, events: progressEvents(out) });
    printReport(out);
    if (opts.json) {
      out.result({
        schemaVersion: JSON_SCHEMA_VERSION,
        flow: flow.id,
        completed: result.completed,
        steps: result.plan.steps.map((s) => ({ id: s.id, state: s.observation.state, detail: s.observation.detail })),
        report: ctx.lastReport ?? null,
        stateSerial: result.state?.serial,
      });
    }
    out.print(out.color.green(`\n${flow.title}: complete.`));
    if (result.plan.alreadyDone) out.print(result.plan.alreadyDone);
    else {
      out.print(out.color.bold('Next steps:'));
      for (const line of flow.closingAdvice ?? []) out.print(`   · ${line}`);
    }
    return EXIT.ok;
  } catch (err) {
    printReport(out);
    // A verification that failed leaves its before/after report for the change ticket.
    const failed = lastReportOf(ctx);
    if (failed && !failed.ok && ctx.reportDir) {
      const where = join(ctx.reportDir, `${flow.id}-run${ctx.runNumber}-failed`);
      await writeSwitchReport(failed, where).then(
        () => out.error(`the before/after report is in ${where}`),
        (e: unknown) => out.error(`could not write the report to ${where}: ${errorText(e)}`),
      );
    }
    if (opts.json) out.result({ schemaVersion: JSON_SCHEMA_VERSION, flow: flow.id, completed: false, error: errorText(err) });
    throw err;
  } finally {
    stop();
    await lock?.release();
  }
}
