import { join } from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../../engine/errors.js';
import { anyConfigSchema } from '../../config/schema.js';
import { insyncSandboxConfig, startInsyncSimulation } from '../../sandbox/insync/index.js';
import { createOutput, JSON_SCHEMA_VERSION } from '../../ui/output.js';
import { commonOptions } from '../context.js';
import { wholeNumberFlag } from '../numbers.js';
import type { DemoOptions } from '../commands/demo.js';
import { rehearsal } from './rehearsal.js';

const SECRET_ENV = 'MIGRATE_DEMO_INSYNC_SECRET_KEY';

/** `migrate demo --product insync`: the provisioning switch to Azure AD and back on the simulated inSync, unattended. */
export async function runInsyncDemo(opts: DemoOptions, cmd: Command): Promise<void> {
  const common = commonOptions(cmd);
  const out = createOutput({ json: common.json, color: common.color });
  const users = wholeNumberFlag('--users', opts.users, 1, 1_000_000);
  out.info(out.color.bold(`Starting the Druva inSync simulation: ${users} users on SCIM provisioning, with devices and backups…`));
  const sim = await startInsyncSimulation({ users, port: 0 });
  try {
    const config = anyConfigSchema.parse(insyncSandboxConfig(sim, { secretKeyEnv: SECRET_ENV }));
    const env = { ...process.env, [SECRET_ENV]: sim.credentials.secretKey };
    // The same runs as `migrate provisioning-switch --product insync --to azure-ad` and `migrate rollback`.
    const { dir, statePath, run } = await rehearsal({
      common,
      out,
      config,
      env,
      stateDir: opts.stateDir,
      prefix: 'migrate-demo-insync-',
      flags: { to: 'azure-ad' },
    });
    out.print(out.color.bold('\n1. Dry-run: preflight and plan (writes nothing)'));
    const before = sim.stats().mutations;
    await run('provisioning-switch', true);
    const dryRunWrites = sim.stats().mutations - before;
    out.print(`   mutating requests during the dry-run: ${dryRunWrites}`);
    out.print(out.color.bold('\n2. Switch user provisioning SCIM → Azure AD'));
    await run('provisioning-switch');
    if (!opts.skipRollback) {
      out.print(out.color.bold('\n3. Roll back: Azure AD → SCIM, verified against the same snapshot'));
      await run('rollback');
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
