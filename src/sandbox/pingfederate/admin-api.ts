/**
 * The simulated PingFederate administrative API (docs/vendor-facts.md P1–P8), the part a
 * migration uses, plus the OAuth 2.0 token endpoint the admin API can be set to trust:
 *
 *   /pf-admin-api/v1/version                               GET
 *   /pf-admin-api/v1/idp/spConnections[?filter&entityId]   GET (list, `items`)
 *   /pf-admin-api/v1/idp/spConnections/{id}                GET, PUT (the whole connection)
 *   /pf-admin-api/v1/serverSettings/outboundProvisioning   GET, PUT
 *   /as/token.oauth2                                        POST client_credentials    (server "login")
 *
 * Every admin request needs `X-XSRF-Header: PingFederate` (P1), Basic credentials of an
 * administrative account or a Bearer token from the token endpoint (P2); an Auditor reads only.
 * PUT and POST need application/json. Errors are ApiResult bodies (P3).
 *
 * A PUT replaces the connection. Encrypted target settings: `value` sets a new secret,
 * `encryptedValue` must be one this server issued and keeps the stored secret, neither clears it
 * (then the required Bearer Token is refused) (P5). A connection whose channel and connection end up active is
 * checked against the SCIM target with the token, as the Zscaler guide says PingFederate does
 * (P7), unless `X-BypassExternalValidation: true`.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { safeEqual } from '../http/compare.js';
import type { SimRequest, SimResponse } from '../http/server.js';
import {
  PROVISIONING_OPTIONS,
  decrypt,
  settingValue,
  storeSetting,
  renderConnection,
  type PfChannel,
  type PfConnection,
  type PfState,
  type StoredSetting,
} from './state.js';

export const ADMIN_PREFIX = '/pf-admin-api/v1';
export const TOKEN_PATH = '/as/token.oauth2';
const TOKEN_TTL_S = 7200;

export class PfHttpError extends Error {
  constructor(
    readonly status: number,
    readonly resultId: string,
    message: string,
    readonly validationErrors: Array<{ errorId: string; fieldPath?: string; message: string }> = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** ApiResult (P3): {resultId, message, validationErrors[]}. */
export function apiResult(
  status: number,
  resultId: string,
  message: string,
  validationErrors: PfHttpError['validationErrors'] = [],
  headers: Record<string, string> = {},
): SimResponse {
  return { status, body: { resultId, message, ...(validationErrors.length ? { validationErrors } : {}) }, headers };
}

const invalid = (errors: PfHttpError['validationErrors']) =>
  new PfHttpError(422, 'validation_error', 'Validation error(s) occurred. Please review the error(s) and address accordingly.', errors);

const configFieldSchema = z.looseObject({ name: z.string().min(1), value: z.string().nullish(), encryptedValue: z.string().nullish() });
const channelSchema = z.looseObject({
  name: z.string().min(1),
  active: z.boolean(),
  maxThreads: z.number().int().positive().optional(),
  timeout: z.number().int().positive().optional(),
  channelSource: z.looseObject({
    dataSource: z.object({ id: z.string().min(1) }),
    baseDn: z.string().min(1),
    userSourceLocation: z.looseObject({ groupDN: z.string().optional(), filter: z.string().optional(), nestedSearch: z.boolean().optional() }),
    groupSourceLocation: z.looseObject({ groupDN: z.string().optional(), filter: z.string().optional(), nestedSearch: z.boolean().optional() }).optional(),
  }),
  attributeMapping: z.array(
    z.looseObject({
      fieldName: z.string().min(1),
      saasFieldInfo: z.looseObject({ attributeNames: z.array(z.string()).optional(), defaultValue: z.string().optional() }),
    }),
  ),
});
const connectionSchema = z.looseObject({
  type: z.literal('SP'),
  id: z.string().optional(),
  entityId: z.string().min(1),
  name: z.string().min(1),
  active: z.boolean().optional(),
  outboundProvision: z.looseObject({ type: z.string().min(1), targetSettings: z.array(configFieldSchema), channels: z.array(channelSchema) }).optional(),
});
const provisioningSettingsSchema = z.object({
  dataStoreRef: z.object({ id: z.string().min(1) }),
  synchronizationFrequency: z.number().int().positive().optional(),
});

function parseBody<T>(req: SimRequest, schema: z.ZodType<T>): T {
  const type = String(req.headers['content-type'] ?? '');
  if (!/application\/json/i.test(type))
    throw new PfHttpError(415, 'unsupported_media_type', 'PUT and POST requests must use the application/json content type.');
  let raw: unknown;
  try {
    raw = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw new PfHttpError(400, 'invalid_json', 'The request body is not valid JSON.');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.slice(0, 5).map((i) => ({ errorId: 'invalid_value', fieldPath: i.path.map(String).join('.'), message: i.message })));
  }
  return parsed.data;
}

export interface AdminApiHooks {
  /**
   * PingFederate verifies the access token when the channel and connection are activated (P7):
   * resolves with a reason when the SCIM target refuses it or cannot be reached.
   */
  verifyTarget(baseUrl: string, token: string): Promise<string | undefined>;
  /** Called after a connection was saved (the provisioner picks the change up). */
  onSaved(connection: PfConnection): void;
}

type Role = 'Admin' | 'Auditor';

function authenticate(state: PfState, req: SimRequest): Role {
  const header = String(req.headers.authorization ?? '');
  const challenge = { 'www-authenticate': 'Basic realm="PingFederate"' };
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const pass = colon < 0 ? '' : decoded.slice(colon + 1);
    const account = state.accounts.find((a) => a.username === user && safeEqual(a.password, pass));
    if (account) return account.role;
    throw new PfHttpError(401, 'invalid_credentials', 'Authentication failed.', [], challenge);
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) {
    const t = state.tokens.get(bearer[1] as string);
    if (t && t.expires > Date.now()) return t.role;
    throw new PfHttpError(401, 'invalid_token', 'The access token is invalid or has expired.', [], { 'www-authenticate': 'Bearer error="invalid_token"' });
  }
  throw new PfHttpError(401, 'authentication_required', 'Authentication required.', [], challenge);
}

/** POST /as/token.oauth2: client_credentials for the one client the admin API trusts (P2). */
function token(state: PfState, req: SimRequest): SimResponse {
  const form = new URLSearchParams(req.body.toString('utf8'));
  let id = form.get('client_id') ?? '';
  let secret = form.get('client_secret') ?? '';
  const basic = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
  if (basic) {
    const d = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    id = decodeURIComponent(d.slice(0, d.indexOf(':')));
    secret = decodeURIComponent(d.slice(d.indexOf(':') + 1));
  }
  if (form.get('grant_type') !== 'client_credentials') {
    return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' } };
  }
  if (id !== state.oauthClient.clientId || !safeEqual(secret, state.oauthClient.clientSecret)) {
    return { status: 401, body: { error: 'invalid_client', error_description: 'Invalid client or client credentials.' } };
  }
  const access = randomBytes(24).toString('base64url');
  state.tokens.set(access, { role: state.oauthClient.role, expires: Date.now() + TOKEN_TTL_S * 1000 });
  return { status: 200, body: { access_token: access, token_type: 'Bearer', expires_in: TOKEN_TTL_S } };
}

const TOKEN_REQUIRED = 'is required';

/**
 * The stored target settings a PUT results in, or validation errors. Known names only (the
 * plugin's descriptor); the Base URL and Bearer Token are required.
 */
function nextSettings(state: PfState, current: StoredSetting[], sent: Array<z.output<typeof configFieldSchema>>): StoredSetting[] {
  const errors: PfHttpError['validationErrors'] = [];
  // The plugin's descriptor: the Base URL, the encrypted token and the provisioning options; stored values overlaid.
  const known = new Map<string, StoredSetting>([
    [state.names.baseUrl, { name: state.names.baseUrl, value: '', encrypted: false }],
    [state.names.token, { name: state.names.token, value: '', encrypted: true }],
    ...Object.keys(PROVISIONING_OPTIONS).map((n): [string, StoredSetting] => [n, { name: n, value: '', encrypted: false }]),
    ...current.map((c): [string, StoredSetting] => [c.name, c]),
  ]);
  const out: StoredSetting[] = [];
  sent.forEach((f, i) => {
    const before = known.get(f.name);
    const fieldPath = `outboundProvision.targetSettings[${i}]`;
    if (!before) {
      errors.push({ errorId: 'invalid_field', fieldPath, message: `"${f.name}" is not a field of the ${state.provisionerType} provisioner.` });
      return;
    }
    if (!before.encrypted) {
      out.push(storeSetting(state, f.name, f.value ?? '', false));
      return;
    }
    if (typeof f.value === 'string') {
      out.push(storeSetting(state, f.name, f.value, true));
    } else if (typeof f.encryptedValue === 'string' && f.encryptedValue !== '') {
      const clear = decrypt(state, f.encryptedValue);
      if (clear === undefined) {
        errors.push({
          errorId: 'invalid_encrypted_value',
          fieldPath,
          message: `The encrypted value of "${f.name}" could not be decrypted: send the value returned by GET unchanged, or a new value in "value".`,
        });
        return;
      }
      out.push(before.jwe === f.encryptedValue ? before : { ...storeSetting(state, f.name, clear, true), jwe: f.encryptedValue });
    } else {
      out.push(storeSetting(state, f.name, '', true));
    }
  });
  for (const required of [state.names.baseUrl, state.names.token]) {
    const s = out.find((x) => x.name === required);
    if (!s || s.value === '')
      errors.push({ errorId: 'required_field', fieldPath: 'outboundProvision.targetSettings', message: `"${required}" ${TOKEN_REQUIRED}.` });
  }
  if (errors.length) throw invalid(errors);
  // Fields not sent fall back to nothing: a PUT replaces the whole target.
  return out;
}

async function putConnection(state: PfState, hooks: AdminApiHooks, id: string, req: SimRequest): Promise<SimResponse> {
  const existing = state.connections.get(id);
  if (!existing) throw new PfHttpError(404, 'resource_not_found', 'Resource not found.');
  const body = parseBody(req, connectionSchema);
  if (body.id !== undefined && body.id !== id)
    throw invalid([{ errorId: 'id_mismatch', fieldPath: 'id', message: `The id in the body ("${body.id}") does not match the id in the path.` }]);
  const {
    outboundProvision,
    active,
    id: _id,
    modificationDate: _m,
    creationDate: _c,
    replicationStatus: _r,
    ...fields
  } = body as typeof body & Record<string, unknown>;
  const next: PfConnection = {
    id,
    active: active ?? false,
    fields: { ...fields, creationDate: existing.fields.creationDate, modificationDate: new Date().toISOString() },
  };
  if (outboundProvision) {
    if (outboundProvision.type !== state.provisionerType) {
      throw invalid([
        { errorId: 'invalid_plugin_type', fieldPath: 'outboundProvision.type', message: `Unknown provisioner type "${outboundProvision.type}".` },
      ]);
    }
    const current = existing.outbound?.settings ?? [];
    const settings = nextSettings(state, current, outboundProvision.targetSettings);
    const channels = outboundProvision.channels as PfChannel[];
    const activeChannels = channels.filter((c) => c.active);
    if (activeChannels.length > 1) {
      throw invalid([
        {
          errorId: 'multiple_active_channels',
          fieldPath: 'outboundProvision.channels',
          message: 'Only one channel can be the active channel of a connection.',
        },
      ]);
    }
    const unknownStore = channels.find((c) => c.channelSource.dataSource.id !== state.dataStoreId);
    if (unknownStore) {
      throw invalid([
        {
          errorId: 'invalid_data_store',
          fieldPath: 'outboundProvision.channels.channelSource.dataSource',
          message: `Data store "${unknownStore.channelSource.dataSource.id}" does not exist.`,
        },
      ]);
    }
    const { type, targetSettings: _t, channels: _ch, ...extra } = outboundProvision;
    next.outbound = {
      type,
      settings,
      channels: channels.map((c) => ({ ...structuredClone(c), maxThreads: c.maxThreads ?? 1, timeout: c.timeout ?? 60 })),
      extra,
    };
  }
  const willRun = next.active && (next.outbound?.channels.some((c) => c.active) ?? false);
  if (willRun && String(req.headers['x-bypassexternalvalidation'] ?? '').toLowerCase() !== 'true') {
    const why = await hooks.verifyTarget(settingValue(next, state.names.baseUrl) ?? '', settingValue(next, state.names.token) ?? '');
    if (why) {
      throw invalid([
        {
          errorId: 'access_token_verification_failed',
          fieldPath: 'outboundProvision.targetSettings',
          message: `Unable to verify the access token with the target: ${why}.`,
        },
      ]);
    }
  }
  state.connections.set(id, next);
  hooks.onSaved(next);
  return { status: 200, body: renderConnection(next) };
}

export function createAdminHandler(state: PfState, hooks: AdminApiHooks): (req: SimRequest) => Promise<SimResponse> {
  return async (req) => {
    try {
      if (req.path === TOKEN_PATH) {
        if (req.method !== 'POST') throw new PfHttpError(405, 'method_not_allowed', 'Method not allowed.');
        return token(state, req);
      }
      if (!req.path.startsWith(`${ADMIN_PREFIX}/`)) throw new PfHttpError(404, 'resource_not_found', 'Resource not found.');
      // The header is checked before anything else, credentials included (P1; the order is a guess).
      if (req.headers['x-xsrf-header'] !== 'PingFederate') {
        throw new PfHttpError(403, 'xsrf_header_missing', 'Requests to the administrative API must include the header X-XSRF-Header: PingFederate.');
      }
      const role = authenticate(state, req);
      const write = req.method !== 'GET' && req.method !== 'HEAD';
      if (write && role === 'Auditor') throw new PfHttpError(403, 'insufficient_permissions', 'The Auditor role has view-only access.');
      const path = req.path.slice(ADMIN_PREFIX.length);

      if (path === '/version' && req.method === 'GET') return { status: 200, body: { version: state.version } };

      if (path === '/idp/spConnections' && req.method === 'GET') {
        const filter = (req.query.get('filter') ?? '').toLowerCase();
        const entityId = req.query.get('entityId');
        const items = [...state.connections.values()]
          .map(renderConnection)
          .filter((c) => entityId === null || c.entityId === entityId)
          .filter((c) => filter === '' || String(c.name).toLowerCase().includes(filter) || String(c.entityId).toLowerCase().includes(filter));
        return { status: 200, body: { items } };
      }
      const conn = /^\/idp\/spConnections\/([^/]+)$/.exec(path);
      if (conn) {
        const id = decodeURIComponent(conn[1] as string);
        if (req.method === 'GET') {
          const c = state.connections.get(id);
          if (!c) throw new PfHttpError(404, 'resource_not_found', 'Resource not found.');
          return { status: 200, body: renderConnection(c) };
        }
        if (req.method === 'PUT') return await putConnection(state, hooks, id, req);
        throw new PfHttpError(405, 'method_not_allowed', 'Method not allowed.');
      }

      if (path === '/serverSettings/outboundProvisioning') {
        if (req.method === 'GET') return { status: 200, body: state.outboundProvisioning };
        if (req.method === 'PUT') {
          const body = parseBody(req, provisioningSettingsSchema);
          state.outboundProvisioning = { dataStoreRef: body.dataStoreRef, synchronizationFrequency: body.synchronizationFrequency ?? 60 };
          return { status: 200, body: state.outboundProvisioning };
        }
        throw new PfHttpError(405, 'method_not_allowed', 'Method not allowed.');
      }
      throw new PfHttpError(404, 'resource_not_found', 'Resource not found.');
    } catch (err) {
      if (err instanceof PfHttpError) return apiResult(err.status, err.resultId, err.message, err.validationErrors, err.headers);
      throw err;
    }
  };
}

/** Body of an injected fault: PingFederate's ApiResult. */
export function pfFaultResponse(status: number): SimResponse {
  return apiResult(status, status === 429 ? 'too_many_requests' : 'server_error', `Injected fault ${status} (sandbox).`);
}
