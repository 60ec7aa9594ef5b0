import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { EXIT, OperatorNeeded, UserError } from '../../engine/errors.js';
import { createMigrationContext } from '../../flows/context.js';
import { runParity } from '../../flows/parity-check.js';
import { scimSideOf } from '../../products/scim-sides.js';
import { renderSummary } from '../../parity/index.js';
import { toJson } from '../../parity/report/json.js';
import { toJUnit } from '../../parity/report/junit.js';
import { writeReportDir } from '../../parity/report/write.js';
import { buildContext } from '../build-context.js';
import { operatorFor } from '../run-flow.js';

import type { VerifyOptions } from '../commands/verify.js';

export async function runVerify(opts: VerifyOptions, cmd: Command): Promise<void> {
  const cli = buildContext(cmd);
  const config = await loadConfig(cli.opts.config);
  // verify compares the directory with ZIA's or ZPA's users: another product's configuration stops here, before any prompt or read.
  const side = scimSideOf(config.product);
  const ctx = createMigrationContext({
    config,
    readOnly: true, // verification never writes to any system
    out: cli.out,
    operator: operatorFor(config, cli.out, cli.prompter, true),
    auditLog: undefined,
  });
  try {
    // --directory-only leaves the SCIM token aside (ZPA: the admin API's names are read instead).
    const scim = opts.directoryOnly
      ? undefined
      : await side.verifyCredentials(ctx, { out: cli.out, prompter: cli.prompter, store: cli.store, yes: cli.opts.yes });
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
