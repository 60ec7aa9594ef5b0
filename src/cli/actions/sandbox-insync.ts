import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { anyConfigSchema } from '../../config/schema.js';
import { UserError } from '../../engine/errors.js';
import { insyncSandboxConfig, startInsyncSimulation, type InsyncSimulation } from '../../sandbox/insync/index.js';
import { JSON_SCHEMA_VERSION, type Output } from '../../ui/output.js';
import type { SandboxOptions } from '../../sandbox/index.js';

/**
 * `migrate sandbox --product insync`: the Druva inSync simulation on 127.0.0.1 and a `product: insync`
 * configuration for it (migrate.sandbox.yaml; the throwaway API secret key in secrets/, 0600,
 * removed when the sandbox stops). The scripted operator clicks the console-only buttons and moves
 * the simulation's clock, so the switch and its backup wait run unattended.
 */
export async function startInsyncSandbox(
  options: SandboxOptions,
  stateDir: string,
  operator: 'auto' | 'person',
): Promise<{ sim: InsyncSimulation; configPath: string; stop(): Promise<void> }> {
  if (operator === 'person') {
    throw new UserError('--product insync rehearses with the scripted operator only (--operator auto)', {
      hint: "The simulation's clock moves only when the scripted operator moves it, so the backups the switch waits for arrive only then.",
    });
  }
  const sim = await startInsyncSimulation({
    users: options.users,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.port ? { port: options.port } : {}),
  });
  const secretsDir = path.resolve(stateDir, 'secrets');
  const secretFile = path.join(secretsDir, 'insync-secret-key');
  const stop = async () => {
    await rm(secretFile, { force: true });
    await sim.stop();
  };
  try {
    await mkdir(secretsDir, { recursive: true, mode: 0o700 });
    await chmod(secretsDir, 0o700);
    await writeFile(secretFile, sim.credentials.secretKey, { mode: 0o600 });
    await chmod(secretFile, 0o600);
    const config = insyncSandboxConfig(sim, { secretKeyFile: secretFile });
    anyConfigSchema.parse(config); // never write a file migrate itself would reject
    const header = [
      '# migrate configuration for the Druva inSync simulation (written by `migrate sandbox --product insync`).',
      '# The tenant is a simulation on 127.0.0.1 on SCIM provisioning; the API secret key is a throwaway value',
      '# in ./secrets (mode 0600), removed when the sandbox stops. operator.kind "sandbox" clicks the',
      "# console-only buttons (the switch, the mapping) and moves the simulation's clock while the run waits for backups.",
      '# Rehearse: migrate provisioning-switch --product insync --to azure-ad --dry-run --config <this file>, then without',
      '#           --dry-run; migrate rollback and migrate status take the same --config.',
      '',
    ].join('\n');
    const configPath = path.resolve(stateDir, 'migrate.sandbox.yaml');
    await writeFile(configPath, header + YAML.stringify(config), { mode: 0o600 });
    return { sim, configPath, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export function describeInsyncSandbox(sim: InsyncSimulation, configPath: string): Record<string, unknown> {
  return { schemaVersion: JSON_SCHEMA_VERSION, product: 'insync', endpoints: sim.endpoints, configPath, users: sim.tenant.users.size };
}

export function printInsyncSandbox(out: Output, sim: InsyncSimulation, configPath: string): void {
  out.print(out.color.bold(`sandbox running: Druva inSync with ${sim.tenant.users.size} users on SCIM provisioning`));
  const rows: [string, string][] = [
    ['inSync API', sim.endpoints.apiUrl],
    ['Druva token', sim.endpoints.tokenUrl],
    ['inSync console actions', sim.endpoints.portalUrl],
    ['sandbox control', sim.endpoints.controlUrl],
  ];
  for (const [k, v] of rows) out.print(`  ${k.padEnd(24)} ${v}`);
  out.print('');
  out.print(`config: ${configPath}`);
  out.print(`try:    migrate provisioning-switch --product insync --to azure-ad --dry-run --config ${configPath}`);
  out.info('Stop with Ctrl-C.');
}
