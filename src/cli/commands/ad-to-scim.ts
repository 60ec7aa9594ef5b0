import { Option, type Command } from 'commander';
import type { PlanFileOptions } from '../context.js';
import { stepsHelp } from './steps-help.js';

// Definition only: the flow, the clients and the engine load when the command runs.

export function registerAdToScimCommand(program: Command): void {
  program
    .command('ad-to-scim')
    .description('migrate the configured product (ZIA or ZPA) from AD/LDAP directory sync to SCIM provisioning pushed by the IdP (idp.kind)')
    .option('--accept-pending-changes', "allow activating other administrators' pending ZIA changes together with the migration", false)
    .option('--adopt', 'take on a tenant found past the starting point with no state file recording it (the original state file was lost); see README', false)
    .option('--junit <file>', 'with --dry-run: write the plan as JUnit XML (one test case per check and step)')
    .addOption(
      new Option('--format <format>', 'with --dry-run: the plan as text, or as a markdown runbook for a change ticket')
        .choices(['text', 'markdown'])
        .default('text'),
    )
    .option('--out <file>', 'with --dry-run: save the plan (JSON, with its digest) for --plan')
    .option('--plan <file>', 'apply a saved plan: runs only while what it observes matches what was approved (exit 4 otherwise)')
    .addHelpText(
      'after',
      `
${stepsHelp('ad-to-scim')}

Every step observes the tenant first; run the command again to resume after any stop.

Examples:
  $ migrate ad-to-scim --dry-run                            plan only; writes nothing
  $ migrate ad-to-scim --dry-run --json --detailed-exitcode  CI: exit 2 when changes are pending
  $ migrate ad-to-scim --dry-run --junit plan.xml            plan as JUnit test cases
  $ migrate ad-to-scim --dry-run --out plan.json --format markdown > runbook.md
                                                             save the plan; the runbook quotes its digest
  $ migrate ad-to-scim --plan plan.json                      apply the approved plan (exit 4 if stale)
  $ migrate ad-to-scim                                       interactive run
  $ ZIA_SCIM_TOKEN=… migrate ad-to-scim --yes                unattended (scim.baseUrl + scim.tokenEnv in the config)
  $ migrate ad-to-scim --yes                                 ZPA: rerun after the soak gate's exit 3; continues there`,
    )
    .action(async (opts: { acceptPendingChanges: boolean; adopt: boolean; junit?: string } & PlanFileOptions, cmd: Command) => {
      const { runFlowCommand } = await import('../run-flow.js');
      await runFlowCommand(cmd, 'ad-to-scim', opts);
    });
}
