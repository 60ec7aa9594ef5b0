import { Option, type Command } from 'commander';
import type { PlanFileOptions } from '../context.js';

// Definition only: the flow, the clients and the engine load when the command runs.

export function registerAdToScimCommand(program: Command): void {
  program
    .command('ad-to-scim')
    .description('migrate ZIA from AD/LDAP directory sync to SCIM provisioning pushed by the IdP (idp.kind)')
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
Steps (ZIA "AD with LDAP to SCIM provisioning migration guide"): preflight → snapshot → Sync Now [operator]
→ enable "Disable Directory Sync & Enable SCIM Provisioning" → Edit IdP: enable SCIM, disable SAML
auto-provisioning, paste Base URL + Bearer Token [operator] → activate → give the IdP the Base URL and
token, Test Connection → deprovision guard → start provisioning → initial cycle → verify parity → record
completion. The IdP's steps are automated for Entra ID (Graph) and operator steps for idp.kind manual.

Every step observes the tenant first; run the command again to resume after any stop.

Examples:
  $ migrate ad-to-scim --dry-run                            plan only; writes nothing
  $ migrate ad-to-scim --dry-run --json --detailed-exitcode  CI: exit 2 when changes are pending
  $ migrate ad-to-scim --dry-run --junit plan.xml            plan as JUnit test cases
  $ migrate ad-to-scim --dry-run --out plan.json --format markdown > runbook.md
                                                             save the plan; the runbook quotes its digest
  $ migrate ad-to-scim --plan plan.json                      apply the approved plan (exit 4 if stale)
  $ migrate ad-to-scim                                       interactive run
  $ ZIA_SCIM_TOKEN=… migrate ad-to-scim --yes                unattended (scim.baseUrl + scim.tokenEnv in the config)`,
    )
    .action(async (opts: { acceptPendingChanges: boolean; adopt: boolean; junit?: string } & PlanFileOptions, cmd: Command) => {
      const { runFlowCommand } = await import('../run-flow.js');
      await runFlowCommand(cmd, 'ad-to-scim', opts);
    });
}
