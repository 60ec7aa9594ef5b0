import { randomBytes, randomUUID } from 'node:crypto';
import type { SandboxClock } from './clock.js';

/**
 * The simulated ZPA tenant: its IdPs (the controller fields the admin API shows,
 * docs/vendor-facts.md Y5), and per IdP the SCIM users and groups the IdP provisioned, the SCIM
 * attribute headers and their values (Y9–Y11). The portal-only actions (SCIM Sync, Generate New
 * Token, SCIM Attributes for Policy, Y4) change it; the admin API and the SCIM service read it.
 * Times come from the sandbox clock, which tests advance (the 48-hour soak, Y14).
 */

export const SCHEMA_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCHEMA_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const SCHEMA_ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

type Obj = Record<string, unknown>;

export interface ZpaIdpRecord {
  id: string;
  name: string;
  enabled: boolean;
  ssoType: string[];
  domainList: string[];
  scimEnabled: boolean;
  enableScimBasedPolicy: boolean;
  disableSamlBasedPolicy: boolean;
  reauthOnUserUpdate: boolean;
  /** The current SCIM token; never shown again after Generate New Token returned it. */
  token?: string;
  creationTime: number;
  modifiedTime: number;
  /** When SCIM Sync was last turned on (sandbox clock, ms), for the soak gate. */
  scimSyncEnabledAt?: number;
}

/** A SCIM user as the IdP sent it (the document), plus the server's fields. */
export interface ZpaScimUserRecord {
  id: string;
  doc: Obj;
  created: number;
  lastModified: number;
}

export interface ZpaScimGroupRecord {
  id: string;
  displayName: string;
  externalId?: string;
  internalId: string;
  members: Set<string>;
  created: number;
  lastModified: number;
}

export interface ZpaScimStore {
  users: Map<string, ZpaScimUserRecord>;
  groups: Map<string, ZpaScimGroupRecord>;
}

/** The attribute headers a real IdP showed (Y10): core and enterprise, no custom ones. */
export const ZPA_SCIM_ATTRIBUTES: ReadonlyArray<{
  name: string;
  schemaURI: string;
  dataType: string;
  multivalued: boolean;
  required?: boolean;
  caseSensitive?: boolean;
  uniqueness?: boolean;
}> = [
  { name: 'active', schemaURI: SCHEMA_USER, dataType: 'Boolean', multivalued: false },
  { name: 'displayName', schemaURI: SCHEMA_USER, dataType: 'String', multivalued: false },
  { name: 'emails.value', schemaURI: SCHEMA_USER, dataType: 'String', multivalued: true },
  { name: 'name.familyName', schemaURI: SCHEMA_USER, dataType: 'String', multivalued: false },
  { name: 'name.formatted', schemaURI: SCHEMA_USER, dataType: 'String', multivalued: false },
  { name: 'name.givenName', schemaURI: SCHEMA_USER, dataType: 'String', multivalued: false },
  { name: 'nickName', schemaURI: SCHEMA_USER, dataType: 'String', multivalued: false },
  { name: 'title', schemaURI: SCHEMA_USER, dataType: 'String', multivalued: false },
  { name: 'userName', schemaURI: SCHEMA_USER, dataType: 'String', multivalued: false, required: true, uniqueness: true },
  { name: 'userType', schemaURI: SCHEMA_USER, dataType: 'String', multivalued: false },
  { name: 'costCenter', schemaURI: SCHEMA_ENTERPRISE, dataType: 'String', multivalued: false },
  { name: 'department', schemaURI: SCHEMA_ENTERPRISE, dataType: 'String', multivalued: false },
  { name: 'division', schemaURI: SCHEMA_ENTERPRISE, dataType: 'String', multivalued: false },
  { name: 'organization', schemaURI: SCHEMA_ENTERPRISE, dataType: 'String', multivalued: false },
];

export class ZpaTenantError extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
    readonly params?: string[],
  ) {
    super(message);
    this.name = 'ZpaTenantError';
  }
}

/** 18-digit ids like the real ones (Y5): beyond 2^53, so only strings keep them exact. */
function bigId(prefix: string, n: number): string {
  return `${prefix}${String(n).padStart(18 - prefix.length, '0')}`;
}

export class ZpaTenant {
  readonly customerId: string;
  readonly idps = new Map<string, ZpaIdpRecord>();
  private readonly stores = new Map<string, ZpaScimStore>();
  private readonly attributeIds = new Map<string, string>();
  private nextUser = 1;
  private nextGroup = 1;

  constructor(
    readonly clock: SandboxClock,
    opts: { customerId: string; idps: Array<{ id: string; name: string; domains?: string[]; ssoType?: string[] }> },
  ) {
    this.customerId = opts.customerId;
    const t = clock.now();
    for (const i of opts.idps) {
      this.idps.set(i.id, {
        id: i.id,
        name: i.name,
        enabled: true,
        ssoType: i.ssoType ?? ['USER'],
        domainList: i.domains ?? [],
        scimEnabled: false,
        enableScimBasedPolicy: false,
        disableSamlBasedPolicy: false,
        reauthOnUserUpdate: false,
        creationTime: t,
        modifiedTime: t,
      });
      this.stores.set(i.id, { users: new Map(), groups: new Map() });
      ZPA_SCIM_ATTRIBUTES.forEach((a, n) => this.attributeIds.set(`${i.id}|${a.name}`, String(n + 1 + 1000 * this.stores.size)));
    }
  }

  idp(id: string): ZpaIdpRecord {
    const i = this.idps.get(id);
    if (!i) throw new ZpaTenantError(404, 'resource.not.found', `no IdP with id ${id}`);
    return i;
  }

  /** An IdP id in a path that names no IdP of this tenant: 400, as ZPA answers (Y12). */
  idpForQuery(id: string): ZpaIdpRecord {
    const i = this.idps.get(id);
    if (!i) throw new ZpaTenantError(400, 'invalid.resource.argument', 'One or more input fields idpId are not valid.', ['idpId']);
    return i;
  }

  store(idpId: string): ZpaScimStore {
    this.idp(idpId);
    return this.stores.get(idpId) as ZpaScimStore;
  }

  private touch(i: ZpaIdpRecord): void {
    // modifiedTime has second resolution (epoch seconds); make each edit visible as a move.
    const t = this.clock.now();
    i.modifiedTime = Math.max(t, i.modifiedTime + 1000);
  }

  // ---- portal-only actions (Y4)

  setScimSync(idpId: string, enabled: boolean): ZpaIdpRecord {
    const i = this.idp(idpId);
    if (i.scimEnabled === enabled) return i;
    if (!enabled && i.enableScimBasedPolicy) {
      throw new ZpaTenantError(
        400,
        'scim.policy.enabled',
        'Turn off SCIM Attributes for Policy before turning off SCIM Sync (policies may use SCIM criteria).',
      );
    }
    i.scimEnabled = enabled;
    if (enabled) i.scimSyncEnabledAt = this.clock.now();
    this.touch(i);
    return i;
  }

  /** Generate New Token: a new token replaces the old one; the console shows it this once. */
  generateToken(idpId: string): string {
    const i = this.idp(idpId);
    if (!i.scimEnabled) throw new ZpaTenantError(400, 'scim.not.enabled', 'Enable SCIM Sync on this IdP before generating a token.');
    i.token = randomBytes(36).toString('base64url');
    this.touch(i);
    return i.token;
  }

  setScimPolicy(idpId: string, enabled: boolean): ZpaIdpRecord {
    const i = this.idp(idpId);
    if (enabled && !i.scimEnabled) throw new ZpaTenantError(400, 'scim.not.enabled', 'SCIM Attributes for Policy needs SCIM Sync on this IdP.');
    if (i.enableScimBasedPolicy !== enabled) {
      i.enableScimBasedPolicy = enabled;
      this.touch(i);
    }
    return i;
  }

  // ---- SCIM store

  findUserByUserName(idpId: string, userName: string): ZpaScimUserRecord | undefined {
    const want = userName.toLowerCase();
    for (const u of this.store(idpId).users.values()) if (String(u.doc.userName).toLowerCase() === want) return u;
    return undefined;
  }

  createUser(idpId: string, doc: Obj): ZpaScimUserRecord {
    const userName = doc.userName;
    if (typeof userName !== 'string' || userName === '') throw new ZpaTenantError(400, 'invalidValue', 'userName is required');
    if (this.findUserByUserName(idpId, userName)) throw new ZpaTenantError(409, 'uniqueness', `a user with userName ${userName} exists`);
    const t = this.clock.now();
    const id = bigId('7', this.nextUser++);
    const rec: ZpaScimUserRecord = { id, doc: cleanUser(doc), created: t, lastModified: t };
    this.store(idpId).users.set(id, rec);
    return rec;
  }

  replaceUser(idpId: string, id: string, doc: Obj): ZpaScimUserRecord {
    const rec = this.user(idpId, id);
    const userName = doc.userName;
    if (typeof userName !== 'string' || userName === '') throw new ZpaTenantError(400, 'invalidValue', 'userName is required');
    const other = this.findUserByUserName(idpId, userName);
    if (other && other.id !== id) throw new ZpaTenantError(409, 'uniqueness', `a user with userName ${userName} exists`);
    rec.doc = cleanUser(doc);
    rec.lastModified = this.clock.now();
    return rec;
  }

  user(idpId: string, id: string): ZpaScimUserRecord {
    const u = this.store(idpId).users.get(id);
    if (!u) throw new ZpaTenantError(404, 'noTarget', `no user with id ${id}`);
    return u;
  }

  deleteUser(idpId: string, id: string): void {
    this.user(idpId, id);
    const s = this.store(idpId);
    s.users.delete(id);
    for (const g of s.groups.values()) g.members.delete(id);
  }

  group(idpId: string, id: string): ZpaScimGroupRecord {
    const g = this.store(idpId).groups.get(id);
    if (!g) throw new ZpaTenantError(404, 'noTarget', `no group with id ${id}`);
    return g;
  }

  createGroup(idpId: string, displayName: string, externalId: string | undefined, members: string[]): ZpaScimGroupRecord {
    const s = this.store(idpId);
    const want = displayName.toLowerCase();
    for (const g of s.groups.values())
      if (g.displayName.toLowerCase() === want) throw new ZpaTenantError(409, 'uniqueness', `a group named ${displayName} exists`);
    this.checkMembers(idpId, members);
    const t = this.clock.now();
    // Group ids are numbers in the admin API (Y9); the SCIM id is the same digits.
    const id = String(3_251_000 + this.nextGroup++);
    const rec: ZpaScimGroupRecord = { id, displayName, internalId: randomUUID(), members: new Set(members), created: t, lastModified: t };
    if (externalId !== undefined) rec.externalId = externalId;
    s.groups.set(id, rec);
    return rec;
  }

  updateGroup(idpId: string, id: string, fields: { displayName: string; externalId?: string; members: string[] }): ZpaScimGroupRecord {
    const g = this.group(idpId, id);
    this.checkMembers(idpId, fields.members);
    g.displayName = fields.displayName;
    if (fields.externalId !== undefined) g.externalId = fields.externalId;
    g.members = new Set(fields.members);
    g.lastModified = this.clock.now();
    return g;
  }

  deleteGroup(idpId: string, id: string): void {
    this.group(idpId, id);
    this.store(idpId).groups.delete(id);
  }

  private checkMembers(idpId: string, members: string[]): void {
    const users = this.store(idpId).users;
    for (const m of members) if (!users.has(m)) throw new ZpaTenantError(400, 'invalidValue', `member value "${m}" is not a user id of this service`);
  }

  // ---- SCIM attributes (Y10, Y11)

  attributeId(idpId: string, name: string): string {
    return this.attributeIds.get(`${idpId}|${name}`) as string;
  }

  attributes(idpId: string): Array<Obj & { id: string; name: string }> {
    const i = this.idp(idpId);
    return ZPA_SCIM_ATTRIBUTES.map((a) => ({
      id: this.attributeId(idpId, a.name),
      name: a.name,
      idpId: i.id,
      dataType: a.dataType,
      schemaURI: a.schemaURI,
      multivalued: a.multivalued,
      required: a.required ?? false,
      caseSensitive: a.caseSensitive ?? false,
      uniqueness: a.uniqueness ?? false,
      mutability: 'readWrite',
      returned: 'default',
      creationTime: String(Math.floor(i.creationTime / 1000)),
      modifiedBy: '72058304855015574',
    }));
  }

  /** The distinct values of one attribute over the IdP's SCIM users, sorted. */
  attributeValues(idpId: string, attributeId: string): string[] {
    const a = this.attributes(idpId).find((x) => x.id === attributeId);
    if (!a) throw new ZpaTenantError(400, 'invalid.resource.argument', 'One or more input fields attributeId are not valid.', ['attributeId']);
    const spec = ZPA_SCIM_ATTRIBUTES.find((x) => x.name === a.name) as (typeof ZPA_SCIM_ATTRIBUTES)[number];
    const values = new Set<string>();
    for (const u of this.store(idpId).users.values()) {
      for (const v of valuesOf(u.doc, spec.name, spec.schemaURI === SCHEMA_ENTERPRISE)) values.add(v);
    }
    return [...values].sort();
  }
}

/** The server keeps what the IdP sent, minus what the server owns. */
function cleanUser(doc: Obj): Obj {
  const { id: _id, meta: _meta, schemas: _schemas, groups: _groups, ...rest } = doc;
  if (typeof rest.active === 'string') rest.active = rest.active.toLowerCase() === 'true';
  if (rest.active === undefined) rest.active = true;
  return rest;
}

function valuesOf(doc: Obj, name: string, enterprise: boolean): string[] {
  const scalar = (v: unknown): string[] => (v === undefined || v === null || v === '' ? [] : [String(v)]);
  if (enterprise) {
    const ext = doc[SCHEMA_ENTERPRISE] as Obj | undefined;
    return scalar(ext?.[name] ?? doc[name]);
  }
  const [head, sub] = name.split('.') as [string, string | undefined];
  const v = doc[head];
  if (sub === undefined) return scalar(v);
  if (Array.isArray(v)) return v.flatMap((x) => scalar((x as Obj | undefined)?.[sub]));
  return scalar((v as Obj | undefined)?.[sub]);
}
