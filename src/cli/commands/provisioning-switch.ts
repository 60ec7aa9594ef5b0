import { Option, type Command } from 'commander';
import type { PlanFileOptions } from '../context.js';
import { stepsHelp } from './steps-help.js';

// Definition only: the flow, the clients and the engine load when the command runs.

export function registerProvisioningSwitchCommand(program: Command): void {
  program
    .command('provisioning-switch')
    .description('Druva inSync: switch user provisioning between SCIM and Azure AD with no user, device or backup lost')
    .addOption(new Option('--product <product>', 'the product whose provisioning method changes').choices(['insync']).makeOptionMandatory())
    .addOption(new Option('--to <method>', 'the method to switch to').choices(['azure-ad', 'scim']).makeOptionMandatory())
    .option('--junit <file>', 'with --dry-run: write the plan as JUnit XML')
    .addOption(
      new Option('--format <format>', 'with --dry-run: the plan as text, or as a markdown runbook for a change ticket')
        .choices(['text', 'markdown'])
        .default('text'),
    )
    .option('--out <file>', 'with --dry-run: save the plan (JSON, with its digest) for --plan')
    .option('--plan <file>', 'apply a saved plan: runs only while what it observes matches what was approved (exit 4 otherwise)')
    .option('--attest <steps>', 'unattended rerun after exit 3: the operator steps done in the console (switch-method, create-mapping, attest-manual-mode)')
    .addHelpText(
      'after',
      `
${stepsHelp('provisioning-switch')}

Undo with \`migrate rollback\` (same configuration and state file).

Examples:
  $ migrate provisioning-switch --product insync --to azure-ad --dry-run
  $ migrate provisioning-switch --product insync --to azure-ad --dry-run --out switch.json --format markdown > switch.md
                                           the change ticket's runbook and its saved plan
  $ migrate provisioning-switch --product insync --to azure-ad --plan switch.json
                                           apply the approved plan (exit 4 if stale)
  $ migrate provisioning-switch --product insync --to azure-ad
  $ migrate provisioning-switch --product insync --to azure-ad --yes --attest switch-method
                                           unattended: the switch was done in the console after exit 3
  $ migrate rollback                       switch back, verified against the same snapshot`,
    )
    .action(async (opts: { product: string; to: string; attest?: string; junit?: string } & PlanFileOptions, cmd: Command) => {
      const { runFlowCommand } = await import('../run-flow.js');
      await runFlowCommand(cmd, 'provisioning-switch', opts);
    });
}
