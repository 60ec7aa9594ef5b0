import { Option, type Command } from 'commander';
import type { PlanFileOptions } from '../context.js';
import { stepsHelp } from './steps-help.js';

// Definition only: the flow, the clients and the engine load when the command runs.

export function registerRollbackCommand(program: Command): void {
  program
    .command('rollback')
    .description(
      "undo the configured product's change: ZIA back to AD/LDAP directory sync (the documented revert), ZPA's SCIM Sync and policy off, inSync's provisioning switch back",
    )
    .option('--accept-pending-changes', "allow activating other administrators' pending ZIA changes together with the rollback", false)
    .option('--junit <file>', 'with --dry-run: write the plan as JUnit XML')
    .addOption(
      new Option('--format <format>', 'with --dry-run: the plan as text, or as a markdown runbook for a change ticket')
        .choices(['text', 'markdown'])
        .default('text'),
    )
    .option('--out <file>', 'with --dry-run: save the plan (JSON, with its digest) for --plan')
    .option('--plan <file>', 'apply a saved plan: runs only while what it observes matches what was approved (exit 4 otherwise)')
    .option('--attest <steps>', 'product: insync only: operator steps done in the console, for an unattended rerun (see provisioning-switch)')
    .addHelpText(
      'after',
      `
${stepsHelp('rollback')}

Works from any point the forward run reached; each step checks its precondition first.

Examples:
  $ migrate rollback --dry-run       what would be undone
  $ migrate rollback --dry-run --out rollback.json --format markdown > rollback.md
                                     the change ticket's runbook and its saved plan
  $ migrate rollback --plan rollback.json   apply the approved plan (exit 4 if stale)
  $ migrate rollback                 do it`,
    )
    .action(async (opts: { acceptPendingChanges: boolean; junit?: string } & PlanFileOptions, cmd: Command) => {
      const { runFlowCommand } = await import('../run-flow.js');
      await runFlowCommand(cmd, 'rollback', opts);
    });
}
