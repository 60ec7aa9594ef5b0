import axios, { AxiosError, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import axiosRetry from 'axios-retry';
import type { z } from 'zod';
import { clipValue, ReadOnlyViolation, UserError } from '../engine/errors.js';
import { stripQuery, type AuditSink } from './audit.js';
import { createLimiter, type RateLimit } from './rate-limit.js';

/**
 * The one HTTP layer every API client uses: retries, client-side rate limits, the audit
 * trail, read-only enforcement, vendor error decoding, secret scrubbing and zod parsing.
 *
 * Retries (axios-retry, with our own condition and delay — its defaults neither back off nor
 * retry timeouts, docs/vendor-facts.md F40): network errors and timeouts, a response body cut short or
 * not parseable, 429 and 5xx; never 400/401/403/404, and never a host name that does not resolve
 * (ENOTFOUND; EAI_AGAIN, a resolver that did not answer, gets one more try). POST and PATCH only
 * when the caller marks the call idempotent, because a lost response to a create would otherwise
 * create twice.
 */

export type { RateLimit } from './rate-limit.js';
export type { AuditSink } from './audit.js';

export type System = 'zia' | 'scim' | 'graph' | 'login' | 'insync' | 'zpa' | 'okta' | 'pingfederate';
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpClientOptions {
  system: System;
  baseURL: string;
  limits?: RateLimit[];
  readOnly?: boolean;
  audit?: AuditSink;
  timeoutMs?: number;
  retries?: number;
  userAgent?: string;
  /** Secret values to scrub from any message. More can be added later with `addSecret`. */
  redact?: string[];
  /** First backoff step; doubles per retry, with jitter. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** A server asking us to wait longer than this is not retried: the error says how long. Default 60 s. */
  maxRetryWaitMs?: number;
  /** Extra statuses worth retrying for this vendor (ZIA: 409 edit-lock conflict, docs/vendor-facts.md F22). */
  extraRetryStatuses?: number[];
  /**
   * A vendor whose error body says whether to retry (Druva inSync's `retryable`, docs/vendor-facts.md
   * "Druva inSync"): true or false replaces the status rule for that answer; undefined keeps it.
   * A 429 is always retried after its wait, whatever the body says.
   */
  retryableFromBody?: (body: unknown) => boolean | undefined;
}

/** Tuning knobs the API clients pass through (tests and the sandbox shorten delays). */
export type HttpTuning = Pick<HttpClientOptions, 'timeoutMs' | 'retries' | 'retryBaseDelayMs' | 'maxRetryWaitMs' | 'userAgent'>;

export interface CallOptions {
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** POST/PATCH that may safely be sent twice: retried like GET. */
  idempotent?: boolean;
  /** A login or token request: changes nothing, so it is allowed in read-only mode. */
  auth?: boolean;
  /** Send the body as application/x-www-form-urlencoded (OAuth token endpoints). */
  form?: boolean;
  /** Content-Type of a JSON body; default application/json. */
  contentType?: string;
}

export interface HttpResponse<T> {
  status: number;
  data: T;
  headers: Record<string, string | string[] | undefined>;
}

export interface HttpClient {
  readonly system: System;
  readonly readOnly: boolean;
  request<S extends z.ZodType>(method: Method, path: string, schema: S, opts?: CallOptions & { body?: unknown }): Promise<HttpResponse<z.output<S>>>;
  get<S extends z.ZodType>(path: string, schema: S, opts?: CallOptions): Promise<z.output<S>>;
  post<S extends z.ZodType>(path: string, body: unknown, schema: S, opts?: CallOptions): Promise<z.output<S>>;
  put<S extends z.ZodType>(path: string, body: unknown, schema: S, opts?: CallOptions): Promise<z.output<S>>;
  patch<S extends z.ZodType>(path: string, body: unknown, schema: S, opts?: CallOptions): Promise<z.output<S>>;
  delete<S extends z.ZodType>(path: string, schema: S, opts?: CallOptions): Promise<z.output<S>>;
  /** Remember a secret learned at run time (session id, access token) so it is scrubbed too. */
  addSecret(value: string | undefined): void;
  /** Scrub every known secret and credential-looking fragment from a text. */
  redact(text: string): string;
}

// ---------------------------------------------------------------------------------------
// Errors

const SYSTEM_NAME: Record<System, string> = {
  zia: 'ZIA admin API',
  scim: 'Zscaler SCIM API',
  graph: 'Microsoft Graph',
  login: 'login/token endpoint',
  insync: 'Druva inSync API',
  zpa: 'ZPA admin API',
  okta: 'Okta Management API',
  pingfederate: 'PingFederate admin API',
};

/**
 * A call that failed after retries. Names the system, method, path (no query: filters and
 * tokens can live there), HTTP status, vendor error code and message — never a secret.
 * It carries no `cause`: the underlying axios error holds request headers (Authorization).
 */
export class ApiError extends UserError {
  readonly system: System;
  readonly method: string;
  readonly path: string;
  /** 0 when no response arrived (network error, timeout). */
  readonly status: number;
  readonly code: string | undefined;
  readonly vendorMessage: string | undefined;
  readonly attempts: number;
  /** Seconds the server asked us to wait, when it did. */
  readonly retryAfterSeconds: number | undefined;

  constructor(a: {
    system: System;
    method: string;
    path: string;
    status: number;
    code?: string | undefined;
    vendorMessage?: string | undefined;
    attempts: number;
    retryAfterSeconds?: number | undefined;
    detail?: string;
    /** A transport failure that is not "no response" (a body cut short): said as is. */
    failure?: string;
    hint?: string;
  }) {
    const what = a.failure ?? (a.status === 0 ? `no response (${a.detail ?? 'network error'})` : `HTTP ${a.status}`);
    const vendor = [a.code, a.vendorMessage].filter(Boolean).join(': ');
    const tries = a.attempts > 1 ? ` after ${a.attempts} attempts` : '';
    super(`${SYSTEM_NAME[a.system]} ${a.method} ${a.path} failed${tries}: ${what}${vendor ? ` — ${vendor}` : ''}`, {
      hint: a.hint ?? hintFor(a.status, a.retryAfterSeconds),
    });
    this.name = 'ApiError';
    this.system = a.system;
    this.method = a.method;
    this.path = a.path;
    this.status = a.status;
    this.code = a.code;
    this.vendorMessage = a.vendorMessage;
    this.attempts = a.attempts;
    this.retryAfterSeconds = a.retryAfterSeconds;
  }
}

/** The response did not match the documented shape (zod). */
export class SchemaError extends UserError {
  readonly system: System;
  readonly path: string;
  readonly issuePaths: string[];
  constructor(system: System, method: string, path: string, issues: string[], issuePaths: string[]) {
    super(`${SYSTEM_NAME[system]} ${method} ${path}: the response does not have the documented shape: ${issues.join('; ')}`, {
      hint: 'the base URL may point at a different service, or the API changed; check the URL and the vendor release notes',
    });
    this.name = 'SchemaError';
    this.system = system;
    this.path = path;
    this.issuePaths = issuePaths;
  }
}

function hintFor(status: number, retryAfter: number | undefined): string {
  if (status === 0) return 'check the URL, DNS, proxy and firewall; the call was retried before giving up';
  if (status === 400) return 'the request was rejected as invalid; the message above says which field';
  if (status === 401) return 'the credentials were refused or the session expired: check the secret references in the configuration';
  if (status === 403) return 'the account lacks a role or permission for this call, or the tenant is in read-only maintenance';
  if (status === 404) return 'check the base URL and the ids in the configuration';
  if (status === 409) return 'another administrator or session holds the edit lock; rerun shortly';
  if (status === 429)
    return retryAfter !== undefined
      ? `the API rate limit is exhausted; the server asked to wait ${retryAfter} s — rerun after that`
      : 'the API rate limit is exhausted; wait a few minutes and rerun';
  if (status >= 500) return 'the service failed; rerun later (completed steps are not repeated)';
  return 'see the vendor message above';
}

/** Pulls `{code, message}` out of the error bodies each vendor documents. */
export function parseVendorError(body: unknown): { code?: string; message?: string } {
  const s = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined);
  if (typeof body === 'string') {
    // Tenants moved to OneAPI answer the legacy API with a non-JSON body (docs/vendor-facts.md F7).
    if (/only through Zscaler OneAPI/i.test(body)) {
      return { code: 'ONLY_ONEAPI_SUPPORTED', message: 'this tenant accepts API calls only through Zscaler OneAPI (use auth kind "oneapi")' };
    }
    const text = body.trim();
    return text ? { message: text } : {};
  }
  if (body === null || typeof body !== 'object') return {};
  const b = body as Record<string, unknown>;
  // Graph (https://learn.microsoft.com/graph/errors, docs/vendor-facts.md F32): {"error":{"code","message","innerError"}}
  if (b.error && typeof b.error === 'object') {
    const e = b.error as Record<string, unknown>;
    return { code: s(e.code), message: s(e.message) };
  }
  // Okta (docs/vendor-facts.md K7): {"errorCode":"E0000047","errorSummary":"…","errorCauses":[{"errorSummary":"…"}]}
  if (typeof b.errorCode === 'string') {
    const causes = Array.isArray(b.errorCauses) ? b.errorCauses.map((c) => s((c as Record<string, unknown> | null)?.errorSummary)).filter(Boolean) : [];
    const summary = s(b.errorSummary);
    return { code: b.errorCode, message: [summary, ...causes].filter(Boolean).join(': ') || undefined };
  }
  // OAuth token endpoints: {"error":"invalid_client","error_description":"…"}
  if (typeof b.error === 'string') return { code: b.error, message: s(b.error_description) };
  // SCIM (RFC 7644 §3.12): {"schemas":[…Error],"status":"401","scimType","detail"}
  if (Array.isArray(b.schemas) && (b.detail !== undefined || b.scimType !== undefined)) {
    return { code: s(b.scimType) ?? s(b.status), message: s(b.detail) };
  }
  // PingFederate admin API (docs/vendor-facts.md P3): ApiResult {"resultId","message","validationErrors":[{"fieldPath","message"}]}
  if (b.resultId !== undefined || Array.isArray(b.validationErrors)) {
    const first = Array.isArray(b.validationErrors) ? (b.validationErrors[0] as Record<string, unknown> | undefined) : undefined;
    const detail = first ? [s(first.fieldPath), s(first.message)].filter(Boolean).join(': ') : undefined;
    return { code: s(b.resultId), message: [s(b.message), detail].filter(Boolean).join(' — ') || undefined };
  }
  // ZIA (docs/vendor-facts.md F22): {"code":"INVALID_INPUT_ARGUMENT","message":"…"}; 429 adds "Retry-After"
  // ZPA (F23): {"id":"invalid.resource.argument","reason":"…"}
  return { code: s(b.code) ?? s(b.id), message: s(b.message) ?? s(b.reason) ?? s(b.detail) };
}

// ---------------------------------------------------------------------------------------
// Redaction

const CREDENTIAL_PATTERNS: Array<[RegExp, string]> = [
  [/(Bearer\s+)[A-Za-z0-9\-._~+/=]{6,}/gi, '$1[REDACTED]'],
  [/(JSESSIONID=)[^;\s"',]+/gi, '$1[REDACTED]'],
  [/((?:access_token|refresh_token|client_secret|password|apiKey|SecretToken)"?\s*[:=]\s*"?)[^"&\s,}]+/gi, '$1[REDACTED]'],
];

export class Redactor {
  private readonly secrets = new Set<string>();
  constructor(initial: Array<string | undefined> = []) {
    for (const v of initial) this.add(v);
  }
  add(value: string | undefined): void {
    // Very short values would scrub ordinary words; real secrets are longer.
    if (value && value.length >= 4) this.secrets.add(value);
  }
  scrub(text: string): string {
    let out = text;
    for (const v of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(v).join('[REDACTED]');
    for (const [re, rep] of CREDENTIAL_PATTERNS) out = out.replace(re, rep);
    return out;
  }
}

// ---------------------------------------------------------------------------------------
// Retry-After

/**
 * How long the server asked us to wait, in ms, or undefined. Understands the header
 * (`retry-after: 1`, an HTTP date, ZPA's `"13s"` — docs/vendor-facts.md F23), the ZIA body form
 * `{"Retry-After":"1 seconds"}` (F21), and `x-ratelimit-reset` in seconds (F20).
 */
export function retryAfterMs(headers: Record<string, unknown> | undefined, body: unknown): number | undefined {
  const header = (name: string): string | undefined => {
    const v = headers?.[name] ?? headers?.[name.toLowerCase()];
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
  };
  const fromRetryAfter = parseWait(header('retry-after'));
  if (fromRetryAfter !== undefined) return fromRetryAfter;
  let parsedBody = body;
  if (typeof body === 'string') parsedBody = tryJson(body);
  if (parsedBody && typeof parsedBody === 'object') {
    const b = parsedBody as Record<string, unknown>;
    const v = b['Retry-After'] ?? b['retry-after'] ?? b['retryAfter'];
    const fromBody = parseWait(typeof v === 'number' ? String(v) : typeof v === 'string' ? v : undefined);
    if (fromBody !== undefined) return fromBody;
  }
  const relative = parseWait(header('x-ratelimit-reset'), false);
  if (relative !== undefined) return relative;
  return oktaResetWait(header('x-rate-limit-reset'), header('date'));
}

/**
 * Okta's `X-Rate-Limit-Reset` is the moment the window resets, in UTC epoch seconds
 * (docs/vendor-facts.md K5), not a number of seconds to wait. Measured against the response's own `Date` header when it has
 * one, so a skewed local clock neither waits an hour nor retries at once; never less than one second.
 */
export function oktaResetWait(reset: string | undefined, date: string | undefined): number | undefined {
  if (reset === undefined || !/^\s*\d{9,11}\s*$/.test(reset)) return undefined;
  const serverNow = date === undefined ? NaN : Date.parse(date);
  const now = Number.isNaN(serverNow) ? Date.now() : serverNow;
  return Math.max(1000, Number(reset) * 1000 - now);
}

function parseWait(v: string | undefined, allowDate = true): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|second|seconds)?\s*$/i.exec(v);
  if (m) return Math.round(Number(m[1]) * 1000);
  if (allowDate) {
    const at = Date.parse(v);
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  return undefined;
}

/** The code of the transport error a success with an unparseable body becomes. */
const BODY_ERROR = 'ERR_BODY_TRUNCATED_OR_MALFORMED';

function parsesAsJson(data: unknown): boolean {
  if (typeof data !== 'string' || data.trim() === '') return true; // empty: 204, or a PUT with no answer
  return tryJson(data) !== undefined;
}

/** JSON, or no Content-Type at all (some APIs omit it): a body that must parse. */
function claimsJson(headers: unknown): boolean {
  const h = headers as Record<string, unknown> | undefined;
  const type = h?.['content-type'];
  return type === undefined || type === null || type === '' || /json/i.test(String(type));
}

/** The URL a request went to, as axios builds it (base URL + path), for messages. */
function requestUrl(config: InternalAxiosRequestConfig | undefined): URL | undefined {
  if (!config?.url) return undefined;
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(config.url) || !config.baseURL) return new URL(config.url);
    return new URL(`${config.baseURL.replace(/\/+$/, '')}/${config.url.replace(/^\/+/, '')}`);
  } catch {
    return undefined;
  }
}

/** An error body as parsed JSON when it is JSON, else as received. */
function bodyOf(raw: unknown): unknown {
  return typeof raw === 'string' ? (tryJson(raw) ?? raw) : raw;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// The client

interface CallMeta {
  idempotent: boolean;
  displayPath: string;
  limiterPath: string;
}

declare module 'axios' {
  interface AxiosRequestConfig {
    migrateCall?: CallMeta;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);
const RETRYABLE_WITHOUT_MARK = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

export function createHttpClient(opts: HttpClientOptions): HttpClient {
  const system = opts.system;
  const readOnly = opts.readOnly ?? false;
  const redactor = new Redactor(opts.redact ?? []);
  const limiter = createLimiter(opts.limits ?? []);
  const baseDelay = opts.retryBaseDelayMs ?? 500;
  const maxWait = opts.maxRetryWaitMs ?? 60_000;
  const extraStatuses = new Set(opts.extraRetryStatuses ?? []);
  const basePath = new URL(opts.baseURL).pathname.replace(/\/+$/, '');

  const defaultAdapter = axios.getAdapter(axios.defaults.adapter);
  // Runs once per attempt (first try and each retry): the limiter and the audit live here so
  // retries are rate-limited and audited like any call.
  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    const meta = config.migrateCall;
    const method = (config.method ?? 'get').toUpperCase();
    // The call holds its rate-limit slot until the response is in (see rate-limit.ts: the
    // server may have counted it at any moment up to then).
    const done = await limiter.begin(method, meta?.limiterPath ?? '');
    const attempt = (config['axios-retry']?.retryCount ?? 0) + 1;
    const started = Date.now();
    let status = 0;
    try {
      let res: AxiosResponse;
      try {
        res = await defaultAdapter(config);
      } catch (err) {
        // The status line arrived but the body stream ended before Content-Length (axios: "stream
        // has been aborted"). Not an "HTTP 200" failure: the answer was lost, like a reset.
        if (err instanceof AxiosError && err.response && err.response.status >= 200 && err.response.status < 300) {
          status = err.response.status;
          throw new AxiosError(BODY_ERROR, BODY_ERROR, config, err.request);
        }
        throw err;
      }
      status = res.status;
      // A JSON success whose body does not parse was cut short or mangled on the way: retried like
      // a reset connection. (A body of another type — an HTML page — is a wrong URL, reported by
      // request() as such; error bodies may be plain text.)
      if (status >= 200 && status < 300 && claimsJson(res.headers) && !parsesAsJson(res.data)) {
        throw new AxiosError(BODY_ERROR, BODY_ERROR, config, res.request);
      }
      return res;
    } catch (err) {
      if (err instanceof AxiosError && err.response) status = err.response.status;
      else if (!(err instanceof AxiosError && err.code === BODY_ERROR)) status = 0;
      throw err;
    } finally {
      done();
      opts.audit?.({
        time: new Date(started).toISOString(),
        system,
        method,
        path: meta?.displayPath ?? '',
        status,
        durationMs: Date.now() - started,
        attempt,
      });
    }
  };

  const instance = axios.create({
    baseURL: opts.baseURL,
    timeout: opts.timeoutMs ?? 30_000,
    adapter,
    responseType: 'text',
    transformResponse: [(d: unknown) => d],
    // Redirects could carry the Authorization header to another host; APIs here do not redirect.
    maxRedirects: 0,
    headers: { 'User-Agent': opts.userAgent ?? 'migrate/0.1 (+zscaler-scim-migration)', Accept: 'application/json' },
  });

  const serverWait = (err: AxiosError): number | undefined =>
    err.response ? retryAfterMs(err.response.headers as Record<string, unknown>, err.response.data) : undefined;

  axiosRetry(instance, {
    retries: opts.retries ?? 4,
    shouldResetTimeout: true,
    retryCondition: (err) => {
      if (err.code === AxiosError.ERR_CANCELED) return false;
      // A name that does not exist will not exist in a second either; a resolver that timed out
      // (EAI_AGAIN) gets one more chance, no more.
      if (err.code === 'ENOTFOUND') return false;
      if (err.code === 'EAI_AGAIN' && (err.config?.['axios-retry']?.retryCount ?? 0) >= 1) return false;
      const method = (err.config?.method ?? 'get').toUpperCase();
      // A 429 is a rate-limit refusal (RFC 6585 §4): resent after its wait whatever the method (docs/vendor-facts.md).
      const refusedUnprocessed = err.response?.status === 429;
      if (!refusedUnprocessed && !RETRYABLE_WITHOUT_MARK.has(method) && !err.config?.migrateCall?.idempotent) return false;
      if (!err.response) return true; // connection refused/reset, timeout, a body cut short
      const status = err.response.status;
      const verdict = status === 429 ? undefined : opts.retryableFromBody?.(bodyOf(err.response.data));
      if (verdict !== undefined) return verdict && (serverWait(err) ?? 0) <= maxWait;
      if (status === 429 || status >= 500 || extraStatuses.has(status)) {
        const wait = serverWait(err);
        return wait === undefined || wait <= maxWait;
      }
      return false; // 400, 401, 403, 404 and friends are answers, not accidents
    },
    retryDelay: (retryCount, err) => {
      const wait = serverWait(err);
      // Honour the server's wait, plus a little jitter so parallel callers do not stampede.
      if (wait !== undefined) return wait + Math.floor(Math.random() * 100);
      const step = Math.min(baseDelay * 2 ** (retryCount - 1), 30_000);
      return Math.floor(step / 2 + Math.random() * (step / 2));
    },
  });

  function paths(path: string): { displayPath: string; limiterPath: string } {
    if (/^https?:\/\//i.test(path)) {
      const u = new URL(path);
      const rel = u.pathname.startsWith(basePath) ? u.pathname.slice(basePath.length) || '/' : u.pathname;
      return { displayPath: rel, limiterPath: rel };
    }
    const p = stripQuery(path);
    return { displayPath: p, limiterPath: p };
  }

  async function request<S extends z.ZodType>(
    method: Method,
    path: string,
    schema: S,
    callOpts: CallOptions & { body?: unknown } = {},
  ): Promise<HttpResponse<z.output<S>>> {
    const { displayPath, limiterPath } = paths(path);
    if (readOnly && !SAFE_METHODS.has(method) && !callOpts.auth) {
      throw new ReadOnlyViolation(`send ${method} ${displayPath} to the ${SYSTEM_NAME[system]}`);
    }
    const headers: Record<string, string> = { ...(callOpts.headers ?? {}) };
    let data: string | undefined;
    if (callOpts.body !== undefined) {
      if (callOpts.form) {
        const form = new URLSearchParams();
        for (const [k, v] of Object.entries(callOpts.body as Record<string, unknown>)) {
          if (v !== undefined) form.set(k, String(v));
        }
        data = form.toString();
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
      } else {
        data = JSON.stringify(callOpts.body);
        headers['Content-Type'] = callOpts.contentType ?? 'application/json';
      }
    }
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(callOpts.query ?? {})) if (v !== undefined) params[k] = String(v);

    let res: AxiosResponse<string>;
    try {
      res = await instance.request<string>({
        method,
        url: path,
        params,
        data,
        headers,
        migrateCall: { idempotent: callOpts.idempotent ?? false, displayPath, limiterPath },
      });
    } catch (err) {
      throw toApiError(err, method, displayPath);
    }

    const text = typeof res.data === 'string' ? res.data : '';
    let body: unknown = undefined;
    if (text.trim() !== '') {
      body = tryJson(text);
      if (body === undefined) {
        const type = res.headers?.['content-type'];
        throw new SchemaError(system, method, displayPath, [`the body is not JSON${type ? ` (Content-Type ${clipValue(String(type), 80)})` : ''}`], []);
      }
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 3);
      const issuePaths = issues.map((i) => (i.path.length ? i.path.map(String).join('.') : '(root)'));
      // Zod messages name expected/received types, not values, so no secret leaks through them.
      const msgs = issues.map((i, n) => `at ${issuePaths[n]}: ${i.message}`);
      throw new SchemaError(
        system,
        method,
        displayPath,
        msgs.map((m) => redactor.scrub(m)),
        issuePaths,
      );
    }
    const outHeaders: Record<string, string | string[] | undefined> = {};
    for (const [k, v] of Object.entries(res.headers ?? {})) {
      outHeaders[k.toLowerCase()] = Array.isArray(v) ? v.map(String) : v === undefined || v === null ? undefined : String(v);
    }
    return { status: res.status, data: parsed.data, headers: outHeaders };
  }

  function toApiError(err: unknown, method: string, displayPath: string): Error {
    if (!(err instanceof AxiosError)) {
      const msg = err instanceof Error ? err.message : String(err);
      return new ApiError({ system, method, path: displayPath, status: 0, attempts: 1, detail: redactor.scrub(msg) });
    }
    const attempts = (err.config?.['axios-retry']?.retryCount ?? 0) + 1;
    if (!err.response) {
      const url = requestUrl(err.config);
      if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
        const host = url?.hostname ?? 'the host';
        return new ApiError({
          system,
          method,
          path: displayPath,
          status: 0,
          attempts,
          detail: redactor.scrub(`cannot resolve the host name ${host} (${err.code})`),
          hint: `check the host name ${host} in the configuration (the URL or cloud name), and this machine's DNS and proxy settings; ${err.code === 'ENOTFOUND' ? 'a name that does not resolve is not retried' : 'the resolver did not answer twice'}`,
        });
      }
      if (err.code === BODY_ERROR) {
        return new ApiError({
          system,
          method,
          path: displayPath,
          status: 0,
          attempts,
          failure: redactor.scrub(`truncated or malformed response body from ${method} ${url ? `${url.origin}${url.pathname}` : displayPath}`),
          hint: 'the answer was cut short or mangled on the way (connection dropped, proxy or TLS inspection); it was retried like a reset connection. Rerun later; if it persists, check proxies between here and the service',
        });
      }
      const detail =
        err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT' ? `timed out after ${err.config?.timeout ?? '?'} ms` : (err.code ?? 'network error');
      return new ApiError({ system, method, path: displayPath, status: 0, attempts, detail: redactor.scrub(detail) });
    }
    const raw = err.response.data;
    const body = typeof raw === 'string' ? (tryJson(raw) ?? raw) : raw;
    const vendor = parseVendorError(body);
    const wait = retryAfterMs(err.response.headers as Record<string, unknown>, body);
    return new ApiError({
      system,
      method,
      path: displayPath,
      status: err.response.status,
      code: vendor.code === undefined ? undefined : clipValue(redactor.scrub(vendor.code), 100),
      vendorMessage: vendor.message === undefined ? undefined : clipValue(redactor.scrub(vendor.message)),
      attempts,
      retryAfterSeconds: wait === undefined ? undefined : Math.ceil(wait / 1000),
      ...(vendor.code === 'ONLY_ONEAPI_SUPPORTED' ? { hint: 'set zia.auth.kind to "oneapi" with a ZIdentity API client' } : {}),
    });
  }

  return {
    system,
    readOnly,
    request,
    get: async (path, schema, o) => (await request('GET', path, schema, o)).data,
    post: async (path, body, schema, o) => (await request('POST', path, schema, { ...o, body })).data,
    put: async (path, body, schema, o) => (await request('PUT', path, schema, { ...o, body })).data,
    patch: async (path, body, schema, o) => (await request('PATCH', path, schema, { ...o, body })).data,
    delete: async (path, schema, o) => (await request('DELETE', path, schema, o)).data,
    addSecret: (v) => redactor.add(v),
    redact: (t) => redactor.scrub(t),
  };
}
