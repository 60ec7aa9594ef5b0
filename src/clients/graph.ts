import { z } from 'zod';
import { UserError } from '../engine/errors.js';
import type { AuditSink } from './audit.js';
import { ApiError, createHttpClient, type CallOptions, type HttpTuning, type Method } from './http.js';
import { createTokenSource } from './oauth.js';

/**
 * Microsoft Graph client for the Entra provisioning (synchronization) API of the Zscaler
 * enterprise app. Facts cite /work/shared/docs/idp-apis.md section A (A1…A6).
 * Throttling: 429/503 with Retry-After are retried by the HTTP layer (A6); Graph publishes no
 * fixed rate, so no client-side limit is set.
 */

// ---------------------------------------------------------------------------------------
// Shapes

export const ServicePrincipalSchema = z.object({ id: z.string(), appId: z.string(), displayName: z.string() }).passthrough();
export type ServicePrincipal = { id: string; appId: string; displayName: string };

// Graph (OData) sends null for properties without a value, e.g. timeEnded while a cycle runs.
const ProgressSchema = z
  .object({
    completedUnits: z.number().nullish(),
    totalUnits: z.number().nullish(),
    units: z.string().nullish(),
    progressObservationDateTime: z.string().nullish(),
  })
  .passthrough();

const ExecutionSchema = z
  .object({
    state: z.string().nullish(), // Succeeded | Failed | EntryLevelErrors (A1), opaque
    timeBegan: z.string().nullish(),
    timeEnded: z.string().nullish(),
    countExported: z.number().nullish(),
    countImported: z.number().nullish(),
    countEscrowed: z.number().nullish(),
    error: z.unknown().nullish(),
  })
  .passthrough();

const QuarantineSchema = z
  .object({
    currentBegan: z.string().nullish(),
    nextAttempt: z.string().nullish(),
    reason: z.string().nullish(),
    seriesBegan: z.string().nullish(),
    seriesCount: z.number().nullish(),
    error: z.unknown().nullish(),
  })
  .passthrough();

export const SyncJobSchema = z
  .object({
    id: z.string(),
    templateId: z.string().optional(),
    schedule: z.object({ interval: z.string().optional(), state: z.string().optional(), expiration: z.string().nullish() }).passthrough().nullish(),
    status: z
      .object({
        code: z.string(), // NotConfigured | NotRun | Active | Paused | Quarantine (A1), opaque
        progress: z.array(ProgressSchema).nullish().transform((v) => v ?? []),
        quarantine: QuarantineSchema.nullish(),
        lastExecution: ExecutionSchema.nullish(),
        lastSuccessfulExecution: ExecutionSchema.nullish(),
        lastSuccessfulExecutionWithExports: ExecutionSchema.nullish(),
        steadyStateFirstAchievedTime: z.string().nullish(),
        steadyStateLastAchievedTime: z.string().nullish(),
        countSuccessiveCompleteFailures: z.number().nullish(),
        troubleshootingUrl: z.string().nullish(),
      })
      .passthrough(),
  })
  .passthrough();
export type SyncJob = z.output<typeof SyncJobSchema>;

const SecretsSchema = z.object({ value: z.array(z.object({ key: z.string(), value: z.string().nullish() }).passthrough()) }).passthrough();

export const ProvisioningObjectSummarySchema = z
  .object({
    id: z.string(),
    activityDateTime: z.string(),
    jobId: z.string().nullish(),
    cycleId: z.string().nullish(),
    changeId: z.string().nullish(),
    provisioningAction: z.string().nullish(),
    provisioningStatusInfo: z
      .object({
        status: z.string().nullish(),
        errorInformation: z
          .object({ errorCode: z.string().nullish(), reason: z.string().nullish(), recommendedAction: z.string().nullish() })
          .passthrough()
          .nullish(),
      })
      .passthrough()
      .nullish(),
    sourceIdentity: z.object({ id: z.string().nullish(), displayName: z.string().nullish(), identityType: z.string().nullish() }).passthrough().nullish(),
    targetIdentity: z.object({ id: z.string().nullish(), displayName: z.string().nullish(), identityType: z.string().nullish() }).passthrough().nullish(),
  })
  .passthrough();
export type ProvisioningObjectSummary = z.output<typeof ProvisioningObjectSummarySchema>;

function collection<T extends z.ZodType>(item: T) {
  return z.object({ value: z.array(item), '@odata.nextLink': z.string().optional() }).passthrough();
}

// ---------------------------------------------------------------------------------------
// Helpers on a job

const NEVER = /^0001-01-01/;

/**
 * True once the first full cycle has finished. [U] Microsoft does not document an explicit
 * "initial cycle done" flag; A1's reading is that steadyStateFirstAchievedTime moves off
 * 0001-01-01 then. A job that has not run, or is quarantined, is never complete.
 */
export function isInitialCycleComplete(job: SyncJob): boolean {
  const code = job.status.code;
  if (code === 'NotRun' || code === 'NotConfigured' || code === 'Quarantine') return false;
  const t = job.status.steadyStateFirstAchievedTime;
  return typeof t === 'string' && t !== '' && !NEVER.test(t);
}

export interface QuarantineDescription {
  reason: string;
  meaning: string;
  whatToDo: string;
  since: string | undefined;
  nextAttempt: string | undefined;
}

const QUARANTINE_TEXT: Record<string, { meaning: string; whatToDo: string }> = {
  EncounteredQuarantineException: {
    meaning: 'the provisioning service hit a critical error, most often invalid or expired credentials (the Zscaler Tenant URL or Secret Token)',
    whatToDo: 'check the Base URL and Bearer Token from ZIA Edit IdP, save them again, run Test Connection, then start the job (start clears quarantine)',
  },
  EncounteredBaseEscrowThreshold: {
    meaning: 'too many users or groups failed to provision (escrow threshold reached)',
    whatToDo: 'read the provisioning logs for the failing objects, fix the cause (for example an email domain not registered in ZIA), then restart with resetScope QuarantineState',
  },
  EncounteredTotalEscrowThreshold: {
    meaning: 'the total number of failed objects passed the limit (more than 40 000 failures)',
    whatToDo: 'read the provisioning logs, fix the common cause, then restart with resetScope Escrows,QuarantineState',
  },
  EncounteredEscrowProportionThreshold: {
    meaning: 'more than 40 % of the evaluated objects failed (at least 5 000 evaluated)',
    whatToDo: 'read the provisioning logs, fix the common cause, then restart with resetScope Escrows,QuarantineState',
  },
  TooManyDeletes: {
    meaning: 'a cycle wanted to delete more objects than the accidental-deletion threshold allows',
    whatToDo: 'find out why so many users left the scope (assignments, scoping filter) before anything else; do not force the deletes unless they are intended',
  },
  QuarantinedOnDemand: {
    meaning: 'the job was put in quarantine on request',
    whatToDo: 'start the job when it should run again',
  },
  IngestionInterrupted: {
    meaning: 'reading the source objects was interrupted',
    whatToDo: 'restart with resetScope QuarantineState; if it repeats, open a Microsoft support case',
  },
};

/**
 * What a quarantine means and what to do (A1, A4, E-quar): a quarantined job runs once a day;
 * after four weeks in quarantine it is disabled. Null when the job is not quarantined.
 */
export function describeQuarantine(job: SyncJob): QuarantineDescription | null {
  const q = job.status.quarantine;
  if (job.status.code !== 'Quarantine' && !q) return null;
  const reason = q?.reason ?? 'Unknown';
  const text = QUARANTINE_TEXT[reason] ?? {
    meaning: 'Microsoft gives no specific reason',
    whatToDo: `open the provisioning logs in the Entra portal${job.status.troubleshootingUrl ? ` (${job.status.troubleshootingUrl})` : ''}, fix the error shown, then restart with resetScope QuarantineState`,
  };
  return {
    reason,
    meaning: `${text.meaning}. While quarantined the job runs only once a day and is disabled after four weeks.`,
    whatToDo: text.whatToDo,
    since: q?.currentBegan ?? undefined,
    nextAttempt: q?.nextAttempt ?? undefined,
  };
}

// ---------------------------------------------------------------------------------------
// Client

export type ResetScope = 'Full' | 'Watermark' | 'Escrows' | 'QuarantineState' | (string & {});

/** A4 (G-reset): scopes that must not be sent by this tool, with Microsoft's reason. */
const REFUSED_SCOPES: Record<string, string> = {
  None: 'Microsoft says "DO NOT USE" — use start instead',
  ConnectorDataStore: 'it clears the cache for all users; Microsoft says not to use it without Microsoft support',
  ForceDeletes: 'it pushes deletes held back by the accidental-deletion threshold; do that in the portal, deliberately',
};

/** Secret keys whose values are not meant to be shown (A2, G-kv); other keys are settings. */
const NON_SECRET_KEYS = new Set(['BaseAddress', 'SyncAll', 'SyncNotificationSettings', 'SkipOutOfScopeDeletions', 'SynchronizationSchedule', 'HardDeletesEnabled']);

export interface GraphClientOptions {
  loginUrl: string;
  graphUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  readOnly?: boolean;
  audit?: AuditSink;
  tuning?: HttpTuning;
}

export interface GraphClient {
  findServicePrincipal(ref: { id?: string; appId?: string; displayName?: string }): Promise<ServicePrincipal>;
  getSynchronizationJob(spId: string): Promise<SyncJob>;
  getJob(spId: string, jobId: string): Promise<SyncJob>;
  getSecretKeys(spId: string): Promise<string[]>;
  updateSecrets(spId: string, values: Record<string, string>): Promise<{ keys: string[] }>;
  validateCredentials(spId: string, jobId: string, credentials?: Record<string, string>): Promise<{ ok: true }>;
  startJob(spId: string, jobId: string): Promise<void>;
  pauseJob(spId: string, jobId: string): Promise<void>;
  restartJob(spId: string, jobId: string, resetScope: ResetScope): Promise<void>;
  listProvisioningLogs(jobId: string, since?: string): AsyncGenerator<ProvisioningObjectSummary[]>;
}

/** OData string literal: single quotes doubled. */
function odata(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

export function createGraphClient(opts: GraphClientOptions): GraphClient {
  const readOnly = opts.readOnly ?? false;
  const secrets = [opts.clientSecret];
  const http = createHttpClient({ ...opts.tuning, system: 'graph', baseURL: opts.graphUrl, readOnly, audit: opts.audit, redact: secrets });
  const tokenHttp = createHttpClient({
    ...opts.tuning,
    system: 'login',
    baseURL: `${opts.loginUrl.replace(/\/+$/, '')}/${encodeURIComponent(opts.tenantId)}/oauth2/v2.0/token`,
    readOnly,
    audit: opts.audit,
    redact: secrets,
  });
  // A6 (G-auth): client credentials with the .default scope of Graph.
  const tokens = createTokenSource({
    http: tokenHttp,
    form: { grant_type: 'client_credentials', client_id: opts.clientId, client_secret: opts.clientSecret, scope: 'https://graph.microsoft.com/.default' },
    onToken: (t) => http.addSecret(t),
  });
  const graphOrigin = new URL(opts.graphUrl).origin;

  async function call<S extends z.ZodType>(method: Method, path: string, schema: S, o: CallOptions & { body?: unknown } = {}): Promise<z.output<S>> {
    const send = async () => http.request(method, path, schema, { ...o, headers: { ...o.headers, Authorization: `Bearer ${await tokens.get()}` } });
    try {
      return (await send()).data;
    } catch (err) {
      // A revoked or expired token: fetch a new one once; a second 401 is a real refusal.
      if (err instanceof ApiError && err.system === 'graph' && err.status === 401) {
        tokens.invalidate();
        return (await send()).data;
      }
      throw err;
    }
  }

  const sp = (spId: string) => `/servicePrincipals/${encodeURIComponent(spId)}`;
  const job = (spId: string, jobId: string) => `${sp(spId)}/synchronization/jobs/${encodeURIComponent(jobId)}`;
  const select = { $select: 'id,appId,displayName' };

  /** A value from the tenant, cut to a readable length (a 200 KB name must not fill the terminal). */
  const clip = (v: string, n = 120) => (v.length > n ? `${v.slice(0, n)}… (${v.length} characters)` : v);
  function describe(list: ServicePrincipal[]): string {
    return (
      list
        .slice(0, 10)
        .map((s) => `${clip(s.displayName)} (id ${clip(s.id)}, appId ${clip(s.appId)})`)
        .join('; ') + (list.length > 10 ? `; … ${list.length - 10} more` : '')
    );
  }

  /** Registers every value that is a secret (all but NON_SECRET_KEYS), so it is scrubbed from errors and the audit log. */
  function registerSecrets(entries: Iterable<readonly [string, string | null | undefined]>): void {
    for (const [key, value] of entries) if (value && !NON_SECRET_KEYS.has(key)) http.addSecret(value);
  }

  async function readSecrets(spId: string) {
    // A2: GET …/synchronization/secrets is shown only on beta in E-skip; on v1.0 it is [U].
    const list = (await call('GET', `${sp(spId)}/synchronization/secrets`, SecretsSchema)).value;
    registerSecrets(list.map((s) => [s.key, s.value] as const));
    return list;
  }

  return {
    async findServicePrincipal(ref) {
      let candidates: ServicePrincipal[];
      if (ref.id) {
        try {
          candidates = [await call('GET', sp(ref.id), ServicePrincipalSchema, { query: select })];
        } catch (err) {
          if (err instanceof ApiError && err.status === 404) candidates = [];
          else throw err;
        }
      } else if (ref.appId) {
        candidates = (await call('GET', '/servicePrincipals', collection(ServicePrincipalSchema), { query: { ...select, $filter: `appId eq ${odata(ref.appId)}` } })).value;
      } else if (ref.displayName) {
        candidates = (
          await call('GET', '/servicePrincipals', collection(ServicePrincipalSchema), { query: { ...select, $filter: `displayName eq ${odata(ref.displayName)}`, $top: 50 } })
        ).value;
      } else {
        throw new UserError('name the Zscaler enterprise app by id (object id), appId or displayName');
      }
      // Every given attribute must agree (a stale id with a new name is a configuration mistake).
      const matching = candidates.filter(
        (c) => (!ref.id || c.id === ref.id) && (!ref.appId || c.appId === ref.appId) && (!ref.displayName || c.displayName === ref.displayName),
      );
      const wanted = Object.entries(ref).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ');
      if (matching.length === 1) {
        const m = matching[0]!;
        return { id: m.id, appId: m.appId, displayName: m.displayName };
      }
      if (matching.length === 0) {
        throw new UserError(`no Entra service principal matches ${wanted}${candidates.length ? ` (found: ${describe(candidates)})` : ''}`, {
          hint: 'use the Object ID from Enterprise applications > Zscaler > Properties (entra.servicePrincipal.id)',
        });
      }
      throw new UserError(`${matching.length} Entra service principals match ${wanted}: ${describe(matching)}`, {
        hint: 'set entra.servicePrincipal.id to the Object ID of the one to use',
      });
    },
    async getSynchronizationJob(spId) {
      const jobs = (await call('GET', `${sp(spId)}/synchronization/jobs`, collection(SyncJobSchema))).value;
      if (jobs.length === 1) return jobs[0]!;
      if (jobs.length === 0) {
        throw new UserError(`the Entra app ${spId} has no provisioning (synchronization) job`, {
          hint: 'open the enterprise app > Provisioning, set Provisioning Mode to Automatic, then rerun',
        });
      }
      throw new UserError(`the Entra app ${spId} has ${jobs.length} synchronization jobs (${jobs.map((j) => j.id).join(', ')}); expected one`, {
        hint: 'this tool handles one job per app; remove the extra job or name the app that has only one',
      });
    },
    getJob: (spId, jobId) => call('GET', job(spId, jobId), SyncJobSchema),
    async getSecretKeys(spId) {
      return (await readSecrets(spId)).map((s) => s.key);
    },
    async updateSecrets(spId, values) {
      registerSecrets(Object.entries(values));
      const existing = await readSecrets(spId);
      // A2 [I]: PUT replaces the whole set, so every present key is sent back. Graph is assumed not
      // to return secret values (Microsoft's procedure re-enters the password); a key that comes
      // back empty or masked cannot be re-sent without destroying it, so the caller must give it.
      const masked = existing.filter((s) => !(s.key in values) && (!s.value || /^\*+$/.test(s.value))).map((s) => s.key);
      if (masked.length > 0) {
        throw new UserError(`cannot update the provisioning secrets: Graph did not return the value of ${masked.join(', ')}, and saving the set would erase it`, {
          hint: `give ${masked.join(', ')} together with the other values (for example the Secret Token with the Tenant URL)`,
        });
      }
      const merged = new Map(existing.map((s) => [s.key, s.value as string]));
      for (const [k, v] of Object.entries(values)) merged.set(k, v);
      const body = { value: [...merged].map(([key, value]) => ({ key, value })) };
      await call('PUT', `${sp(spId)}/synchronization/secrets`, z.unknown(), { body });
      return { keys: [...merged.keys()] };
    },
    async validateCredentials(spId, jobId, credentials) {
      if (credentials) registerSecrets(Object.entries(credentials));
      // A3: 204 on success; a failure is a Graph error envelope → ApiError. It changes nothing,
      // so a lost response may be retried; it is still a POST, so read-only mode refuses it.
      await call('POST', `${job(spId, jobId)}/validateCredentials`, z.unknown(), {
        idempotent: true,
        body: credentials
          ? { useSavedCredentials: false, credentials: Object.entries(credentials).map(([key, value]) => ({ key, value })) }
          : { useSavedCredentials: true },
      });
      return { ok: true };
    },
    async startJob(spId, jobId) {
      // A4: start only when paused or quarantined; not retried blindly (no `idempotent`).
      await call('POST', `${job(spId, jobId)}/start`, z.unknown());
    },
    async pauseJob(spId, jobId) {
      await call('POST', `${job(spId, jobId)}/pause`, z.unknown(), { idempotent: true });
    },
    async restartJob(spId, jobId, resetScope) {
      const parts = resetScope.split(',').map((s) => s.trim()).filter(Boolean);
      if (parts.length === 0) throw new UserError('restartJob needs a resetScope (for example Watermark or QuarantineState)');
      for (const p of parts) {
        const why = REFUSED_SCOPES[p];
        if (why) throw new UserError(`refusing to restart the provisioning job with resetScope ${p}: ${why}`);
      }
      await call('POST', `${job(spId, jobId)}/restart`, z.unknown(), { body: { criteria: { resetScope: parts.join(',') } } });
    },
    async *listProvisioningLogs(jobId, since) {
      let filter = `jobId eq ${odata(jobId)}`;
      if (since !== undefined) {
        if (Number.isNaN(Date.parse(since))) throw new UserError(`"${since}" is not an ISO 8601 time`);
        filter += ` and activityDateTime ge ${new Date(since).toISOString()}`;
      }
      let next: string | undefined = undefined;
      // Bounded loop; Graph ends with a page that has no @odata.nextLink (A5).
      for (let n = 0; n < 100_000; n++) {
        const page: z.output<ReturnType<typeof collection<typeof ProvisioningObjectSummarySchema>>> =
          next === undefined
            ? await call('GET', '/auditLogs/provisioning', collection(ProvisioningObjectSummarySchema), { query: { $filter: filter, $top: 100 } })
            : await call('GET', next, collection(ProvisioningObjectSummarySchema));
        if (page.value.length > 0) yield page.value;
        next = page['@odata.nextLink'];
        if (!next) return;
        // The bearer token goes wherever nextLink points: only ever to the Graph host we were given.
        if (new URL(next).origin !== graphOrigin) {
          throw new UserError(`Graph returned a nextLink to another host (${new URL(next).origin}); refusing to follow it`);
        }
      }
      throw new UserError('Graph provisioning logs: paging did not end after 100 000 pages');
    },
  };
}
