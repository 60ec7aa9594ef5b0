import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { EXIT } from '../engine/errors.js';
import { acquireLock, type HeldLock } from '../engine/lock.js';
import type { Operator } from '../engine/operator.js';
import { runFlow, type Plan } from '../engine/runner.js';
import type { Flow } from '../engine/step.js';
import { createSandboxPortalClient } from '../clients/sandbox-portal.js';
import { createMigrationContext, targetOf, type MigrationContext } from '../flows/context.js';
import { SandboxOperator } from '../flows/sandbox-operator.js';
import { applyCheckpointFacts } from '../flows/resume.js';
import { renderSummary } from '../parity/index.js';
import { planToJUnit } from '../ui/junit.js';
import type { Output } from '../ui/output.js';
import { PersonOperator } from '../ui/person-operator.js';
import { progressEvents, renderPlan } from '../ui/plan.js';
import type { Prompter } from '../ui/prompts.js';
import { buildContext, type CliContext } from './context.js';

export function operatorFor(config: Config, out: Output, prompter: Prompter, readOnly: boolean): Operator {
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
export async function runFlowCommand(cmd: Command, flow: Flow<MigrationContext>, extra: FlowCommandOptions): Promise<void> {
  const cli = buildContext(cmd);
  const { opts, out } = cli;
  const config = await loadConfig(opts.config);
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
  try {
    const code = await executeFlow(cli, ctx, flow, extra);
    process.exitCode = code;
  } finally {
    await ctx.close();
  }
}

/** The part shared with `migrate demo`, which builds its context around the sandbox. */
export async function executeFlow(cli: CliContext, ctx: MigrationContext, flow: Flow<MigrationContext>, extra: FlowCommandOptions): Promise<number> {
  const { opts, out, store } = cli;
  const target = targetOf(ctx.config);
  // The runner refuses a state file of another tenant before anything is observed or written.
  applyCheckpointFacts(ctx, await store.load());

  if (opts.dryRun) {
    const { plan } = await runFlow(flow, ctx, { store, target, dryRun: true });
    if (extra.junit) await writeFile(extra.junit, planToJUnit(plan)); // the one file a dry-run writes, on request
    if (opts.json) out.result({ dryRun: true, plan });
    else process.stderr.write(`${renderPlan(out, plan)}\n`);
    return planExitCode(plan, opts.detailedExitcode);
  }

  // Only this flow's verification is reported (the demo runs two flows in one context).
  ctx.lastParity = undefined;
  const printParity = () => {
    if (ctx.lastParity && !opts.json) process.stderr.write(`\n${renderSummary(ctx.lastParity.report, { color: out.color.level > 0 })}\n`);
  };
  let lock: HeldLock | undefined;
  try {
    lock = await acquireLock(cli.statePath, flow.id);
    out.info(out.color.bold(flow.title) + out.color.dim(`  (state: ${store.describe()})`));
    const result = await runFlow(flow, ctx, { store, target, dryRun: false, events: progressEvents(out) });
    printParity();
    const verified = lastParityOf(ctx); // set by the flow's verification step, if it ran
    if (opts.json) {
      out.result({
        flow: flow.id,
        completed: result.completed,
        steps: result.plan.steps.map((s) => ({ id: s.id, state: s.observation.state, detail: s.observation.detail })),
        parity: verified ? { ok: verified.ok, breaches: verified.breaches, summary: verified.report.summary } : undefined,
        stateSerial: result.state?.serial,
      });
    }
    out.info(out.color.green(`\n${flow.title}: complete.`));
    return EXIT.ok;
  } catch (err) {
    printParity();
    if (opts.json) out.result({ flow: flow.id, completed: false, error: (err as Error).message });
    throw err;
  } finally {
    await lock?.release();
  }
}
