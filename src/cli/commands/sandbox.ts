import { Option, type Command } from 'commander';
import { UserError } from '../../engine/errors.js';
import { positiveNumberFlag, wholeNumberFlag } from '../numbers.js';
import type { SandboxOptions } from '../../sandbox/index.js';
import { VARIANTS, VariantError, parseVariants } from '../../sandbox/variants.js';
import { FaultSpecError, parseFaultSpec } from '../../sandbox/http/faults.js';

/**
 * `migrate sandbox`: serve every simulated system on 127.0.0.1, write a ready-to-use config for
 * it, print the endpoints, and run until SIGINT/SIGTERM. This is its definition (flags, help, flag
 * checks); the sandbox itself loads when the command runs (src/cli/actions/sandbox.ts).
 */
export const DEFAULT_SANDBOX_STATE_DIR = './.migrate/sandbox';
/**
 * A real directory's bind password comes from the environment, never from argv, and is never
 * written: the generated config references the same variable.
 */
export const DIRECTORY_PASSWORD_ENV = 'MIGRATE_SANDBOX_DIRECTORY_PASSWORD'; // = SANDBOX_ENV.directoryPassword (test/cli checks); the definition stays light

export interface SandboxCliOptions {
  port: string;
  users: string;
  directory?: string;
  directoryBindDn?: string;
  directoryBaseDn?: string;
  directoryCa?: string;
  directoryUserFilter?: string;
  directoryGroupDn?: string;
  faults?: string;
  variant?: string;
  speed: string;
  seed?: string;
  stateDir: string;
  operator?: string;
  json?: boolean;
  rateLimits?: boolean;
  idp?: string;
  product?: string;
}

/** Turns CLI flags into SandboxOptions, with errors that name the flag. */
export function sandboxOptionsFrom(o: SandboxCliOptions, env: NodeJS.ProcessEnv = process.env): SandboxOptions {
  const speed = positiveNumberFlag('--speed', o.speed);
  if (o.operator !== undefined && o.operator !== 'auto' && o.operator !== 'person') {
    throw new UserError(`--operator must be auto or person, got "${o.operator}"`);
  }
  if (o.faults) {
    try {
      parseFaultSpec(o.faults);
    } catch (e) {
      if (e instanceof FaultSpecError) throw new UserError(`--faults: ${e.message}`);
      throw e;
    }
  }
  if (o.variant !== undefined) checkVariantFlag(o.variant);
  const opts: SandboxOptions = {
    port: wholeNumberFlag('--port', o.port, 0, 65_532),
    users: wholeNumberFlag('--users', o.users, 0, 1_000_000),
    speed,
    rateLimits: o.rateLimits !== false,
  };
  if (o.faults) opts.faults = o.faults;
  if (o.variant) opts.variants = o.variant;
  if (o.seed !== undefined) opts.seed = wholeNumberFlag('--seed', o.seed, 0, 2 ** 31 - 1);
  if (!o.directory && (o.directoryUserFilter || o.directoryGroupDn || o.directoryCa || o.directoryBindDn || o.directoryBaseDn)) {
    throw new UserError('the --directory-… options need --directory <ldap[s]://host>', {
      hint: 'the generated directory has its own scope: every generated user',
    });
  }
  if (o.directory) {
    if (!/^ldaps?:\/\/[^/]+/.test(o.directory)) throw new UserError(`--directory must be an ldap:// or ldaps:// URL, got "${o.directory}"`);
    const password = env[DIRECTORY_PASSWORD_ENV];
    if (!o.directoryBindDn || password === undefined) {
      throw new UserError(`--directory needs --directory-bind-dn and the bind password in ${DIRECTORY_PASSWORD_ENV}`, {
        hint: `export ${DIRECTORY_PASSWORD_ENV}=… (passwords are never accepted on the command line)`,
      });
    }
    opts.directoryUrl = o.directory;
    opts.directoryBindDn = o.directoryBindDn;
    opts.directoryPassword = password;
    if (o.directoryBaseDn) opts.directoryBaseDn = o.directoryBaseDn;
    if (o.directoryCa) opts.directoryCaFile = o.directoryCa;
    if (o.directoryUserFilter) opts.directoryUserFilter = o.directoryUserFilter;
    if (o.directoryGroupDn) opts.directoryGroupDn = o.directoryGroupDn;
  }
  return opts;
}

/** `--variant name=reading,…`, refused with the valid names and readings (src/sandbox/variants.ts). */
export function checkVariantFlag(spec: string): void {
  try {
    parseVariants(spec);
  } catch (e) {
    if (e instanceof VariantError) throw new UserError(`--variant: ${e.message}`, { hint: 'see `migrate sandbox --help` for each variant and its readings' });
    throw e;
  }
}

/** The variants and their readings, for --help (the first reading is the default). */
export function variantHelp(): string {
  return VARIANTS.map((v) => `  ${v.name}=${v.readings.join('|')}${v.acceptsOther ? '|…' : ''}\n      ${v.fact}`).join('\n');
}

export function registerSandboxCommand(program: Command, deps: { waitForStop?: () => Promise<unknown> } = {}): void {
  program
    .command('sandbox')
    .description('serve simulated ZIA, ZIA SCIM, Entra ID/Graph and Active Directory on 127.0.0.1 and write a config for them')
    .option('--port <n>', 'base port: ZIA on n, SCIM n+1, Entra n+2, LDAP n+3 (0 = any free ports)', '0')
    .option('--users <n>', 'size of the generated directory', '1000')
    .option('--directory <url>', 'use a real directory (ldap[s]://host) read once at start instead of a generated one')
    .option('--directory-bind-dn <dn>', `bind DN for --directory (password from ${DIRECTORY_PASSWORD_ENV})`)
    .option('--directory-base-dn <dn>', 'base DN of the users to import (default: the naming context)')
    .option('--directory-ca <file>', "PEM CA of the directory's certificate, for ldaps:// (written into the config)")
    .option('--directory-user-filter <filter>', "the migration's user filter (directory.userFilter); only these users are synced to ZIA and assigned in Entra")
    .option('--directory-group-dn <dn>', 'only members of this group, nested included (directory.groupDn); same effect as the filter')
    .option('--faults <spec>', 'inject faults, e.g. zia:GET:/users:429:0.2,scim:*:*:500:0.1,graph:*:*:latency=200')
    .option('--variant <spec>', 'readings of unconfirmed vendor facts, e.g. scim-page-cap=100,secrets-get=refused (list below)')
    .option('--speed <f>', 'multiply the allowed request rates and divide simulated waits', '1')
    .option('--seed <n>', 'seed for the generated data and fault draws')
    .option('--no-rate-limits', 'switch the documented vendor rate limits off')
    .option('--idp <kind>', "the IdP the written config names (idp.kind): entra, or manual (you, or the scripted operator, at the IdP's console)", 'entra')
    .addOption(
      new Option('--product <product>', 'the product simulated and configured: zia (ZIA, its SCIM service, the IdP and AD) or insync (Druva inSync)')
        .choices(['zia', 'insync'])
        .default('zia'),
    )
    .option('--operator <who>', 'who clicks the console-only buttons: auto (the scripted operator) or person (you, at the prompts)', 'auto')
    .option('--state-dir <dir>', 'where the config and its secret files are written', DEFAULT_SANDBOX_STATE_DIR)
    .option('--json', 'print one JSON object with the endpoints and config path on stdout')
    .addHelpText(
      'after',
      `
Everything is local and throwaway: credentials are generated per run and written to
<state-dir>/secrets (mode 0600), removed when the sandbox stops; the config references those
files. A real directory's password is not written: the config names ${DIRECTORY_PASSWORD_ENV}.

Fault grammar: server:method:pathPrefix:kind[:rate], comma-separated. server is zia, scim,
graph, login or *; kind is 429, 5xx, 500-599, reset, timeout[=ms], truncate or latency=ms.

Variants (name=reading, comma-separated; the first reading is the default; docs/vendor-facts.md):
${variantHelp()}

Examples:
  $ migrate sandbox
  $ migrate sandbox --users 10000 --speed 50 --state-dir /tmp/sbx
  $ migrate sandbox --json > sandbox.json &
  $ migrate sandbox --faults 'zia:GET:/users:429:0.2,scim:*:*:500:0.05'
  $ migrate sandbox --variant idp-edit-pending=yes,scim-page-cap=100
  $ migrate sandbox --idp manual --operator person   rehearse a hand-configured IdP at the prompts
  $ migrate sandbox --product insync   Druva inSync on SCIM, for migrate provisioning-switch --product insync
  $ ${DIRECTORY_PASSWORD_ENV}=… migrate sandbox --directory ldaps://dc1.lab.test --directory-bind-dn 'CN=svc,CN=Users,DC=lab,DC=test' \\
      --directory-ca ca.pem --directory-group-dn 'CN=Zscaler Users,OU=Groups,DC=lab,DC=test'`,
    )
    .action(async (o: SandboxCliOptions, cmd: Command) => {
      await (await import('../actions/sandbox.js')).runSandbox(o, cmd, deps);
    });
}
