import type { Command } from 'commander';

// Definition only: the clients, the parity engine and the report writers load when the command runs.

export interface VerifyOptions {
  report?: string;
  junit?: string;
  directoryOnly: boolean;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('compare the users in AD scope, ZIA users and the SCIM service; say exactly what differs')
    .option('--report <dir>', 'write parity.md, a self-contained parity.html, parity.json and one CSV per finding kind')
    .option('--junit <file>', 'write JUnit XML: one test case per threshold category')
    .option('--directory-only', 'compare AD with ZIA users only (before the migration, or after a rollback)', false)
    .addHelpText(
      'after',
      `
Read-only: it changes nothing on any system and never waits for an operator. Exit 0 when parity is
within parity.thresholds, 1 otherwise (also when the directory scope is empty or far smaller than
ZIA's users, guards.minScopePercent, or when a SCIM credential is needed and no terminal can ask).
The SCIM side needs the Bearer Token: scim.tokenEnv or scim.tokenFile (the Base URL recorded in the
state file is used when scim.baseUrl is not set). --directory-only needs no token.
With product: zpa it compares AD with ZPA's SCIM users and groups (the token from scim.tokenEnv or
scim.tokenFile; the endpoint from scim.baseUrl, the state file or the IdP); without a token, or with
--directory-only, with the userNames and group names ZPA's admin API shows (names only).
The --json document's schema is documented in src/parity/README.md (schemaVersion 2).

Examples:
  $ migrate verify
  $ migrate verify --report ./parity-$(date +%F)      attach parity.html to the change ticket
  $ migrate verify --json > parity.json
  $ migrate verify --directory-only                    AD vs ZIA (directory sync)`,
    )
    .action(async (opts: VerifyOptions, cmd: Command) => {
      await (await import('../actions/verify.js')).runVerify(opts, cmd);
    });
}
