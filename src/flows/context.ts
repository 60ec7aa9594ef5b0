import type { Config } from '../config/schema.js';
import { resolveOptionalSecret, resolveSecret } from '../config/secrets.js';
import type { Target } from '../engine/checkpoint.js';
import { createJsonlAudit, type AuditSink } from '../clients/audit.js';
import { createDirectoryClient, type DirectoryClient } from '../clients/ldap.js';
import type { ScimClient } from '../clients/scim.js';
import { scimSideOf } from '../products/scim-sides.js';
import { createZiaClient, oneApiTokenUrl, ziaBaseUrlForCloud, type ZiaClient } from '../clients/zia.js';
import type { Output } from '../ui/output.js';
import type { MigrationOperator } from './operator-actions.js';
import { productModule } from '../products/index.js';
import { ziaOf } from '../products/zia/config.js';

/** The SCIM Base URL and Bearer Token copied from Edit IdP. Held in memory only, for this run. */
export interface ScimCredentials {
  baseUrl: string;
  token: string;
  /**
   * The endpoint accepted this token during this run. Only then does a later refusal prove that
   * SCIM was turned off: a token from configuration may be stale, or regenerated in the console.
   */
  accepted?: boolean;
}

/**
 * Everything a flow's steps use. Clients are created lazily, so a command touches only the
 * systems its steps actually read; every client is read-only during --dry-run.
 */
export interface MigrationContext {
  config: Config;
  readOnly: boolean;
  out: Output;
  operator: MigrationOperator;
  zia(): ZiaClient;
  directory(): DirectoryClient;
  /**
   * A client (or any per-run resource) of a module that is not one of the four above, such as an
   * IdP's API client: made once per run under `key`, with what every client needs (read-only
   * during --dry-run, the audit log, the environment for secret references); `close` runs on close().
   */
  client<T>(key: string, make: (deps: ClientDeps) => T, close?: (client: T) => Promise<void>): T;
  scim(creds: ScimCredentials): ScimClient;
  /** SCIM credentials known to this run (from the operator, or config references). Never persisted. */
  scimCredentials: ScimCredentials | undefined;
  /** Administrator accepted other admins' pending ZIA changes being activated with ours. */
  acceptPendingChanges: boolean;
  /** A resumed run whose own saved change has not been activated yet (read from the checkpoint). */
  ownChangesPending: boolean;
  /** The state file records this migration (a forward run in progress or completed), read from the checkpoint. */
  migrationRecorded: boolean;
  /**
   * `--adopt`: a tenant found past the guide's starting point with no record of it is taken on as
   * this migration's own, instead of refused (its state file was lost).
   */
  adoptObservedState: boolean;
  /** Client-side rate limits (off only for the sandbox's benchmarks). */
  rateLimits: boolean;
  /** Wait budget for observations that poll (Sync Now, initial cycle), in milliseconds. */
  pollIntervalMs: number;
  /** Where a failed verification writes its report for the change ticket (not during a dry-run). */
  reportDir: string | undefined;
  /** The last parity result of this run, for the command to print or write as reports. */
  lastParity?: import('./parity-check.js').ParityRun;
  /** Closes connections and ends sessions opened by this run. */
  close(): Promise<void>;
}

/** The tenant a state file belongs to: the configured product's identity (src/products/). */
export function targetOf(config: Config): Target {
  const product = productModule(config.product);
  const section = config[config.product];
  if (section === undefined) throw new Error(`the configuration has no ${config.product} section`);
  return product.targetOf(section);
}

export function ziaBaseUrl(config: Config): string {
  const z = ziaOf(config);
  if (z.baseUrl) return z.baseUrl;
  return ziaBaseUrlForCloud(z.cloud!, z.auth.kind);
}

/** What a client needs from the run: see MigrationContext.client. */
export interface ClientDeps {
  readOnly: boolean;
  audit: AuditSink | undefined;
  env: NodeJS.ProcessEnv;
  /** Client-side rate limits (off only for the sandbox's benchmarks and tests). */
  rateLimits: boolean;
}

export interface ContextOptions {
  config: Config;
  readOnly: boolean;
  out: Output;
  operator: MigrationOperator;
  acceptPendingChanges?: boolean;
  adoptObservedState?: boolean;
  auditLog?: string;
  env?: NodeJS.ProcessEnv;
  rateLimits?: boolean;
  pollIntervalMs?: number;
  reportDir?: string;
}

export function createMigrationContext(opts: ContextOptions): MigrationContext {
  const { config, readOnly } = opts;
  const env = opts.env ?? process.env;
  const auditPath = opts.auditLog ?? config.auditLog;
  // An audit log is a write: a dry-run keeps it off so it writes nothing anywhere.
  const audit: AuditSink | undefined = auditPath && !readOnly ? createJsonlAudit(auditPath) : undefined;
  const rateLimits = opts.rateLimits ?? true;

  let zia: ZiaClient | undefined;
  let directory: DirectoryClient | undefined;
  const clients = new Map<string, { value: unknown; close?: (c: never) => Promise<void> }>();
  const deps: ClientDeps = { readOnly, audit, env, rateLimits };
  const scimClients = new Map<string, ScimClient>();

  const ctx: MigrationContext = {
    config,
    readOnly,
    out: opts.out,
    operator: opts.operator,
    acceptPendingChanges: opts.acceptPendingChanges ?? false,
    ownChangesPending: false,
    migrationRecorded: false,
    adoptObservedState: opts.adoptObservedState ?? false,
    reportDir: readOnly ? undefined : opts.reportDir,
    rateLimits,
    pollIntervalMs: opts.pollIntervalMs ?? 5_000,
    scimCredentials: undefined,
    zia() {
      if (!zia) {
        const a = ziaOf(config).auth;
        const auth =
          a.kind === 'legacy'
            ? {
                kind: 'legacy' as const,
                username: a.username,
                password: resolveSecret(a, 'password', 'zia.auth', env),
                apiKey: resolveSecret(a, 'apiKey', 'zia.auth', env),
              }
            : {
                kind: 'oneapi' as const,
                tokenUrl: a.tokenUrl ?? oneApiTokenUrl(a.vanityDomain!, ziaOf(config).cloud),
                clientId: a.clientId,
                clientSecret: resolveSecret(a, 'clientSecret', 'zia.auth', env),
              };
        zia = createZiaClient({ baseUrl: ziaBaseUrl(config), auth, readOnly, audit, rateLimits });
      }
      return zia;
    },
    client<T>(key: string, make: (d: ClientDeps) => T, close?: (c: T) => Promise<void>): T {
      let entry = clients.get(key);
      if (!entry) {
        entry = { value: make(deps), ...(close ? { close: close as (c: never) => Promise<void> } : {}) };
        clients.set(key, entry);
      }
      return entry.value as T;
    },
    directory() {
      const d = config.directory;
      directory ??= createDirectoryClient({
        url: d.url,
        bindDn: d.bindDn,
        password: resolveSecret(d, 'password', 'directory', env),
        caFile: d.caFile,
        startTls: d.startTls,
        insecure: d.insecure,
        timeLimitSeconds: d.timeLimitSeconds,
        pageSize: d.pageSize,
      });
      return directory;
    },
    scim(creds) {
      // One client per endpoint and token, so every read of this run shares one rate limiter:
      // the server counts 5 req/s per IdP (docs/vendor-facts.md F25), and a fresh client per call
      // (probe, then groups, then users) started each with an empty window and drew 429s.
      const key = `${creds.baseUrl}\n${creds.token}`;
      let client = scimClients.get(key);
      if (!client) {
        // The configured product's SCIM service (ZPA's SCIM Service Provider Endpoint is read through the same calls).
        client = scimSideOf(config.product).scimClient(creds, { ...deps, pageSize: config.scim.pageSize });
        scimClients.set(key, client);
      }
      return client;
    },
    async close() {
      // Ending a ZIA session auto-activates pending changes (docs/vendor-facts.md F5), so a
      // session is ended explicitly only when this run wrote nothing it has not activated:
      // the flows activate before they finish, and a read-only run has nothing pending of its own.
      if (zia) await zia.logout().catch(() => undefined);
      if (directory) await directory.close().catch(() => undefined);
      for (const { value, close } of clients.values()) if (close) await close(value as never).catch(() => undefined);
      clients.clear();
    },
  };

  // Unattended runs may supply the SCIM credentials up front (scim.baseUrl + scim.tokenEnv/tokenFile).
  const token = resolveOptionalSecret(config.scim, 'token', 'scim', env);
  if (token && config.scim.baseUrl) ctx.scimCredentials = { baseUrl: config.scim.baseUrl, token };
  return ctx;
}
