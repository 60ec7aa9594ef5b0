/**
 * Simulated Microsoft identity platform token endpoint + Microsoft Graph v1.0 (the parts the
 * migration uses, docs/vendor-facts.md F29–F32 and G1–G16), on one loopback HTTP server:
 *   ${loginUrl}/${tenantId}/oauth2/v2.0/token   client credentials (F32)       server "login"
 *   ${graphUrl} = ${loginUrl}/v1.0               servicePrincipals, synchronization, auditLogs   server "graph"
 * It runs on the shared sandbox HTTP layer (../http/server.ts), so request logging and fault
 * injection work exactly as for ZIA and SCIM; the server names above are the ones the request log
 * records and the fault grammar matches.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { safeEqual } from '../http/compare.js';
import type { FaultInjector, SandboxServer } from '../http/faults.js';
import type { RequestLogEntry } from '../http/log.js';
import { startService, type SimRequest, type SimResponse } from '../http/server.js';
import type { SandboxDirectory } from '../world/directory.js';
import { ProvisioningEngine } from './engine.js';
import { SCHEMA_LIST, eqFilter, listResponseSchema, scimRequest, ScimHttpError } from './scim-client.js';
import { userMappingVariant, type UserMappingVariant } from './mapping.js';
import {
  applyAssignmentScenario,
  buildTenant,
  markProvisionedBefore,
  type AssignmentScenario,
  type EntraState,
  type EntraUser,
  type SecretPair,
} from './tenant.js';
import { synchronizationSchema } from './schema.js';

export type { EntraState } from './tenant.js';

export interface StartEntraServiceOptions {
  directory: SandboxDirectory;
  speed: number;
  host?: string;
  port?: number;
  rateLimits: boolean;
  /** Called once per request with server "login" or "graph" (the sandbox passes its RequestLog). */
  recordRequest?: (entry: Pick<RequestLogEntry, 'server' | 'method' | 'path' | 'status'>) => void;
  /** The sandbox's fault injector; rules for servers `login` and `graph` apply here. */
  faults?: FaultInjector;
  /**
   * How the beta GET of the synchronization secrets answers (v1.0 has no GET, vendor-facts.md):
   * 'masked' (default) keys with secret values as "*", 'absent' secret values null, 'refused' 405.
   */
  betaSecretsRead?: 'masked' | 'absent' | 'refused';
  /** The job provisioned before (a pilot, an earlier run) and is paused: steadyStateFirstAchievedTime is already set. */
  previouslyProvisioned?: boolean;
  /** Users left unassigned, or assigned with the Default Access role. */
  assignments?: AssignmentScenario;
  /** How the engine reads SyncAll (variant `syncall-polarity`; default 'documented'). */
  syncAllPolarity?: 'documented' | 'inverse';
  /** The app's user mapping (variant `entra-user-mapping`; default 'upn', the gallery app's). */
  userMapping?: UserMappingVariant;
  /** Users whose export fails with this errorCode (cycle and provisionOnDemand alike), before any SCIM request. */
  userFaults?: Array<{ userPrincipalName: string; errorCode: string; reason?: string }>;
}

export interface EntraCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  servicePrincipalDisplayName: string;
  servicePrincipalId: string;
  appId: string;
}

export interface SandboxEntraService {
  loginUrl: string;
  graphUrl: string;
  credentials: EntraCredentials;
  state: EntraState;
  /** Resolves when the provisioning engine has no object in flight (tests: "paused" means quiet). */
  settled(): Promise<void>;
  /**
   * The Enterprise application's provisioning page, for a simulation that plays an administrator at
   * the console (the `manual` IdP): the same effects as the Graph calls behind them.
   */
  console: {
    /** Admin credentials: Tenant URL, Secret Token, scope "Sync only assigned users and groups". */
    saveCredentials(baseAddress: string, secretToken: string): void;
    /** Provisioning Status: On. */
    start(): void;
    /** Provisioning Status: Off. */
    pause(): Promise<void>;
  };
  stop(): Promise<void>;
}

const TOKEN_TTL_S = 3599;
/** Graph throttling stand-in (docs/vendor-facts.md F46): requests per second per service before 429. */
const RATE_LIMIT_PER_SECOND = 50;
const MAX_BODY_BYTES = 1_000_000;

const tokenFormSchema = z.object({
  grant_type: z.literal('client_credentials'),
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  scope: z.string().min(1),
});
const secretPairSchema = z.object({ key: z.string().min(1), value: z.string() });
const secretsBodySchema = z.object({ value: z.array(secretPairSchema) });
const validateBodySchema = z.object({
  useSavedCredentials: z.boolean().optional(),
  credentials: z.array(secretPairSchema).optional(),
  templateId: z.string().optional(),
});
const restartBodySchema = z.object({ criteria: z.object({ resetScope: z.string().optional() }).optional() });
const onDemandBodySchema = z.object({
  parameters: z
    .array(
      z.object({
        ruleId: z.string().min(1),
        subjects: z.array(z.object({ objectId: z.string().min(1), objectTypeName: z.string().min(1) }).passthrough()).min(1),
      }),
    )
    .length(1),
});
/** provisionOnDemand: "The rate limit for this API is 5 requests per 10 seconds" (its Graph page), divided by speed here. */
const ON_DEMAND_PER_WINDOW = 5;
const ON_DEMAND_WINDOW_MS = 10_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Graph's error envelope (https://learn.microsoft.com/graph/errors): {"error":{"code","message","innerError":{request-id,date}}} */
function graphError(code: string, message: string): unknown {
  const date = new Date().toISOString().replace(/\.\d+Z$/, '');
  return { error: { code, message, innerError: { 'request-id': randomUUID(), date } } };
}

/** AADSTS error shape of the token endpoint (docs/vendor-facts.md F51): error, error_description, error_codes, timestamp, trace_id, correlation_id. */
function aadError(error: string, code: number | undefined, text: string): unknown {
  const now = new Date().toISOString();
  const prefix = code === undefined ? '' : `AADSTS${code}: `;
  return {
    error,
    error_description: `${prefix}${text}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${now}`,
    error_codes: code === undefined ? [] : [code],
    timestamp: now,
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  };
}

const JSON_TYPE = 'application/json; odata.metadata=minimal';

const GRAPH_VERSION = /^\/(v1\.0|beta)(?=\/|$)/;

/** Which of the two systems a path belongs to: Graph under /v1.0 or /beta, the token endpoint otherwise. */
export function entraServerFor(path: string): SandboxServer {
  return GRAPH_VERSION.test(path) ? 'graph' : 'login';
}

/**
 * The body of an injected status fault, in the shape the real service would use.
 * Graph: the error envelope (429 → TooManyRequests; 503 → serviceNotAvailable; other 5xx →
 * generalException, codes listed at https://learn.microsoft.com/graph/errors). Login: the AADSTS shape; what
 * the token endpoint sends when throttled or failing is not documented (docs/vendor-facts.md F51), so `temporarily_unavailable` without an
 * AADSTS number is a guess. The shared layer adds Retry-After: 1 to every injected 429.
 */
function entraFaultResponse(status: number, server: SandboxServer): SimResponse {
  if (server === 'login') {
    const error = status === 429 || status >= 500 ? 'temporarily_unavailable' : 'invalid_request';
    return { status, body: aadError(error, undefined, `Injected fault ${status} (sandbox).`), contentType: JSON_TYPE };
  }
  const code = status === 429 ? 'TooManyRequests' : status === 503 ? 'serviceNotAvailable' : 'generalException';
  return { status, body: graphError(code, `Injected fault ${status} (sandbox).`), contentType: JSON_TYPE };
}

/** Fault prefixes match without /v1.0 on Graph and without /<tenant> on login (see http/faults.ts). */
function entraStripPrefix(path: string, server: SandboxServer): string {
  return server === 'graph' ? path.replace(GRAPH_VERSION, '') : path.replace(/^\/[^/]+(?=\/oauth2\/)/, '');
}

function parseJson<T>(text: string, schema: z.ZodType<T>, what: string): T {
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BadRequest', `${what}: body is not valid JSON.`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new HttpError(400, 'BadRequest', `${what}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return parsed.data;
}

const SECRET_VALUE_KEYS = new Set(['SecretToken', 'Password', 'ClientSecret']);

/** Beta GET: keys, with secret values masked or absent — which one Graph does is unconfirmed (vendor-facts.md). */
function readableSecrets(secrets: SecretPair[], how: 'masked' | 'absent'): Array<{ key: string; value: string | null }> {
  return secrets.map((s) => (SECRET_VALUE_KEYS.has(s.key) ? { key: s.key, value: how === 'masked' ? '*' : null } : s));
}

type LogEntry = EntraState['logs'][number];

/**
 * `$filter` of GET /auditLogs/provisioning: the documented forms (provisioningObjectSummary:
 * eq on jobId, cycleId, changeId, id, servicePrincipal/id, provisioningAction,
 * sourceIdentity/id, targetIdentity/id, provisioningStatusInfo/status; eq, gt, lt (and ge, le)
 * on activityDateTime; contains on the string ids), joined by `and`. Case sensitive, as documented.
 * Anything else is a 400 naming what the sandbox understands (G13).
 */
export function provisioningFilter(filter: string): (l: LogEntry) => boolean {
  const strings: Record<string, (l: LogEntry) => string> = {
    id: (l) => l.id,
    jobId: (l) => l.jobId,
    cycleId: (l) => l.cycleId,
    changeId: (l) => l.changeId,
    'servicePrincipal/id': (l) => l.servicePrincipal.id,
    provisioningAction: (l) => l.provisioningAction,
    'sourceIdentity/id': (l) => l.sourceIdentity.id,
    'targetIdentity/id': (l) => l.targetIdentity.id,
    'provisioningStatusInfo/status': (l) => l.provisioningStatusInfo.status,
  };
  const terms = filter.split(/\s+and\s+/);
  const tests = terms.map((term): ((l: LogEntry) => boolean) => {
    const t = term.trim().replace(/^\((.*)\)$/, '$1');
    const eq = /^([A-Za-z/]+) eq '((?:[^']|'')*)'$/.exec(t);
    if (eq && strings[eq[1] as string]) {
      const get = strings[eq[1] as string]!;
      const want = (eq[2] as string).replace(/''/g, "'");
      return (l) => get(l) === want;
    }
    const contains = /^contains\(([A-Za-z/]+),\s*'((?:[^']|'')*)'\)$/.exec(t);
    if (contains && strings[contains[1] as string]) {
      const get = strings[contains[1] as string]!;
      const want = (contains[2] as string).replace(/''/g, "'");
      return (l) => get(l).includes(want);
    }
    const date = /^activityDateTime (eq|gt|lt|ge|le) (\d{4}-\d{2}-\d{2}(?:T[\d:.]+)?(?:Z|[+-]\d{2}:\d{2})?)$/.exec(t);
    if (date) {
      const at = Date.parse(date[2] as string);
      if (!Number.isNaN(at)) {
        const cmp: Record<string, (a: number) => boolean> = {
          eq: (a) => a === at,
          gt: (a) => a > at,
          lt: (a) => a < at,
          ge: (a) => a >= at,
          le: (a) => a <= at,
        };
        const f = cmp[date[1] as string]!;
        return (l) => f(Date.parse(l.activityDateTime));
      }
    }
    throw new HttpError(
      400,
      'BadRequest',
      `Unsupported $filter term '${t}' (the sandbox supports eq on ${Object.keys(strings).join(', ')}; contains on the same; activityDateTime eq|gt|lt|ge|le <ISO time>; joined by 'and').`,
    );
  });
  return (l) => tests.every((f) => f(l));
}

export async function startEntraService(opts: StartEntraServiceOptions): Promise<SandboxEntraService> {
  const state = buildTenant(opts.directory);
  if (opts.assignments) applyAssignmentScenario(state, opts.assignments);
  if (opts.previouslyProvisioned) markProvisionedBefore(state);
  if (opts.syncAllPolarity) state.syncAllPolarity = opts.syncAllPolarity;
  if (opts.userMapping) state.userMapping = userMappingVariant(opts.userMapping, opts.directory.domain);
  for (const f of opts.userFaults ?? []) {
    state.userFaults.set(f.userPrincipalName.toLowerCase(), {
      errorCode: f.errorCode,
      reason: f.reason ?? `The export of ${f.userPrincipalName} failed (sandbox fault ${f.errorCode}).`,
    });
  }
  const engine = new ProvisioningEngine(state, opts.speed);
  const credentials: EntraCredentials = {
    tenantId: state.tenantId,
    clientId: randomUUID(),
    clientSecret: randomBytes(24).toString('base64url'),
    servicePrincipalDisplayName: state.servicePrincipal.displayName,
    servicePrincipalId: state.servicePrincipal.id,
    appId: state.servicePrincipal.appId,
  };
  const tokens = new Map<string, number>(); // token → expiry (ms)
  let windowStart = 0;
  let windowCount = 0;
  const onDemandCalls: number[] = [];
  const sp = state.servicePrincipal;

  const spJson = (): Record<string, unknown> => ({
    id: sp.id,
    appId: sp.appId,
    displayName: sp.displayName,
    appDisplayName: sp.appDisplayName,
    servicePrincipalType: 'Application',
    accountEnabled: true,
    appRoleAssignmentRequired: true,
    appRoles: sp.appRoles,
    tags: ['WindowsAzureActiveDirectoryIntegratedApp', 'WindowsAzureActiveDirectoryGalleryApplicationNonPrimaryV1'],
  });

  const token = (body: Buffer, tenant: string): [number, unknown] => {
    const form = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    const parsed = tokenFormSchema.safeParse(form);
    const aad = (status: number, error: string, code: number, text: string): [number, unknown] => [status, aadError(error, code, text)];
    if (!parsed.success)
      return aad(400, 'invalid_request', 900144, 'The request body must contain grant_type=client_credentials, client_id, client_secret and scope.');
    if (tenant !== state.tenantId) return aad(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
    if (parsed.data.client_id !== credentials.clientId)
      return aad(400, 'unauthorized_client', 700016, `Application with identifier '${parsed.data.client_id}' was not found in the directory.`);
    if (!safeEqual(parsed.data.client_secret, credentials.clientSecret)) {
      return aad(
        401,
        'invalid_client',
        7000215,
        'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
      );
    }
    if (parsed.data.scope !== 'https://graph.microsoft.com/.default')
      return aad(400, 'invalid_scope', 1002012, `The provided value for scope ${parsed.data.scope} is not valid.`);
    const accessToken = randomBytes(32).toString('base64url');
    tokens.set(accessToken, Date.now() + TOKEN_TTL_S * 1000);
    return [200, { token_type: 'Bearer', expires_in: TOKEN_TTL_S, ext_expires_in: TOKEN_TTL_S, access_token: accessToken }];
  };

  const requireJob = (jobId: string): void => {
    if (decodeURIComponent(jobId) !== state.job.id)
      throw new HttpError(404, 'Request_ResourceNotFound', `Job '${jobId}' not found on service principal ${sp.id}.`);
  };

  const validateCredentials = async (body: z.infer<typeof validateBodySchema>): Promise<void> => {
    const source = body.useSavedCredentials ? state.secrets : (body.credentials ?? []);
    const base = source.find((s) => s.key === 'BaseAddress')?.value;
    const secret = source.find((s) => s.key === 'SecretToken')?.value;
    if (!base || !secret) throw new HttpError(400, 'BadRequest', 'Credentials must include BaseAddress and SecretToken.');
    // docs/vendor-facts.md F33: Test Connection queries a user that does not exist, by a random GUID.
    const path = `/Users?filter=${eqFilter('userName', randomUUID())}`;
    try {
      const { status, json } = await scimRequest({ baseAddress: base, secretToken: secret }, 'GET', path, undefined, {
        sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 2000))),
        maxRetries: 1,
      });
      const list = listResponseSchema.safeParse(json);
      const isList =
        list.success &&
        (Array.isArray((json as { schemas?: unknown }).schemas)
          ? (json as { schemas: unknown[] }).schemas.includes(SCHEMA_LIST)
          : list.data.totalResults !== undefined);
      if (status !== 200 || !isList) {
        throw new HttpError(
          400,
          'BadRequest',
          `An error occurred while validating credentials: the SCIM endpoint answered HTTP ${status} without a SCIM ListResponse.`,
        );
      }
    } catch (err) {
      if (err instanceof HttpError) throw err;
      const detail = err instanceof ScimHttpError ? `answered HTTP ${err.status}` : `could not be reached (${(err as Error).message})`;
      // docs/vendor-facts.md F49: the failure body is undocumented; we answer the Graph envelope with a 400.
      throw new HttpError(400, 'BadRequest', `An error occurred while validating credentials: the SCIM endpoint ${detail}.`);
    }
  };

  const graph = async (req: SimRequest, url: URL): Promise<[number, unknown]> => {
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/i.exec(auth)?.[1];
    const expiry = bearer ? tokens.get(bearer) : undefined;
    if (!bearer || expiry === undefined || expiry < Date.now()) {
      throw new HttpError(401, 'InvalidAuthenticationToken', bearer ? 'Access token has expired or is not valid.' : 'Access token is empty.');
    }
    if (opts.rateLimits) {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        windowCount = 0;
      }
      if (++windowCount > RATE_LIMIT_PER_SECOND) {
        throw new HttpError(429, 'TooManyRequests', 'Too many requests.', { 'retry-after': '1' });
      }
    }
    const method = req.method;
    const version = GRAPH_VERSION.exec(url.pathname)?.[1] ?? 'v1.0';
    const path = url.pathname.replace(GRAPH_VERSION, '').replace(/\/+$/, '');
    const ctx = `${url.origin}/${version}/$metadata`;

    if (method === 'GET' && path === '/servicePrincipals') {
      const filter = url.searchParams.get('$filter') ?? '';
      let match: () => boolean = () => true;
      const unquote = (v: string) => v.replace(/''/g, "'");
      const eq = /^displayName eq '((?:[^']|'')*)'$/.exec(filter);
      const sw = /^startswith\(displayName,\s*'((?:[^']|'')*)'\)$/.exec(filter);
      // docs/vendor-facts.md F50: the object is also found by its application id (GET /servicePrincipals?$filter=appId eq '…').
      const app = /^appId eq '((?:[^']|'')*)'$/.exec(filter);
      if (eq) match = () => sp.displayName === unquote(eq[1] as string);
      else if (sw) match = () => sp.displayName.toLowerCase().startsWith(unquote(sw[1] as string).toLowerCase());
      else if (app) match = () => sp.appId === unquote(app[1] as string);
      else if (filter !== '')
        throw new HttpError(400, 'BadRequest', `Unsupported $filter '${filter}' (sandbox supports displayName eq, startswith and appId eq).`);
      return [200, { '@odata.context': `${ctx}#servicePrincipals`, value: match() ? [spJson()] : [] }];
    }
    const byAppId = /^\/servicePrincipals\(appId='([^']+)'\)$/.exec(decodeURIComponent(path));
    if (method === 'GET' && byAppId) {
      if (byAppId[1] !== sp.appId)
        throw new HttpError(
          404,
          'Request_ResourceNotFound',
          `Resource '${byAppId[1]}' does not exist or one of its queried reference-property objects are not present.`,
        );
      return [200, { '@odata.context': `${ctx}#servicePrincipals/$entity`, ...spJson() }];
    }
    if (method === 'GET' && path === '/auditLogs/provisioning') return [200, provisioningLogs(url)];
    if (method === 'GET' && path === '/users')
      return [
        200,
        page(
          url,
          state.users.map((u) => selected(userJson(u), url)),
          `${ctx}#users`,
          100,
          999,
        ),
      ];
    const members = /^\/groups\/([^/]+)\/members$/.exec(path);
    if (method === 'GET' && members) {
      const group = state.groups.find((g) => g.id === members[1]);
      if (!group)
        throw new HttpError(
          404,
          'Request_ResourceNotFound',
          `Resource '${members[1]}' does not exist or one of its queried reference-property objects are not present.`,
        );
      const list = group.memberIds.map((id) => ({ '@odata.type': '#microsoft.graph.user', id }));
      return [200, page(url, list, `${ctx}#directoryObjects`, 100, 999)];
    }
    const userRef = /^\/users\/([^/]+)$/.exec(path);
    if (method === 'GET' && userRef) {
      const ref = decodeURIComponent(userRef[1] as string).toLowerCase();
      const u = state.users.find((x) => x.id === ref || x.userPrincipalName.toLowerCase() === ref);
      if (!u)
        throw new HttpError(
          404,
          'Request_ResourceNotFound',
          `Resource '${userRef[1]}' does not exist or one of its queried reference-property objects are not present.`,
        );
      return [200, { '@odata.context': `${ctx}#users/$entity`, ...userJson(u) }];
    }

    const m = /^\/servicePrincipals\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) throw new HttpError(400, 'BadRequest', `Resource not found for the segment '${path}'.`);
    if (m[1] !== sp.id)
      throw new HttpError(
        404,
        'Request_ResourceNotFound',
        `Resource '${m[1]}' does not exist or one of its queried reference-property objects are not present.`,
      );
    const rest = m[2] ?? '';
    if (method === 'GET' && rest === '') return [200, { '@odata.context': `${ctx}#servicePrincipals/$entity`, ...spJson() }];
    if (method === 'GET' && rest === '/appRoleAssignedTo') return [200, appRoleAssignedTo(url, ctx)];
    if (method === 'GET' && rest === '/synchronization/jobs')
      return [200, { '@odata.context': `${ctx}#servicePrincipals('${sp.id}')/synchronization/jobs`, value: [state.job] }];
    if (rest === '/synchronization/secrets') {
      if (method === 'GET') {
        // v1.0 documents PUT only; the GET is documented on beta (vendor-facts.md).
        const how = opts.betaSecretsRead ?? 'masked';
        if (version !== 'beta' || how === 'refused') {
          throw new HttpError(405, 'Request_BadRequest', `The requested resource does not support http method 'GET' (${url.pathname}).`);
        }
        return [200, { '@odata.context': `${ctx}#servicePrincipals('${sp.id}')/synchronization/secrets`, value: readableSecrets(state.secrets, how) }];
      }
      if (method === 'PUT') {
        const body = parseJson(req.body.toString('utf8'), secretsBodySchema, 'PUT synchronization/secrets');
        state.secrets = body.value.map((s) => ({ ...s })); // docs/vendor-facts.md G3: PUT replaces the whole set
        if (state.job.status.code === 'NotConfigured') state.job.status.code = 'NotRun';
        return [204, null];
      }
    }
    const j = /^\/synchronization\/jobs\/([^/]+)(\/[A-Za-z]+)?$/.exec(rest);
    if (j) {
      requireJob(j[1] as string);
      const action = j[2] ?? '';
      if (method === 'GET' && action === '')
        return [200, { '@odata.context': `${ctx}#servicePrincipals('${sp.id}')/synchronization/jobs/$entity`, ...state.job }];
      // Get synchronizationSchema (v1.0): the job's rules, with the user mapping the engine applies.
      if (method === 'GET' && action === '/schema') {
        return [
          200,
          { '@odata.context': `${ctx}#servicePrincipals('${sp.id}')/synchronization/jobs('${state.job.id}')/schema/$entity`, ...synchronizationSchema(state) },
        ];
      }
      if (method === 'POST' && action === '/validateCredentials') {
        await validateCredentials(parseJson(req.body.toString('utf8'), validateBodySchema, 'validateCredentials'));
        return [204, null];
      }
      if (method === 'POST' && action === '/start') {
        engine.start();
        return [204, null];
      }
      if (method === 'POST' && action === '/pause') {
        await engine.pause();
        return [204, null];
      }
      if (method === 'POST' && action === '/provisionOnDemand') {
        if (opts.rateLimits) {
          const now = Date.now();
          const windowMs = ON_DEMAND_WINDOW_MS / Math.max(opts.speed, 0.001);
          while (onDemandCalls.length > 0 && (onDemandCalls[0] as number) <= now - windowMs) onDemandCalls.shift();
          if (onDemandCalls.length >= ON_DEMAND_PER_WINDOW) {
            throw new HttpError(429, 'TooManyRequests', 'Too many provisionOnDemand requests (5 per 10 seconds).', {
              'retry-after': String(Math.max(1, Math.ceil(windowMs / 1000))),
            });
          }
          onDemandCalls.push(now);
        }
        const body = parseJson(req.body.toString('utf8'), onDemandBodySchema, 'provisionOnDemand');
        const param = body.parameters[0]!;
        const rules = (synchronizationSchema(state).synchronizationRules as Array<{ id: string }>).map((r) => r.id);
        if (!rules.includes(param.ruleId))
          throw new HttpError(400, 'BadRequest', `ruleId '${param.ruleId}' is not a rule of the job's schema (${rules.join(', ')}).`);
        const users = param.subjects.filter((x) => x.objectTypeName.toLowerCase() === 'user');
        if (users.length !== 1 || param.subjects.length !== 1) {
          throw new HttpError(400, 'BadRequest', 'The sandbox provisions one User subject per provisionOnDemand request.');
        }
        const answer = await engine.provisionOnDemand(users[0]!.objectId);
        return [200, { '@odata.context': `${url.origin}/${version}/$metadata#microsoft.graph.stringKeyStringValuePair`, ...answer }];
      }
      if (method === 'POST' && action === '/restart') {
        const body = parseJson(req.body.toString('utf8'), restartBodySchema, 'restart');
        engine.restart(body.criteria?.resetScope);
        return [204, null];
      }
    }
    throw new HttpError(405, 'Request_BadRequest', `${method} ${url.pathname} is not supported by the sandbox Graph.`);
  };

  /** A Graph user resource (the properties the sandbox models). */
  const userJson = (u: EntraUser): Record<string, unknown> => ({
    id: u.id,
    userPrincipalName: u.userPrincipalName,
    mail: u.mail,
    displayName: u.displayName,
    givenName: u.givenName,
    surname: u.surname,
    department: u.department,
    accountEnabled: u.accountEnabled,
    onPremisesImmutableId: u.onPremisesImmutableId,
  });
  /** `$select`: only the named properties (id always); a property the sandbox does not model is a 400, as Graph answers an unknown one. */
  const selected = (resource: Record<string, unknown>, url: URL): Record<string, unknown> => {
    const names = (url.searchParams.get('$select') ?? '').split(',').filter(Boolean);
    if (names.length === 0) return resource;
    const out: Record<string, unknown> = { id: resource.id };
    for (const n of names) {
      if (!(n in resource)) throw new HttpError(400, 'BadRequest', `Could not find a property named '${n}' on type 'microsoft.graph.user'.`);
      out[n] = resource[n];
    }
    return out;
  };

  const appRoleAssignedTo = (url: URL, ctx: string): unknown => {
    const name = (id: string, type: 'User' | 'Group') =>
      (type === 'User' ? state.users.find((u) => u.id === id)?.displayName : state.groups.find((g) => g.id === id)?.displayName) ?? '';
    const all = state.assignments.map((a) => ({
      id: a.id,
      appRoleId: a.appRoleId,
      createdDateTime: a.createdDateTime,
      deletedDateTime: null,
      principalDisplayName: name(a.principalId, a.principalType),
      principalId: a.principalId,
      principalType: a.principalType,
      resourceDisplayName: sp.displayName,
      resourceId: sp.id,
    }));
    return page(url, all, `${ctx}#servicePrincipals('${sp.id}')/appRoleAssignedTo`, 100, 999);
  };

  const provisioningLogs = (url: URL): unknown => {
    const filter = url.searchParams.get('$filter') ?? '';
    const logs = filter === '' ? state.logs : state.logs.filter(provisioningFilter(filter));
    return page(url, logs, `${url.origin}/v1.0/$metadata#auditLogs/provisioning`, 50, 1000);
  };

  /** One page of a collection, $top and an opaque $skiptoken in @odata.nextLink. */
  const page = <T>(url: URL, items: T[], context: string, defaultTop: number, maxTop: number): Record<string, unknown> => {
    const top = Math.min(Math.max(Number(url.searchParams.get('$top') ?? String(defaultTop)) || defaultTop, 1), maxTop);
    const skip = Number(Buffer.from(url.searchParams.get('$skiptoken') ?? '', 'base64url').toString('utf8') || '0') || 0;
    const body: Record<string, unknown> = { '@odata.context': context, value: items.slice(skip, skip + top) };
    if (skip + top < items.length) {
      const next = new URL(url.toString());
      next.searchParams.set('$skiptoken', Buffer.from(String(skip + top)).toString('base64url'));
      body['@odata.nextLink'] = next.toString();
    }
    return body;
  };

  const handler = async (req: SimRequest): Promise<SimResponse> => {
    const url = new URL(req.rawUrl, `http://${req.headers.host ?? '127.0.0.1'}`);
    const isGraph = entraServerFor(url.pathname) === 'graph';
    let status = 500;
    let body: unknown = null;
    const headers: Record<string, string> = {};
    try {
      const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
      if (!isGraph && tokenPath && req.method === 'POST') {
        [status, body] = token(req.body, tokenPath[1] as string);
      } else if (isGraph) {
        [status, body] = await graph(req, url);
      } else {
        [status, body] = [404, { error: 'not_found', error_description: `No endpoint ${req.method} ${url.pathname}.` }];
      }
    } catch (err) {
      if (err instanceof HttpError) {
        status = err.status;
        Object.assign(headers, err.headers);
        body = graphError(err.code, err.message);
      } else {
        status = 500;
        body = graphError('InternalServerError', 'The sandbox Graph failed unexpectedly.');
      }
    }
    if (status === 204 || body === null) return { status, headers };
    return { status, headers, body, contentType: JSON_TYPE };
  };

  const svc = await startService({
    name: entraServerFor,
    host: opts.host,
    port: opts.port,
    handler,
    log: { record: (e) => opts.recordRequest?.(e) },
    faults: opts.faults,
    stripPrefix: entraStripPrefix,
    faultResponse: entraFaultResponse,
    maxBodyBytes: MAX_BODY_BYTES,
  });

  return {
    loginUrl: svc.url,
    graphUrl: `${svc.url}/v1.0`,
    credentials,
    state,
    settled: () => engine.settled(),
    console: {
      saveCredentials(baseAddress, secretToken) {
        state.secrets = [
          { key: 'BaseAddress', value: baseAddress },
          { key: 'SecretToken', value: secretToken },
          // The console's "Sync only assigned users and groups", whichever way Graph's SyncAll reads.
          { key: 'SyncAll', value: state.syncAllPolarity === 'inverse' ? 'true' : 'false' },
        ];
      },
      start: () => engine.start(),
      pause: () => engine.pause(),
    },
    stop: async () => {
      await engine.stop();
      await svc.stop();
    },
  };
}
