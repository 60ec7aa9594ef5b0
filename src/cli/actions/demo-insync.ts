import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { FileCheckpointStore } from '../../engine/checkpoint.js';
import { EXIT } from '../../engine/errors.js';
import { insyncConfigSchema } from '../../products/insync/config.js';
import { insyncRollbackFlow, provisioningSwitchFlow } from '../../products/insync/flow.js';
import { startInsyncSimulation } from '../../sandbox/insync/index.js';
import { createOutput, JSON_SCHEMA_VERSION } from '../../ui/output.js';
import { createPrompter } from '../../ui/prompts.js';
import type { CliContext } from '../build-context.js';
import { commonOptions } from '../context.js';
import { wholeNumberFlag } from '../numbers.js';
import type { DemoOptions } from '../commands/demo.js';
import { executeInsyncFlow, insyncContextFor } from './provisioning-switch.js';

const SECRET_ENV = 'MIGRATE_DEMO_INSYNC_SECRET_KEY';

/** `migrate demo --product insync`: the provisioning switch to Azure AD and back on the simulated inSync, unattended. */
export async function runInsyncDemo(opts: DemoOptions, cmd: Command): Promise<void> {
  const common = commonOptions(cmd);
  const out = createOutput({ json: common.json, color: common.color });
  const users = wholeNumberFlag('--users', opts.users, 1, 1_000_000);
  out.info(out.color.bold(`Starting the Druva inSync simulation: ${users} users on SCIM provisioning, with devices and backups…`));
  const sim = await startInsyncSimulation({ users, port: 0 });
  try {
    const config = insyncConfigSchema.parse({
      version: 1,
      product: 'insync',
      insync: {
        apiUrl: sim.endpoints.apiUrl,
        tokenUrl: sim.endpoints.tokenUrl,
        clientId: sim.credentials.clientId,
        secretKeyEnv: SECRET_ENV,
        keepExistingMappings: false,
      },
      operator: { kind: 'sandbox', portalUrl: sim.endpoints.portalUrl, controlUrl: sim.endpoints.controlUrl },
    });
    const env = { ...process.env, [SECRET_ENV]: sim.credentials.secretKey };
    const dir = resolve(opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'migrate-demo-insync-'))));
    const statePath = join(dir, 'state.json');
    const cli = (dryRun: boolean): CliContext => ({
      opts: { ...common, dryRun, yes: true, json: false },
      out,
      prompter: createPrompter({ yes: true }),
      store: new FileCheckpointStore(statePath),
      statePath,
    });
    const run = async (dryRun: boolean, flow: ReturnType<typeof insyncRollbackFlow>) => {
      const ctx = insyncContextFor(cli(dryRun), config, dryRun, env);
      try {
        await executeInsyncFlow(cli(dryRun), ctx, flow, {});
      } finally {
        await ctx.close();
      }
    };
    const forward = provisioningSwitchFlow('Azure AD', false);
    out.print(out.color.bold('\n1. Dry-run: preflight and plan (writes nothing)'));
    const before = sim.stats().mutations;
    await run(true, forward);
    const dryRunWrites = sim.stats().mutations - before;
    out.print(`   mutating requests during the dry-run: ${dryRunWrites}`);
    out.print(out.color.bold('\n2. Switch user provisioning SCIM → Azure AD'));
    await run(false, forward);
    if (!opts.skipRollback) {
      out.print(out.color.bold('\n3. Roll back: Azure AD → SCIM, verified against the same snapshot'));
      await run(false, insyncRollbackFlow());
    }
    if (common.json)
      out.result({ schemaVersion: JSON_SCHEMA_VERSION, ok: true, product: 'insync', users, dryRunMutatingRequests: dryRunWrites, stateFile: statePath });
    out.print(
      out.color.green.bold(
        `\nDemo complete: switched ${users} users' provisioning to Azure AD${opts.skipRollback ? '' : ' and back'}; reports in ${join(dir, 'reports')}.`,
      ),
    );
    out.print(`State file: ${statePath}  (try: migrate status --state ${statePath})`);
    process.exitCode = EXIT.ok;
  } finally {
    await sim.stop();
  }
}
