import { Command, CommanderError } from 'commander';
import { EXIT, OperatorNeeded, UserError, errorText } from '../engine/errors.js';
import { limitHeapGrowth } from '../engine/heap.js';
import { redact } from '../engine/redact.js';
import { TOOL_VERSION } from '../engine/version.js';
import { announceInterrupted, Interrupted } from '../ui/interrupt.js';
import { ignoreClosedPipes } from '../ui/pipes.js';
import { addCommonOptions, refuseMeaninglessFlags } from './context.js';
import { registerCommands } from './commands/index.js';

/** How a run on a terminal is confirmed, and the flags that change it (ad-to-scim and rollback). */
const CONFIRMATION_HELP = (name: string) => `
Confirmation: on a terminal, the plan is shown first and nothing changes until you type the tenant's
Company ID (zia.orgId) at the question that names the tenant; any other answer stops with nothing
changed (exit 1), Ctrl-C stops with exit 130 (state saved; rerun to continue).
  $ migrate ${name} --auto-approve            no confirmation; operator steps still prompt
  $ migrate ${name} --yes                     unattended: no prompts at all (exit 3 at an operator step)
Without a terminal (CI, cron) the run is unattended, as with --yes.`;

export function buildProgram(): Command {
  const program = new Command('migrate')
    .description(
      // One sentence: commander wraps it to the terminal, so no line break of our own cuts it mid-sentence.
      'Move a Zscaler tenant from Active Directory/LDAP directory sync to SCIM provisioning pushed by the ' +
        'identity provider — step by checkpointed step, resumable, reversible — and prove the users match.',
    )
    // A subcommand's help lists the global options its examples use (--config, --state, --json, …).
    .configureHelp({ showGlobalOptions: true })
    .version(TOOL_VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  addCommonOptions(program);
  registerCommands(program);
  for (const name of ['ad-to-scim', 'rollback']) {
    program.commands.find((c) => c.name() === name)?.addHelpText('after', CONFIRMATION_HELP(name));
  }
  // Runs before every command's action, so a refused flag loads and contacts nothing.
  program.hook('preAction', (_program, actionCommand) => refuseMeaninglessFlags(actionCommand));
  program.addHelpText(
    'after',
    `
Quick start (no account needed — everything runs against the built-in sandbox):
  $ migrate demo

A real migration:
  $ migrate init                         write a commented migrate.yaml
  $ migrate ad-to-scim --dry-run         preflight and plan; writes nothing
  $ migrate ad-to-scim                   run it (resumable: run again to continue)
  $ migrate verify --report ./parity     prove the users match
  $ migrate rollback                     the documented way back

Exit codes: 0 success · 1 error or a blocking check · 2 changes pending (--dry-run --detailed-exitcode)
            3 stopped at an operator step that needs a person (state saved; rerun continues)
            4 a saved plan (--plan) was refused: stale, edited, or for another tenant/config/version
            130 interrupted (Ctrl-C): state saved; rerun continues

On a terminal, ad-to-scim and rollback show the plan and ask for the tenant's Company ID before the
first change (--auto-approve skips the question; --yes runs unattended, without any prompt).`,
  );
  return program;
}

/** Entry point used by bin/migrate. Sets process.exitCode rather than exiting, so output flushes. */
export async function main(argv: string[]): Promise<number> {
  limitHeapGrowth();
  ignoreClosedPipes();
  const program = buildProgram();
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(argv);
    code = typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    code = reportError(err);
  }
  process.exitCode = code;
  return code;
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has already printed help/version/usage errors.
    return err.exitCode === 0 ? EXIT.ok : EXIT.error;
  }
  if (err instanceof Interrupted) {
    announceInterrupted();
    return err.exitCode;
  }
  if (err instanceof UserError) {
    const label = err instanceof OperatorNeeded ? 'waiting for operator' : 'error';
    process.stderr.write(`migrate: ${label}: ${redact(err.message)}\n`);
    if (err.hint) process.stderr.write(`  ${redact(err.hint)}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`migrate: unexpected error: ${redact(errorText(err))}\n`);
  if (process.env.MIGRATE_DEBUG) process.stderr.write(`${redact(e?.stack ?? '')}\n`);
  else process.stderr.write('  Set MIGRATE_DEBUG=1 for a stack trace. The state file is left as the last completed step wrote it.\n');
  return EXIT.error;
}
