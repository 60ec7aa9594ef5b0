import { rm, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import path from 'node:path';
import { UserError } from '../../engine/errors.js';
import { defaultHeapGrowth } from '../../engine/heap.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { createOutput, JSON_SCHEMA_VERSION, type Output } from '../../ui/output.js';
import { DIRECTORY_PASSWORD_ENV, sandboxOptionsFrom, type SandboxCliOptions } from '../commands/sandbox.js';
import { idpFlag } from './idp-flag.js';

export function describeSandbox(sb: Sandbox, configPath: string): Record<string, unknown> {
  const secrets = path.join(path.dirname(configPath), 'secrets');
  return {
    schemaVersion: JSON_SCHEMA_VERSION,
    endpoints: sb.endpoints,
    configPath,
    // For an outside OneAPI client (an SDK, curl): where the throwaway client credentials are.
    oneApi: {
      tokenUrl: sb.endpoints.zidentityTokenUrl,
      baseUrl: sb.endpoints.ziaOneApiBaseUrl,
      clientIdFile: path.join(secrets, 'oneapi-client-id'),
      clientSecretFile: path.join(secrets, 'oneapi-client-secret'),
    },
    orgId: sb.credentials.zia.orgId,
    idp: { id: sb.credentials.zia.idpId, name: sb.credentials.zia.idpName, kind: sb.idp.kind, endpoints: sb.idp.endpoints },
    users: sb.world.directory.users.length,
  };
}

function printHuman(out: Output, sb: Sandbox, configPath: string): void {
  const e = sb.endpoints;
  out.print(out.color.bold(`sandbox running: ${sb.world.directory.users.length} directory users, ZIA org ${sb.credentials.zia.orgId}`));
  const rows: [string, string][] = [
    ['ZIA admin API (legacy)', e.ziaBaseUrl],
    ['ZIA admin API (OneAPI)', e.ziaOneApiBaseUrl],
    ['ZIdentity token', e.zidentityTokenUrl],
    ['ZIA SCIM server', e.scimServerUrl],
    ['ZIA portal actions', e.portalUrl],
    ['sandbox control', e.controlUrl],
    ['Entra login', e.entraLoginUrl],
    ['Microsoft Graph', e.graphUrl],
    ['Active Directory (LDAP)', e.ldapUrl],
    ...Object.entries(sb.idp.endpoints).filter(([, url]) => url !== e.entraLoginUrl && url !== e.graphUrl),
  ];
  for (const [k, v] of rows) out.print(`  ${k.padEnd(24)} ${v}`);
  out.print('');
  out.print(`config: ${configPath}`);
  out.print(`try:    migrate ad-to-scim --dry-run --config ${configPath}`);
  out.info('Stop with Ctrl-C.');
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(sig);
    };
    const onInt = () => on('SIGINT');
    const onTerm = () => on('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

export async function runSandbox(o: SandboxCliOptions, cmd: Command, deps: { waitForStop?: () => Promise<unknown> }): Promise<void> {
  const globals = cmd.optsWithGlobals() as { json?: boolean; color?: boolean };
  const json = Boolean(o.json ?? globals.json);
  const out = createOutput({ json, ...(globals.color === false ? { color: false } : {}) });
  if (o.product === 'insync') return runInsyncSandbox(o, out, json, deps);
  const options = { ...sandboxOptionsFrom(o), idp: idpFlag(o.idp) };
  defaultHeapGrowth();
  let sb: Sandbox;
  try {
    sb = await startSandbox(options);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') {
      throw new UserError(`a sandbox port is already in use (${err.message})`, {
        hint: 'Choose another --port (the sandbox takes port..port+3), or --port 0 for free ports.',
        cause: e,
      });
    }
    if (options.directoryUrl) {
      throw new UserError(`could not read the directory at ${options.directoryUrl}: ${err.message}`, {
        hint: 'Check the URL, --directory-bind-dn and the password in ' + DIRECTORY_PASSWORD_ENV + '.',
        cause: e,
      });
    }
    throw e;
  }
  // A pid file beside the config lets scripts stop the sandbox by its own pid (npx's wrapper
  // process does not pass signals on to it).
  const pidFile = path.join(path.resolve(o.stateDir), 'sandbox.pid');
  try {
    const configPath = await sb.writeConfig(path.resolve(o.stateDir), { operator: o.operator === 'person' ? 'person' : 'auto' });
    await writeFile(pidFile, `${process.pid}\n`, { mode: 0o600 });
    if (json) out.result(describeSandbox(sb, configPath));
    else printHuman(out, sb, configPath);
    const sig = await (deps.waitForStop ?? waitForStopSignal)();
    out.info(`${typeof sig === 'string' ? sig : 'stop'}: stopping the sandbox`);
  } finally {
    await rm(pidFile, { force: true });
    await sb.stop();
  }
}

/** `--product insync`: the Druva inSync simulation and its configuration; the ZIA-side flags mean nothing there. */
async function runInsyncSandbox(o: SandboxCliOptions, out: Output, json: boolean, deps: { waitForStop?: () => Promise<unknown> }): Promise<void> {
  const zia = (
    [
      ['--directory', o.directory],
      ['--variant', o.variant],
      ['--idp', o.idp === undefined || o.idp === 'entra' ? undefined : o.idp],
    ] as const
  ).filter(([, v]) => v !== undefined);
  if (zia.length > 0) {
    throw new UserError(`${zia.map(([f]) => f).join(', ')} configure the ZIA sandbox; --product insync simulates Druva inSync only`, {
      hint: 'Drop them, or run `migrate sandbox` without --product insync. Nothing was started.',
    });
  }
  const { startInsyncSandbox, describeInsyncSandbox, printInsyncSandbox } = await import('./sandbox-insync.js');
  const sb = await startInsyncSandbox(sandboxOptionsFrom(o), o.stateDir, o.operator === 'person' ? 'person' : 'auto');
  const pidFile = path.join(path.resolve(o.stateDir), 'sandbox.pid');
  try {
    await writeFile(pidFile, `${process.pid}\n`, { mode: 0o600 });
    if (json) out.result(describeInsyncSandbox(sb.sim, sb.configPath));
    else printInsyncSandbox(out, sb.sim, sb.configPath);
    const sig = await (deps.waitForStop ?? waitForStopSignal)();
    out.info(`${typeof sig === 'string' ? sig : 'stop'}: stopping the sandbox`);
  } finally {
    await rm(pidFile, { force: true });
    await sb.stop();
  }
}
