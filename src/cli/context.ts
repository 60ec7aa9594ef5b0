import type { Command } from 'commander';
import { UserError } from '../engine/errors.js';

// The definition side of every command: options, help and flag checks. Keep it free of heavy
// imports (zod, chalk, prompts, clients): `migrate --help` loads only this and commander.

export const DEFAULT_STATE = './.migrate/state.json';
export const DEFAULT_CONFIG = './migrate.yaml';

/** The flags every command shares (declared once on the program). */
export interface CommonOptions {
  config: string;
  state: string;
  dryRun: boolean;
  yes: boolean;
  autoApprove: boolean;
  json: boolean;
  detailedExitcode: boolean;
  color: boolean;
  junit?: string;
  auditLog?: string;
}

export function addCommonOptions(program: Command): Command {
  return program
    .option('-c, --config <file>', 'configuration file (YAML or JSON)', DEFAULT_CONFIG)
    .option('-s, --state <file>', 'checkpoint (state) file', DEFAULT_STATE)
    .option('-n, --dry-run', 'observe and print the plan; write nothing anywhere', false)
    .option('-y, --yes', 'unattended, no prompts: take every answer from flags, environment or files (never skips verification)', false)
    .option('--auto-approve', 'apply without asking to confirm the plan first; operator steps still prompt at a terminal', false)
    .option('--json', 'one JSON document on stdout and nothing else there (the human results move to stderr)', false)
    .option('--detailed-exitcode', 'with --dry-run: exit 2 when changes are pending', false)
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .option('--audit-log <file>', 'append one JSON line per API call (no bodies, no secrets)');
}

/** The commands that print a plan with --dry-run: there --detailed-exitcode and --junit describe that plan. */
const PLAN_COMMANDS = new Set(['ad-to-scim', 'rollback', 'provisioning-switch']);

/**
 * Refuses flags that mean nothing for this invocation, before anything is loaded or contacted.
 * `--detailed-exitcode` and a plan command's `--junit` only describe a dry-run's plan: given to
 * a real run they would be silently ignored while the run changes the tenant (`rollback --junit
 * j.xml` used to perform a real rollback and write no file). `verify --junit` has its own
 * meaning (the parity report as JUnit) and stays.
 */
export function refuseMeaninglessFlags(cmd: Command): void {
  const opts = commonOptions(cmd);
  const name = cmd.name();
  const plan = PLAN_COMMANDS.has(name);
  if (opts.detailedExitcode && !(plan && opts.dryRun)) {
    throw new UserError(
      plan
        ? `--detailed-exitcode only describes a dry-run's plan; refusing to run \`migrate ${name}\` for real with it`
        : `--detailed-exitcode means nothing for \`migrate ${name}\` (it applies to ad-to-scim and rollback with --dry-run)`,
      {
        hint: plan
          ? `Add --dry-run to plan only (exit 2 = changes pending), or drop --detailed-exitcode to run ${name}. Nothing was loaded or contacted.`
          : 'Drop --detailed-exitcode. Nothing was loaded or contacted.',
      },
    );
  }
  if (plan) refusePlanFlags(cmd, name, opts);
  const junit = (cmd.opts() as { junit?: unknown }).junit;
  if (plan && junit !== undefined && !opts.dryRun) {
    throw new UserError(`--junit writes the dry-run plan; refusing to run \`migrate ${name}\` for real with it (no file would be written)`, {
      hint: `Add --dry-run to write the plan as JUnit XML, or drop --junit to run ${name}. Nothing was loaded or contacted.`,
    });
  }
}

/** The saved-plan and runbook flags of ad-to-scim and rollback (`--out`, `--format`, `--plan`). */
export interface PlanFileOptions {
  out?: string;
  format?: 'text' | 'markdown';
  plan?: string;
}

/**
 * `--out` and `--format markdown` describe a dry-run's plan (a real run would drop them silently);
 * `--plan` applies a saved plan, which a dry-run never does; a runbook is not JSON.
 */
function refusePlanFlags(cmd: Command, name: string, opts: CommonOptions): void {
  const { out, format, plan } = cmd.opts() as PlanFileOptions;
  const nothing = 'Nothing was loaded or contacted.';
  if (out !== undefined && !opts.dryRun) {
    throw new UserError(`--out saves the dry-run's plan; refusing to run \`migrate ${name}\` for real with it (no plan would be saved)`, {
      hint: `Add --dry-run to save the plan, then apply it with \`migrate ${name} --plan <file>\`. ${nothing}`,
    });
  }
  if (format === 'markdown' && !opts.dryRun) {
    throw new UserError(`--format markdown writes the dry-run's plan as a runbook; refusing to run \`migrate ${name}\` for real with it`, {
      hint: `Add --dry-run to write the runbook. ${nothing}`,
    });
  }
  if (format === 'markdown' && opts.json) {
    throw new UserError('--format markdown and --json both claim stdout; give one', {
      hint: `The JSON plan can be saved with --out <file> beside the runbook. ${nothing}`,
    });
  }
  if (plan !== undefined && opts.dryRun) {
    throw new UserError(`--plan applies a saved plan; a dry-run makes one (--dry-run --out <file>)`, {
      hint: `Drop --dry-run to apply ${plan}, or drop --plan to make a new plan. ${nothing}`,
    });
  }
}

export function commonOptions(cmd: Command): CommonOptions {
  return cmd.optsWithGlobals() as CommonOptions;
}
