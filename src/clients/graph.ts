import { z } from 'zod';
import { UserError } from '../engine/errors.js';
import type { AuditSink } from './audit.js';
import { ApiError, createHttpClient, type CallOptions, type HttpTuning, type Method } from './http.js';
import { createTokenSource } from './oauth.js';
import { createLimiter } from './rate-limit.js';

/**
 * Microsoft Graph client for the Entra provisioning (synchronization) API of the Zscaler
 * enterprise app. Facts: docs/vendor-facts.md, "Entra ID / Microsoft Graph" (G1…).
 * Throttling: 429/503 with Retry-After are retried by the HTTP layer (F46); Graph publishes no
 * fixed rate for most calls, so no client-side limit is set, except for provisionOnDemand, whose
 * page documents 5 requests per 10 seconds (docs/vendor-facts.md N3).
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
    state: z.string().nullish(), // Succeeded | Failed | EntryLevelErrors (docs/vendor-facts.md G15), opaque
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
        code: z.string(), // NotConfigured | NotRun | Active | Paused | Quarantine (docs/vendor-facts.md F29), opaque
        progress: z
          .array(ProgressSchema)
          .nullish()
          .transform((v) => v ?? []),
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
    // Graph keyValuePair: {name, value} (docs/vendor-facts.md G12).
    synchronizationJobSettings: z.array(z.object({ name: z.string(), value: z.string().nullish() }).passthrough()).nullish(),
  })
  .passthrough();
export type SyncJob = z.output<typeof SyncJobSchema>;

const FilterClauseSchema = z
  .object({
    operatorName: z.string(),
    sourceOperandName: z.string(),
    targetOperand: z
      .object({ values: z.array(z.string()).nullish() })
      .passthrough()
      .nullish(),
  })
  .passthrough();
const FilterSchema = z
  .object({ groups: z.array(z.object({ name: z.string().nullish(), clauses: z.array(FilterClauseSchema).nullish() }).passthrough()).nullish() })
  .passthrough();
export type ScopingFilter = z.output<typeof FilterSchema>;

/** A user as the forecast reads it (GET /users with $select): the id and whatever properties were selected. */
const GraphUserSchema = z.object({ id: z.string() }).catchall(z.unknown());
export type GraphUser = z.output<typeof GraphUserSchema>;
const DirectoryObjectSchema = z.object({ id: z.string(), '@odata.type': z.string().nullish() }).passthrough();

/** Get synchronizationSchema: only what this tool reads (the rules' object and attribute mappings). */
export const SyncSchemaSchema = z
  .object({
    synchronizationRules: z.array(
      z
        .object({
          /** The rule id provisionOnDemand takes (its `ruleId`). */
          id: z.string().nullish(),
          name: z.string().nullish(),
          objectMappings: z
            .array(
              z
                .object({
                  name: z.string().nullish(),
                  enabled: z.boolean().nullish(),
                  sourceObjectName: z.string().nullish(),
                  targetObjectName: z.string().nullish(),
                  // filter: scoping filter groups (OR) of clauses (AND); null when every object is in scope.
                  scope: FilterSchema.nullish(),
                  attributeMappings: z
                    .array(
                      z
                        .object({
                          targetAttributeName: z.string(),
                          matchingPriority: z.number().nullish(),
                          // type Attribute | Constant | Function; `expression` is the mapping as the portal shows it (G14).
                          source: z
                            .object({ name: z.string().nullish(), expression: z.string().nullish(), type: z.string().nullish() })
                            .passthrough()
                            .nullish(),
                        })
                        .passthrough(),
                    )
                    .nullish(),
                })
                .passthrough(),
            )
            .nullish(),
        })
        .passthrough(),
    ),
  })
  .passthrough();
export type SyncSchema = z.output<typeof SyncSchemaSchema>;

const AppRoleSchema = z.object({ id: z.string(), displayName: z.string().nullish(), value: z.string().nullish() }).passthrough();
const AppRoleAssignmentSchema = z
  .object({ id: z.string(), appRoleId: z.string(), principalId: z.string(), principalType: z.string().nullish(), principalDisplayName: z.string().nullish() })
  .passthrough();
export type AppRoleAssignment = z.output<typeof AppRoleAssignmentSchema>;

/** The app role of an assignment "without a specific role", shown as Default Access (G10). */
export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000';

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

/** The Entra user a pilot names: only the attributes the Zscaler mapping reads (GET /users/{id | userPrincipalName}). */
export const EntraUserSchema = z
  .object({
    id: z.string(),
    userPrincipalName: z.string(),
    displayName: z.string().nullish(),
    accountEnabled: z.boolean().nullish(),
    mail: z.string().nullish(),
    givenName: z.string().nullish(),
    surname: z.string().nullish(),
    department: z.string().nullish(),
  })
  .passthrough();
export type EntraUser = z.output<typeof EntraUserSchema>;
const ENTRA_USER_SELECT = 'id,userPrincipalName,displayName,accountEnabled,mail,givenName,surname,department';

/**
 * provisionOnDemand answers a stringKeyStringValuePair whose `key` and `value` are themselves
 * JSON documents, as strings (docs/vendor-facts.md N2): the key the
 * result (`Success`, `Skipped`, …, with `details.errorCode`/`errorMessage`), the value the
 * provisioning log of the object (steps, statusInfo, the target identity), which may be `{}`.
 */
const OnDemandEnvelopeSchema = z.object({ key: z.string(), value: z.string().nullish() }).passthrough();
const OnDemandKeySchema = z
  .object({
    result: z.string(),
    details: z.object({ errorCode: z.string().nullish(), errorMessage: z.string().nullish() }).passthrough().nullish(),
  })
  .passthrough();
const OnDemandIdentitySchema = z.object({ id: z.string().nullish(), type: z.string().nullish(), displayName: z.string().nullish() }).passthrough();
const OnDemandValueSchema = z
  .object({
    action: z.string().nullish(),
    changeId: z.string().nullish(),
    startTime: z.string().nullish(),
    endTime: z.string().nullish(),
    reportableIdentifier: z.string().nullish(),
    statusInfo: z
      .object({
        status: z.string().nullish(),
        errorCode: z.string().nullish(),
        reason: z.string().nullish(),
        recommendedAction: z.string().nullish(),
        additionalDetails: z.string().nullish(),
      })
      .passthrough()
      .nullish(),
    provisioningSteps: z
      .array(
        z.object({ name: z.string().nullish(), type: z.string().nullish(), status: z.string().nullish(), description: z.string().nullish() }).passthrough(),
      )
      .nullish(),
    modifiedProperties: z
      .array(z.object({ displayName: z.string().nullish(), oldValue: z.string().nullish(), newValue: z.string().nullish() }).passthrough())
      .nullish(),
    sourceIdentity: OnDemandIdentitySchema.nullish(),
    targetIdentity: OnDemandIdentitySchema.nullish(),
  })
  .passthrough();

/** What provisionOnDemand did with one user, both JSON strings parsed. */
export interface OnDemandResult {
  /** `Success`, `Skipped`, `Failure`, … as Entra writes it (opaque). */
  result: string;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  /** The action taken (`Create`, `Update`, `Other`, …), when the value says. */
  action: string | undefined;
  /** The id of the user in the target (the SCIM id), when the value says. */
  targetId: string | undefined;
  /** The log's status and reason (statusInfo), when given. */
  status: string | undefined;
  reason: string | undefined;
  /** The provisioning steps, one line each: `<name> <status>: <description>`. */
  steps: string[];
}

/** A value from the tenant, cut to a readable length (a 200 KB name must not fill the terminal). */
const clip = (v: string, n = 200): string => (v.length > n ? `${v.slice(0, n)}… (${v.length} characters)` : v);

function parseJsonString<S extends z.ZodType>(text: string, schema: S, what: string): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UserError(`Graph provisionOnDemand answered a ${what} that is not JSON: ${clip(text)}`, {
      hint: 'the answer is a stringKeyStringValuePair whose key and value are JSON documents; report this answer (docs/vendor-facts.md, "Pilot users")',
    });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(
      `Graph provisionOnDemand answered a ${what} of an unexpected shape: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** The stringKeyStringValuePair of provisionOnDemand, with its key and value parsed. */
function parseOnDemandResponse(body: unknown): OnDemandResult {
  const envelope = OnDemandEnvelopeSchema.safeParse(body);
  if (!envelope.success) {
    throw new UserError(
      `Graph provisionOnDemand answered no stringKeyStringValuePair (key and value): ${envelope.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  }
  const key = parseJsonString(envelope.data.key, OnDemandKeySchema, 'key');
  const text = envelope.data.value ?? '';
  const value = text.trim() === '' ? {} : parseJsonString(text, OnDemandValueSchema, 'value');
  const v = value as z.output<typeof OnDemandValueSchema>;
  return {
    result: key.result,
    errorCode: key.details?.errorCode ?? v.statusInfo?.errorCode ?? undefined,
    errorMessage: key.details?.errorMessage ?? undefined,
    action: v.action ?? undefined,
    targetId: v.targetIdentity?.id ?? undefined,
    status: v.statusInfo?.status ?? undefined,
    reason: v.statusInfo?.reason ?? undefined,
    steps: (v.provisioningSteps ?? []).map((s) => `${s.name ?? 'step'} ${s.status ?? ''}${s.description ? `: ${s.description}` : ''}`.trim()),
  };
}

/** provisionOnDemand: "The rate limit for this API is 5 requests per 10 seconds" (its Graph page). */
const ON_DEMAND_LIMIT = { max: 5, windowMs: 10_000 };

function collection<T extends z.ZodType>(item: T) {
  return z.object({ value: z.array(item), '@odata.nextLink': z.string().optional() }).passthrough();
}

// ---------------------------------------------------------------------------------------
// Helpers on a job

const NEVER = /^0001-01-01/;

const at = (t: string | null | undefined): number => (typeof t === 'string' && t !== '' && !NEVER.test(t) ? Date.parse(t) : NaN);

/**
 * True once a full cycle has finished that began at or after `since` (the moment this migration
 * started the job). steadyStateFirstAchievedTime is "the first time" steady state was reached,
 * ever, so a job that provisioned before (a pilot, an earlier run) carries it already; the later
 * facts are steadyStateLastAchievedTime and a finished lastExecution (docs/vendor-facts.md G5–G6).
 * Without `since`, only a job that never reached steady state before can be judged: the first
 * steady state. A job that has not run, or is quarantined, is never complete. Times are compared
 * as Graph's and this machine's clocks give them (skew is not corrected).
 */
export function isInitialCycleComplete(job: SyncJob, since?: string): boolean {
  const code = job.status.code;
  if (code === 'NotRun' || code === 'NotConfigured' || code === 'Quarantine') return false;
  if (since === undefined) return !Number.isNaN(at(job.status.steadyStateFirstAchievedTime));
  const from = Date.parse(since);
  if (Number.isNaN(from)) throw new UserError(`"${since}" is not an ISO 8601 time`);
  const last = job.status.lastExecution;
  // A cycle that ended with entry-level errors is not complete: Entra retries the escrowed objects next cycle.
  const finished = last && last.state !== 'EntryLevelErrors' && at(last.timeEnded) >= from && at(last.timeBegan) >= from;
  return at(job.status.steadyStateLastAchievedTime) >= from || Boolean(finished);
}

/**
 * The finished cycle since `since` that left objects failing (lastExecution state
 * EntryLevelErrors with timeEnded), or null. Entra retries them in later cycles.
 */
export function cycleEndedWithErrors(job: SyncJob, since: string): { escrowed: number | undefined; endedAt: string } | null {
  const last = job.status.lastExecution;
  const from = Date.parse(since);
  if (!last || last.state !== 'EntryLevelErrors' || !(at(last.timeEnded) >= from) || !(at(last.timeBegan) >= from)) return null;
  return { escrowed: last.countEscrowed ?? undefined, endedAt: last.timeEnded as string };
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
    whatToDo:
      'read the provisioning logs for the failing objects, fix the cause (for example an email domain not registered in ZIA), then restart with resetScope QuarantineState',
  },
  EncounteredTotalEscrowThreshold: {
    meaning: 'the total number of failed objects passed the limit (more than 40 000 failures)',
    whatToDo: 'read the provisioning logs, fix the common cause, then restart with resetScope Escrows,QuarantineState',
  },
  EncounteredEscrowProportionThreshold: {
    meaning: 'more than 40 % of the provisioning events failed (evaluated from 5 000 failures on)',
    whatToDo: 'read the provisioning logs, fix the common cause, then restart with resetScope Escrows,QuarantineState',
  },
  TooManyDeletes: {
    meaning:
      'a cycle would delete or disable as many users as the accidental-deletion threshold (Prevent accidental deletions) or more, so Entra holds them (provisioning logs, action StagedDelete)',
    whatToDo:
      'find out why so many users would be disabled or deleted (blocked sign-ins, unassignments, a scoping filter) and fix the cause, then start the job again; choose Allow deletes in the portal only if they are intended',
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
 * What a quarantine means and what to do (docs/vendor-facts.md G16, F30): a quarantined job runs once a day;
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

/** docs/vendor-facts.md F47: scopes that must not be sent by this tool, with Microsoft's reason. */
const REFUSED_SCOPES: Record<string, string> = {
  None: 'Microsoft says "DO NOT USE" — use start instead',
  ConnectorDataStore: 'it clears the cache for all users; Microsoft says not to use it without Microsoft support',
  ForceDeletes: 'it pushes deletes held back by the accidental-deletion threshold; do that in the portal, deliberately',
};

/** Secret keys whose values are not meant to be shown (docs/vendor-facts.md F48); other keys are settings. */
const NON_SECRET_KEYS = new Set([
  'BaseAddress',
  'SyncAll',
  'SyncNotificationSettings',
  'SkipOutOfScopeDeletions',
  'SynchronizationSchedule',
  'HardDeletesEnabled',
]);

/** What a read of the provisioning secrets could learn: their keys, or why Graph would not say. */
export type SecretKeys = { keys: string[]; reason?: undefined } | { keys: null; reason: string };

export interface GraphClientOptions {
  loginUrl: string;
  graphUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  readOnly?: boolean;
  audit?: AuditSink;
  tuning?: HttpTuning;
  /** Client-side rate limits (provisionOnDemand's 5 per 10 s); off only for the sandbox's tests and demo, which enforce it themselves. */
  rateLimits?: boolean;
}

export interface GraphClient {
  findServicePrincipal(ref: { id?: string; appId?: string; displayName?: string }): Promise<ServicePrincipal>;
  getSynchronizationJob(spId: string): Promise<SyncJob>;
  getJob(spId: string, jobId: string): Promise<SyncJob>;
  /**
   * The keys of the app's provisioning secrets, or `keys: null` with the reason when Graph will not
   * say (v1.0 has no GET; the beta GET may be refused). Values are never returned to the caller.
   */
  getSecretKeys(spId: string): Promise<SecretKeys>;
  /**
   * The readable settings among the provisioning secrets (NON_SECRET_KEYS whose value came back, e.g.
   * SyncNotificationSettings), with every key; or `keys: null` with the reason (as getSecretKeys).
   */
  getSecretSettings(
    spId: string,
  ): Promise<{ keys: string[]; settings: Record<string, string>; reason?: undefined } | { keys: null; settings: null; reason: string }>;
  /**
   * PUT the set: `values`, plus the readable non-secret settings already present (but those named in
   * `opts.remove`). Everything else present before is removed (a PUT replaces the whole set); `dropped`
   * lists those keys, or is null when the current set could not be read.
   */
  updateSecrets(
    spId: string,
    values: Record<string, string>,
    opts?: { remove?: string[] },
  ): Promise<{ keys: string[]; kept: string[]; dropped: string[] | null }>;
  validateCredentials(spId: string, jobId: string, credentials?: Record<string, string>): Promise<{ ok: true }>;
  startJob(spId: string, jobId: string): Promise<void>;
  pauseJob(spId: string, jobId: string): Promise<void>;
  restartJob(spId: string, jobId: string, resetScope: ResetScope): Promise<void>;
  listProvisioningLogs(jobId: string, since?: string): AsyncGenerator<ProvisioningObjectSummary[]>;
  /** GET …/synchronization/jobs/{id}/schema (v1.0). */
  getJobSchema(spId: string, jobId: string): Promise<SyncSchema>;
  /**
   * Who is assigned to the app (GET …/appRoleAssignedTo, every page), each marked `defaultAccess`
   * when its role is Default Access: such users are not provisioned (Zscaler tutorials, G10).
   */
  listAssignments(spId: string): Promise<Array<AppRoleAssignment & { defaultAccess: boolean }>>;
  /** The app's roles (id → value or display name), for SingleAppRoleAssignment. */
  listAppRoles(spId: string): Promise<Map<string, string>>;
  /** Every user of the tenant with the given properties (GET /users?$select=…, every page). */
  listUsers(properties: string[]): Promise<GraphUser[]>;
  /** The ids of a group's direct user members (GET /groups/{id}/members, every page). */
  listGroupUserIds(groupId: string): Promise<string[]>;
  /** GET /users/{id or userPrincipalName} (v1.0, needs User.Read.All): null when there is no such user. */
  getUser(idOrUserPrincipalName: string): Promise<EntraUser | null>;
  /**
   * POST …/synchronization/jobs/{jobId}/provisionOnDemand (v1.0) for users, with the rule id from the
   * job's schema: provisions them now, whether the job runs or not. Paced client-side to 5 requests
   * per 10 seconds. A non-Success result is returned, not thrown: the caller decides.
   */
  provisionOnDemand(spId: string, jobId: string, ruleId: string, userObjectIds: string[]): Promise<OnDemandResult>;
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
  // docs/vendor-facts.md F32: client credentials with the .default scope of Graph.
  const tokens = createTokenSource({
    http: tokenHttp,
    form: { grant_type: 'client_credentials', client_id: opts.clientId, client_secret: opts.clientSecret, scope: 'https://graph.microsoft.com/.default' },
    onToken: (t) => http.addSecret(t),
  });
  const graphOrigin = new URL(opts.graphUrl).origin;
  const onDemandLimiter = createLimiter(opts.rateLimits === false ? [] : [{ methods: ['POST'], per: ON_DEMAND_LIMIT }]);

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

  function describe(list: ServicePrincipal[]): string {
    // A value from the tenant, cut to a readable length (a 200 KB name must not fill the terminal).
    return (
      list
        .slice(0, 10)
        .map((s) => `${clip(s.displayName, 120)} (id ${clip(s.id, 120)}, appId ${clip(s.appId, 120)})`)
        .join('; ') + (list.length > 10 ? `; … ${list.length - 10} more` : '')
    );
  }

  /** Registers every value that is a secret (all but NON_SECRET_KEYS), so it is scrubbed from errors and the audit log. */
  function registerSecrets(entries: Iterable<readonly [string, string | null | undefined]>): void {
    for (const [key, value] of entries) if (value && !NON_SECRET_KEYS.has(key)) http.addSecret(value);
  }

  /** A read that Graph refused: v1.0 documents no GET, beta may be switched off or forbidden. */
  const REFUSED_READ = new Set([400, 403, 404, 405, 501]);
  // docs/vendor-facts.md G1–G2: the GET is documented on beta only.
  const betaUrl = /\/v1\.0\/?$/.test(opts.graphUrl) ? opts.graphUrl.replace(/\/v1\.0\/?$/, '/beta') : undefined;

  async function readSecrets(spId: string): Promise<{ list: Array<{ key: string; value?: string | null | undefined }> } | { list: null; reason: string }> {
    if (!betaUrl) return { list: null, reason: `graphUrl ${opts.graphUrl} does not end in /v1.0, so the beta read of the secrets cannot be addressed` };
    try {
      const list = (await call('GET', `${betaUrl}${sp(spId)}/synchronization/secrets`, SecretsSchema)).value;
      registerSecrets(list.map((s) => [s.key, s.value] as const));
      return { list };
    } catch (err) {
      if (err instanceof ApiError && err.system === 'graph' && err.status !== undefined && REFUSED_READ.has(err.status)) {
        return { list: null, reason: `Graph refused GET beta …/synchronization/secrets (HTTP ${err.status}); v1.0 documents only PUT` };
      }
      throw err;
    }
  }

  const masked = (v: string | null | undefined): boolean => !v || /^\*+$/.test(v);

  /** Every page of a collection, following @odata.nextLink only to the Graph host (F50). */
  async function everyPage<T extends z.ZodType>(path: string, item: T, query: Record<string, string | number>, what: string): Promise<Array<z.output<T>>> {
    const out: Array<z.output<T>> = [];
    let next: string | undefined = undefined;
    for (let n = 0; n < 100_000; n++) {
      const page: { value: Array<z.output<T>>; '@odata.nextLink'?: string | undefined } =
        next === undefined ? await call('GET', path, collection(item), { query }) : await call('GET', next, collection(item));
      out.push(...page.value);
      next = page['@odata.nextLink'];
      if (!next) return out;
      if (new URL(next).origin !== graphOrigin)
        throw new UserError(`Graph returned a nextLink to another host (${new URL(next).origin}); refusing to follow it`);
    }
    throw new UserError(`Graph ${what}: paging did not end after 100 000 pages`);
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
        candidates = (
          await call('GET', '/servicePrincipals', collection(ServicePrincipalSchema), { query: { ...select, $filter: `appId eq ${odata(ref.appId)}` } })
        ).value;
      } else if (ref.displayName) {
        candidates = (
          await call('GET', '/servicePrincipals', collection(ServicePrincipalSchema), {
            query: { ...select, $filter: `displayName eq ${odata(ref.displayName)}`, $top: 50 },
          })
        ).value;
      } else {
        throw new UserError('name the Zscaler enterprise app by id (object id), appId or displayName');
      }
      // Every given attribute must agree (a stale id with a new name is a configuration mistake).
      const matching = candidates.filter(
        (c) => (!ref.id || c.id === ref.id) && (!ref.appId || c.appId === ref.appId) && (!ref.displayName || c.displayName === ref.displayName),
      );
      const wanted = Object.entries(ref)
        .filter(([, v]) => v)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
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
      const read = await readSecrets(spId);
      return read.list === null ? { keys: null, reason: read.reason } : { keys: read.list.map((s) => s.key) };
    },
    async getSecretSettings(spId) {
      const read = await readSecrets(spId);
      if (read.list === null) return { keys: null, settings: null, reason: read.reason };
      const settings: Record<string, string> = {};
      for (const s of read.list) if (NON_SECRET_KEYS.has(s.key) && !masked(s.value)) settings[s.key] = s.value as string;
      return { keys: read.list.map((s) => s.key), settings };
    },
    async updateSecrets(spId, values, opts = {}) {
      registerSecrets(Object.entries(values));
      // PUT replaces the whole set. Only settings (NON_SECRET_KEYS) whose value came back readable
      // are carried over; a secret value is never read back, so any other key not given is dropped.
      const read = await readSecrets(spId);
      const remove = new Set(opts.remove ?? []);
      const kept = (read.list ?? []).filter((s) => !(s.key in values) && !remove.has(s.key) && NON_SECRET_KEYS.has(s.key) && !masked(s.value));
      const dropped = read.list === null ? null : read.list.filter((s) => !(s.key in values) && !kept.includes(s)).map((s) => s.key);
      const body = {
        value: [...Object.entries(values).map(([key, value]) => ({ key, value })), ...kept.map((s) => ({ key: s.key, value: s.value as string }))],
      };
      await call('PUT', `${sp(spId)}/synchronization/secrets`, z.unknown(), { body });
      return { keys: body.value.map((s) => s.key), kept: kept.map((s) => s.key), dropped };
    },
    async validateCredentials(spId, jobId, credentials) {
      if (credentials) registerSecrets(Object.entries(credentials));
      // docs/vendor-facts.md F49: 204 on success; a failure is a Graph error envelope → ApiError. It changes nothing,
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
      // docs/vendor-facts.md F30: start only when paused or quarantined; not retried blindly (no `idempotent`).
      await call('POST', `${job(spId, jobId)}/start`, z.unknown());
    },
    async pauseJob(spId, jobId) {
      await call('POST', `${job(spId, jobId)}/pause`, z.unknown(), { idempotent: true });
    },
    async restartJob(spId, jobId, resetScope) {
      const parts = resetScope
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
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
        // Documented operators on activityDateTime: eq, gt, lt (G13).
        filter += ` and activityDateTime gt ${new Date(Date.parse(since) - 1).toISOString()}`;
      }
      let next: string | undefined = undefined;
      // Bounded loop; Graph ends with a page that has no @odata.nextLink (docs/vendor-facts.md F50).
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
    getJobSchema: (spId, jobId) => call('GET', `${job(spId, jobId)}/schema`, SyncSchemaSchema),
    async listAppRoles(spId) {
      const app = await call('GET', sp(spId), z.object({ appRoles: z.array(AppRoleSchema).nullish() }).passthrough(), { query: { $select: 'id,appRoles' } });
      return new Map((app.appRoles ?? []).map((r) => [r.id, r.value ?? r.displayName ?? r.id]));
    },
    async listUsers(properties) {
      const $select = [...new Set(['id', ...properties])].join(',');
      return everyPage('/users', GraphUserSchema, { $select, $top: 999 }, 'users');
    },
    async listGroupUserIds(groupId) {
      const members = await everyPage(`/groups/${encodeURIComponent(groupId)}/members`, DirectoryObjectSchema, { $select: 'id', $top: 999 }, 'group members');
      return members.filter((m) => (m['@odata.type'] ?? '#microsoft.graph.user') === '#microsoft.graph.user').map((m) => m.id);
    },
    async listAssignments(spId) {
      const app = await call('GET', sp(spId), z.object({ appRoles: z.array(AppRoleSchema).nullish() }).passthrough(), { query: { $select: 'id,appRoles' } });
      const named = new Set((app.appRoles ?? []).filter((r) => /^default access$/i.test(r.displayName ?? '')).map((r) => r.id));
      const out: Array<AppRoleAssignment & { defaultAccess: boolean }> = [];
      let next: string | undefined = undefined;
      for (let n = 0; n < 10_000; n++) {
        const page: z.output<ReturnType<typeof collection<typeof AppRoleAssignmentSchema>>> =
          next === undefined
            ? await call('GET', `${sp(spId)}/appRoleAssignedTo`, collection(AppRoleAssignmentSchema), { query: { $top: 999 } })
            : await call('GET', next, collection(AppRoleAssignmentSchema));
        for (const a of page.value) out.push({ ...a, defaultAccess: a.appRoleId === DEFAULT_ACCESS_ROLE_ID || named.has(a.appRoleId) });
        next = page['@odata.nextLink'];
        if (!next) return out;
        if (new URL(next).origin !== graphOrigin)
          throw new UserError(`Graph returned a nextLink to another host (${new URL(next).origin}); refusing to follow it`);
      }
      throw new UserError('Graph appRoleAssignedTo: paging did not end after 10 000 pages');
    },
    async getUser(idOrUpn) {
      try {
        return await call('GET', `/users/${encodeURIComponent(idOrUpn)}`, EntraUserSchema, { query: { $select: ENTRA_USER_SELECT } });
      } catch (err) {
        if (err instanceof ApiError && err.system === 'graph' && err.status === 404) return null;
        throw err;
      }
    },
    async provisionOnDemand(spId, jobId, ruleId, userObjectIds) {
      const body = { parameters: [{ ruleId, subjects: userObjectIds.map((objectId) => ({ objectId, objectTypeName: 'User' })) }] };
      const done = await onDemandLimiter.begin('POST', '');
      try {
        // Provisioning a user twice is harmless (the second is a RedundantExport skip), so a lost answer may be retried.
        return parseOnDemandResponse(await call('POST', `${job(spId, jobId)}/provisionOnDemand`, z.unknown(), { body, idempotent: true }));
      } finally {
        done();
      }
    },
  };
}
