import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadAnyConfig } from '../config/load.js';
import { EXIT, UserError, errorText } from '../engine/errors.js';
import { acquireLock, type HeldLock } from '../engine/lock.js';
import { isBlockingCheck, isBlockingStep, runFlow, type Plan } from '../engine/runner.js';
import {
  EXIT_PLAN_REFUSED,
  approvalCheck,
  identityDifferences,
  observationDifferences,
  parseSavedPlan,
  stalePlanError,
  toSavedPlan,
  type SavedPlan,
} from '../engine/saved-plan.js';
import { TOOL_VERSION } from '../engine/version.js';
import type { Target } from '../engine/checkpoint.js';
import { productOf } from '../products/index.js';
import type { ProductContext, ProductModule, ProductRun } from '../products/product.js';
import { planToJUnit } from '../ui/junit.js';
import { JSON_SCHEMA_VERSION } from '../ui/output.js';
import { exitOnInterrupt } from '../ui/interrupt.js';
import { progressEvents, renderPlan } from '../ui/plan.js';
import { renderRunbook } from '../ui/runbook.js';
import { buildContext, type CliContext } from './build-context.js';

/**
 * The one run path of every product's commands (`migrate ad-to-scim`, `migrate provisioning-switch`,
 * `migrate rollback`, and the demo's runs): the configuration names the product (src/products), whose
 * module builds the flow and its context; here are the lock, the checkpoint, the dry-run and its
 * plan files (--junit, --out, --format markdown), saved plans (--plan), the confirmation at a
 * terminal, --json, the verification's report and the exit codes.
 */

export { operatorFor } from '../products/scim-run.js';

export interface FlowCommandOptions {
  junit?: string;
  /** --format: the dry-run's plan as text (default) or as a markdown runbook. */
  format?: 'text' | 'markdown';
  /** --out: save the dry-run's plan (JSON) for --plan. */
  out?: string;
  /** --plan: apply this saved plan only while the tenant still matches it. */
  plan?: string;
}

/** A product's run with what the run path reads of its module: the tenant and the confirmation. */
export interface ResolvedRun<C extends ProductContext> extends ProductRun<C> {
  target: Target;
  confirmation: { name: string; value: string };
}

/** The runbook's and saved plan's time: SOURCE_DATE_EPOCH (seconds) when set, for reproducible output; else now. */
function generatedAt(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString();
  return new Date().toISOString();
}

/** Reads and checks a saved plan before anything is contacted: the file, its digest, tool, command, tenant and configuration. */
async function loadApprovedPlan<C extends ProductContext>(file: string, run: ResolvedRun<C>): Promise<SavedPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read saved plan ${file}: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`, {
      hint: 'Give the file `--dry-run --out <file>` wrote. Nothing was changed.',
      exitCode: EXIT_PLAN_REFUSED,
    });
  }
  const approved = parseSavedPlan(text, file);
  const differences = identityDifferences(approved, { flowId: run.flow.id, target: run.target, configDigest: run.planIdentity.digest });
  if (differences.length > 0) throw stalePlanError(file, differences);
  return approved;
}

export function planExitCode(plan: Plan, detailed: boolean): number {
  if (plan.blocking) return EXIT.error;
  if (detailed && plan.changesPending) return EXIT.changesPending;
  return EXIT.ok;
}

/** The product a configuration names, its run of this command, and the tenant and confirmation from its own section. */
export async function resolveRun(
  module: ProductModule,
  command: string,
  config: { product: string },
  setup: Parameters<ProductModule['run']>[2],
): Promise<ResolvedRun<ProductContext>> {
  const section = (config as Record<string, unknown>)[module.kind];
  const run = await module.run(command, config, setup);
  return { ...run, target: module.targetOf(section as never), confirmation: module.confirmWith(section as never) };
}

/** Runs (or, with --dry-run, plans) a product's command from the command line: config, lock, run, report. */
export async function runFlowCommand(cmd: Command, name: string, extra: FlowCommandOptions & { product?: string }): Promise<void> {
  const cli = buildContext(cmd);
  const { opts } = cli;
  const config = await loadAnyConfig(opts.config);
  const module = productOf(config.product);
  // The command must be one the configured product offers (`--product` too, where a command names one).
  if (extra.product !== undefined && extra.product !== config.product) {
    throw new UserError(
      `\`migrate ${name} --product ${String(extra.product)}\` needs a configuration with product: ${String(extra.product)}, but ${opts.config} configures ${module.label} (product: ${config.product})`,
      { hint: `Pass --config with the ${String(extra.product)} configuration (see README.md). Nothing was contacted.` },
    );
  }
  if (!module.commands.includes(name)) {
    throw new UserError(`${opts.config} configures ${module.label} (product: ${config.product}), which has no \`migrate ${name}\``, {
      hint: `Its commands: ${module.commands.map((c) => `\`migrate ${c}\``).join(', ')}. Nothing was contacted.`,
    });
  }
  const run = await resolveRun(module, name, config, { cli, flags: extra as Readonly<Record<string, unknown>> });
  const ctx = run.context(opts.dryRun);
  try {
    process.exitCode = await executeFlow(cli, run, ctx, extra, true);
  } finally {
    await ctx.close();
  }
}

/**
 * On a terminal, before the first change: the plan, then a question that names the tenant and
 * takes only its Company ID (or the product's own such value) as a yes (like `terraform apply`, but a reflex "yes" cannot approve a
 * configuration that points at the wrong tenant). Returns whether the plan was shown.
 */
async function approvePlan<C extends ProductContext>(cli: CliContext, run: ResolvedRun<C>, planCtx: C): Promise<boolean> {
  const { out, store } = cli;
  const { flow, target } = run;
  const state = await store.load();
  run.resume(planCtx, state);
  const { plan } = await runFlow(flow, planCtx, { store, target, dryRun: true });
  out.print(renderPlan(out, plan));
  // Nothing to approve: no change is planned, or preflight fails and the run stops before writing.
  if (!plan.changesPending || plan.preflight.some(isBlockingCheck)) return true;
  const changes = plan.steps.filter((s) => s.observation.state !== 'done').length;
  for (const [i, s] of plan.steps.entries()) {
    if (isBlockingStep(s))
      out.warn(`step ${i + 1} (${s.title}) is ${s.observation.state} now: the run observes it again when it gets there, and stops there if it still is.`);
  }
  const { name, value } = run.confirmation;
  const answer = await cli.prompter.text(
    `Apply the ${changes} step(s) that would change ${target.label}? Type its ${name} to confirm (anything else stops):`,
    '--auto-approve, or --yes for an unattended run',
  );
  if (answer !== value) {
    throw new UserError(`not confirmed (the answer was not the ${name} ${value}): nothing was changed`, {
      hint: `Run the command again and type the ${name} to apply the plan; --auto-approve applies without asking.`,
    });
  }
  return true;
}

/**
 * Before the first write of a run with `--plan`: a fresh plan, observed read-only, must equal the
 * approved one (checkpoint, preflight, each step's state, changes and facts). A rerun of the same
 * approved plan (the checkpoint records its digest: it stopped at an operator step, or was
 * interrupted) resumes instead: each remaining step is checked by the runner before it changes anything.
 */
async function checkApprovedPlan<C extends ProductContext>(
  cli: CliContext,
  run: ResolvedRun<C>,
  approved: SavedPlan,
  file: string,
  planCtx: C,
  ownContext: boolean,
): Promise<void> {
  const { store, out } = cli;
  const { flow } = run;
  const state = await store.load();
  if (state?.flows[flow.id]?.approvedPlan === approved.digest) {
    out.info(
      out.color.dim(`resuming the approved plan ${file} (digest ${approved.digest}); each remaining step is checked against it before it changes anything`),
    );
    if (ownContext) await planCtx.close().catch(() => undefined);
    return;
  }
  try {
    run.resume(planCtx, state);
    const { plan } = await runFlow(flow, planCtx, { store, target: run.target, dryRun: true });
    const fresh = toSavedPlan(plan, { configDigest: run.planIdentity.digest, configCovers: run.planIdentity.covers, state, createdAt: approved.createdAt });
    const differences = observationDifferences(approved, fresh);
    if (differences.length > 0) throw stalePlanError(file, differences);
  } finally {
    if (ownContext) await planCtx.close().catch(() => undefined);
  }
  out.info(out.color.dim(`the tenant matches the approved plan ${file} (digest ${approved.digest})`));
}

/**
 * The part shared with `migrate demo`, which builds its context around the sandbox. With
 * `confirm`, a person at a terminal approves the plan (observed through a read-only context of its
 * own) before the first change (unless --auto-approve); without a terminal, or with --yes, the run
 * goes ahead as planned by observation.
 */
export async function executeFlow<C extends ProductContext>(
  cli: CliContext,
  run: ResolvedRun<C>,
  ctx: C,
  extra: FlowCommandOptions,
  confirm = false,
): Promise<number> {
  const { opts, out, store } = cli;
  const { flow, target } = run;
  // The runner refuses a state file of another tenant before anything is observed or written.
  run.resume(ctx, await store.load());

  if (opts.dryRun) {
    const { plan, state } = await runFlow(flow, ctx, { store, target, dryRun: true });
    const at = generatedAt();
    let saved: { file: string; digest: string } | undefined;
    if (extra.out && plan.blocking) {
      out.error(`no plan saved to ${extra.out}: a blocked plan cannot be applied (fix what blocks it and plan again)`);
    } else if (extra.out) {
      // The one file a dry-run with --out writes (0600: it names the tenant and what it holds).
      const doc = toSavedPlan(plan, { configDigest: run.planIdentity.digest, configCovers: run.planIdentity.covers, state, createdAt: at });
      await writeFile(extra.out, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
      saved = { file: extra.out, digest: doc.digest };
    }
    if (extra.junit) await writeFile(extra.junit, planToJUnit(plan)); // the one file a dry-run writes, on request
    if (opts.json) out.result({ schemaVersion: JSON_SCHEMA_VERSION, dryRun: true, plan, ...(saved ? { savedPlan: saved } : {}) });
    else if (extra.format === 'markdown') {
      out.print(
        renderRunbook({
          plan,
          command: run.command,
          generatedAt: at,
          toolVersion: TOOL_VERSION,
          ...(saved ? { savedPlan: saved } : {}),
          guards: run.planIdentity.settings,
          ...(run.reverse
            ? {
                reverse: {
                  command: run.reverse.command,
                  title: run.reverse.flow.title,
                  doc: run.reverse.flow.doc,
                  steps: run.reverse.flow.steps.map((s) => {
                    const guide = s.guide?.(ctx);
                    return { title: s.title, kind: s.kind, doc: s.doc, ...(guide ? { guide } : {}) };
                  }),
                },
              }
            : {}),
        }),
      );
    } else out.print(renderPlan(out, plan));
    if (saved) out.info(`saved the plan to ${saved.file} (digest ${saved.digest}); apply it with: ${run.command} --plan ${saved.file}`);
    if (plan.blocking) {
      // The plan is the result (stdout); the reason for exit 1 is said on stderr too, where scripts look.
      const blockers = [...plan.preflight.filter(isBlockingCheck).map((c) => c.title), ...plan.steps.filter(isBlockingStep).map((s) => s.title)];
      out.error(`the plan is blocked by: ${blockers.join('; ')}${opts.json ? '' : ' (details in the plan above)'}. Nothing was written.`);
    }
    return planExitCode(plan, opts.detailedExitcode);
  }

  // Only this flow's verification is reported (the demo runs two flows in one context).
  run.clearVerification(ctx);
  const printVerification = () => {
    const text = run.verification(ctx)?.text;
    if (text && !opts.json) out.print(`\n${text}`);
  };
  // A saved plan is checked against the tool, command, tenant and configuration before the lock or any system.
  const approved = extra.plan ? await loadApprovedPlan(extra.plan, run) : undefined;
  let lock: HeldLock | undefined;
  // Ctrl-C outside a prompt: say so, release the lock, exit 130 (a prompt reports it as Interrupted).
  const stopHandlingInterrupt = exitOnInterrupt(async () => lock?.release());
  try {
    lock = await acquireLock(cli.statePath, flow.id);
    let planShown = false;
    if (approved && extra.plan) {
      // Approved already (the change ticket): no question; what is observed now must match it.
      await checkApprovedPlan(cli, run, approved, extra.plan, confirm ? run.context(true) : ctx, confirm);
    } else if (confirm && cli.prompter.canPrompt && !opts.autoApprove) {
      const planCtx = run.context(true);
      try {
        planShown = await approvePlan(cli, run, planCtx);
      } finally {
        await planCtx.close();
      }
    }
    out.info(out.color.bold(flow.title) + out.color.dim(`  (state: ${store.describe()})`));
    const events = progressEvents(out);
    if (planShown) delete events.preflight; // shown with the plan; a failure is still reported in full
    const approval = approved && extra.plan ? { digest: approved.digest, check: approvalCheck(approved, extra.plan) } : undefined;
    const result = await runFlow(flow, ctx, { store, target, dryRun: false, events, ...(approval ? { approval } : {}) });
    printVerification();
    if (opts.json) {
      out.result({
        schemaVersion: JSON_SCHEMA_VERSION,
        flow: flow.id,
        completed: result.completed,
        steps: result.plan.steps.map((s) => ({ id: s.id, state: s.observation.state, detail: s.observation.detail })),
        ...run.verification(ctx)?.json,
        stateSerial: result.state?.serial,
      });
    }
    out.print(out.color.green(`\n${flow.title}: complete.`));
    run.finish(result, out);
    return EXIT.ok;
  } catch (err) {
    printVerification();
    const keep = run.verification(ctx)?.keep;
    if (keep) {
      await keep().then(
        (where) => out.error(`the before/after report is in ${where}`),
        (e: unknown) => out.error(`could not write the report: ${errorText(e)}`),
      );
    }
    if (opts.json) out.result({ schemaVersion: JSON_SCHEMA_VERSION, flow: flow.id, completed: false, error: errorText(err) });
    throw err;
  } finally {
    stopHandlingInterrupt();
    await lock?.release();
  }
}
