import { randomBytes } from 'node:crypto';
import { isDisabled, type SandboxDirectory } from './directory.js';
import { safeEqual } from '../http/compare.js';
import { ScimIds } from './scim-ids.js';

/**
 * The simulated ZIA tenant: one store behind the admin API, the SCIM service and the portal.
 *
 * Facts it follows (rows of docs/vendor-facts.md):
 * - F9–F11 authSettings: full object, enum fields are opaque strings, lastSync* in epoch seconds;
 *   `directorySyncMigrateToScimEnabled` disables directory sync so SCIM can be enabled.
 * - F5 writes stay pending until POST /status/activate (or a session end) publishes them.
 * - F14 LDAP sync: adds what the directory has, deactivates (never deletes) users it no longer has;
 *   AD nested groups are not supported (only direct memberships are copied).
 * - F16: changing the repository type to Hosted DB deletes user and group mappings, after
 *   which SCIM creates duplicates instead of matching the synced users.
 *
 * Memory: users live in a Map by id plus small string→id indexes; no per-user closures.
 */

export type RepositoryType = 'ACTIVE_DIRECTORY' | 'HOSTED_DB';

/**
 * orgAuthType for an AD-with-LDAP tenant. UNCONFIRMED (docs/vendor-facts.md F10): the published doc
 * and the observed values disagree; "MICROSOFT_ACTIVE_DIR" comes from Zscaler's Ansible module.
 * Clients must treat the value as opaque.
 */
export const ORG_AUTH_TYPE_AD = 'MICROSOFT_ACTIVE_DIR';
/** Observed on a real hosted-DB tenant (docs/vendor-facts.md Z8, PY cassette). */
export const ORG_AUTH_TYPE_HOSTED_DB = 'SAFECHANNEL_DIR';

export interface AuthSettings {
  orgAuthType: string;
  oneTimeAuth: string;
  samlEnabled: boolean;
  kerberosEnabled: boolean;
  kerberosPwd: string;
  authFrequency: string;
  /**
   * Days, with authFrequency CUSTOM_COOKIE only. A recorded real GET (hosted DB, PERMANENT_COOKIE)
   * has no such field (docs/vendor-facts.md), so the sandbox serves it only once it was set.
   */
  authCustomFrequency?: number;
  passwordStrength: string;
  passwordExpiry: string;
  /** Epoch seconds of the last LDAP sync: directory (AD) tenants only; a hosted-DB GET has none. */
  lastSyncStartTime?: number;
  lastSyncEndTime?: number;
  mobileAdminSamlIdpEnabled: boolean;
  autoProvision: boolean;
  directorySyncMigrateToScimEnabled: boolean;
}

export interface ZiaIdp {
  id: number;
  name: string;
  scimEnabled: boolean;
  samlAutoProvisioning: boolean;
  /** Present only while SCIM is enabled. */
  bearerToken?: string;
}

export interface ScimLink {
  idpId: number;
  externalId?: string;
  /** true when SCIM created the object, false when SCIM adopted a directory-synced one. */
  created: boolean;
}

export interface ZiaUserRecord {
  id: number;
  /** Login name (SCIM userName, ZIA `email` in the admin API). */
  userName: string;
  displayName: string;
  givenName?: string;
  familyName?: string;
  /** The directory's mail attribute / SCIM work email, when known. */
  mail?: string;
  departmentId?: number;
  groupIds: number[];
  active: boolean;
  source: 'directory' | 'scim';
  /** Hex objectGUID of the directory user this ZIA user is mapped to (deleted by the Hosted DB damage). */
  directoryGuid?: string;
  scim?: ScimLink;
  created: number;
  lastModified: number;
}

export interface ZiaGroupRecord {
  id: number;
  name: string;
  comments: string;
  memberIds: Set<number>;
  source: 'directory' | 'scim';
  directoryGuid?: string;
  scim?: ScimLink;
  created: number;
  lastModified: number;
}

export interface ZiaDepartmentRecord {
  id: number;
  name: string;
  idpId: number;
  comments: string;
  deleted: boolean;
}

export class TenantError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'TenantError';
  }
}

export interface TenantOptions {
  orgId: string;
  idps: { id: number; name: string }[];
  now?: () => number;
  /**
   * The domains registered with the tenant (GET /orgInformation/lite `domains`). SCIM refuses a userName in
   * any other domain (docs/vendor-facts.md, "Unregistered domains and the 128-group limit, simulated");
   * empty or absent: no domain is known and none is refused.
   */
  domains?: string[];
  /** The orgAuthType this AD tenant reports (unconfirmed; variant `ad-org-auth-type`, default ORG_AUTH_TYPE_AD). */
  adOrgAuthType?: string;
  /**
   * Edit IdP saves stay pending until activation (variant `idp-edit-pending=yes`): the console shows
   * the edit at once, the SCIM service honours it only once activated. Default false: applied at once.
   */
  idpEditPending?: boolean;
  /**
   * Enable SCIM Provisioning is offered only once the migration flag is ACTIVE (default true); false:
   * a saved, not yet activated flag is enough (variant `activation-before-idp-edit=not-required`).
   */
  scimNeedsActiveFlag?: boolean;
  /**
   * A SCIM group POST (or department value) named like a directory-synced group (department):
   * 'by-name' takes it over (same id, the default), 'new-group' creates a second one beside it
   * (variant `zia-scim-group-adoption`; Zscaler documents neither, docs/vendor-facts.md, issue 17, part 1b).
   */
  scimGroupAdoption?: 'by-name' | 'new-group';
}

export interface UserFields {
  userName: string;
  displayName?: string;
  givenName?: string;
  familyName?: string;
  mail?: string;
  department?: string;
  active?: boolean;
  externalId?: string;
}

export interface GroupFields {
  displayName: string;
  externalId?: string;
  /** User ids (numbers); unknown ids are rejected. */
  members?: number[];
}

export function newBearerToken(): string {
  // 64+ alphanumeric characters, like the portal's "unique alphanumeric string" (docs/vendor-facts.md F15).
  let s = '';
  while (s.length < 64)
    s += randomBytes(48)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, '');
  return s.slice(0, 64);
}

export class ZiaTenant {
  readonly orgId: string;
  /** The registered domains, as the tenant was given them (lower case). */
  readonly domains: readonly string[];
  private active: AuthSettings;
  private pending: AuthSettings | undefined;
  readonly idps = new Map<number, ZiaIdp>();
  readonly users = new Map<number, ZiaUserRecord>();
  readonly groups = new Map<number, ZiaGroupRecord>();
  readonly departments = new Map<string, ZiaDepartmentRecord>();
  readonly departmentsById = new Map<number, ZiaDepartmentRecord>();
  /** Directory mappings (objectGUID hex → id) and the lower-cased login names of mapped users. */
  private readonly userByGuid = new Map<string, number>();
  private readonly mappedUserByName = new Map<string, number>();
  private readonly groupByGuid = new Map<string, number>();
  /** SCIM-managed objects, per IdP: lower-cased userName / displayName → id. */
  private readonly scimUserByName = new Map<string, number>();
  private readonly scimGroupByName = new Map<string, number>();
  private nextUserId = 71_000_001;
  private nextGroupId = 81_000_001;
  private nextDeptId = 91_000_001;
  private userOrder: number[] | undefined;
  private groupOrder: number[] | undefined;
  private readonly scimUserOrder = new Map<number, number[]>();
  private readonly scimGroupOrder = new Map<number, number[]>();
  private readonly now: () => number;
  /** Opaque SCIM ids (world/scim-ids.ts): the SCIM service never shows the numeric admin-API id. */
  private readonly scimIds = new ScimIds();
  /** The orgAuthType an AD repository reports here (variant `ad-org-auth-type`). */
  readonly adOrgAuthType: string;
  private readonly idpEditPending: boolean;
  private readonly scimNeedsActiveFlag: boolean;
  private readonly scimGroupAdoption: 'by-name' | 'new-group';
  /** With scimGroupAdoption 'new-group': the departments SCIM made beside directory ones, `${idpId}|name` → record. */
  private readonly scimDepartments = new Map<string, ZiaDepartmentRecord>();
  /** Edit IdP saves awaiting activation (only with idpEditPending): id → the IdP as saved. */
  private readonly pendingIdps = new Map<number, ZiaIdp>();

  constructor(opts: TenantOptions) {
    this.orgId = opts.orgId;
    this.domains = (opts.domains ?? []).map((d) => d.toLowerCase());
    this.now = opts.now ?? Date.now;
    this.adOrgAuthType = opts.adOrgAuthType ?? ORG_AUTH_TYPE_AD;
    this.idpEditPending = opts.idpEditPending ?? false;
    this.scimNeedsActiveFlag = opts.scimNeedsActiveFlag ?? true;
    this.scimGroupAdoption = opts.scimGroupAdoption ?? 'by-name';
    for (const i of opts.idps) this.idps.set(i.id, { id: i.id, name: i.name, scimEnabled: false, samlAutoProvisioning: true });
    this.active = {
      orgAuthType: this.adOrgAuthType,
      oneTimeAuth: 'OTP_DISABLED',
      samlEnabled: true,
      kerberosEnabled: false,
      kerberosPwd: randomBytes(12).toString('base64url'),
      authFrequency: 'PERMANENT_COOKIE',
      passwordStrength: 'STRONG',
      passwordExpiry: 'NEVER',
      lastSyncStartTime: 0,
      lastSyncEndTime: 0,
      mobileAdminSamlIdpEnabled: false,
      autoProvision: false,
      directorySyncMigrateToScimEnabled: false,
    };
  }

  // ---------------------------------------------------------------- settings and activation

  /** What GET /authSettings shows: the admin's own pending edits, else the active config. */
  getAuthSettings(): AuthSettings {
    return { ...(this.pending ?? this.active) };
  }

  getActiveAuthSettings(): AuthSettings {
    return { ...this.active };
  }

  get repositoryType(): RepositoryType {
    return this.active.orgAuthType === ORG_AUTH_TYPE_HOSTED_DB ? 'HOSTED_DB' : 'ACTIVE_DIRECTORY';
  }

  get status(): 'ACTIVE' | 'PENDING' {
    return this.pending || this.pendingIdps.size > 0 ? 'PENDING' : 'ACTIVE';
  }

  /** PUT /authSettings: replaces the editable fields; read-only ones keep their server values. */
  putAuthSettings(next: Omit<AuthSettings, 'kerberosPwd' | 'lastSyncStartTime' | 'lastSyncEndTime'>): AuthSettings {
    const base = this.pending ?? this.active;
    const turningSyncBackOn = base.directorySyncMigrateToScimEnabled && !next.directorySyncMigrateToScimEnabled;
    // The admin's own view: an IdP whose SCIM is switched off in a pending Edit IdP save counts as off.
    const scimIdp = [...this.idps.keys()].map((id) => this.idpView(id)).find((i) => i.scimEnabled);
    if (turningSyncBackOn && scimIdp) {
      // Per docs/vendor-facts.md F12: AD repositories "are only available when SCIM provisioning is disabled".
      // The exact API error is UNCONFIRMED; the sandbox refuses the wrong rollback order.
      throw new TenantError(
        400,
        'INVALID_INPUT_ARGUMENT',
        `SCIM provisioning is still enabled on identity provider "${scimIdp.name}"; disable it before disabling directorySyncMigrateToScimEnabled`,
      );
    }
    const merged: AuthSettings = {
      ...next,
      kerberosPwd: base.kerberosPwd,
    };
    if (base.lastSyncStartTime !== undefined) merged.lastSyncStartTime = base.lastSyncStartTime;
    if (base.lastSyncEndTime !== undefined) merged.lastSyncEndTime = base.lastSyncEndTime;
    this.pending = merged;
    return { ...merged };
  }

  /** POST /status/activate: publishes pending changes (tenant-wide, docs/vendor-facts.md F5). */
  activate(): 'ACTIVE' {
    for (const [id, idp] of this.pendingIdps) this.idps.set(id, idp);
    this.pendingIdps.clear();
    const next = this.pending;
    if (!next) return 'ACTIVE';
    const before = this.active.orgAuthType;
    this.pending = undefined;
    this.active = next;
    if (before !== next.orgAuthType) this.onOrgAuthTypeChanged(before, next.orgAuthType);
    return 'ACTIVE';
  }

  private onOrgAuthTypeChanged(before: string, after: string): void {
    // F11: lastSync* "reset when the organization's authentication type is changed".
    if (after === ORG_AUTH_TYPE_HOSTED_DB) {
      delete this.active.lastSyncStartTime;
      delete this.active.lastSyncEndTime;
      if (before !== ORG_AUTH_TYPE_HOSTED_DB) this.applyHostedDbDamage();
    } else {
      this.active.lastSyncStartTime = 0;
      this.active.lastSyncEndTime = 0;
    }
  }

  /** Portal "User Repository Type" change; takes effect at once (it is what the operator saved and activated). */
  setRepositoryType(type: RepositoryType): void {
    const target = type === 'HOSTED_DB' ? ORG_AUTH_TYPE_HOSTED_DB : this.adOrgAuthType;
    if (this.pending) this.pending.orgAuthType = target;
    const before = this.active.orgAuthType;
    this.active.orgAuthType = target;
    if (before !== target) this.onOrgAuthTypeChanged(before, target);
  }

  /**
   * The migration guide (docs/vendor-facts.md F16): "all existing user and group mappings to be deleted and creates duplicate users with
   * SCIM provisioning". The sandbox drops every directory link (so SCIM can no longer adopt) and the
   * user↔group memberships that came from the directory.
   */
  private applyHostedDbDamage(): void {
    for (const u of this.users.values()) {
      if (u.directoryGuid === undefined) continue;
      delete u.directoryGuid;
      for (const gid of u.groupIds) this.groups.get(gid)?.memberIds.delete(u.id);
      u.groupIds = [];
      u.lastModified = this.now();
    }
    for (const g of this.groups.values()) delete g.directoryGuid;
    this.userByGuid.clear();
    this.mappedUserByName.clear();
    this.groupByGuid.clear();
    this.scimUserOrder.clear();
  }

  // ---------------------------------------------------------------- directory sync

  get directorySyncEnabled(): boolean {
    return this.repositoryType === 'ACTIVE_DIRECTORY' && !this.active.directorySyncMigrateToScimEnabled;
  }

  /** Portal "Sync Now". Refused while directory sync is disabled (docs/vendor-facts.md F12, F16). */
  syncNow(directory: SandboxDirectory): { lastSyncStartTime: number; lastSyncEndTime: number } {
    if (!this.directorySyncEnabled) {
      throw new TenantError(
        409,
        'DIRECTORY_SYNC_DISABLED',
        this.repositoryType !== 'ACTIVE_DIRECTORY'
          ? 'directory sync is not available: the user repository type is not Active Directory'
          : 'directory sync is disabled: directorySyncMigrateToScimEnabled is on in the active configuration',
      );
    }
    const start = Math.floor(this.now() / 1000);
    const t = this.now();
    const groupIdByDn = new Map<string, number>();
    for (const g of directory.groups) {
      const guid = g.objectGUID.toString('hex');
      let id = this.groupByGuid.get(guid);
      let rec = id === undefined ? undefined : this.groups.get(id);
      if (!rec) {
        id = this.nextGroupId++;
        rec = { id, name: g.cn, comments: '', memberIds: new Set(), source: 'directory', directoryGuid: guid, created: t, lastModified: t };
        this.groups.set(id, rec);
        this.groupByGuid.set(guid, id);
        this.groupOrder = undefined;
      } else if (rec.name !== g.cn) {
        rec.name = g.cn;
        rec.lastModified = t;
      }
      groupIdByDn.set(g.dn, rec.id);
    }
    const seen = new Set<number>();
    for (const du of directory.users) {
      const guid = du.objectGUID.toString('hex');
      let id = this.userByGuid.get(guid);
      let rec = id === undefined ? undefined : this.users.get(id);
      const deptId = du.department === undefined ? undefined : this.department(du.department).id;
      // F14: nested groups are not supported; only direct memberships are copied.
      const groupIds: number[] = [];
      for (const dn of du.memberOf) {
        const gid = groupIdByDn.get(dn);
        if (gid !== undefined) groupIds.push(gid);
      }
      const active = !isDisabled(du);
      if (!rec) {
        id = this.nextUserId++;
        rec = {
          id,
          userName: du.userPrincipalName,
          displayName: du.displayName,
          givenName: du.givenName,
          familyName: du.sn,
          groupIds: [],
          active,
          source: 'directory',
          directoryGuid: guid,
          created: t,
          lastModified: t,
        };
        if (du.mail !== undefined) rec.mail = du.mail;
        if (deptId !== undefined) rec.departmentId = deptId;
        this.users.set(id, rec);
        this.userByGuid.set(guid, id);
        this.userOrder = undefined;
        this.scimUserOrder.clear(); // a new synced user is visible to SCIM
      } else {
        const lowerOld = rec.userName.toLowerCase();
        if (lowerOld !== du.userPrincipalName.toLowerCase() && this.mappedUserByName.get(lowerOld) === rec.id) {
          this.mappedUserByName.delete(lowerOld);
        }
        rec.userName = du.userPrincipalName;
        rec.displayName = du.displayName;
        rec.givenName = du.givenName;
        rec.familyName = du.sn;
        if (du.mail !== undefined) rec.mail = du.mail;
        else delete rec.mail;
        if (deptId !== undefined) rec.departmentId = deptId;
        else delete rec.departmentId;
        rec.active = active;
        rec.lastModified = t;
      }
      this.mappedUserByName.set(rec.userName.toLowerCase(), rec.id);
      this.setUserGroups(rec, groupIds);
      seen.add(rec.id);
    }
    // F14: users missing from the directory are deactivated, not deleted.
    for (const uid of this.userByGuid.values()) {
      if (seen.has(uid)) continue;
      const rec = this.users.get(uid);
      if (rec && rec.active) {
        rec.active = false;
        rec.lastModified = t;
      }
    }
    const end = Math.max(start, Math.floor(this.now() / 1000));
    this.active.lastSyncStartTime = start;
    this.active.lastSyncEndTime = end;
    if (this.pending) {
      this.pending.lastSyncStartTime = start;
      this.pending.lastSyncEndTime = end;
    }
    return { lastSyncStartTime: start, lastSyncEndTime: end };
  }

  private setUserGroups(rec: ZiaUserRecord, groupIds: number[]): void {
    const next = new Set(groupIds);
    for (const gid of rec.groupIds) if (!next.has(gid)) this.groups.get(gid)?.memberIds.delete(rec.id);
    for (const gid of next) this.groups.get(gid)?.memberIds.add(rec.id);
    rec.groupIds = [...next];
  }

  department(name: string): ZiaDepartmentRecord {
    const key = name.toLowerCase();
    let d = this.departments.get(key);
    if (!d) {
      d = { id: this.nextDeptId++, name, idpId: 0, comments: '', deleted: false };
      this.departments.set(key, d);
      this.departmentsById.set(d.id, d);
    }
    return d;
  }

  /**
   * The department a SCIM department value lands in: the one of that name (by-name), or, with
   * 'new-group', a department of this IdP created beside the directory-synced one of that name.
   */
  private scimDepartment(idpId: number, name: string): ZiaDepartmentRecord {
    const existing = this.departments.get(name.toLowerCase());
    if (this.scimGroupAdoption === 'by-name' || !existing || existing.idpId === idpId) return this.department(name);
    const key = `${idpId}|${name.toLowerCase()}`;
    let d = this.scimDepartments.get(key);
    if (!d) {
      d = { id: this.nextDeptId++, name, idpId, comments: '', deleted: false };
      this.scimDepartments.set(key, d);
      this.departmentsById.set(d.id, d);
    }
    return d;
  }

  // ---------------------------------------------------------------- IdPs (portal)

  idp(id: number): ZiaIdp {
    const idp = this.idps.get(id);
    if (!idp) throw new TenantError(404, 'RESOURCE_NOT_FOUND', `no identity provider with id ${id}`);
    return idp;
  }

  /** What Edit IdP shows the admin: a pending save, else the active IdP. */
  idpView(id: number): ZiaIdp {
    return this.pendingIdps.get(id) ?? this.idp(id);
  }

  /** An Edit IdP save: applied at once, or kept pending until activation (idpEditPending). */
  private editIdp(id: number, edit: (idp: ZiaIdp) => void): ZiaIdp {
    if (!this.idpEditPending) {
      const idp = this.idp(id);
      edit(idp);
      return idp;
    }
    const copy = { ...this.idpView(id) };
    edit(copy);
    this.pendingIdps.set(id, copy);
    return copy;
  }

  /** Edit IdP → Enable SCIM Provisioning. Refused on an AD repository until migration is enabled (docs/vendor-facts.md F15). */
  setScimEnabled(id: number, enabled: boolean): ZiaIdp {
    this.idp(id);
    if (enabled) {
      const flagOn = (this.scimNeedsActiveFlag ? this.active : (this.pending ?? this.active)).directorySyncMigrateToScimEnabled;
      if (this.repositoryType === 'ACTIVE_DIRECTORY' && !flagOn) {
        throw new TenantError(
          409,
          'SCIM_NOT_SUPPORTED_WITH_DIRECTORY_SYNC',
          this.scimNeedsActiveFlag
            ? "SCIM provisioning isn't supported with Active Directory user repositories: enable directorySyncMigrateToScimEnabled (Disable Directory Sync & Enable SCIM Provisioning) and activate first"
            : "SCIM provisioning isn't supported with Active Directory user repositories: enable directorySyncMigrateToScimEnabled (Disable Directory Sync & Enable SCIM Provisioning) first",
        );
      }
    }
    return this.editIdp(id, (idp) => {
      if (enabled) {
        idp.scimEnabled = true;
        if (!idp.bearerToken) idp.bearerToken = newBearerToken();
      } else {
        idp.scimEnabled = false;
        delete idp.bearerToken;
      }
    });
  }

  generateToken(id: number): string {
    const idp = this.idpView(id);
    if (!idp.scimEnabled) throw new TenantError(409, 'SCIM_NOT_ENABLED', `SCIM provisioning is not enabled on identity provider "${idp.name}"`);
    return this.editIdp(id, (i) => {
      i.bearerToken = newBearerToken();
    }).bearerToken as string;
  }

  setSamlAutoProvisioning(id: number, enabled: boolean): void {
    this.editIdp(id, (idp) => {
      idp.samlAutoProvisioning = enabled;
    });
  }

  /** The IdP a SCIM bearer token belongs to, only while SCIM is enabled on it. */
  idpForToken(idpId: number, token: string): ZiaIdp | undefined {
    const idp = this.idps.get(idpId);
    if (!idp || !idp.scimEnabled || !idp.bearerToken) return undefined;
    return safeEqual(idp.bearerToken, token) ? idp : undefined;
  }

  // ---------------------------------------------------------------- admin lists

  userIdsInOrder(): number[] {
    if (!this.userOrder) this.userOrder = [...this.users.keys()].sort((a, b) => a - b);
    return this.userOrder;
  }

  groupIdsInOrder(): number[] {
    if (!this.groupOrder) this.groupOrder = [...this.groups.keys()].sort((a, b) => a - b);
    return this.groupOrder;
  }

  // ---------------------------------------------------------------- SCIM ids

  scimUserId(id: number): string {
    return this.scimIds.encode('user', id);
  }

  scimGroupId(id: number): string {
    return this.scimIds.encode('group', id);
  }

  /** The user behind a SCIM id, or undefined when this tenant never issued it. */
  userIdForScim(scimId: string): number | undefined {
    return this.scimIds.decode('user', scimId);
  }

  groupIdForScim(scimId: string): number | undefined {
    return this.scimIds.decode('group', scimId);
  }

  // ---------------------------------------------------------------- SCIM users

  scimUserIds(idpId: number): number[] {
    let order = this.scimUserOrder.get(idpId);
    if (!order) {
      order = [];
      for (const u of this.users.values()) if (this.scimSees(idpId, u)) order.push(u.id);
      order.sort((a, b) => a - b);
      this.scimUserOrder.set(idpId, order);
    }
    return order;
  }

  scimGroupIds(idpId: number): number[] {
    let order = this.scimGroupOrder.get(idpId);
    if (!order) {
      order = [];
      for (const g of this.groups.values()) if (g.scim?.idpId === idpId) order.push(g.id);
      order.sort((a, b) => a - b);
      this.scimGroupOrder.set(idpId, order);
    }
    return order;
  }

  /**
   * What a SCIM client of this IdP sees: the users it manages, and the tenant's directory-synced
   * users no SCIM client has taken over yet (Zscaler's SCIM list returns tenant users it did not
   * create; docs/vendor-facts.md). After the Hosted DB damage the synced users have lost their
   * mapping and are no longer offered.
   */
  private scimSees(idpId: number, u: ZiaUserRecord): boolean {
    return u.scim ? u.scim.idpId === idpId : u.directoryGuid !== undefined;
  }

  scimUser(idpId: number, id: number): ZiaUserRecord | undefined {
    const u = this.users.get(id);
    return u && this.scimSees(idpId, u) ? u : undefined;
  }

  scimGroup(idpId: number, id: number): ZiaGroupRecord | undefined {
    const g = this.groups.get(id);
    return g && g.scim?.idpId === idpId ? g : undefined;
  }

  scimUserByUserName(idpId: number, userName: string): ZiaUserRecord | undefined {
    const id = this.scimUserByName.get(`${idpId}|${userName.toLowerCase()}`) ?? this.mappedUserByName.get(userName.toLowerCase());
    const u = id === undefined ? undefined : this.users.get(id);
    return u && this.scimSees(idpId, u) ? u : undefined;
  }

  /** The first SCIM write to a directory-synced user takes it over for this IdP (same id, no duplicate). */
  private takeOver(idpId: number, rec: ZiaUserRecord): void {
    if (rec.scim) return;
    rec.scim = { idpId, created: false };
    this.scimUserByName.set(`${idpId}|${rec.userName.toLowerCase()}`, rec.id);
    this.scimUserOrder.clear(); // no longer offered to the other IdPs
  }

  scimGroupByDisplayName(idpId: number, name: string): ZiaGroupRecord | undefined {
    const id = this.scimGroupByName.get(`${idpId}|${name.toLowerCase()}`);
    return id === undefined ? undefined : this.groups.get(id);
  }

  /**
   * SCIM POST /Users. A userName that directory sync created (and whose mapping still exists) is
   * listed by SCIM already, so a POST of it is a conflict (409): Entra looks it up and PATCHes it
   * instead. `adoptSynced` is the other reading (a POST takes the synced user over: same id, no
   * duplicate); the sandbox's fast-forward uses it. After the Hosted DB damage there is nothing to
   * adopt, so a new user is created beside the old one (the vendor's warned-of duplicates).
   */
  scimCreateUser(idpId: number, f: UserFields, opts: { adoptSynced?: boolean } = {}): { user: ZiaUserRecord; adopted: boolean } {
    this.requireRegisteredDomain(f.userName);
    const key = `${idpId}|${f.userName.toLowerCase()}`;
    if (this.scimUserByName.has(key)) {
      throw new TenantError(409, 'uniqueness', `a user with userName "${f.userName}" already exists`);
    }
    const t = this.now();
    const mappedId = this.mappedUserByName.get(f.userName.toLowerCase());
    const mapped = mappedId === undefined ? undefined : this.users.get(mappedId);
    let rec: ZiaUserRecord;
    let adopted = false;
    if (mapped && !mapped.scim && !opts.adoptSynced) {
      throw new TenantError(409, 'uniqueness', `a user with userName "${f.userName}" already exists (id ${mapped.id}, synced from the directory)`);
    }
    if (mapped && !mapped.scim) {
      rec = mapped;
      adopted = true;
      rec.scim = { idpId, created: false };
      this.scimUserOrder.clear();
    } else {
      rec = {
        id: this.nextUserId++,
        userName: f.userName,
        displayName: f.displayName ?? f.userName,
        groupIds: [],
        active: true,
        source: 'scim',
        scim: { idpId, created: true },
        created: t,
        lastModified: t,
      };
      this.users.set(rec.id, rec);
      this.userOrder = undefined;
    }
    this.applyUserFields(rec, f);
    this.scimUserByName.set(key, rec.id);
    this.scimUserOrder.delete(idpId);
    return { user: rec, adopted };
  }

  /**
   * "The domain in the username must be registered with your tenant" (Understanding SCIM): a SCIM userName
   * outside the registered domains is refused. Status, scimType and words are not documented: inferred
   * (docs/vendor-facts.md, "Unregistered domains and the 128-group limit, simulated"). Directory sync
   * never comes here (it syncs registered domains only).
   */
  private requireRegisteredDomain(userName: string): void {
    if (this.domains.length === 0) return;
    const at = userName.lastIndexOf('@');
    const domain = at > 0 ? userName.slice(at + 1).toLowerCase() : '';
    if (this.domains.includes(domain)) return;
    throw new TenantError(
      400,
      'invalidValue',
      domain
        ? `userName "${userName}": the domain ${domain} is not registered with this tenant (registered: ${this.domains.join(', ')}); register it in ZIA or map userName into a registered domain`
        : `userName "${userName}" has no domain; it must be in a domain registered with this tenant (${this.domains.join(', ')})`,
    );
  }

  /** SCIM PUT (and the result of a PATCH): replaces the SCIM-managed attributes. */
  scimReplaceUser(idpId: number, id: number, f: UserFields): ZiaUserRecord {
    const rec = this.scimUser(idpId, id);
    if (!rec) throw new TenantError(404, 'notFound', `no user with id ${id}`);
    this.takeOver(idpId, rec);
    const newKey = `${idpId}|${f.userName.toLowerCase()}`;
    const oldKey = `${idpId}|${rec.userName.toLowerCase()}`;
    if (newKey !== oldKey) {
      this.requireRegisteredDomain(f.userName);
      if (this.scimUserByName.has(newKey)) throw new TenantError(409, 'uniqueness', `a user with userName "${f.userName}" already exists`);
      this.scimUserByName.delete(oldKey);
      this.scimUserByName.set(newKey, rec.id);
    }
    this.applyUserFields(rec, f);
    return rec;
  }

  private applyUserFields(rec: ZiaUserRecord, f: UserFields): void {
    rec.userName = f.userName;
    if (f.displayName !== undefined) rec.displayName = f.displayName;
    if (f.givenName !== undefined) rec.givenName = f.givenName;
    else delete rec.givenName;
    if (f.familyName !== undefined) rec.familyName = f.familyName;
    else delete rec.familyName;
    if (f.mail !== undefined) rec.mail = f.mail;
    else delete rec.mail;
    if (f.department !== undefined && f.department !== '')
      rec.departmentId = (rec.scim ? this.scimDepartment(rec.scim.idpId, f.department) : this.department(f.department)).id;
    else delete rec.departmentId;
    rec.active = f.active ?? true;
    if (rec.scim) {
      if (f.externalId !== undefined) rec.scim.externalId = f.externalId;
      else delete rec.scim.externalId;
    }
    rec.lastModified = Math.max(this.now(), rec.lastModified + 1);
  }

  scimDeleteUser(idpId: number, id: number): void {
    const rec = this.scimUser(idpId, id);
    if (!rec) throw new TenantError(404, 'notFound', `no user with id ${id}`);
    for (const gid of rec.groupIds) this.groups.get(gid)?.memberIds.delete(rec.id);
    this.users.delete(id);
    this.scimUserByName.delete(`${idpId}|${rec.userName.toLowerCase()}`);
    if (rec.directoryGuid !== undefined) {
      this.userByGuid.delete(rec.directoryGuid);
      if (this.mappedUserByName.get(rec.userName.toLowerCase()) === id) this.mappedUserByName.delete(rec.userName.toLowerCase());
    }
    this.userOrder = undefined;
    this.scimUserOrder.clear();
  }

  // ---------------------------------------------------------------- SCIM groups

  scimCreateGroup(idpId: number, f: GroupFields): ZiaGroupRecord {
    const key = `${idpId}|${f.displayName.toLowerCase()}`;
    if (this.scimGroupByName.has(key)) {
      throw new TenantError(409, 'uniqueness', `a group with displayName "${f.displayName}" already exists`);
    }
    const t = this.now();
    // By name (default): a directory-mapped group of that name becomes SCIM-managed, same id.
    // 'new-group': it stays as it is and a second group of that name is created.
    let rec: ZiaGroupRecord | undefined;
    if (this.scimGroupAdoption === 'by-name')
      for (const gid of this.groupByGuid.values()) {
        const g = this.groups.get(gid);
        if (g && !g.scim && g.name.toLowerCase() === f.displayName.toLowerCase()) {
          rec = g;
          break;
        }
      }
    if (rec) {
      rec.scim = { idpId, created: false };
    } else {
      rec = {
        id: this.nextGroupId++,
        name: f.displayName,
        comments: '',
        memberIds: new Set(),
        source: 'scim',
        scim: { idpId, created: true },
        created: t,
        lastModified: t,
      };
      this.groups.set(rec.id, rec);
      this.groupOrder = undefined;
    }
    this.scimGroupByName.set(key, rec.id);
    this.scimGroupOrder.delete(idpId);
    this.applyGroupFields(idpId, rec, f);
    return rec;
  }

  scimReplaceGroup(idpId: number, id: number, f: GroupFields): ZiaGroupRecord {
    const rec = this.scimGroup(idpId, id);
    if (!rec) throw new TenantError(404, 'notFound', `no group with id ${id}`);
    const newKey = `${idpId}|${f.displayName.toLowerCase()}`;
    const oldKey = `${idpId}|${rec.name.toLowerCase()}`;
    if (newKey !== oldKey) {
      if (this.scimGroupByName.has(newKey)) throw new TenantError(409, 'uniqueness', `a group with displayName "${f.displayName}" already exists`);
      this.scimGroupByName.delete(oldKey);
      this.scimGroupByName.set(newKey, rec.id);
    }
    this.applyGroupFields(idpId, rec, f);
    return rec;
  }

  private applyGroupFields(idpId: number, rec: ZiaGroupRecord, f: GroupFields): void {
    if (f.members) {
      for (const uid of f.members) {
        if (!this.scimUser(idpId, uid)) throw new TenantError(400, 'invalidValue', `member ${uid} is not a user of this identity provider`);
      }
      const next = new Set(f.members);
      for (const uid of rec.memberIds) {
        if (next.has(uid)) continue;
        rec.memberIds.delete(uid);
        const u = this.users.get(uid);
        if (u) u.groupIds = u.groupIds.filter((g) => g !== rec.id);
      }
      for (const uid of next) {
        if (rec.memberIds.has(uid)) continue;
        const u = this.users.get(uid);
        if (!u) continue;
        if (u.groupIds.length >= 128) {
          // docs/vendor-facts.md F24: at most 128 groups per user. Named by its SCIM id: SCIM never shows the admin-API id.
          throw new TenantError(400, 'invalidValue', `user ${this.scimUserId(uid)} already belongs to 128 groups, the ZIA maximum`);
        }
        rec.memberIds.add(uid);
        u.groupIds.push(rec.id);
      }
    }
    rec.name = f.displayName;
    if (rec.scim) {
      if (f.externalId !== undefined) rec.scim.externalId = f.externalId;
      else delete rec.scim.externalId;
    }
    rec.lastModified = Math.max(this.now(), rec.lastModified + 1);
  }

  scimDeleteGroup(idpId: number, id: number): void {
    const rec = this.scimGroup(idpId, id);
    if (!rec) throw new TenantError(404, 'notFound', `no group with id ${id}`);
    for (const uid of rec.memberIds) {
      const u = this.users.get(uid);
      if (u) u.groupIds = u.groupIds.filter((g) => g !== id);
    }
    this.groups.delete(id);
    this.scimGroupByName.delete(`${idpId}|${rec.name.toLowerCase()}`);
    if (rec.directoryGuid !== undefined) this.groupByGuid.delete(rec.directoryGuid);
    this.groupOrder = undefined;
    this.scimGroupOrder.delete(idpId);
  }
}
