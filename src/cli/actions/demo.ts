import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { configSchema } from '../../config/schema.js';
import { FileCheckpointStore } from '../../engine/checkpoint.js';
import { EXIT, OperatorNeeded } from '../../engine/errors.js';
import { productOf } from '../../products/index.js';
import { ENTRA_USER_MAPPING_FOR_ZPA, zpaSandboxConfig } from '../../sandbox/zpa/index.js';
import { startSandbox } from '../../sandbox/index.js';
import { createPrompter } from '../../ui/prompts.js';
import { createOutput, JSON_SCHEMA_VERSION } from '../../ui/output.js';
import type { CliContext } from '../build-context.js';
import { commonOptions } from '../context.js';
import { executeFlow, resolveRun } from '../run-flow.js';
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
    const dir = resolve(opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'migrate-demo-'))));
    const statePath = join(dir, 'state.json');
    const store = new FileCheckpointStore(statePath);
    const cli = (dryRun: boolean): CliContext => ({
      // The flows print for people; the demo's one JSON document is its summary at the end.
      opts: { ...common, dryRun, yes: true, json: false },
      out,
      prompter: createPrompter({ yes: true }),
      store,
      statePath,
    });
    // The product's own runs, as `migrate ad-to-scim` and `migrate rollback` build them, on the sandbox:
    // the sandbox enforces the vendors' rate limits multiplied by --speed (rehearsal: the clients' own limiter stays off).
    const runOf = (command: string, dryRun: boolean) =>
      resolveRun(productOf(config.product), command, config, { cli: cli(dryRun), flags: {}, env, rehearsal: true });
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
    const dir = resolve(opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'migrate-demo-zpa-'))));
    const statePath = join(dir, 'state.json');
    const store = new FileCheckpointStore(statePath);
    const cli = (dryRun: boolean): CliContext => ({
      opts: { ...common, dryRun, yes: true, json: false },
      out,
      prompter: createPrompter({ yes: true }),
      store,
      statePath,
    });
    // ZPA's own runs, as `migrate ad-to-scim` and `migrate rollback` build them (the scripted operator plays both portals).
    const runOf = (command: string, dryRun: boolean) =>
      resolveRun(productOf(config.product), command, config, { cli: cli(dryRun), flags: {}, env, rehearsal: true });
    const run = async (title: string, command: string, dryRun = false) => {
      out.print(out.color.bold(`\n${title}`));
      const r = await runOf(command, dryRun);
      const c = r.context(dryRun);
      try {
        return await executeFlow(cli(dryRun), r, c, {});
      } finally {
        await c.close();
      }
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
