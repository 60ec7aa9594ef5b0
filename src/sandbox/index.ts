import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { startEntraService, type StartEntraServiceOptions } from './entra/index.js';
import { rewrittenDomain } from './entra/mapping.js';
import { FaultInjector, parseFaultSpec } from './http/faults.js';
import { RequestLog, type RequestLogEntry, type SandboxStats } from './http/log.js';
import { startLdapServer } from './ldap/server.js';
import { startScimServer } from './scim/server.js';
import type { SandboxDirectory } from './world/directory.js';
import { importDirectory } from './world/ldap-import.js';
import { createPrng, generateDirectory } from './world/seed.js';
import { ZiaTenant } from './world/tenant.js';
import { fastForwardToMigrated, type FastForwardResult } from './world/fast-forward.js';
import { createPortal, type Portal } from './zia/portal.js';
import { startZiaServer } from './zia/server.js';
import { variantSettings } from './variants.js';
import { startInsyncSimulation, type InsyncSimulation } from './insync/index.js';
import { startZpaSimulation, type ZpaSimulation, type ZpaSimulationOptions } from './zpa/index.js';
import type { IdpKind } from '../idps/actions.js';
import { idpSimulation, type IdpSimulation, type SecretReference } from './idps/index.js';

export { SANDBOX_IN_SCOPE_GROUP } from './world/seed.js';
export { VARIANTS, VariantError, allReadings, parseVariants } from './variants.js';
export type { Portal } from './zia/portal.js';
export type { RequestLogEntry, SandboxStats } from './http/log.js';
export type { ZpaSimulation, ZpaSimulationOptions } from './zpa/index.js';

/**
 * `startSandbox`: every simulated system of a migration on 127.0.0.1 — ZIA admin API (+ portal
 * actions and control API), ZIA SCIM, Entra ID/Graph, and AD over LDAP — sharing one world.
 */
export interface SandboxOptions {
  /** Generated directory size (default 1000). Ignored with directoryUrl. */
  users?: number;
  /** 0 = ephemeral ports; otherwise ZIA takes port, SCIM port+1, Entra port+2, LDAP port+3. */
  port?: number;
  /** Multiplies allowed request rates and divides simulated waits (default 1). */
  speed?: number;
  /** Fault injection spec, see src/sandbox/http/faults.ts. */
  faults?: string;
  /** Documented vendor rate limits (default true). */
  rateLimits?: boolean;
  /** ZIA hourly caps (default true; benches switch them off). */
  hourlyCaps?: boolean;
  seed?: number;
  /** Use a real directory (read once over LDAP at start) instead of the generated one. */
  directoryUrl?: string;
  directoryBindDn?: string;
  directoryPassword?: string;
  directoryBaseDn?: string;
  /** PEM CA of the real directory's certificate (ldaps://); the written config carries it. */
  directoryCaFile?: string;
  /**
   * The migration's scope in the real directory, as the config's directory.userFilter / groupDn
   * (nested membership counts). Only users in it are imported, so the simulated ZIA directory sync
   * and the simulated Entra app assignments cover exactly the users `migrate verify` reads.
   */
  directoryUserFilter?: string;
  directoryGroupDn?: string;
  /** ZIA API session idle timeout (default 5, docs/vendor-facts.md F4). */
  idleTimeoutMinutes?: number;
  /** The ZIA service's clock for sessions and tokens (tests move it forward to expire a session at a chosen moment). */
  ziaClock?: () => number;
  /** SCIM page cap (default 1000; sources disagree, docs/vendor-facts.md F26). */
  scimPageCap?: number;
  /** SCIM POST of a directory-synced userName takes the user over instead of 409 (default false). */
  scimPostAdoptsSynced?: boolean;
  /** Entra/Graph behaviour that public sources leave open (docs/vendor-facts.md); see startEntraService. */
  entra?: EntraVariantOptions;
  /**
   * Named readings of unconfirmed vendor facts (src/sandbox/variants.ts): `'scim-page-cap=100,secrets-get=refused'`
   * or `{ 'scim-page-cap': '100' }`. A variant given here wins over the older single options above.
   */
  variants?: string | Record<string, string>;
  /** Opt-in: also start the Druva inSync simulation on the same directory, log and faults (src/sandbox/insync). */
  insync?: boolean;
  /**
   * Opt-in (issue 15, in progress): also start the ZPA simulation, on the same directory, request
   * log and faults (`sandbox.zpa`). Not part of the default start; no flow uses it yet.
   */
  zpa?: boolean | Omit<ZpaSimulationOptions, 'directory' | 'log' | 'faults'>;
  /**
   * The IdP the written configuration names (idp.kind, default 'entra'): its simulation
   * (src/sandbox/idps) serves its API, writes the `idp` section and plays its console for the
   * scripted operator. The simulated Entra tenant runs whichever is chosen.
   */
  idp?: IdpKind;
}

export interface SandboxEndpoints {
  ziaBaseUrl: string;
  ziaOneApiBaseUrl: string;
  zidentityTokenUrl: string;
  scimServerUrl: string;
  portalUrl: string;
  controlUrl: string;
  entraLoginUrl: string;
  graphUrl: string;
  ldapUrl: string;
}

export interface SandboxCredentials {
  zia: {
    username: string;
    password: string;
    apiKey: string;
    orgId: string;
    idpName: string;
    idpId: number;
    oneApiClientId: string;
    oneApiClientSecret: string;
  };
  entra: { tenantId: string; clientId: string; clientSecret: string; servicePrincipalDisplayName: string };
  ldap: { bindDn: string; password: string; baseDn: string };
}

type EntraService = Awaited<ReturnType<typeof startEntraService>>;
export type EntraVariantOptions = Pick<
  StartEntraServiceOptions,
  'betaSecretsRead' | 'previouslyProvisioned' | 'assignments' | 'syncAllPolarity' | 'userFaults'
>;

export interface SandboxWorld {
  tenant: ZiaTenant;
  directory: SandboxDirectory;
  entra: EntraService['state'];
}

export interface Sandbox {
  endpoints: SandboxEndpoints;
  /** The configured IdP's simulation (its kind, its endpoints). */
  idp: IdpSimulation;
  credentials: SandboxCredentials;
  config(): Record<string, unknown>;
  env(): Record<string, string>;
  /**
   * Writes migrate.sandbox.yaml (secrets in ./secrets, 0600). operator 'auto' (default) lets the CLI
   * click the console-only buttons; 'person' makes it prompt, to rehearse the human path.
   */
  writeConfig(dir: string, opts?: { operator?: 'auto' | 'person' }): Promise<string>;
  /** Skips the Entra initial cycle: the tenant as a completed migration leaves it (benchmarks, tests). */
  fastForwardToMigrated(): FastForwardResult;
  world: SandboxWorld;
  stats(): SandboxStats;
  requests(): RequestLogEntry[];
  resetLog(): void;
  portal: Portal;
  /** Replaces the fault rules of every simulated service (the grammar of `faults`; '' for none). */
  setFaults(spec: string): void;
  /** The Druva inSync simulation, when started with `insync: true`. */
  insync?: InsyncSimulation;
  /** The ZPA simulation, when started with `zpa`. */
  zpa?: ZpaSimulation;
  stop(): Promise<void>;
}

export const SANDBOX_ENV = {
  ziaPassword: 'MIGRATE_SANDBOX_ZIA_PASSWORD',
  ziaApiKey: 'MIGRATE_SANDBOX_ZIA_API_KEY',
  graphSecret: 'MIGRATE_SANDBOX_GRAPH_SECRET',
  ldapPassword: 'MIGRATE_SANDBOX_LDAP_PASSWORD',
  /**
   * A real directory's bind password (`--directory`): read from this variable at start and kept
   * in memory; the written config references the variable, so the password is never on disk.
   */
  directoryPassword: 'MIGRATE_SANDBOX_DIRECTORY_PASSWORD',
  oneApiClientSecret: 'MIGRATE_SANDBOX_ONEAPI_CLIENT_SECRET',
} as const;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function alnum(n: number): string {
  const b = randomBytes(n);
  let s = '';
  for (const x of b) s += ALNUM[x % ALNUM.length];
  return s;
}

async function loadDirectory(opts: SandboxOptions): Promise<SandboxDirectory> {
  if (!opts.directoryUrl) return generateDirectory({ users: opts.users ?? 1000, seed: opts.seed ?? 1 });
  if (!opts.directoryBindDn || opts.directoryPassword === undefined) {
    throw new Error(`--directory ${opts.directoryUrl} needs a bind DN and password (directoryBindDn, directoryPassword)`);
  }
  const o: Parameters<typeof importDirectory>[0] = { url: opts.directoryUrl, bindDn: opts.directoryBindDn, password: opts.directoryPassword };
  if (opts.directoryBaseDn) o.baseDn = opts.directoryBaseDn;
  if (opts.directoryCaFile) o.caFile = opts.directoryCaFile;
  if (opts.directoryUserFilter) o.userFilter = opts.directoryUserFilter;
  if (opts.directoryGroupDn) o.groupDn = opts.directoryGroupDn;
  return importDirectory(o);
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const variant = variantSettings(opts.variants); // refuses unknown names and readings before anything starts
  const speed = opts.speed ?? 1;
  if (!(speed > 0)) throw new Error(`speed must be a positive number, got ${opts.speed}`);
  const rateLimits = opts.rateLimits ?? true;
  const seed = opts.seed ?? 1;
  const basePort = opts.port ?? 0;
  const portAt = (i: number) => (basePort === 0 ? 0 : basePort + i);
  const faults = new FaultInjector(parseFaultSpec(opts.faults), seed);
  const log = new RequestLog();
  const directory = await loadDirectory(opts);

  const rand = createPrng(seed);
  const orgId = String(24_000_000 + Math.floor(rand() * 900_000));
  const idpId = 61_000 + Math.floor(rand() * 900);
  const idpName = 'Entra ID';
  const tenant = new ZiaTenant({
    orgId,
    // The tenant's registered domains: the directory's, and the second one a suffix rewrite moves users to.
    // One list: /orgInformation/lite serves it and the SCIM service refuses userNames outside it.
    domains: directory.domain ? [directory.domain, rewrittenDomain(directory.domain)] : [],
    idps: [
      { id: idpId, name: idpName },
      { id: idpId + 1, name: 'Okta (legacy)' },
    ],
    ...(variant.adOrgAuthType ? { adOrgAuthType: variant.adOrgAuthType } : {}),
    ...(variant.idpEditPending !== undefined ? { idpEditPending: variant.idpEditPending } : {}),
    ...(variant.scimNeedsActiveFlag !== undefined ? { scimNeedsActiveFlag: variant.scimNeedsActiveFlag } : {}),
    ...(variant.scimGroupAdoption ? { scimGroupAdoption: variant.scimGroupAdoption } : {}),
  });
  // The tenant starts as the migration guide's prerequisite: AD repository, synced (docs/vendor-facts.md F16).
  tenant.syncNow(directory);

  const zia = {
    username: `api-admin@${directory.domain || 'example.test'}`,
    password: alnum(20),
    apiKey: alnum(12),
    orgId,
    idpName,
    idpId,
    oneApiClientId: `sbx-${alnum(10)}`,
    oneApiClientSecret: alnum(40),
  };

  const stops: (() => Promise<void>)[] = [];
  let idpSim: IdpSimulation | undefined;
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const pageCap = variant.scimPageCap ?? opts.scimPageCap;
    const scim = await startScimServer({
      tenant,
      log,
      port: portAt(1),
      speed,
      rateLimits,
      faults,
      postAdoptsSynced: variant.scimPostAdoptsSynced ?? opts.scimPostAdoptsSynced ?? false,
      ...(pageCap ? { pageCap } : {}),
      ...(variant.scimPatchDialect ? { patchDialect: variant.scimPatchDialect } : {}),
      ...(variant.groupPatchStatus ? { groupPatchStatus: variant.groupPatchStatus } : {}),
    });
    stops.push(() => scim.stop());
    const portal = createPortal({ tenant, directory: () => directory, scimBaseUrl: (id) => scim.baseUrlFor(id) });
    const ziaSrv = await startZiaServer({
      tenant,
      portal,
      credentials: zia,
      log,
      port: portAt(0),
      speed,
      rateLimits,
      hourlyCaps: opts.hourlyCaps ?? true,
      idleTimeoutMinutes: opts.idleTimeoutMinutes ?? 5,
      ...(opts.ziaClock ? { now: opts.ziaClock } : {}),
      faults,
      ...(variant.authSettingsPut ? { authSettingsPut: variant.authSettingsPut } : {}),
      idpConsole: async (action) => {
        if (!idpSim) throw new Error('the IdP simulation has not started yet');
        await idpSim.operate(action);
      },
    });
    stops.push(() => ziaSrv.stop());
    const entraVariant = {
      ...(variant.betaSecretsRead ? { betaSecretsRead: variant.betaSecretsRead } : {}),
      ...(variant.syncAllPolarity ? { syncAllPolarity: variant.syncAllPolarity } : {}),
      ...(variant.entraUserMapping ? { userMapping: variant.entraUserMapping } : {}),
    };
    const entra = await startEntraService({
      ...opts.entra,
      ...entraVariant,
      directory,
      speed,
      port: portAt(2),
      rateLimits,
      faults,
      recordRequest: (e) => log.record(e),
    });
    stops.push(() => entra.stop());
    let zpa: ZpaSimulation | undefined;
    if (opts.zpa) {
      const z = await startZpaSimulation({
        seed,
        speed,
        rateLimits,
        ...(opts.variants !== undefined ? { variants: opts.variants } : {}),
        ...(typeof opts.zpa === 'object' ? opts.zpa : {}),
        directory,
        log,
        faults,
      });
      zpa = z;
      stops.push(() => z.stop());
    }
    const simulation = await idpSimulation(opts.idp ?? 'entra').start({
      tenant,
      directory,
      entra,
      zia: { orgId, idpName, idpId },
      scimBaseUrl: (id) => scim.baseUrlFor(id),
      speed,
      rateLimits,
      faults,
      log,
      seed,
      port: portAt(4),
      product: zpa ? 'zpa' : 'zia',
    });
    idpSim = simulation;
    stops.push(() => simulation.stop());
    let ldapUrl: string;
    if (opts.directoryUrl) {
      ldapUrl = opts.directoryUrl;
    } else {
      const ldap = await startLdapServer({ directory, port: portAt(3) });
      stops.push(() => ldap.stop());
      ldapUrl = ldap.url;
    }

    let insync: InsyncSimulation | undefined;
    if (opts.insync) {
      insync = await startInsyncSimulation({ directory, seed, faults, log });
      stops.push(() => (insync as InsyncSimulation).stop());
    }

    const endpoints: SandboxEndpoints = {
      ziaBaseUrl: `${ziaSrv.url}/api/v1`,
      ziaOneApiBaseUrl: `${ziaSrv.url}/zia/api/v1`,
      zidentityTokenUrl: `${ziaSrv.url}/oauth2/v1/token`,
      scimServerUrl: scim.url,
      portalUrl: `${ziaSrv.url}/portal`,
      controlUrl: `${ziaSrv.url}/_sandbox`,
      entraLoginUrl: entra.loginUrl,
      graphUrl: entra.graphUrl,
      ldapUrl,
    };
    const credentials: SandboxCredentials = {
      zia,
      entra: {
        tenantId: entra.credentials.tenantId,
        clientId: entra.credentials.clientId,
        clientSecret: entra.credentials.clientSecret,
        servicePrincipalDisplayName: entra.credentials.servicePrincipalDisplayName,
      },
      ldap: { bindDn: directory.bindDn, password: directory.bindPassword, baseDn: directory.baseDn },
    };

    const realDirectory = opts.directoryUrl !== undefined;
    /**
     * How the config reaches the directory. The sandbox's own LDAP server is plain ldap:// on
     * 127.0.0.1 (insecure: true). A real directory keeps its TLS: ldaps:// with the CA it was read
     * with; a plain ldap:// URL is read the way it was imported (no StartTLS).
     */
    const directoryTransport = (): Record<string, unknown> => {
      if (!realDirectory) return { startTls: false, insecure: true };
      const plain = /^ldap:\/\//i.test(endpoints.ldapUrl);
      return {
        ...(opts.directoryCaFile ? { caFile: path.resolve(opts.directoryCaFile) } : {}),
        startTls: false,
        insecure: plain,
      };
    };
    const directoryScope = (): Record<string, string> => ({
      ...(opts.directoryUserFilter ? { userFilter: opts.directoryUserFilter } : {}),
      ...(opts.directoryGroupDn ? { groupDn: opts.directoryGroupDn } : {}),
    });
    const buildConfig = (secrets: { zia: Record<string, string>; idp: SecretReference; directory: Record<string, string> }) => ({
      version: 1,
      zia: {
        baseUrl: endpoints.ziaBaseUrl,
        auth: { kind: 'legacy', username: zia.username, ...secrets.zia },
        idpName: zia.idpName,
        orgId: zia.orgId,
      },
      scim: {},
      idp: simulation.configSection(secrets.idp),
      directory: {
        url: endpoints.ldapUrl,
        bindDn: credentials.ldap.bindDn,
        ...secrets.directory,
        ...directoryTransport(),
        baseDn: credentials.ldap.baseDn,
        ...directoryScope(),
      },
      // Rehearsal allowances for the generated directory's deliberate mess: several % of accounts
      // are disabled in AD, and one user is assigned in the IdP but absent from AD, so it arrives in
      // SCIM and therefore in ZIA (one "extra" user, listed in both, that the parity report explains).
      parity: { key: 'userName', secondaryKey: 'email', thresholds: { missing: 0, extra: 1, duplicates: 0, drift: 0 } },
      guards: { maxDeletions: 0, maxDisablePercent: 15, maxSyncAgeHours: 24 },
      operator: { kind: 'sandbox', portalUrl: endpoints.portalUrl },
    });

    const directoryPasswordEnv = realDirectory ? SANDBOX_ENV.directoryPassword : SANDBOX_ENV.ldapPassword;
    /** Secret files writeConfig wrote; stop() removes them (throwaway values, or a real password). */
    const writtenSecrets = new Set<string>();
    const removeWrittenSecrets = async () => {
      for (const f of writtenSecrets) await rm(f, { force: true });
      writtenSecrets.clear();
    };
    stops.unshift(removeWrittenSecrets); // stops run in reverse: the files go last, after the servers

    /** The IdP simulation's secrets as environment references (config() and env()). */
    const idpEnv: Record<string, string> = {};
    const idpEnvRef: SecretReference = (field, value, names) => {
      idpEnv[names.env] = value;
      return { [`${field}Env`]: names.env };
    };
    const sandbox: Sandbox = {
      endpoints,
      idp: simulation,
      credentials,
      config: () =>
        buildConfig({
          zia: { passwordEnv: SANDBOX_ENV.ziaPassword, apiKeyEnv: SANDBOX_ENV.ziaApiKey },
          idp: idpEnvRef,
          directory: { passwordEnv: directoryPasswordEnv },
        }),
      env: () => {
        buildConfig({ zia: {}, idp: idpEnvRef, directory: {} }); // collects the IdP's secrets
        return {
          [SANDBOX_ENV.ziaPassword]: zia.password,
          [SANDBOX_ENV.ziaApiKey]: zia.apiKey,
          [SANDBOX_ENV.graphSecret]: credentials.entra.clientSecret,
          ...idpEnv,
          [directoryPasswordEnv]: credentials.ldap.password,
        };
      },
      writeConfig: async (dir, wopts = {}) => {
        const secretsDir = path.resolve(dir, 'secrets');
        await mkdir(secretsDir, { recursive: true, mode: 0o700 });
        await chmod(secretsDir, 0o700);
        const files: Record<string, [string, string]> = {
          zia: [path.join(secretsDir, 'zia-password'), zia.password],
          key: [path.join(secretsDir, 'zia-api-key'), zia.apiKey],
          // For an outside OneAPI client (an SDK, curl): the client id is not a secret, but it is
          // throwaway and belongs with its secret.
          oneApiId: [path.join(secretsDir, 'oneapi-client-id'), zia.oneApiClientId],
          oneApiSecret: [path.join(secretsDir, 'oneapi-client-secret'), zia.oneApiClientSecret],
          // A real directory's password is never written: the config names the variable it came from.
          ...(realDirectory ? {} : { ldap: [path.join(secretsDir, 'ldap-password'), credentials.ldap.password] as [string, string] }),
        };
        for (const [file, value] of Object.values(files)) {
          writtenSecrets.add(file);
          await writeFile(file, value, { mode: 0o600 });
          await chmod(file, 0o600);
        }
        const person = wopts.operator === 'person';
        const idpFiles: Array<[string, string]> = [];
        const cfg: Record<string, unknown> = buildConfig({
          zia: { passwordFile: files.zia![0], apiKeyFile: files.key![0] },
          idp: (field, value, names) => {
            const file = path.join(secretsDir, names.file);
            idpFiles.push([file, value]);
            return { [`${field}File`]: file };
          },
          directory: files.ldap ? { passwordFile: files.ldap[0] } : { passwordEnv: SANDBOX_ENV.directoryPassword },
        });
        for (const [file, value] of idpFiles) {
          writtenSecrets.add(file);
          await writeFile(file, value, { mode: 0o600 });
          await chmod(file, 0o600);
        }
        if (person) cfg.operator = { kind: 'person' };
        const portalUrl = endpoints.portalUrl;
        const json = `-H 'content-type: application/json'`;
        const header = [
          '# migrate configuration for the built-in sandbox (written by `migrate sandbox`).',
          '# Every system below is a simulation on 127.0.0.1; the credentials are throwaway values',
          '# generated for this sandbox run and stored in ./secrets (mode 0600), never inline.',
          ...(person
            ? [
                '# operator.kind "person": the CLI prompts you at the console-only steps. The sandbox has no',
                '# console; these requests are its buttons (the Enable SCIM answer holds the Base URL and token):',
                `#   Sync Now:             curl -s -X POST ${json} -d '{}' ${portalUrl}/syncNow`,
                `#   Enable SCIM on IdP:   curl -s -X POST ${json} -d '{"enabled":true}' ${portalUrl}/idps/${zia.idpId}/scim`,
                `#   SAML auto-prov. off:  curl -s -X POST ${json} -d '{"enabled":false}' ${portalUrl}/idps/${zia.idpId}/samlAutoProvisioning`,
                `#   Disable SCIM on IdP:  curl -s -X POST ${json} -d '{"enabled":false}' ${portalUrl}/idps/${zia.idpId}/scim`,
                `#   Generate Token:       curl -s -X POST ${json} -d '{}' ${portalUrl}/idps/${zia.idpId}/generateToken`,
                ...(simulation.kind === 'manual'
                  ? [
                      `# The IdP's console (idp.kind manual) is ${portalUrl}/idp-console; its buttons:`,
                      `#   Base URL + token:     curl -s -X POST ${json} -d '{"action":"idp.setCredentials","idp":"manual","baseUrl":"<Base URL>","token":"<token>","scope":"assigned"}' ${portalUrl}/idp-console`,
                      `#   Start provisioning:   curl -s -X POST ${json} -d '{"action":"idp.start","idp":"manual"}' ${portalUrl}/idp-console`,
                      `#   Pause provisioning:   curl -s -X POST ${json} -d '{"action":"idp.pause","idp":"manual"}' ${portalUrl}/idp-console`,
                    ]
                  : []),
              ]
            : ['# operator.kind "sandbox" lets the CLI click the ZIA portal-only buttons itself.']),
          '# Rehearse: migrate ad-to-scim --dry-run --config <this file>, then migrate ad-to-scim --config <this file>;',
          '#           migrate verify, migrate rollback and migrate status take the same --config.',
          '# OneAPI instead of the legacy API key (client id and secret in ./secrets/oneapi-client-*):',
          `#   zia.baseUrl: ${endpoints.ziaOneApiBaseUrl}`,
          `#   zia.auth: { kind: oneapi, tokenUrl: ${endpoints.zidentityTokenUrl}, clientId: ${zia.oneApiClientId}, clientSecretFile: ${files.oneApiSecret![0]} }`,
          ...(realDirectory ? [`# directory.passwordEnv: the real directory's bind password stays in ${SANDBOX_ENV.directoryPassword}, never on disk.`] : []),
          '# The files in ./secrets are removed when the sandbox stops.',
          '',
        ].join('\n');
        const file = path.resolve(dir, 'migrate.sandbox.yaml');
        await writeFile(file, header + YAML.stringify(cfg), { mode: 0o600 });
        return file;
      },
      fastForwardToMigrated: () => fastForwardToMigrated({ tenant, entra: entra.state, portal, idpId: zia.idpId }),
      world: { tenant, directory, entra: entra.state },
      stats: () => log.stats(),
      requests: () => log.list(),
      resetLog: () => log.reset(),
      portal,
      setFaults: (spec) => faults.set(parseFaultSpec(spec)),
      ...(insync ? { insync } : {}),
      ...(zpa ? { zpa } : {}),
      stop: stopAll,
    };
    return sandbox;
  } catch (e) {
    await stopAll();
    throw e;
  }
}
