/**
 * The simulated PingFederate server's configuration: administrative accounts, the OAuth client
 * the admin API trusts, the outbound provisioning settings and the SP connections, with one
 * connection seeded the way an administrator leaves it after creating it from the Zscaler ZIA
 * provisioner template (docs/vendor-facts.md P4–P7): Outbound Provisioning only, inactive, a
 * target with a Base URL and an encrypted Bearer Token, one inactive channel reading the
 * directory's in-scope group.
 *
 * Encrypted target settings are stored as compact JWE strings (`dir` + A256GCM, a key generated
 * per simulation): a GET returns `encryptedValue` and never `value` (P5). What the real plugin
 * type and setting names are is not published (P6); the simulation's are options, so a test can
 * run the client against more than one reading.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SANDBOX_IN_SCOPE_GROUP } from '../world/seed.js';
import type { SandboxDirectory } from '../world/directory.js';

export interface PfTargetSettingNames {
  baseUrl: string;
  token: string;
}

/** The sandbox's reading of the Zscaler ZIA provisioner's plugin type and setting names (unconfirmed, P6). */
export const DEFAULT_PROVISIONER_TYPE = 'ZscalerZIAProvisioner';
export const DEFAULT_TARGET_SETTING_NAMES: PfTargetSettingNames = { baseUrl: 'baseUrl', token: 'bearerToken' };
/** The provisioning options of the Zscaler connectors' Target page (P7), kept as plain text settings. */
export const PROVISIONING_OPTIONS: Record<string, string> = {
  userCreate: 'true',
  userUpdate: 'true',
  userDisableDelete: 'true',
  removeUserAction: 'Disable',
  provisionDisabledUsers: 'false',
};

/** A stored target setting: plain text, or a secret kept only in clear inside the simulation. */
export interface StoredSetting {
  name: string;
  value: string;
  encrypted: boolean;
  /** The JWE shown to clients for an encrypted setting, made once per stored value. */
  jwe?: string;
}

export interface PfChannel {
  name: string;
  active: boolean;
  maxThreads: number;
  timeout: number;
  channelSource: Record<string, unknown> & {
    dataSource: { id: string };
    baseDn: string;
    userSourceLocation: { groupDN?: string; filter?: string; nestedSearch?: boolean };
    groupSourceLocation?: { groupDN?: string; filter?: string; nestedSearch?: boolean };
  };
  attributeMapping: Array<{ fieldName: string; saasFieldInfo: { attributeNames?: string[]; defaultValue?: string } & Record<string, unknown> }>;
  [k: string]: unknown;
}

/** An SP connection as stored: the JSON a client sent (passthrough), with the target settings kept apart. */
export interface PfConnection {
  id: string;
  /** Every other field, as last PUT (read-only dates refreshed by the server). */
  fields: Record<string, unknown>;
  active: boolean;
  outbound?: {
    type: string;
    settings: StoredSetting[];
    channels: PfChannel[];
    extra: Record<string, unknown>;
  };
}

export interface PfAccount {
  username: string;
  password: string;
  /** Admin can configure partner connections; Auditor is view-only (P2). */
  role: 'Admin' | 'Auditor';
}

export interface PfState {
  version: string;
  accounts: PfAccount[];
  oauthClient: { clientId: string; clientSecret: string; role: 'Admin' | 'Auditor' };
  /** Access tokens issued by the simulated token endpoint, with their role and expiry (ms). */
  tokens: Map<string, { role: 'Admin' | 'Auditor'; expires: number }>;
  outboundProvisioning: { dataStoreRef: { id: string }; synchronizationFrequency: number };
  /** System > Protocol Settings > Roles & Protocols > Outbound Provisioning (P4): console only. */
  outboundProvisioningRoleEnabled: boolean;
  provisionerType: string;
  names: PfTargetSettingNames;
  connections: Map<string, PfConnection>;
  /** The LDAP data store the channels read (the sandbox directory). */
  dataStoreId: string;
  key: Buffer;
}

const b64u = (b: Buffer): string => b.toString('base64url');
const JWE_HEADER = b64u(Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid: 'sandbox' })));

export function encrypt(state: Pick<PfState, 'key'>, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', state.key, iv);
  cipher.setAAD(Buffer.from(JWE_HEADER, 'ascii'));
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `${JWE_HEADER}..${b64u(iv)}.${b64u(ct)}.${b64u(cipher.getAuthTag())}`;
}

/** The clear value of an encryptedValue this server issued, or undefined (tampered, or from another server). */
export function decrypt(state: Pick<PfState, 'key'>, jwe: string): string | undefined {
  const parts = jwe.split('.');
  if (parts.length !== 5 || parts[0] !== JWE_HEADER || parts[1] !== '') return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', state.key, Buffer.from(parts[2] as string, 'base64url'));
    decipher.setAAD(Buffer.from(JWE_HEADER, 'ascii'));
    decipher.setAuthTag(Buffer.from(parts[4] as string, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(parts[3] as string, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

export function storeSetting(state: Pick<PfState, 'key'>, name: string, value: string, encrypted: boolean): StoredSetting {
  return encrypted && value !== '' ? { name, value, encrypted, jwe: encrypt(state, value) } : { name, value, encrypted };
}

/** The connection's settings as a client sees them: encrypted ones as `encryptedValue` only. */
export function renderSettings(settings: StoredSetting[]): Array<{ name: string; value?: string; encryptedValue?: string }> {
  return settings.map((s) => (s.encrypted ? (s.jwe ? { name: s.name, encryptedValue: s.jwe } : { name: s.name }) : { name: s.name, value: s.value }));
}

/** The connection as GET /idp/spConnections/{id} answers it. */
export function renderConnection(c: PfConnection): Record<string, unknown> {
  const out: Record<string, unknown> = { ...c.fields, id: c.id, active: c.active };
  if (c.outbound) {
    out.outboundProvision = {
      ...c.outbound.extra,
      type: c.outbound.type,
      targetSettings: renderSettings(c.outbound.settings),
      channels: c.outbound.channels.map((ch) => structuredClone(ch)),
    };
  }
  return out;
}

export function settingValue(c: PfConnection, name: string): string | undefined {
  const s = c.outbound?.settings.find((x) => x.name === name);
  return s && s.value !== '' ? s.value : undefined;
}

/** The default channel: the directory's in-scope group (nested), AD change detection, the Zscaler attributes. */
export function defaultChannel(directory: SandboxDirectory, dataStoreId: string, scopeGroupDn?: string): PfChannel {
  const group = scopeGroupDn ?? directory.groups.find((g) => g.cn === SANDBOX_IN_SCOPE_GROUP)?.dn ?? directory.baseDn;
  const attr = (fieldName: string, ...attributeNames: string[]) => ({ fieldName, saasFieldInfo: { attributeNames, trim: true } });
  return {
    name: 'Zscaler users',
    active: false,
    maxThreads: 1,
    timeout: 60,
    channelSource: {
      dataSource: { id: dataStoreId },
      baseDn: directory.baseDn,
      guidAttributeName: 'objectGUID',
      guidBinary: true,
      changeDetectionSettings: {
        userObjectClass: 'user',
        groupObjectClass: 'group',
        changedUsersAlgorithm: 'ACTIVE_DIRECTORY_USN',
        usnAttributeName: 'uSNChanged',
        timeStampAttributeName: 'whenChanged',
      },
      groupMembershipDetection: { memberOfGroupAttributeName: 'memberOf', groupMemberAttributeName: 'member' },
      accountManagementSettings: {
        accountStatusAttributeName: 'userAccountControl',
        accountStatusAlgorithm: 'ACCOUNT_STATUS_ALGORITHM_AD',
        flagComparisonValue: '',
        flagComparisonStatus: false,
        defaultStatus: true,
      },
      userSourceLocation: { groupDN: group, nestedSearch: true },
      groupSourceLocation: { groupDN: group, nestedSearch: true },
    },
    attributeMapping: [
      attr('userName', 'userPrincipalName'),
      attr('externalId', 'objectGUID'),
      attr('email', 'mail'),
      attr('displayName', 'displayName'),
      attr('firstName', 'givenName'),
      attr('lastName', 'sn'),
      attr('department', 'department'),
    ],
  };
}

export interface SeedOptions {
  directory: SandboxDirectory;
  provisionerType?: string;
  targetSettingNames?: PfTargetSettingNames;
  /** The target the administrator typed when creating the connection; 'none' leaves both settings unset. */
  seedTarget?: { baseUrl: string; token: string } | 'none';
  scopeGroupDn?: string;
  synchronizationFrequencySeconds?: number;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function alnum(n: number): string {
  let s = '';
  for (const x of randomBytes(n)) s += ALNUM[x % ALNUM.length];
  return s;
}

export const ZSCALER_CONNECTION_ID = 'zscaler-zia';

export function buildState(opts: SeedOptions): PfState {
  const names = opts.targetSettingNames ?? DEFAULT_TARGET_SETTING_NAMES;
  const dataStoreId = 'LDAP-AD';
  const state: PfState = {
    version: '12.3.0.0',
    accounts: [
      { username: 'Administrator', password: alnum(20), role: 'Admin' },
      { username: 'auditor', password: alnum(20), role: 'Auditor' },
    ],
    oauthClient: { clientId: 'migrate-admin-api', clientSecret: alnum(32), role: 'Admin' },
    tokens: new Map(),
    outboundProvisioning: { dataStoreRef: { id: 'ProvisionerDS' }, synchronizationFrequency: opts.synchronizationFrequencySeconds ?? 60 },
    outboundProvisioningRoleEnabled: true,
    provisionerType: opts.provisionerType ?? DEFAULT_PROVISIONER_TYPE,
    names,
    connections: new Map(),
    dataStoreId,
    key: randomBytes(32),
  };
  // Placeholder values an administrator types when the template asks for them before the
  // migration has produced the real ones (the connection stays inactive until then).
  const seed = opts.seedTarget ?? { baseUrl: 'https://scim.zscaler.net/0/0/scim', token: `placeholder-${alnum(16)}` };
  const target = seed === 'none' ? { baseUrl: '', token: '' } : seed;
  const now = new Date().toISOString();
  state.connections.set(ZSCALER_CONNECTION_ID, {
    id: ZSCALER_CONNECTION_ID,
    active: false,
    fields: {
      type: 'SP',
      entityId: 'https://login.zscaler.net/sfc_sso',
      name: 'Zscaler ZIA',
      baseUrl: 'https://login.zscaler.net',
      loggingMode: 'STANDARD',
      connectionTargetType: 'STANDARD',
      contactInfo: { company: 'Zscaler' },
      virtualEntityIds: [],
      creationDate: now,
      modificationDate: now,
    },
    outbound: {
      type: state.provisionerType,
      settings: [
        storeSetting(state, names.baseUrl, target.baseUrl, false),
        storeSetting(state, names.token, target.token, true),
        ...Object.entries(PROVISIONING_OPTIONS).map(([n, v]) => storeSetting(state, n, v, false)),
      ],
      channels: [defaultChannel(opts.directory, dataStoreId, opts.scopeGroupDn)],
      extra: {},
    },
  });
  return state;
}
