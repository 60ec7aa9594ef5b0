import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { EXIT, UserError, errorText } from '../engine/errors.js';
import { acquireLock, type HeldLock } from '../engine/lock.js';
import { isBlockingCheck, isBlockingStep, runFlow, type Plan } from '../engine/runner.js';
import type { Flow } from '../engine/step.js';
import { createSandboxPortalClient } from '../clients/sandbox-portal.js';
import { createMigrationContext, targetOf, type MigrationContext } from '../flows/context.js';
import { flowFor, type FlowName } from '../flows/for-config.js';
import type { MigrationOperator } from '../flows/operator-actions.js';
import { SandboxOperator } from '../flows/sandbox-operator.js';
import { applyCheckpointFacts } from '../flows/resume.js';
import { renderSummary } from '../parity/index.js';
import { planToJUnit } from '../ui/junit.js';
import { JSON_SCHEMA_VERSION, type Output } from '../ui/output.js';
import { exitOnInterrupt } from '../ui/interrupt.js';
import { PersonOperator } from '../ui/person-operator.js';
import { progressEvents, renderPlan } from '../ui/plan.js';
import type { Prompter } from '../ui/prompts.js';
import { buildContext, type CliContext } from './build-context.js';

export function operatorFor(config: Config, out: Output, prompter: Prompter, readOnly: boolean): MigrationOperator {
  return config.operator.kind === 'sandbox'
    ? new SandboxOperator(createSandboxPortalClient({ portalUrl: config.operator.portalUrl, readOnly }), out)
    : new PersonOperator(out, prompter);
}

/** Read through a function: the compiler cannot see that runFlow's steps set it. */
const lastParityOf = (ctx: MigrationContext) => ctx.lastParity;

export interface FlowCommandOptions {
  acceptPendingChanges?: boolean;
  adoptObservedState?: boolean;
  junit?: string;
}

export function planExitCode(plan: Plan, detailed: boolean): number {
  if (plan.blocking) return EXIT.error;
  if (detailed && plan.changesPending) return EXIT.changesPending;
  return EXIT.ok;
}

/** Runs (or, with --dry-run, plans) a flow from the command line: config, lock, run, report. */
export async function runFlowCommand(cmd: Command, name: FlowName, extra: FlowCommandOptions): Promise<void> {
  const cli = buildContext(cmd);
  const { opts, out } = cli;
  const config = await loadConfig(opts.config);
  const flow = await flowFor(name, config);
  const ctx = createMigrationContext({
    config,
    readOnly: opts.dryRun,
    out,
    operator: operatorFor(config, out, cli.prompter, opts.dryRun),
    acceptPendingChanges: extra.acceptPendingChanges,
    adoptObservedState: extra.adoptObservedState,
    auditLog: opts.auditLog,
    reportDir: join(dirname(cli.statePath), 'reports'),
    // The sandbox is a local simulation: its waits (Sync Now, the Entra cycle) end in moments, so
    // poll it as `migrate demo` does rather than every 5 s as a real tenant needs.
    ...(config.operator.kind === 'sandbox' ? { pollIntervalMs: 250 } : {}),
  });
  // The plan a person approves is the dry-run's, observed through a read-only context.
  const planContext = () =>
    createMigrationContext({ config, readOnly: true, out, operator: operatorFor(config, out, cli.prompter, true), acceptPendingChanges: extra.acceptPendingChanges });
  try {
    const code = await executeFlow(cli, ctx, flow, extra, planContext);
    process.exitCode = code;
  } finally {
    await ctx.close();
  }
}

/**
 * On a terminal, before the first change: the plan, then a question that names the tenant and
 * takes only its Company ID as a yes (like `terraform apply`, but a reflex "yes" cannot approve a
 * configuration that points at the wrong tenant). Returns whether the plan was shown.
 */
async function approvePlan(cli: CliContext, flow: Flow<MigrationContext>, planCtx: MigrationContext): Promise<boolean> {
  const { out, store } = cli;
  const target = targetOf(planCtx.config);
  applyCheckpointFacts(planCtx, await store.load());
  const { plan } = await runFlow(flow, planCtx, { store, target, dryRun: true });
  out.print(renderPlan(out, plan));
  // Nothing to approve: no change is planned, or preflight fails and the run stops before writing.
  if (!plan.changesPending || plan.preflight.some(isBlockingCheck)) return true;
  const changes = plan.steps.filter((s) => s.observation.state !== 'done').length;
  for (const [i, s] of plan.steps.entries()) {
    if (isBlockingStep(s)) out.warn(`step ${i + 1} (${s.title}) is ${s.observation.state} now: the run observes it again when it gets there, and stops there if it still is.`);
  }
  const orgId = planCtx.config.zia.orgId;
  const answer = await cli.prompter.text(
    `Apply the ${changes} step(s) that would change ${target.label}? Type its Company ID to confirm (anything else stops):`,
    '--auto-approve, or --yes for an unattended run',
  );
  if (answer !== orgId) {
    throw new UserError(`not confirmed (the answer was not the Company ID ${orgId}): nothing was changed`, {
      hint: 'Run the command again and type the Company ID to apply the plan; --auto-approve applies without asking.',
    });
  }
  return true;
}

/**
 * The part shared with `migrate demo`, which builds its context around the sandbox. With
 * `planContext`, a person at a terminal approves the plan before the first change (unless
 * --auto-approve); without a terminal, or with --yes, the run goes ahead as planned by observation.
 */
export async function executeFlow(
  cli: CliContext,
  ctx: MigrationContext,
  flow: Flow<MigrationContext>,
  extra: FlowCommandOptions,
  planContext?: () => MigrationContext,
): Promise<number> {
  const { opts, out, store } = cli;
  const target = targetOf(ctx.config);
  // The runner refuses a state file of another tenant before anything is observed or written.
  applyCheckpointFacts(ctx, await store.load());

  if (opts.dryRun) {
    const { plan } = await runFlow(flow, ctx, { store, target, dryRun: true });
    if (extra.junit) await writeFile(extra.junit, planToJUnit(plan)); // the one file a dry-run writes, on request
    if (opts.json) out.result({ schemaVersion: JSON_SCHEMA_VERSION, dryRun: true, plan });
    else out.print(renderPlan(out, plan));
    if (plan.blocking) {
      // The plan is the result (stdout); the reason for exit 1 is said on stderr too, where scripts look.
      const blockers = [...plan.preflight.filter(isBlockingCheck).map((c) => c.title), ...plan.steps.filter(isBlockingStep).map((s) => s.title)];
      out.error(`the plan is blocked by: ${blockers.join('; ')}${opts.json ? '' : ' (details in the plan above)'}. Nothing was written.`);
    }
    return planExitCode(plan, opts.detailedExitcode);
  }

  // Only this flow's verification is reported (the demo runs two flows in one context).
  ctx.lastParity = undefined;
  const printParity = () => {
    if (ctx.lastParity && !opts.json) out.print(`\n${renderSummary(ctx.lastParity.report, { color: out.color.level > 0 })}`);
  };
  let lock: HeldLock | undefined;
  // Ctrl-C outside a prompt: say so, release the lock, exit 130 (a prompt reports it as Interrupted).
  const stopHandlingInterrupt = exitOnInterrupt(async () => lock?.release());
  try {
    lock = await acquireLock(cli.statePath, flow.id);
    let planShown = false;
    if (planContext && cli.prompter.canPrompt && !opts.autoApprove) {
      const planCtx = planContext();
      try {
        planShown = await approvePlan(cli, flow, planCtx);
      } finally {
        await planCtx.close();
      }
    }
    out.info(out.color.bold(flow.title) + out.color.dim(`  (state: ${store.describe()})`));
    const events = progressEvents(out);
    if (planShown) delete events.preflight; // shown with the plan; a failure is still reported in full
    const result = await runFlow(flow, ctx, { store, target, dryRun: false, events });
    printParity();
    const verified = lastParityOf(ctx); // set by the flow's verification step, if it ran
    if (opts.json) {
      out.result({
        schemaVersion: JSON_SCHEMA_VERSION,
        flow: flow.id,
        completed: result.completed,
        steps: result.plan.steps.map((s) => ({ id: s.id, state: s.observation.state, detail: s.observation.detail })),
        parity: verified ? { ok: verified.ok, breaches: verified.breaches, summary: verified.report.summary } : undefined,
        stateSerial: result.state?.serial,
      });
    }
    out.print(out.color.green(`\n${flow.title}: complete.`));
    for (const line of flow.closingAdvice ?? []) out.print(out.color.dim(`   · ${line}`));
    return EXIT.ok;
  } catch (err) {
    printParity();
    if (opts.json) out.result({ schemaVersion: JSON_SCHEMA_VERSION, flow: flow.id, completed: false, error: errorText(err) });
    throw err;
  } finally {
    stopHandlingInterrupt();
    await lock?.release();
  }
}
