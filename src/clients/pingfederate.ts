import { z } from 'zod';
import { UserError } from '../engine/errors.js';
import type { AuditSink } from './audit.js';
import { ApiError, createHttpClient, type CallOptions, type HttpTuning, type Method } from './http.js';
import { createTokenSource } from './oauth.js';

/**
 * PingFederate administrative API client, for the outbound provisioning channel of the SP
 * connection that pushes users to Zscaler over SCIM. Facts: docs/vendor-facts.md, "PingFederate" (P1…).
 *
 * - Every request carries `X-XSRF-Header: PingFederate` (P1); PUT and POST send application/json.
 * - Native (HTTP Basic) authentication, the default of a new installation, or an OAuth 2.0
 *   access token from the authorization server PingFederate is configured to trust (P2).
 * - A connection is changed by reading it and PUTting it back whole: PUT replaces the connection.
 *   Encrypted target settings are never returned in clear; their `encryptedValue` is echoed
 *   unchanged to keep them, and `value` is sent only for the one being changed (P5).
 * - The outbound provisioning plugin `type` and the names of its target settings are not
 *   published for the Zscaler connectors (P6): they are read from the existing connection and
 *   never assumed. When they cannot be told apart, the error says what the connection holds.
 * - The provisioner's progress has no admin-API endpoint (P9): completion is observed on the
 *   Zscaler side.
 */

// ---------------------------------------------------------------------------------------
// Shapes (what this tool reads; everything else passes through untouched for the PUT)

/** ConfigField (P5): `value` is absent on a GET for encrypted fields, which carry `encryptedValue`. */
export const ConfigFieldSchema = z.looseObject({
  name: z.string().min(1),
  value: z.string().nullish(),
  encryptedValue: z.string().nullish(),
});
export type ConfigField = z.output<typeof ConfigFieldSchema>;

export const ChannelSchema = z.looseObject({
  name: z.string(),
  /** "Indicates whether the channel is the active channel for this connection" (P7). */
  active: z.boolean(),
  channelSource: z.looseObject({}).optional(),
  attributeMapping: z.array(z.looseObject({ fieldName: z.string() })).optional(),
  maxThreads: z.number().optional(),
  timeout: z.number().optional(),
});
export type Channel = z.output<typeof ChannelSchema>;

export const OutboundProvisionSchema = z.looseObject({
  /** "The SaaS plugin type" (P6): read, kept, never chosen by this tool. */
  type: z.string().min(1),
  targetSettings: z.array(ConfigFieldSchema),
  channels: z.array(ChannelSchema),
});
export type OutboundProvision = z.output<typeof OutboundProvisionSchema>;

export const SpConnectionSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  entityId: z.string(),
  type: z.string().optional(),
  active: z.boolean().optional(),
  outboundProvision: OutboundProvisionSchema.optional(),
});
export type SpConnection = z.output<typeof SpConnectionSchema>;

const SpConnectionsSchema = z.looseObject({ items: z.array(SpConnectionSchema).optional() });
const VersionSchema = z.looseObject({ version: z.string() });

/** GET /serverSettings/outboundProvisioning (P8): the provisioner's database and how often it runs. */
export const OutboundProvisioningSettingsSchema = z.looseObject({
  dataStoreRef: z.looseObject({ id: z.string() }),
  synchronizationFrequency: z.number().optional(),
});
export type OutboundProvisioningSettings = z.output<typeof OutboundProvisioningSettingsSchema>;

// ---------------------------------------------------------------------------------------
// Reading the provisioning target of a connection

/** Names of the two target settings this tool writes, when the configuration states them. */
export interface TargetSettingNames {
  baseUrl?: string;
  token?: string;
}

/** What a connection's outbound provisioning is made of, as read from PingFederate. */
export interface ProvisioningShape {
  connectionId: string;
  connectionName: string;
  connectionActive: boolean;
  /** The plugin type exactly as PingFederate reported it. */
  type: string;
  /** The target setting that holds the SCIM Base URL, and its current value (not a secret). */
  baseUrlSetting: string;
  baseUrl: string | undefined;
  /** The target setting that holds the Bearer Token, and whether a value is stored. */
  tokenSetting: string;
  tokenSet: boolean;
  /** Every target setting name, in PingFederate's order. */
  settingNames: string[];
  channels: Array<{ name: string; active: boolean }>;
}

/** The connection does not have the shape this tool can work with; the message says what it has. */
export class PingFederateShapeError extends UserError {
  constructor(message: string, hint: string) {
    super(message, { hint });
    this.name = 'PingFederateShapeError';
  }
}

const isEncrypted = (f: ConfigField): boolean => typeof f.encryptedValue === 'string' && f.encryptedValue !== '';
const looksLikeUrl = (v: string | null | undefined): boolean => typeof v === 'string' && /^https?:\/\/\S+$/i.test(v.trim());
const URL_NAME = /url|endpoint|address|host|base/i;
const TOKEN_NAME = /token|bearer/i;
const SECRET_NAME = /secret|credential|password|passwd|api.?key/i;

/** One line per setting, never a value that could be secret: name (URL), name (encrypted), name (text), name (empty). */
function describeSettings(fields: ConfigField[]): string {
  if (fields.length === 0) return 'none';
  return fields
    .map((f) => {
      if (isEncrypted(f)) return `${f.name} (encrypted)`;
      if (looksLikeUrl(f.value)) return `${f.name} (a URL)`;
      return `${f.name} (${f.value ? 'text' : 'empty'})`;
    })
    .join(', ');
}

function label(conn: SpConnection): string {
  return `SP connection "${conn.name}" (id ${conn.id})`;
}

const NAMES_HINT =
  'name the two settings explicitly (the target setting names shown above), or open the connection in the PingFederate console once, enter the Base URL and Bearer Token on its Target page and save, so their names can be read';

/**
 * Which target settings hold the SCIM Base URL and the Bearer Token, read from the connection
 * itself (P6). Explicit names win; otherwise exactly one candidate each must stand out:
 * - Base URL: the one setting whose value is an http(s) URL, else the one unencrypted setting
 *   whose name says URL/endpoint/address/host/base;
 * - token: the one encrypted setting named like a token or bearer, else the one encrypted setting
 *   named like a secret, else the one encrypted setting.
 * Anything else is an error naming the plugin type and every setting seen (values never shown).
 */
export function describeProvisioning(conn: SpConnection, names: TargetSettingNames = {}): ProvisioningShape {
  const op = conn.outboundProvision;
  if (!op) {
    throw new PingFederateShapeError(
      `${label(conn)} has no outbound provisioning configured (connection type "${conn.type ?? 'unknown'}")`,
      'create the connection from the Zscaler provisioner template in the PingFederate console (Applications > Integration > SP Connections, Connection Type: Outbound Provisioning), then rerun',
    );
  }
  const fields = op.targetSettings;
  const seen = `outbound provisioning type "${op.type}", target settings seen: ${describeSettings(fields)}`;
  const byName = (n: string) => fields.find((f) => f.name === n);

  let baseUrlField: ConfigField | undefined;
  if (names.baseUrl !== undefined) {
    baseUrlField = byName(names.baseUrl);
    if (!baseUrlField)
      throw new PingFederateShapeError(`${label(conn)} has no target setting "${names.baseUrl}" (the configured Base URL setting); ${seen}`, NAMES_HINT);
  } else {
    const urls = fields.filter((f) => !isEncrypted(f) && looksLikeUrl(f.value));
    const named = fields.filter((f) => !isEncrypted(f) && URL_NAME.test(f.name));
    const pick = urls.length === 1 ? urls : urls.length === 0 ? named : [];
    if (pick.length !== 1) {
      const why =
        urls.length > 1
          ? `${urls.length} settings hold a URL`
          : named.length > 1
            ? `${named.length} settings are named like a URL`
            : 'no setting holds or is named like a URL';
      throw new PingFederateShapeError(`${label(conn)}: cannot tell which target setting holds the SCIM Base URL (${why}); ${seen}`, NAMES_HINT);
    }
    baseUrlField = pick[0];
  }

  let tokenName: string;
  if (names.token !== undefined) {
    // The setting may be absent while no token was ever saved; the configured name is trusted then.
    tokenName = names.token;
  } else {
    const encrypted = fields.filter((f) => isEncrypted(f) && f.name !== baseUrlField?.name);
    const tiers = [encrypted.filter((f) => TOKEN_NAME.test(f.name)), encrypted.filter((f) => SECRET_NAME.test(f.name)), encrypted];
    const tier = tiers.find((t) => t.length > 0) ?? [];
    if (tier.length !== 1) {
      const why =
        tier.length === 0
          ? 'no encrypted setting is stored (a token saved once shows as an encrypted setting)'
          : `${tier.length} encrypted settings could be it`;
      throw new PingFederateShapeError(`${label(conn)}: cannot tell which target setting holds the Bearer Token (${why}); ${seen}`, NAMES_HINT);
    }
    tokenName = (tier[0] as ConfigField).name;
  }
  if (tokenName === baseUrlField?.name) {
    throw new PingFederateShapeError(`${label(conn)}: the Base URL and the Bearer Token cannot be the same target setting "${tokenName}"; ${seen}`, NAMES_HINT);
  }
  const tokenField = byName(tokenName);
  return {
    connectionId: conn.id,
    connectionName: conn.name,
    connectionActive: conn.active === true,
    type: op.type,
    baseUrlSetting: (baseUrlField as ConfigField).name,
    baseUrl: (baseUrlField as ConfigField).value ?? undefined,
    tokenSetting: tokenName,
    tokenSet: tokenField !== undefined && (isEncrypted(tokenField) || Boolean(tokenField.value)),
    settingNames: fields.map((f) => f.name),
    channels: op.channels.map((c) => ({ name: c.name, active: c.active })),
  };
}

/**
 * The connection with the Base URL and token set, everything else exactly as read: every other
 * target setting (its `encryptedValue` included) and every other field of the connection. The
 * token goes in `value` and its old `encryptedValue` is dropped (P5). Pure: the input is not changed.
 */
export function withTarget(conn: SpConnection, shape: ProvisioningShape, target: { baseUrl: string; token: string }): SpConnection {
  const op = conn.outboundProvision as OutboundProvision;
  const settings: ConfigField[] = op.targetSettings.map((f) => {
    if (f.name === shape.baseUrlSetting) return { ...f, value: target.baseUrl };
    if (f.name === shape.tokenSetting) {
      const { encryptedValue: _old, ...rest } = f;
      return { ...rest, value: target.token };
    }
    return f;
  });
  if (!settings.some((f) => f.name === shape.tokenSetting)) settings.push({ name: shape.tokenSetting, value: target.token });
  return { ...conn, outboundProvision: { ...op, targetSettings: settings } };
}

/**
 * The connection with its provisioning channel switched on or off, everything else as read.
 * On: the named channel (or the only one) becomes the active channel, the others inactive, and
 * the connection active (the Zscaler guide turns both on, P7). Off: every channel inactive; the
 * connection too when `connection` is false.
 */
export function withChannelState(conn: SpConnection, want: { active: boolean; channel?: string; connection?: boolean }): SpConnection {
  const op = conn.outboundProvision;
  if (!op) throw new PingFederateShapeError(`${label(conn)} has no outbound provisioning configured`, NAMES_HINT);
  let channels: Channel[];
  if (want.active) {
    const target = want.channel !== undefined ? op.channels.find((c) => c.name === want.channel) : op.channels.length === 1 ? op.channels[0] : undefined;
    if (!target) {
      const names = op.channels.map((c) => `"${c.name}"`).join(', ') || 'none';
      throw new PingFederateShapeError(
        want.channel !== undefined
          ? `${label(conn)} has no provisioning channel "${want.channel}" (channels: ${names})`
          : `${label(conn)}: cannot tell which provisioning channel to activate (channels: ${names})`,
        op.channels.length === 0
          ? "create a channel on the connection's Outbound Provisioning tab (Manage Channels: source data store, source location, attribute mapping), then rerun"
          : 'name the channel to activate in the configuration',
      );
    }
    channels = op.channels.map((c) => ({ ...c, active: c === target }));
  } else {
    channels = op.channels.map((c) => ({ ...c, active: false }));
  }
  const active = want.active ? true : want.connection === false ? false : conn.active;
  return { ...conn, ...(active === undefined ? {} : { active }), outboundProvision: { ...op, channels } };
}

/** Whether the connection and each of its provisioning channels are on. */
export interface ChannelState {
  connectionActive: boolean;
  channels: Array<{ name: string; active: boolean }>;
}

export function channelState(conn: SpConnection): ChannelState {
  return { connectionActive: conn.active === true, channels: (conn.outboundProvision?.channels ?? []).map((c) => ({ name: c.name, active: c.active })) };
}

// ---------------------------------------------------------------------------------------
// Client

export type PingFederateAuth =
  | { kind: 'basic'; username: string; password: string }
  /** An OAuth 2.0 client-credentials token from the authorization server the admin API trusts (P2). */
  | { kind: 'oauth'; tokenUrl: string; clientId: string; clientSecret: string; scope?: string };

export interface PingFederateClientOptions {
  /** The admin API base, e.g. https://pf.example.com:9999/pf-admin-api/v1 */
  adminUrl: string;
  auth: PingFederateAuth;
  readOnly?: boolean;
  audit?: AuditSink;
  tuning?: HttpTuning;
}

export interface PingFederateClient {
  /** GET /version: reachability and credentials, read-only. */
  version(): Promise<string>;
  /** GET /idp/spConnections; `filter` is PingFederate's case-insensitive partial match on name and entity ID. */
  listSpConnections(opts?: { filter?: string; entityId?: string }): Promise<SpConnection[]>;
  getSpConnection(id: string): Promise<SpConnection>;
  /** PUT /idp/spConnections/{id} with the whole connection. */
  putSpConnection(id: string, conn: SpConnection, opts?: { bypassExternalValidation?: boolean }): Promise<SpConnection>;
  /**
   * The provisioning connection by id, or by name (exact, case-insensitive) among the
   * connections that have outbound provisioning. The error lists what was found.
   */
  findProvisioningConnection(ref: { id?: string; name?: string }): Promise<SpConnection>;
  /** Reads the connection and tells its provisioning shape (see `describeProvisioning`). */
  readProvisioning(id: string, names?: TargetSettingNames): Promise<{ connection: SpConnection; shape: ProvisioningShape }>;
  /**
   * GET, set the Base URL and token, PUT. Every other setting is sent back as read, each
   * `encryptedValue` unchanged. Returns the shape after the write and the names of the settings kept.
   */
  setProvisioningTarget(
    id: string,
    target: { baseUrl: string; token: string },
    names?: TargetSettingNames,
  ): Promise<{ shape: ProvisioningShape; kept: string[] }>;
  /**
   * GET, switch the channel (and, on, the connection) on or off, PUT (see `withChannelState`).
   * Needs no knowledge of the target settings: they go back as read.
   */
  setProvisioningActive(id: string, want: { active: boolean; channel?: string; connection?: boolean }): Promise<ChannelState>;
  /** GET /serverSettings/outboundProvisioning (404 when the Outbound Provisioning role is off, inferred). */
  getOutboundProvisioningSettings(): Promise<OutboundProvisioningSettings>;
  /** Scrub this client's secrets (password, tokens, the Bearer Token it wrote) from a text. */
  redact(text: string): string;
}

const XSRF = { 'X-XSRF-Header': 'PingFederate' };

export function createPingFederateClient(opts: PingFederateClientOptions): PingFederateClient {
  const readOnly = opts.readOnly ?? false;
  const secrets: string[] = [];
  let basic: string | undefined;
  if (opts.auth.kind === 'basic') {
    basic = Buffer.from(`${opts.auth.username}:${opts.auth.password}`, 'utf8').toString('base64');
    secrets.push(opts.auth.password, basic);
  } else {
    secrets.push(opts.auth.clientSecret);
  }
  const http = createHttpClient({ ...opts.tuning, system: 'pingfederate', baseURL: opts.adminUrl, readOnly, audit: opts.audit, redact: secrets });
  const tokens =
    opts.auth.kind === 'oauth'
      ? createTokenSource({
          http: createHttpClient({ ...opts.tuning, system: 'login', baseURL: opts.auth.tokenUrl, readOnly, audit: opts.audit, redact: secrets }),
          form: {
            grant_type: 'client_credentials',
            client_id: opts.auth.clientId,
            client_secret: opts.auth.clientSecret,
            ...(opts.auth.scope ? { scope: opts.auth.scope } : {}),
          },
          onToken: (t) => http.addSecret(t),
        })
      : undefined;

  async function authorization(): Promise<string> {
    return tokens ? `Bearer ${await tokens.get()}` : `Basic ${basic as string}`;
  }

  async function call<S extends z.ZodType>(method: Method, path: string, schema: S, o: CallOptions & { body?: unknown } = {}): Promise<z.output<S>> {
    const send = async () => http.request(method, path, schema, { ...o, headers: { ...o.headers, ...XSRF, Authorization: await authorization() } });
    try {
      return (await send()).data;
    } catch (err) {
      // An expired or revoked OAuth token: fetch a new one once. Basic credentials refused stay refused.
      if (tokens && err instanceof ApiError && err.status === 401) {
        tokens.invalidate();
        return (await send()).data;
      }
      throw err;
    }
  }

  const connPath = (id: string) => `/idp/spConnections/${encodeURIComponent(id)}`;

  const client: PingFederateClient = {
    async version() {
      return (await call('GET', '/version', VersionSchema)).version;
    },
    async listSpConnections(o = {}) {
      const res = await call('GET', '/idp/spConnections', SpConnectionsSchema, { query: { filter: o.filter, entityId: o.entityId } });
      return res.items ?? [];
    },
    getSpConnection: (id) => call('GET', connPath(id), SpConnectionSchema),
    putSpConnection: (id, conn, o = {}) =>
      call('PUT', connPath(id), SpConnectionSchema, {
        body: conn,
        ...(o.bypassExternalValidation ? { headers: { 'X-BypassExternalValidation': 'true' } } : {}),
      }),
    async findProvisioningConnection(ref) {
      if (ref.id !== undefined) return client.getSpConnection(ref.id);
      if (ref.name === undefined) throw new UserError('findProvisioningConnection needs an id or a name');
      const all = await client.listSpConnections({ filter: ref.name });
      const want = ref.name.toLowerCase();
      const matches = all.filter((c) => c.name.toLowerCase() === want);
      const withProvisioning = matches.filter((c) => c.outboundProvision !== undefined);
      if (withProvisioning.length === 1) return withProvisioning[0] as SpConnection;
      const seen = all.length ? all.map((c) => `"${c.name}" (id ${c.id}${c.outboundProvision ? ', outbound provisioning' : ''})`).join(', ') : 'none';
      if (withProvisioning.length > 1) {
        throw new UserError(`${withProvisioning.length} SP connections named "${ref.name}" have outbound provisioning: ${seen}`, {
          hint: 'configure the connection by its id instead of its name',
        });
      }
      throw new UserError(
        matches.length
          ? `the SP connection "${ref.name}" has no outbound provisioning (connections matching the name: ${seen})`
          : `no SP connection named "${ref.name}" (connections matching the name: ${seen})`,
        { hint: 'check the connection name in the PingFederate console (Applications > Integration > SP Connections), or configure it by id' },
      );
    },
    async readProvisioning(id, names) {
      const connection = await client.getSpConnection(id);
      return { connection, shape: describeProvisioning(connection, names) };
    },
    async setProvisioningTarget(id, target, names) {
      http.addSecret(target.token);
      const { connection, shape } = await client.readProvisioning(id, names);
      const next = withTarget(connection, shape, target);
      const saved = await client.putSpConnection(id, next);
      const after = describeProvisioning(saved, { baseUrl: shape.baseUrlSetting, token: shape.tokenSetting });
      return { shape: after, kept: after.settingNames.filter((n) => n !== shape.baseUrlSetting && n !== shape.tokenSetting) };
    },
    async setProvisioningActive(id, want) {
      const connection = await client.getSpConnection(id);
      return channelState(await client.putSpConnection(id, withChannelState(connection, want)));
    },
    getOutboundProvisioningSettings: () => call('GET', '/serverSettings/outboundProvisioning', OutboundProvisioningSettingsSchema),
    redact: (text) => http.redact(text),
  };
  return client;
}
