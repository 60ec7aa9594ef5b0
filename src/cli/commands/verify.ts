import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { EXIT } from '../../engine/errors.js';
import { registerSecret } from '../../engine/redact.js';
import { createMigrationContext, type MigrationContext, type ScimCredentials } from '../../flows/context.js';
import { runParity } from '../../flows/parity-check.js';
import { checkBaseUrl } from '../../flows/steps/scim.js';
import { renderSummary } from '../../parity/index.js';
import { toJson } from '../../parity/report/json.js';
import { toJUnit } from '../../parity/report/junit.js';
import { writeReportDir } from '../../parity/report/write.js';
import type { Prompter } from '../../ui/prompts.js';
import { buildContext } from '../context.js';
import { operatorFor } from '../run-flow.js';

interface VerifyOptions {
  report?: string;
  junit?: string;
  directoryOnly: boolean;
}

/** The SCIM side needs the bearer token: from configuration, or typed at a prompt. */
async function scimCredentials(ctx: MigrationContext, prompter: Prompter): Promise<ScimCredentials> {
  if (ctx.scimCredentials) return ctx.scimCredentials;
  const unattended = 'scim.baseUrl and scim.tokenEnv/scim.tokenFile in the configuration, or --directory-only';
  const baseUrl = ctx.config.scim.baseUrl ?? (await prompter.text('SCIM Base URL', unattended, (v) => checkBaseUrl(v, ctx.config.zia.orgId)));
  const token = await prompter.secret('SCIM Bearer Token', unattended);
  registerSecret(token);
  return { baseUrl, token };
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
Read-only: it changes nothing on any system. Exit 0 when parity is within parity.thresholds, 1 otherwise.
The --json document's schema is documented in src/parity/README.md (schemaVersion 1).

Examples:
  $ migrate verify
  $ migrate verify --report ./parity-$(date +%F)      attach parity.html to the change ticket
  $ migrate verify --json > parity.json
  $ migrate verify --directory-only                    AD vs ZIA (directory sync)`,
    )
    .action(async (opts: VerifyOptions, cmd: Command) => {
      const cli = buildContext(cmd);
      const config = await loadConfig(cli.opts.config);
      const ctx = createMigrationContext({
        config,
        readOnly: true, // verification never writes to any system
        out: cli.out,
        operator: operatorFor(config, cli.out, cli.prompter, true),
        auditLog: undefined,
      });
      try {
        const scim = opts.directoryOnly ? undefined : await scimCredentials(ctx, cli.prompter);
        // The probe's own errors say which part is wrong (not SCIM, or the token) and where to copy it from.
        if (scim) await ctx.scim(scim).probe();
        const result = await runParity(ctx, { scim });
        const written: string[] = [];
        if (opts.report) written.push(...(await writeReportDir(result.report, opts.report)));
        if (opts.junit) {
          await writeFile(opts.junit, toJUnit(result.report, config.parity.thresholds));
          written.push(opts.junit);
        }
        if (cli.opts.json) process.stdout.write(toJson(result.report));
        else process.stderr.write(`${renderSummary(result.report, { color: cli.out.color.level > 0 })}\n`);
        for (const w of written) cli.out.info(`wrote ${w}`);
        if (result.ok) cli.out.info(cli.out.color.green('parity within thresholds'));
        else cli.out.info(cli.out.color.red(`parity outside thresholds: ${result.breaches.join('; ')}`));
        process.exitCode = result.ok ? EXIT.ok : EXIT.error;
      } finally {
        await ctx.close();
      }
    });
}
