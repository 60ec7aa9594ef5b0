import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { resolveOptionalSecret } from '../../config/secrets.js';
import { EXIT, OperatorNeeded, UserError } from '../../engine/errors.js';
import { registerSecret } from '../../engine/redact.js';
import { createMigrationContext, type MigrationContext, type ScimCredentials } from '../../flows/context.js';
import { recordedScimBaseUrl, runParity, zpaScimClient, zpaScimEndpoint } from '../../flows/parity-check.js';
import { checkBaseUrl } from '../../flows/steps/scim.js';
import { renderSummary } from '../../parity/index.js';
import { toJson } from '../../parity/report/json.js';
import { toJUnit } from '../../parity/report/junit.js';
import { writeReportDir } from '../../parity/report/write.js';
import { buildContext, type CliContext } from '../build-context.js';
import { operatorFor } from '../run-flow.js';

import type { VerifyOptions } from '../commands/verify.js';
import { ziaOf } from '../../products/zia/config.js';

/**
 * The SCIM side needs the Base URL and the bearer token. The Base URL comes from the configuration,
 * else from the state file (recorded when SCIM was enabled on the IdP); the token from
 * scim.tokenEnv/scim.tokenFile. A person at a terminal is asked for what is still missing.
 * Without a terminal verify does not wait for anyone (it is read-only, never exit 3): it stops
 * with exit 1 and says exactly what to supply.
 */
async function scimCredentials(ctx: MigrationContext, cli: CliContext): Promise<ScimCredentials> {
  if (ctx.scimCredentials) return ctx.scimCredentials;
  const config = ctx.config;
  let recorded: string | undefined;
  try {
    recorded = recordedScimBaseUrl(await cli.store.load(), ctx);
  } catch (err) {
    cli.out.warn(`the state file could not be read for the recorded SCIM Base URL: ${(err as Error).message}`);
  }
  let baseUrl = config.scim.baseUrl ?? recorded;
  if (!config.scim.baseUrl && recorded) cli.out.info(`SCIM Base URL ${recorded}, as recorded in ${cli.store.describe()} when SCIM was enabled on the IdP`);
  let token = resolveOptionalSecret(config.scim, 'token', 'scim');
  if (baseUrl && token) return { baseUrl, token };

  const missing = [baseUrl ? undefined : 'the SCIM Base URL', token ? undefined : 'the SCIM Bearer Token'].filter(Boolean).join(' and ');
  const supply = [
    token
      ? undefined
      : 'scim.tokenEnv: <VARIABLE> (an environment variable holding the SCIM Bearer Token) or scim.tokenFile: <file> (readable only by you), ' +
        "in the configuration: the token the IdP's provisioning uses. Prefer it to a new one: whether Generate Token in ZIA's Edit IdP " +
        'invalidates the token the IdP holds is not documented, so after generating one, paste it into the IdP too (Entra: Secret Token)',
    baseUrl
      ? config.scim.baseUrl
        ? undefined
        : `scim.baseUrl: ${baseUrl} (as recorded in ${cli.store.describe()}; already used when scim.baseUrl is absent)`
      : 'scim.baseUrl: the Base URL shown in ZIA > Administration > Authentication Settings > Identity Providers > Edit IdP',
    'or run migrate verify --directory-only to compare the directory with ZIA only (no SCIM token needed)',
  ].filter((x): x is string => x !== undefined);
  if (!cli.prompter.canPrompt) {
    throw new UserError(
      `verify compares SCIM too and needs ${missing}, but cannot ask for it: ${cli.opts.yes ? '--yes was given' : 'stdin is not a terminal'}`,
      { hint: `Supply, then run verify again:\n    - ${supply.join('\n    - ')}` },
    );
  }
  const unattended = supply.join('; ');
  baseUrl ??= await cli.prompter.text('SCIM Base URL', unattended, (v) => checkBaseUrl(v, ziaOf(config).orgId));
  token ??= await cli.prompter.secret('SCIM Bearer Token', unattended);
  registerSecret(token);
  return { baseUrl, token };
}

/**
 * ZPA: the token from scim.tokenEnv/scim.tokenFile, with the endpoint from scim.baseUrl, else the one the
 * forward run recorded, else the one the IdP shows. No token: undefined, and parity reads the names ZPA's
 * admin API shows instead (the report says only names were compared). Never prompts: verify waits for no one.
 */
async function zpaScimCredentials(ctx: MigrationContext, cli: CliContext): Promise<ScimCredentials | undefined> {
  const token = resolveOptionalSecret(ctx.config.scim, 'token', 'scim');
  if (!token) {
    cli.out.info(
      "no SCIM token configured (scim.tokenEnv or scim.tokenFile): comparing the userNames and group names ZPA's admin API shows, not full SCIM records",
    );
    return undefined;
  }
  registerSecret(token);
  let recorded: string | undefined;
  try {
    recorded = recordedScimBaseUrl(await cli.store.load(), ctx);
  } catch (err) {
    cli.out.warn(`the state file could not be read for the recorded SCIM Service Provider Endpoint: ${(err as Error).message}`);
  }
  const baseUrl = ctx.config.scim.baseUrl ?? recorded ?? (await zpaScimEndpoint(ctx));
  return { baseUrl, token };
}

export async function runVerify(opts: VerifyOptions, cmd: Command): Promise<void> {
  const cli = buildContext(cmd);
  const config = await loadConfig(cli.opts.config);
  const zpa = config.product === 'zpa';
  if (!zpa) ziaOf(config); // verify compares ZIA's or ZPA's users: another product's configuration stops here, before any prompt or read
  const ctx = createMigrationContext({
    config,
    readOnly: true, // verification never writes to any system
    out: cli.out,
    operator: operatorFor(config, cli.out, cli.prompter, true),
    auditLog: undefined,
  });
  try {
    // ZPA: --directory-only leaves the SCIM token aside (the admin API's names are read instead).
    const scim = opts.directoryOnly ? undefined : zpa ? await zpaScimCredentials(ctx, cli) : await scimCredentials(ctx, cli);
    // The probe's own errors say which part is wrong (not SCIM, or the token) and where to copy it from.
    if (scim && zpa) await zpaScimClient(ctx, scim).check();
    else if (scim) await ctx.scim(scim).probe();
    const result = await runParity(ctx, { scim });
    const written: string[] = [];
    if (opts.report) written.push(...(await writeReportDir(result.report, opts.report)));
    if (opts.junit) {
      await writeFile(opts.junit, toJUnit(result.report, config.parity.thresholds));
      written.push(opts.junit);
    }
    if (cli.opts.json) process.stdout.write(toJson(result.report));
    else cli.out.print(renderSummary(result.report, { color: cli.out.color.level > 0 }));
    for (const w of written) cli.out.info(`wrote ${w}`);
    if (result.ok) cli.out.print(cli.out.color.green('parity within thresholds'));
    else cli.out.print(cli.out.color.red(`parity outside thresholds: ${result.breaches.join('; ')}`));
    process.exitCode = result.ok ? EXIT.ok : EXIT.error;
  } catch (err) {
    // verify is read-only and waits for no one: nothing it needs is an operator step (exit 3).
    if (err instanceof OperatorNeeded) throw new UserError(err.message, { hint: err.hint, cause: err });
    throw err;
  } finally {
    await ctx.close();
  }
}
