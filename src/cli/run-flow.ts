import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { loadAnyConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { EXIT, UserError, errorText } from '../engine/errors.js';
import { acquireLock, type HeldLock } from '../engine/lock.js';
import { isBlockingCheck, isBlockingStep, runFlow, type Plan } from '../engine/runner.js';
import {
  EXIT_PLAN_REFUSED,
  approvalCheck,
  digestOf,
  identityDifferences,
  observationDifferences,
  parseSavedPlan,
  stalePlanError,
  toSavedPlan,
  type SavedPlan,
} from '../engine/saved-plan.js';
import { TOOL_VERSION } from '../engine/version.js';
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
import { renderRunbook } from '../ui/runbook.js';
import type { Prompter } from '../ui/prompts.js';
import { buildContext, type CliContext } from './build-context.js';
import { ziaOf } from '../products/zia/config.js';
import { zpaOf } from '../products/zpa/client.js';
import { createSandboxZpaPortalClient } from '../clients/sandbox-zpa-portal.js';

export function operatorFor(config: Config, out: Output, prompter: Prompter, readOnly: boolean): MigrationOperator {
  return config.operator.kind === 'sandbox'
    ? new SandboxOperator(
        createSandboxPortalClient({ portalUrl: config.operator.portalUrl, readOnly }),
        out,
        config.operator.zpaPortalUrl ? createSandboxZpaPortalClient({ portalUrl: config.operator.zpaPortalUrl, readOnly }) : undefined,
      )
    : new PersonOperator(out, prompter);
}

/** Read through a function: the compiler cannot see that runFlow's steps set it. */
const lastParityOf = (ctx: MigrationContext) => ctx.lastParity;

export interface FlowCommandOptions {
  acceptPendingChanges?: boolean;
  adoptObservedState?: boolean;
  junit?: string;
  /** --format: the dry-run's plan as text (default) or as a markdown runbook. */
  format?: 'text' | 'markdown';
  /** --out: save the dry-run's plan (JSON) for --plan. */
  out?: string;
  /** --plan: apply this saved plan only while the tenant still matches it. */
  plan?: string;
  /** The flow that undoes this one (its steps are the runbook's rollback plan), resolved for the configured IdP. */
  reverse?: FlowName | { command: string; flow: Flow<MigrationContext> };
}

/**
 * The configuration's digest, for a saved plan. A plain sha256 is enough and safe: the schema accepts
 * no inline secret, so the validated configuration holds secret references (…Env, …File), never a
 * secret's value. A rotated password therefore leaves a plan valid; pointing at another secret does not.
 * Left out: the SCIM Base URL and token reference (`scim.baseUrl`, `scim.tokenEnv`, `scim.tokenFile`).
 * They are the operator's answers to the Edit IdP step, known only once SCIM is enabled on the IdP
 * (an unattended run adds them after it stopped there, exit 3), and that step checks them live.
 */
const CONFIG_DIGEST_COVERS =
  "sha256 of the validated configuration (defaults applied; secret references only, never secret values), without scim.baseUrl, scim.tokenEnv and scim.tokenFile (the Edit IdP step's answers, checked live)";
function configDigest(config: Config): string {
  const { baseUrl: _url, tokenEnv: _env, tokenFile: _file, ...scim } = config.scim as Config['scim'] & { tokenEnv?: string; tokenFile?: string };
  return digestOf({ ...config, scim });
}

/** The runbook's and saved plan's time: SOURCE_DATE_EPOCH (seconds) when set, for reproducible output; else now. */
function generatedAt(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString();
  return new Date().toISOString();
}

const commandOf = (flow: Flow<MigrationContext>) => `migrate ${flow.id}`;

/** Reads and checks a saved plan before anything is contacted: the file, its digest, tool, command, tenant and configuration. */
async function loadApprovedPlan(file: string, flow: Flow<MigrationContext>, config: Config): Promise<SavedPlan> {
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
  const differences = identityDifferences(approved, { flowId: flow.id, target: targetOf(config), configDigest: configDigest(config) });
  if (differences.length > 0) throw stalePlanError(file, differences);
  return approved;
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
  const any = await loadAnyConfig(opts.config);
  // An inSync configuration (product: insync) has its own flows; `migrate rollback` reverses its switch.
  if (any.product === 'insync') {
    if (name !== 'rollback') throw new UserError(`${opts.config} configures Druva inSync: use \`migrate provisioning-switch --product insync\``);
    return (await import('./actions/provisioning-switch.js')).runInsyncCommand(cmd, 'rollback');
  }
  if ((cmd.opts() as { attest?: string }).attest !== undefined) {
    throw new UserError('--attest applies to a product: insync configuration only; ZIA steps are verified by observation', { hint: 'Drop --attest.' });
  }
  const config = any.config;
  const flow = await flowFor(name, config);
  if (typeof extra.reverse === 'string') extra = { ...extra, reverse: { command: `migrate ${extra.reverse}`, flow: await flowFor(extra.reverse, config) } };
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
    createMigrationContext({
      config,
      readOnly: true,
      out,
      operator: operatorFor(config, out, cli.prompter, true),
      acceptPendingChanges: extra.acceptPendingChanges,
    });
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
    if (isBlockingStep(s))
      out.warn(`step ${i + 1} (${s.title}) is ${s.observation.state} now: the run observes it again when it gets there, and stops there if it still is.`);
  }
  // The tenant's own id, as its console shows it: ZIA's Company ID, ZPA's customer id (Administration > Company).
  const orgId = planCtx.config.product === 'zpa' ? zpaOf(planCtx.config).customerId : ziaOf(planCtx.config).orgId;
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
 * Before the first write of a run with `--plan`: a fresh plan, observed read-only, must equal the
 * approved one (checkpoint, preflight, each step's state, changes and facts). A rerun of the same
 * approved plan (the checkpoint records its digest: it stopped at an operator step, or was
 * interrupted) resumes instead: each remaining step is checked by the runner before it changes anything.
 */
async function checkApprovedPlan(
  cli: CliContext,
  flow: Flow<MigrationContext>,
  approved: SavedPlan,
  file: string,
  planCtx: MigrationContext,
  ownContext: boolean,
): Promise<void> {
  const { store, out } = cli;
  const state = await store.load();
  if (state?.flows[flow.id]?.approvedPlan === approved.digest) {
    out.info(
      out.color.dim(`resuming the approved plan ${file} (digest ${approved.digest}); each remaining step is checked against it before it changes anything`),
    );
    if (ownContext) await planCtx.close().catch(() => undefined);
    return;
  }
  try {
    applyCheckpointFacts(planCtx, state);
    const { plan } = await runFlow(flow, planCtx, { store, target: targetOf(planCtx.config), dryRun: true });
    const fresh = toSavedPlan(plan, { configDigest: configDigest(planCtx.config), configCovers: CONFIG_DIGEST_COVERS, state, createdAt: approved.createdAt });
    const differences = observationDifferences(approved, fresh);
    if (differences.length > 0) throw stalePlanError(file, differences);
  } finally {
    if (ownContext) await planCtx.close().catch(() => undefined);
  }
  out.info(out.color.dim(`the tenant matches the approved plan ${file} (digest ${approved.digest})`));
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
    const { plan, state } = await runFlow(flow, ctx, { store, target, dryRun: true });
    const at = generatedAt();
    let saved: { file: string; digest: string } | undefined;
    if (extra.out && plan.blocking) {
      out.error(`no plan saved to ${extra.out}: a blocked plan cannot be applied (fix what blocks it and plan again)`);
    } else if (extra.out) {
      // The one file a dry-run with --out writes (0600: it names the tenant and what it holds).
      const doc = toSavedPlan(plan, { configDigest: configDigest(ctx.config), configCovers: CONFIG_DIGEST_COVERS, state, createdAt: at });
      await writeFile(extra.out, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
      saved = { file: extra.out, digest: doc.digest };
    }
    if (extra.junit) await writeFile(extra.junit, planToJUnit(plan)); // the one file a dry-run writes, on request
    if (opts.json) out.result({ schemaVersion: JSON_SCHEMA_VERSION, dryRun: true, plan, ...(saved ? { savedPlan: saved } : {}) });
    else if (extra.format === 'markdown') {
      out.print(
        renderRunbook({
          plan,
          command: commandOf(flow),
          generatedAt: at,
          toolVersion: TOOL_VERSION,
          ...(saved ? { savedPlan: saved } : {}),
          guards: Object.entries(ctx.config.guards).map(([k, v]) => ({ key: `guards.${k}`, value: String(v) })),
          ...(extra.reverse && typeof extra.reverse !== 'string'
            ? {
                reverse: {
                  command: extra.reverse.command,
                  title: extra.reverse.flow.title,
                  doc: extra.reverse.flow.doc,
                  steps: extra.reverse.flow.steps.map((s) => {
                    const guide = s.guide?.(ctx);
                    return { title: s.title, kind: s.kind, doc: s.doc, ...(guide ? { guide } : {}) };
                  }),
                },
              }
            : {}),
        }),
      );
    } else out.print(renderPlan(out, plan));
    if (saved) out.info(`saved the plan to ${saved.file} (digest ${saved.digest}); apply it with: ${commandOf(flow)} --plan ${saved.file}`);
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
  // A saved plan is checked against the tool, command, tenant and configuration before the lock or any system.
  const approved = extra.plan ? await loadApprovedPlan(extra.plan, flow, ctx.config) : undefined;
  let lock: HeldLock | undefined;
  // Ctrl-C outside a prompt: say so, release the lock, exit 130 (a prompt reports it as Interrupted).
  const stopHandlingInterrupt = exitOnInterrupt(async () => lock?.release());
  try {
    lock = await acquireLock(cli.statePath, flow.id);
    let planShown = false;
    if (approved && extra.plan) {
      // Approved already (the change ticket): no question; what is observed now must match it.
      await checkApprovedPlan(cli, flow, approved, extra.plan, planContext ? planContext() : ctx, planContext !== undefined);
    } else if (planContext && cli.prompter.canPrompt && !opts.autoApprove) {
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
    const approval = approved && extra.plan ? { digest: approved.digest, check: approvalCheck(approved, extra.plan) } : undefined;
    const result = await runFlow(flow, ctx, { store, target, dryRun: false, events, ...(approval ? { approval } : {}) });
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
