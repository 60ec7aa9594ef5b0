import type { Command } from 'commander';
import { configSchema } from '../../config/schema.js';
import { EXIT, OperatorNeeded } from '../../engine/errors.js';
import { ENTRA_USER_MAPPING_FOR_ZPA, zpaSandboxConfig } from '../../sandbox/zpa/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { createOutput, JSON_SCHEMA_VERSION } from '../../ui/output.js';
import { commonOptions } from '../context.js';
import { executeFlow } from '../run-flow.js';
import { rehearsal } from './rehearsal.js';
import { positiveNumberFlag, wholeNumberFlag } from '../numbers.js';
import { idpFlag } from './idp-flag.js';

import type { DemoOptions } from '../commands/demo.js';

/** `migrate demo`: the whole rehearsal on the in-process sandbox. */
export async function runDemo(opts: DemoOptions, cmd: Command): Promise<void> {
  if (opts.product === 'zpa') return runZpaDemo(opts, cmd);
  const common = commonOptions(cmd);
  const out = createOutput({ json: common.json, color: common.color });
  const users = wholeNumberFlag('--users', opts.users, 1, 1_000_000);
  const speed = positiveNumberFlag('--speed', opts.speed);
  const idp = idpFlag(opts.idp);
  const started = Date.now();
  const who = idp === 'entra' ? 'Entra ID with the Zscaler app' : `an IdP configured by hand (idp.kind ${idp}; the scripted operator plays its admin)`;
  out.info(out.color.bold(`Starting the sandbox: ${users} users in AD, ZIA synced from it, ${who}…`));
  const sandbox = await startSandbox({ users, speed, port: 0, idp, ...(opts.variant ? { variants: opts.variant } : {}) });
  try {
    const raw = sandbox.config();
    // Entra rehearses the pilot (issue 17, section 2): two sampled users provisioned on demand and verified before Start.
    if (idp === 'entra') (raw.idp as Record<string, unknown>).pilot = { sample: Math.min(2, users), seed: 'demo' };
    const config = configSchema.parse(raw);
    const env = { ...process.env, ...sandbox.env() };
    // The product's own runs, as `migrate ad-to-scim` and `migrate rollback` build them, on the sandbox.
    const { cli, runOf, statePath } = await rehearsal({ common, out, config, env, stateDir: opts.stateDir, prefix: 'migrate-demo-' });
    const [planRun, adToScim, rollback] = [await runOf('ad-to-scim', true), await runOf('ad-to-scim', false), await runOf('rollback', false)];

    out.print(out.color.bold('\n1. Dry-run: preflight and plan (writes nothing)'));
    const before = sandbox.stats().mutations;
    const planCtx = planRun.context(true);
    await executeFlow(cli(true), planRun, planCtx, {}).finally(() => planCtx.close());
    const dryRunWrites = sandbox.stats().mutations - before;
    out.print(`   mutating requests during the dry-run: ${dryRunWrites}`);

    out.print(out.color.bold('\n2. Migrate: ad-to-scim'));
    const runCtx = adToScim.context(false);
    try {
      await executeFlow(cli(false), adToScim, runCtx, {}); // prints the flow's closing advice

      if (!opts.skipRollback) {
        out.print(out.color.bold('\n3. Roll back, then verify AD vs ZIA'));
        await executeFlow(cli(false), rollback, runCtx, {});
      }
    } finally {
      await runCtx.close();
    }
    const seconds = (Date.now() - started) / 1000;
    const summary = {
      schemaVersion: JSON_SCHEMA_VERSION,
      ok: true,
      users,
      idp,
      seconds: Number(seconds.toFixed(1)),
      dryRunMutatingRequests: dryRunWrites,
      requests: sandbox.stats().requests,
      stateFile: statePath,
      rolledBack: !opts.skipRollback,
    };
    if (common.json) out.result(summary);
    out.print(
      out.color.green.bold(
        `\nDemo complete in ${summary.seconds}s: migrated ${users} users to SCIM${opts.skipRollback ? '' : ' and rolled back'}; the dry-run made ${dryRunWrites} writes.`,
      ),
    );
    out.print(`State file: ${statePath}  (try: migrate status --state ${statePath})`);
    process.exitCode = EXIT.ok;
  } finally {
    await sandbox.stop();
  }
}

/**
 * `migrate demo --product zpa`: SCIM Sync on the simulated ZPA IdP, Entra (or the IdP chosen) provisioning
 * into ZPA's SCIM service, parity, the soak gate refused, the sandbox's ZPA clock moved past the soak,
 * the gate allowed, SCIM Attributes for Policy, then the rollback; unattended.
 */
async function runZpaDemo(opts: DemoOptions, cmd: Command): Promise<void> {
  const common = commonOptions(cmd);
  const out = createOutput({ json: common.json, color: common.color });
  const users = wholeNumberFlag('--users', opts.users, 1, 1_000_000);
  const speed = positiveNumberFlag('--speed', opts.speed);
  const idp = idpFlag(opts.idp);
  out.info(
    out.color.bold(
      `Starting the sandbox: ${users} users in AD, a ZPA tenant with an IdP, ${idp === 'entra' ? 'Entra ID with the ZPA app' : `idp.kind ${idp}`}…`,
    ),
  );
  const sandbox = await startSandbox({ users, speed, port: 0, idp, zpa: true, ...(opts.variant ? { variants: opts.variant } : {}) });
  try {
    const zpa = sandbox.zpa!;
    sandbox.world.entra.userMapping = ENTRA_USER_MAPPING_FOR_ZPA; // the admin maps the work email too
    const z = zpaSandboxConfig(sandbox.config(), zpa);
    const config = configSchema.parse(z.config);
    const env = { ...process.env, ...sandbox.env(), ...z.env };
    // ZPA's own runs, as `migrate ad-to-scim` and `migrate rollback` build them (the scripted operator plays both portals).
    const rehearsed = await rehearsal({ common, out, config, env, stateDir: opts.stateDir, prefix: 'migrate-demo-zpa-' });
    const { statePath } = rehearsed;
    const run = async (title: string, command: string, dryRun = false) => {
      out.print(out.color.bold(`\n${title}`));
      return rehearsed.run(command, dryRun);
    };

    const before = sandbox.stats().mutations;
    await run('1. Dry-run: preflight and plan (writes nothing)', 'ad-to-scim', true);
    const dryRunWrites = sandbox.stats().mutations - before;
    out.print(`   mutating requests during the dry-run: ${dryRunWrites}`);

    let refused = '';
    try {
      await run('2. Migrate: SCIM Sync, the IdP provisions ZPA, parity, then the soak gate', 'ad-to-scim');
    } catch (err) {
      if (!(err instanceof OperatorNeeded)) throw err;
      refused = err.message;
      out.print(out.color.yellow(`   refused, as it should be: ${refused}`));
    }
    if (!refused) throw new Error('the soak gate did not stop the run: the demo expected it to refuse before the soak passed');

    const hours = config.zpa!.soak.hours;
    zpa.clock.advance(hours * 3_600_000);
    out.print(out.color.bold(`\n3. The sandbox's ZPA clock moves ${hours} hours forward (a real tenant waits)`));

    await run('4. Migrate again: the gate is allowed, then SCIM Attributes for Policy', 'ad-to-scim');
    if (!opts.skipRollback) await run('5. Roll back: policy off, the IdP paused, SCIM Sync off (SCIM users and groups kept)', 'rollback');

    const summary = {
      schemaVersion: JSON_SCHEMA_VERSION,
      ok: true,
      product: 'zpa',
      users,
      idp,
      dryRunMutatingRequests: dryRunWrites,
      soakGateRefused: refused,
      rolledBack: !opts.skipRollback,
      stateFile: statePath,
    };
    if (common.json) out.result(summary);
    out.print(
      out.color.green.bold(
        `\nZPA demo complete: SCIM Sync, parity, soak gate refused then allowed, SCIM Attributes for Policy${opts.skipRollback ? '' : ', rolled back'}.`,
      ),
    );
    out.print(`State file: ${statePath}  (try: migrate status --state ${statePath})`);
    process.exitCode = EXIT.ok;
  } finally {
    await sandbox.stop();
  }
}
