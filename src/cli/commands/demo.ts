import { Option, type Command } from 'commander';
import { checkVariantFlag } from './sandbox.js';

export interface DemoOptions {
  users: string;
  speed: string;
  stateDir?: string;
  skipRollback: boolean;
  variant?: string;
  idp?: string;
  product?: string;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('rehearse the whole migration on the built-in sandbox: plan, migrate, parity report, roll back, verify')
    .option('--users <n>', 'users in the simulated directory', '1000')
    .option('--speed <f>', "sandbox speed: multiplies the simulated vendors' request rates and provisioning pace", '40')
    .option('--state-dir <dir>', 'where the demo keeps its state file (default: a new temporary directory)')
    .option('--skip-rollback', 'stop after the migration (the sandbox still stops when the demo ends)', false)
    .option('--idp <kind>', "the IdP to rehearse with (idp.kind): entra, or manual (the scripted operator plays the admin at the IdP's console)", 'entra')
    .addOption(
      new Option(
        '--product <product>',
        'the product to rehearse: zia (AD → SCIM, the default), zpa (SCIM Sync, soak gate, SCIM policies) or insync (provisioning switch to Azure AD and back)',
      )
        .choices(['zia', 'zpa', 'insync'])
        .default('zia'),
    )
    .option('--variant <spec>', 'readings of unconfirmed vendor facts, as migrate sandbox --variant (e.g. idp-edit-pending=yes)')
    .addHelpText(
      'after',
      `
No account is needed: ZIA, the ZIA SCIM service, the IdP (Entra ID and its Graph API by default)
and Active Directory (LDAP) are simulated on 127.0.0.1, and a scripted operator clicks the
console-only buttons.

Examples:
  $ migrate demo
  $ migrate demo --users 5000 --speed 100
  $ migrate demo --product zpa      ZPA: SCIM Sync, the soak gate (the sandbox clock moves), SCIM policies
  $ migrate demo --product insync   Druva inSync: switch to Azure AD and back, with the report
  $ migrate demo --idp manual  any IdP by hand: every IdP step is an operator step
  $ migrate demo --json        one JSON summary on stdout`,
    )
    .action(async (opts: DemoOptions, cmd: Command) => {
      if (opts.variant !== undefined) checkVariantFlag(opts.variant);
      // The sandbox, the flows and the clients load only when the demo runs.
      if (opts.product === 'insync') return (await import('../actions/demo-insync.js')).runInsyncDemo(opts, cmd);
      await (await import('../actions/demo.js')).runDemo(opts, cmd);
    });
}
