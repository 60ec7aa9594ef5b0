import { z } from 'zod';
import type { InsyncClient } from '../../clients/insync.js';

/**
 * What the switch must not lose, read before any change and again after it: every user (id,
 * userName, email, status, profile, storage, cache, ldapGUID), every device with its backup bytes,
 * and each device's last successful backup. Kept in a side file beside the state file (user data,
 * no secret); the checkpoint holds its hash and counts.
 */
const userSchema = z
  .object({
    userID: z.number(),
    userName: z.string(),
    emailID: z.string(),
    status: z.string(),
    profileID: z.number(),
    storageID: z.number().optional(),
    cacheID: z.number().optional(),
    ldapGUID: z.string().optional(),
  })
  .strict();
const deviceSchema = z
  .object({
    deviceID: z.number(),
    deviceName: z.string(),
    userID: z.number(),
    deviceStatus: z.string().optional(),
    bytes: z.number(),
    lastBackupEnd: z.string().optional(),
  })
  .strict();

export const tenantReadingSchema = z
  .object({
    users: z.array(userSchema),
    devices: z.array(deviceSchema),
  })
  .strict();
export type TenantReading = z.infer<typeof tenantReadingSchema>;
export type SnapshotUser = z.infer<typeof userSchema>;
export type SnapshotDevice = z.infer<typeof deviceSchema>;

export const snapshotFileSchema = tenantReadingSchema
  .extend({
    kind: z.literal('insync-provisioning-snapshot'),
    /** Tenant time of the reading (ISO). */
    takenAt: z.string(),
    /** The method the run found (confirmed by the administrator: no API shows it, D15). */
    method: z.enum(['SCIM', 'Azure AD']),
  })
  .strict();
export type SnapshotFile = z.infer<typeof snapshotFileSchema>;

/** Reads users, devices and last successful backups: three paged lists, whatever the tenant's size. */
export async function readTenant(client: InsyncClient): Promise<TenantReading> {
  const users = await readUsers(client);
  return { users, devices: (await readDevices(client)).devices };
}

async function readUsers(client: InsyncClient): Promise<SnapshotUser[]> {
  const users: SnapshotUser[] = [];
  for await (const page of client.usersPages()) {
    for (const u of page) {
      users.push({
        userID: u.userID,
        userName: u.userName,
        emailID: u.emailID,
        status: u.status,
        profileID: u.profileID,
        ...(u.storageID !== undefined ? { storageID: u.storageID } : {}),
        ...(u.cacheID !== undefined ? { cacheID: u.cacheID } : {}),
        ...(u.ldapGUID !== undefined ? { ldapGUID: u.ldapGUID } : {}),
      });
    }
  }
  return users;
}

/** Devices with their bytes and last successful backup (no users: what the wait for backups reads on every look). */
export async function readDevices(client: InsyncClient): Promise<Pick<TenantReading, 'devices'>> {
  const last = new Map<number, string>();
  for (const b of await client.lastSuccessfulBackups()) {
    const seen = last.get(b.deviceID);
    if (seen === undefined || Date.parse(b.endTime) > Date.parse(seen)) last.set(b.deviceID, b.endTime);
  }
  const devices: SnapshotDevice[] = [];
  for await (const page of client.devicesPages()) {
    for (const d of page) {
      const end = last.get(d.deviceID);
      devices.push({
        deviceID: d.deviceID,
        deviceName: d.deviceName,
        userID: d.userID,
        ...(d.deviceStatus ? { deviceStatus: d.deviceStatus } : {}),
        bytes: d.totalBackupDataInBytes,
        ...(end ? { lastBackupEnd: end } : {}),
      });
    }
  }
  return { devices };
}

export const totalBytes = (r: TenantReading) => r.devices.reduce((n, d) => n + d.bytes, 0);

/** One thing the switch changed that it must not have. */
export interface SwitchFinding {
  kind: 'user-missing' | 'user-preserved' | 'user-changed' | 'device-missing' | 'backup-bytes-decreased' | 'no-backup-since-switch';
  /** userID or deviceID. */
  key: string;
  who: string;
  attribute?: string;
  before?: string;
  after?: string;
  detail: string;
}

const userLabel = (u: SnapshotUser) => `${u.emailID} (userID ${u.userID})`;

/** The users of the snapshot, compared with the users now: none missing, none newly preserved, same email, profile and storage. */
export function compareUsers(before: TenantReading, after: TenantReading): SwitchFinding[] {
  const now = new Map(after.users.map((u) => [u.userID, u]));
  const findings: SwitchFinding[] = [];
  for (const b of before.users) {
    const a = now.get(b.userID);
    const who = userLabel(b);
    if (!a) {
      findings.push({ kind: 'user-missing', key: String(b.userID), who, detail: `${who} is no longer listed: deleted with the switch?` });
      continue;
    }
    if (b.status === 'active' && a.status !== 'active') {
      findings.push({
        kind: 'user-preserved',
        key: String(b.userID),
        who,
        attribute: 'status',
        before: b.status,
        after: a.status,
        detail: `${who} was active and is now ${a.status}: no longer backed up`,
      });
    }
    for (const field of ['emailID', 'profileID', 'storageID'] as const) {
      const x = b[field] === undefined ? '' : String(b[field]);
      const y = a[field] === undefined ? '' : String(a[field]);
      if (x !== y)
        findings.push({ kind: 'user-changed', key: String(b.userID), who, attribute: field, before: x, after: y, detail: `${who}: ${field} ${x} → ${y}` });
    }
  }
  return findings;
}

/** Every snapshot device still listed under its user, with no fewer backup bytes. */
export function compareDevices(before: TenantReading, after: TenantReading): SwitchFinding[] {
  const now = new Map(after.devices.map((d) => [d.deviceID, d]));
  const users = new Map(before.users.map((u) => [u.userID, u]));
  const findings: SwitchFinding[] = [];
  for (const b of before.devices) {
    const owner = users.get(b.userID);
    const who = `${b.deviceName} (deviceID ${b.deviceID}) of ${owner ? userLabel(owner) : `userID ${b.userID}`}`;
    const a = now.get(b.deviceID);
    if (!a || a.userID !== b.userID) {
      findings.push({ kind: 'device-missing', key: String(b.deviceID), who, detail: `${who} is no longer listed under its user` });
      continue;
    }
    if (a.bytes < b.bytes) {
      findings.push({
        kind: 'backup-bytes-decreased',
        key: String(b.deviceID),
        who,
        attribute: 'totalBackupDataInBytes',
        before: String(b.bytes),
        after: String(a.bytes),
        detail: `${who}: totalBackupDataInBytes fell from ${b.bytes} to ${a.bytes}: backup data lost`,
      });
    }
  }
  return findings;
}

/**
 * The devices that should back up after the switch (enabled, of a user active before it, with a
 * backup before it) and have not since `switchedAt`.
 */
export function devicesWithoutBackupSince(before: TenantReading, after: Pick<TenantReading, 'devices'>, switchedAt: number): SwitchFinding[] {
  const active = new Set(before.users.filter((u) => u.status === 'active').map((u) => u.userID));
  const now = new Map(after.devices.map((d) => [d.deviceID, d]));
  const findings: SwitchFinding[] = [];
  for (const b of before.devices) {
    if (!active.has(b.userID) || !b.lastBackupEnd || (b.deviceStatus !== undefined && b.deviceStatus !== 'enabled')) continue;
    const a = now.get(b.deviceID);
    const end = a?.lastBackupEnd ? Date.parse(a.lastBackupEnd) : undefined;
    if (end !== undefined && end > switchedAt) continue;
    const who = `${b.deviceName} (deviceID ${b.deviceID})`;
    findings.push({
      kind: 'no-backup-since-switch',
      key: String(b.deviceID),
      who,
      attribute: 'lastSuccessfulBackup',
      before: b.lastBackupEnd,
      after: a?.lastBackupEnd ?? '',
      detail: `${who}: no successful backup since the switch (last ${a?.lastBackupEnd ?? 'none'})`,
    });
  }
  return findings;
}

/** A short list of findings for a message: the first few, and how many more. */
export function listFindings(findings: SwitchFinding[], max = 5): string {
  const shown = findings.slice(0, max).map((f) => f.detail);
  return shown.join('; ') + (findings.length > max ? `; and ${findings.length - max} more` : '');
}
