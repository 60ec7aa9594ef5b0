import { randomBytes } from 'node:crypto';
import type { SandboxDirectory } from '../world/directory.js';
import { isDisabled } from '../world/directory.js';
import { createPrng } from '../world/seed.js';
import type { SandboxClock } from './clock.js';

/**
 * The simulated Druva inSync tenant: users, profiles, storages, devices whose backups advance
 * with the simulation's clock, events, and the console-only deployment settings (the user
 * provisioning method, its mappings, the SCIM token, the Microsoft 365 consent). Facts:
 * docs/vendor-facts.md, "Druva inSync". What no public source says is marked in the code and
 * in that table as the sandbox's own choice.
 */

export type ProvisioningMethod = 'SCIM' | 'Azure AD';
/** Per user, as the console shows it; no API field carries it (docs/vendor-facts.md D15). */
export type ProvisioningMode = ProvisioningMethod | 'Manual';

export interface InsyncUserRecord {
  userID: number;
  userName: string;
  emailID: string;
  status: 'active' | 'preserved';
  profileID: number;
  storageID: number;
  cacheID?: number;
  quotaInBytes: number;
  addedOn: string;
  ldapGUID?: string;
  mode: ProvisioningMode;
}

export interface InsyncBackupRecord {
  startTime: number;
  endTime: number;
  bytesTransferred: number;
  filesBackedUp: number;
}

export interface InsyncDeviceRecord {
  deviceID: number;
  deviceName: string;
  userID: number;
  platformOS: 'win32' | 'darwin' | 'linux2';
  deviceStatus: 'enabled' | 'disabled';
  addedOn: string;
  /** totalBackupDataInBytes. */
  bytes: number;
  /** Bytes each backup adds. */
  growth: number;
  intervalMs: number;
  nextBackupAt: number;
  lastBackup?: InsyncBackupRecord;
  lastConnected: number;
}

export interface InsyncMapping {
  id: string;
  kind: ProvisioningMethod;
  name: string;
  profileID: number;
  storageID: number;
}

export interface InsyncEventRecord {
  eventID: number;
  eventType: string;
  eventState: string;
  timeStamp: string;
  initiator: string;
  inSyncUserID?: number;
  inSyncUserEmail?: string;
  inSyncUserName?: string;
  inSyncDataSourceID?: number;
  inSyncDataSourceName?: string;
  profileID?: number;
  eventDetails?: string;
}

/** Damage the switch can do in the simulation, for tests of the verification that must catch it. */
export interface SwitchFaults {
  /** A user disappears with the switch: deleted (with devices), or preserved. A number picks the user. */
  loseUser?: { userID?: number; how?: 'deleted' | 'preserved' };
  /** A device's backup data (restore points, bytes) is lost with the switch. A number picks the device. */
  loseBackupData?: { deviceID?: number };
}

export interface SwitchResult {
  from: ProvisioningMethod;
  to: ProvisioningMethod;
  keepExistingMappings: boolean;
  usersMovedToManual: number;
  mappingsDeleted: number;
  settingsDeleted: string[];
}

export class InsyncTenantError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'InsyncTenantError';
  }
}

export interface InsyncTenantOptions {
  clock: SandboxClock;
  /** Users come from this directory (disabled accounts are `preserved`), or are generated. */
  directory: SandboxDirectory;
  seed?: number;
  /** The method the tenant starts with (default SCIM, the seed procedure's starting point). */
  method?: ProvisioningMethod;
  /** Hours between two backups of a device (default 8). */
  backupIntervalHours?: number;
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class InsyncTenant {
  readonly clock: SandboxClock;
  readonly users = new Map<number, InsyncUserRecord>();
  readonly devices = new Map<number, InsyncDeviceRecord>();
  readonly profiles = [
    { profileID: 1, profileName: 'Default', profileDescription: 'Default profile with pre-configured values' },
    { profileID: 2, profileName: 'Engineering laptops', profileDescription: 'Hourly backups of source folders' },
  ];
  readonly storages = [
    { StorageID: 1, storageName: 'Druva Cloud (us-east-1)', storageUsage: '0 B' },
    { StorageID: 2, storageName: 'Druva Cloud (eu-central-1)', storageUsage: '0 B' },
  ];
  readonly events: InsyncEventRecord[] = [];
  method: ProvisioningMethod;
  mappings: InsyncMapping[] = [];
  /** The SCIM token the IdP holds; null when none is valid (never generated, or deleted with the SCIM settings). */
  scimToken: string | null = null;
  /** Microsoft 365 Global Administrator consent for the Azure AD integration. */
  azureAdConsent = false;
  switchFaults: SwitchFaults = {};
  readonly switches: SwitchResult[] = [];
  private nextEventId = 1;
  private nextMappingId = 1;

  constructor(opts: InsyncTenantOptions) {
    this.clock = opts.clock;
    this.method = opts.method ?? 'SCIM';
    const rand = createPrng((opts.seed ?? 1) ^ 0x1575c);
    const now = this.clock.now();
    const interval = Math.max(1, opts.backupIntervalHours ?? 8) * 3_600_000;
    let deviceId = 5_001;
    opts.directory.users.forEach((u, i) => {
      const userID = 1_001 + i;
      const email = (u.mail ?? u.userPrincipalName).toLowerCase();
      const profileID = rand() < 0.8 ? 1 : 2;
      const user: InsyncUserRecord = {
        userID,
        userName: u.displayName,
        emailID: email,
        status: isDisabled(u) ? 'preserved' : 'active',
        profileID,
        storageID: rand() < 0.7 ? 1 : 2,
        quotaInBytes: 50 * 1024 ** 3,
        addedOn: iso(now - Math.floor(30 + rand() * 700) * DAY),
        mode: this.method,
      };
      if (rand() < 0.1) user.cacheID = 1;
      this.users.set(userID, user);
      const count = rand() < 0.25 ? 2 : 1;
      for (let d = 0; d < count; d++) {
        const os = (['win32', 'darwin', 'linux2'] as const)[Math.floor(rand() * 3)] ?? 'win32';
        const bytes = Math.floor((1 + rand() * 80) * 1024 ** 3);
        const phase = Math.floor(rand() * interval);
        const device: InsyncDeviceRecord = {
          deviceID: deviceId++,
          deviceName: `${u.sAMAccountName}-${os === 'darwin' ? 'MBP' : 'PC'}${d + 1}`,
          userID,
          platformOS: os,
          deviceStatus: 'enabled',
          addedOn: user.addedOn,
          bytes,
          growth: Math.floor((5 + rand() * 200) * 1024 ** 2),
          intervalMs: interval,
          nextBackupAt: now + phase,
          lastConnected: now - (interval - phase),
        };
        // Every device has backed up before the simulation starts: its last backup is one interval before the next.
        if (user.status === 'active') {
          const end = now + phase - interval;
          device.lastBackup = { startTime: end - 600_000, endTime: end, bytesTransferred: device.growth, filesBackedUp: 40 + Math.floor(rand() * 400) };
        }
        this.devices.set(device.deviceID, device);
      }
    });
    // The deployment the seed procedure starts from: the current method with one mapping and its settings.
    this.mappings.push(this.newMapping(this.method, 'All users', 1, 1));
    if (this.method === 'SCIM') this.scimToken = randomBytes(24).toString('base64url');
    else this.azureAdConsent = true;
  }

  private newMapping(kind: ProvisioningMethod, name: string, profileID: number, storageID: number): InsyncMapping {
    return { id: `map-${this.nextMappingId++}`, kind, name, profileID, storageID };
  }

  private event(e: Omit<InsyncEventRecord, 'eventID' | 'timeStamp'> & { at?: number }): void {
    const { at, ...rest } = e;
    this.events.push({ eventID: this.nextEventId++, timeStamp: iso(at ?? this.clock.now()), ...rest });
  }

  /**
   * Brings every device's backups up to the clock: an active user's enabled device backs up every
   * interval (the profile's schedule), and the switch does not stop it (seed procedure: "inSync
   * performs backups according to the profile settings"). Only the latest backup of a catch-up is
   * kept and reported as an event, so advancing a month costs one pass, not a month of events.
   */
  catchUp(): void {
    const now = this.clock.now();
    for (const d of this.devices.values()) {
      if (d.nextBackupAt > now) continue;
      const k = Math.floor((now - d.nextBackupAt) / d.intervalMs) + 1;
      const end = d.nextBackupAt + (k - 1) * d.intervalMs;
      d.nextBackupAt += k * d.intervalMs;
      const user = this.users.get(d.userID);
      if (!user || user.status !== 'active' || d.deviceStatus !== 'enabled') continue;
      d.bytes += k * d.growth;
      d.lastConnected = end;
      d.lastBackup = { startTime: end - 600_000, endTime: end, bytesTransferred: d.growth, filesBackedUp: 40 + (d.deviceID % 300) };
      this.event({
        at: end,
        eventType: 'Backup',
        eventState: 'Success',
        initiator: 'inSync',
        inSyncUserID: user.userID,
        inSyncUserEmail: user.emailID,
        inSyncUserName: user.userName,
        inSyncDataSourceID: d.deviceID,
        inSyncDataSourceName: d.deviceName,
        profileID: user.profileID,
        eventDetails: `Total Backup Size:${d.bytes}, Files Backed up:${d.lastBackup.filesBackedUp}, Files Missed:0, Total Bytes Transferred:${d.growth}`,
      });
    }
  }

  recordLogin(): void {
    this.event({ eventType: 'API Login', eventState: 'Success', initiator: 'API credential' });
  }

  /** Documented damage, reproduced on purpose: DELETE user removes the user's devices and restore points (docs/vendor-facts.md D8). */
  deleteUser(userID: number): void {
    const u = this.users.get(userID);
    if (!u) throw new InsyncTenantError(404, 'InsyncUsermanagement-1004', `user ${userID} does not exist`);
    this.users.delete(userID);
    for (const d of [...this.devices.values()]) if (d.userID === userID) this.devices.delete(d.deviceID);
    this.event({ eventType: 'User Deleted', eventState: 'Success', initiator: 'API credential', inSyncUserID: userID, inSyncUserEmail: u.emailID });
  }

  // -------------------------------------------------------------------------------------
  // Console-only actions (no public API, docs/vendor-facts.md D16)

  deployment(): {
    method: ProvisioningMethod;
    mappings: InsyncMapping[];
    scimTokenActive: boolean;
    azureAdConsent: boolean;
  } {
    return {
      method: this.method,
      mappings: this.mappings.map((m) => ({ ...m })),
      scimTokenActive: this.scimToken !== null,
      azureAdConsent: this.azureAdConsent,
    };
  }

  /**
   * Users → Deployment → ⋮ → Change User Deployment method → <method> → Save → Confirm. Every
   * existing user goes to Manual mode; without "Keep existing … mappings" the previous method's
   * mappings and settings are deleted (seed procedure, docs/vendor-facts.md D17). The SCIM token
   * and the Microsoft 365 consent count as those settings here (the sandbox's reading, D18).
   */
  switchMethod(to: ProvisioningMethod, keepExistingMappings: boolean): SwitchResult {
    const from = this.method;
    if (to === from) throw new InsyncTenantError(409, 'InsyncDeployment-1001', `user provisioning is already ${to}; nothing to change`);
    let mappingsDeleted = 0;
    const settingsDeleted: string[] = [];
    if (!keepExistingMappings) {
      const before = this.mappings.length;
      this.mappings = this.mappings.filter((m) => m.kind !== from);
      mappingsDeleted = before - this.mappings.length;
      if (from === 'SCIM' && this.scimToken !== null) {
        this.scimToken = null;
        settingsDeleted.push('SCIM token');
      }
      if (from === 'Azure AD' && this.azureAdConsent) {
        this.azureAdConsent = false;
        settingsDeleted.push('Microsoft 365 consent');
      }
    }
    let moved = 0;
    for (const u of this.users.values()) {
      if (u.mode !== 'Manual') moved++;
      u.mode = 'Manual';
    }
    this.method = to;
    this.applySwitchFaults();
    const result: SwitchResult = { from, to, keepExistingMappings, usersMovedToManual: moved, mappingsDeleted, settingsDeleted };
    this.switches.push(result);
    return result;
  }

  private applySwitchFaults(): void {
    const f = this.switchFaults;
    if (f.loseUser) {
      const ids = [...this.users.values()].filter((u) => u.status === 'active').map((u) => u.userID);
      const userID = f.loseUser.userID ?? ids[Math.floor(ids.length / 2)];
      const u = userID === undefined ? undefined : this.users.get(userID);
      if (u) {
        if ((f.loseUser.how ?? 'deleted') === 'preserved') u.status = 'preserved';
        else {
          this.users.delete(u.userID);
          for (const d of [...this.devices.values()]) if (d.userID === u.userID) this.devices.delete(d.deviceID);
        }
      }
    }
    if (f.loseBackupData) {
      const candidates = [...this.devices.values()].filter((d) => d.bytes > 0);
      const d = f.loseBackupData.deviceID !== undefined ? this.devices.get(f.loseBackupData.deviceID) : candidates[Math.floor(candidates.length / 2)];
      if (d) {
        d.bytes = 0;
        delete d.lastBackup;
      }
    }
  }

  /** The Global Administrator's consent, on the Microsoft side (Create Azure AD mapping prerequisite, D19). */
  grantAzureAdConsent(): void {
    this.azureAdConsent = true;
  }

  createMapping(kind: ProvisioningMethod, m: { name: string; profileID: number; storageID: number }): InsyncMapping {
    if (this.method !== kind)
      throw new InsyncTenantError(409, 'InsyncDeployment-1002', `user provisioning is ${this.method}; a ${kind} mapping needs the ${kind} method first`);
    if (kind === 'Azure AD' && !this.azureAdConsent) {
      throw new InsyncTenantError(
        403,
        'InsyncDeployment-1003',
        'inSync is not authorised in Microsoft 365: a Global Administrator must grant consent before an Azure AD mapping can be created',
      );
    }
    if (!this.profiles.some((p) => p.profileID === m.profileID))
      throw new InsyncTenantError(400, 'InsyncDeployment-1004', `profile ${m.profileID} does not exist`);
    if (!this.storages.some((s) => s.StorageID === m.storageID))
      throw new InsyncTenantError(400, 'InsyncDeployment-1005', `storage ${m.storageID} does not exist`);
    if (this.mappings.some((x) => x.kind === kind && x.name === m.name))
      throw new InsyncTenantError(409, 'InsyncDeployment-1006', `a ${kind} mapping named "${m.name}" exists`);
    const mapping = this.newMapping(kind, m.name, m.profileID, m.storageID);
    this.mappings.push(mapping);
    return { ...mapping };
  }

  /** Users → User Provisioning → ⋮ → New Token: valid 365 days, shown once; the previous one stops working (D20). */
  generateScimToken(): string {
    if (this.method !== 'SCIM')
      throw new InsyncTenantError(409, 'InsyncDeployment-1007', `user provisioning is ${this.method}; a SCIM token is generated only under SCIM`);
    this.scimToken = randomBytes(24).toString('base64url');
    return this.scimToken;
  }

  /** What the console's user list shows as each user's provisioning mode. */
  userModes(): Array<{ userID: number; emailID: string; mode: ProvisioningMode }> {
    return [...this.users.values()].map((u) => ({ userID: u.userID, emailID: u.emailID, mode: u.mode }));
  }
}
