/**
 * The simulated Entra tenant: users and groups synchronised from the sandbox AD the way Entra
 * Connect would (onPremisesImmutableId = base64 objectGUID, accountEnabled = !disabled), one
 * cloud-only user assigned to the app but absent from AD (a realistic mess the parity report
 * must catch), the Zscaler gallery enterprise app's service principal with its app-role
 * assignments, and its synchronization job (docs/vendor-facts.md F29).
 */
import { randomUUID } from 'node:crypto';
import { isDisabled, type SandboxDirectory } from '../world/directory.js';
import { ZSCALER_USER_MAPPING, type AttributeMapping } from './mapping.js';

export interface EntraUser {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  displayName: string;
  givenName: string;
  surname: string;
  department: string | null;
  accountEnabled: boolean;
  /** base64 of the AD objectGUID; null for cloud-only users. */
  onPremisesImmutableId: string | null;
  /** DN in the sandbox AD, null for cloud-only users (not a Graph property). */
  sourceDn: string | null;
}

export interface EntraGroup {
  id: string;
  displayName: string;
  onPremisesSecurityIdentifier: string | null;
  /** Entra object ids of direct user members. */
  memberIds: string[];
}

export interface SecretPair {
  key: string;
  value: string;
}

export interface ProvisioningLogEntry {
  id: string;
  activityDateTime: string;
  tenantId: string;
  jobId: string;
  cycleId: string;
  changeId: string;
  provisioningAction: 'create' | 'update' | 'disable' | 'stagedDelete' | 'other';
  durationInMilliseconds: number;
  provisioningStatusInfo: {
    status: 'success' | 'failure' | 'skipped';
    errorInformation: null | { errorCode: string; reason: string };
  };
  sourceIdentity: { id: string; displayName: string; identityType: 'User' | 'Group' };
  targetIdentity: { id: string; displayName: string; identityType: 'User' | 'Group' };
  servicePrincipal: { id: string; displayName: string };
  modifiedProperties: Array<{ displayName: string; oldValue: string | null; newValue: string | null }>;
}

export type JobStatusCode = 'NotConfigured' | 'NotRun' | 'Active' | 'Paused' | 'Quarantine';

export interface TaskExecution {
  activityIdentifier: string;
  countEntitled: number;
  countExported: number;
  countImported: number;
  countEscrowed: number;
  error: null | { code: string; message: string };
  state: 'Succeeded' | 'Failed' | 'EntryLevelErrors';
  timeBegan: string;
  timeEnded: string | null;
}

export interface SyncJob {
  id: string;
  templateId: string;
  schedule: { expiration: string | null; interval: string; state: 'Active' | 'Disabled' | 'Paused' };
  status: {
    code: JobStatusCode;
    countSuccessiveCompleteFailures: number;
    escrowsPruned: boolean;
    lastExecution: TaskExecution | null;
    lastSuccessfulExecution: TaskExecution | null;
    lastSuccessfulExecutionWithExports: TaskExecution | null;
    progress: Array<{ completedUnits: number; totalUnits: number; units: string; progressObservationDateTime: string }>;
    quarantine: null | {
      currentBegan: string;
      nextAttempt: string;
      reason: string;
      seriesBegan: string;
      seriesCount: number;
      error: { code: string; message: string; tenantActionable: boolean };
    };
    steadyStateFirstAchievedTime: string;
    steadyStateLastAchievedTime: string;
    synchronizedEntryCountByType: Array<{ key: string; value: number }>;
    troubleshootingUrl: string | null;
  };
  /** Graph keyValuePair: {name, value} (G12). */
  synchronizationJobSettings: Array<{ name: string; value: string }>;
}

export interface EntraState {
  tenantId: string;
  users: EntraUser[];
  groups: EntraGroup[];
  servicePrincipal: { id: string; appId: string; displayName: string; appDisplayName: string; appRoles: AppRole[] };
  /** app-role assignments of the Zscaler app (appRoleAssignedTo): who is assigned, with which role. */
  assignments: Array<{ id: string; principalId: string; principalType: 'User' | 'Group'; appRoleId: string; createdDateTime: string }>;
  job: SyncJob;
  secrets: SecretPair[];
  logs: ProvisioningLogEntry[];
  /** Entra object id → SCIM resource id at the target (the provisioning service's cache). */
  targetIds: Map<string, string>;
  /** The cloud-only user assigned to the app but missing from AD. */
  cloudOnlyUserId: string;
  /** The user attribute mapping the engine applies (Attribute Mappings of the app); replaceable. */
  userMapping: readonly AttributeMapping[];
  /** Objects whose last export failed (escrows), retried by the next cycle: source id → failures. */
  escrows: Map<string, { count: number; lastError: string }>;
  /**
   * Users whose export fails with the given errorCode, before any SCIM request, in a cycle and on
   * demand alike (key: userPrincipalName, lower case). Tests set it to make a chosen user fail.
   */
  userFaults: Map<string, { errorCode: string; reason: string }>;
  /** Failures a cycle needs before the 40 % escrow quarantine is evaluated (documented: 5 000). */
  escrowQuarantineMinimum: number;
  /** How SyncAll is read (variant `syncall-polarity`): 'documented' (G11: "true" = all) or 'inverse' ("false" = all). */
  syncAllPolarity?: 'documented' | 'inverse';
}

/** Graph's "never" timestamp (docs/vendor-facts.md F29: steadyState… stays 0001-01-01 until achieved). */
export const NEVER = '0001-01-01T00:00:00Z';
export const SP_DISPLAY_NAME = 'Zscaler Three';
/**
 * The gallery template id is not published (docs/vendor-facts.md F34); this one is made up
 * and only has to look like `<templateId>.<tenant-guid-no-dashes>.<suffix>` job ids.
 */
export const TEMPLATE_ID = 'zscalerthree';

export interface AppRole {
  id: string;
  displayName: string;
  value: string | null;
  allowedMemberTypes: string[];
  description: string;
  isEnabled: boolean;
  origin: string;
}

/**
 * The app role Graph uses for an assignment without a specific role ("Default Access" in the
 * portal): the all-zero GUID (docs/vendor-facts.md G10).
 */
export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000';
/** The role the sandbox assigns by default; the gallery app's real role ids are not published. */
export const USER_ROLE_ID = '27d4e55b-0b9d-4d4d-8f5c-1a0f4d1e2c3b';

/** Users with the Default Access role are excluded from provisioning (Zscaler tutorials, G10). */
const provisioningRole = (a: { appRoleId: string }): boolean => a.appRoleId !== DEFAULT_ACCESS_ROLE_ID;

/** The SyncAll secret: "true" = sync all users and groups, anything else = assigned only (G11). */
export function syncAll(state: EntraState): boolean {
  const value = state.secrets.find((s) => s.key === 'SyncAll')?.value.toLowerCase();
  // The inverse reading (unconfirmed polarity): "false" syncs everyone, "true" only the assigned.
  if (state.syncAllPolarity === 'inverse') return value === 'false';
  return value === 'true';
}

/**
 * The accidental-deletion threshold (SyncNotificationSettings: DeleteThresholdEnabled, DeleteThresholdValue;
 * docs/vendor-facts.md "Entra deletion threshold"): the count of deletes and disables at which a cycle is
 * held, or null when prevention is off. Enabled without a value reads as 500, the documented default of
 * cloud sync's jobs; a value that is not the documented JSON reads as off.
 */
export function deleteThreshold(state: EntraState): number | null {
  const raw = state.secrets.find((s) => s.key === 'SyncNotificationSettings')?.value;
  if (!raw) return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!json || typeof json !== 'object') return null;
  const { DeleteThresholdEnabled: on, DeleteThresholdValue: value } = json as Record<string, unknown>;
  if (on !== true && String(on).toLowerCase() !== 'true') return null;
  if (value === undefined || value === null) return 500;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** The users a cycle provisions: every user with SyncAll true, else those assigned with a real role. */
export function assignedUsers(state: EntraState): EntraUser[] {
  if (syncAll(state)) return state.users;
  const ids = new Set(state.assignments.filter((a) => a.principalType === 'User' && provisioningRole(a)).map((a) => a.principalId));
  return state.users.filter((u) => ids.has(u.id));
}

export function assignedGroups(state: EntraState): EntraGroup[] {
  if (syncAll(state)) return state.groups;
  const ids = new Set(state.assignments.filter((a) => a.principalType === 'Group' && provisioningRole(a)).map((a) => a.principalId));
  return state.groups.filter((g) => ids.has(g.id));
}

export interface AssignmentScenario {
  /** The last N directory users are not assigned to the app at all. */
  unassignedUsers?: number;
  /** The N directory users before those are assigned with the Default Access role. */
  defaultAccessUsers?: number;
}

/** Rewrites the assignments of the last synced users (for tests of scope and Default Access). */
export function applyAssignmentScenario(state: EntraState, scenario: AssignmentScenario): void {
  const synced = state.users.filter((u) => u.sourceDn !== null);
  const unassigned = new Set(synced.slice(synced.length - (scenario.unassignedUsers ?? 0)).map((u) => u.id));
  const rest = synced.filter((u) => !unassigned.has(u.id));
  const defaults = new Set(rest.slice(rest.length - (scenario.defaultAccessUsers ?? 0)).map((u) => u.id));
  state.assignments = state.assignments
    .filter((a) => !unassigned.has(a.principalId))
    .map((a) => (defaults.has(a.principalId) ? { ...a, appRoleId: DEFAULT_ACCESS_ROLE_ID } : a));
}

export function buildTenant(directory: SandboxDirectory): EntraState {
  const tenantId = randomUUID();
  const byDn = new Map<string, EntraUser>();
  const users: EntraUser[] = directory.users.map((u) => {
    const user: EntraUser = {
      id: randomUUID(),
      userPrincipalName: u.userPrincipalName,
      mail: u.mail ?? null,
      displayName: u.displayName,
      givenName: u.givenName,
      surname: u.sn,
      department: u.department ?? null,
      accountEnabled: !isDisabled(u),
      onPremisesImmutableId: u.objectGUID.toString('base64'),
      sourceDn: u.dn,
    };
    byDn.set(u.dn.toLowerCase(), user);
    return user;
  });
  const cloudOnly: EntraUser = {
    id: randomUUID(),
    userPrincipalName: `cloud.only@${directory.domain}`,
    mail: `cloud.only@${directory.domain}`,
    displayName: 'Cloud Only (not in AD)',
    givenName: 'Cloud',
    surname: 'Only',
    department: 'Contractors',
    accountEnabled: true,
    onPremisesImmutableId: null,
    sourceDn: null,
  };
  users.push(cloudOnly);
  const groups: EntraGroup[] = directory.groups.map((g) => ({
    id: randomUUID(),
    displayName: g.cn,
    onPremisesSecurityIdentifier: null,
    // Entra provisions direct user members only; nested groups are not flattened.
    memberIds: g.member.map((dn) => byDn.get(dn.toLowerCase())?.id).filter((id): id is string => id !== undefined),
  }));
  const spId = randomUUID();
  const job: SyncJob = {
    id: `${TEMPLATE_ID}.${tenantId.replace(/-/g, '')}.${randomUUID().replace(/-/g, '').slice(0, 16)}`,
    templateId: TEMPLATE_ID,
    // A freshly created gallery job: Disabled with the "forever" interval (docs/vendor-facts.md F29).
    schedule: { expiration: null, interval: 'P10675199DT2H48M5.4775807S', state: 'Disabled' },
    status: {
      code: 'NotConfigured',
      countSuccessiveCompleteFailures: 0,
      escrowsPruned: false,
      lastExecution: null,
      lastSuccessfulExecution: null,
      lastSuccessfulExecutionWithExports: null,
      progress: [],
      quarantine: null,
      steadyStateFirstAchievedTime: NEVER,
      steadyStateLastAchievedTime: NEVER,
      synchronizedEntryCountByType: [],
      troubleshootingUrl: null,
    },
    synchronizationJobSettings: [{ name: 'QuarantineTooManyDeletesThreshold', value: '500' }],
  };
  return {
    tenantId,
    users,
    groups,
    servicePrincipal: {
      id: spId,
      appId: randomUUID(),
      displayName: SP_DISPLAY_NAME,
      appDisplayName: SP_DISPLAY_NAME,
      appRoles: [
        { id: USER_ROLE_ID, displayName: 'User', value: 'User', allowedMemberTypes: ['User'], description: 'User', isEnabled: true, origin: 'Application' },
        {
          id: randomUUID(),
          displayName: 'msiam_access',
          value: null,
          allowedMemberTypes: ['User'],
          description: 'msiam_access',
          isEnabled: true,
          origin: 'Application',
        },
      ],
    },
    assignments: [
      ...users.map((u) => ({
        id: randomUUID(),
        principalId: u.id,
        principalType: 'User' as const,
        appRoleId: USER_ROLE_ID,
        createdDateTime: new Date().toISOString(),
      })),
      ...groups.map((g) => ({
        id: randomUUID(),
        principalId: g.id,
        principalType: 'Group' as const,
        appRoleId: USER_ROLE_ID,
        createdDateTime: new Date().toISOString(),
      })),
    ],
    job,
    secrets: [],
    logs: [],
    targetIds: new Map(),
    cloudOnlyUserId: cloudOnly.id,
    userMapping: ZSCALER_USER_MAPPING,
    escrows: new Map(),
    userFaults: new Map(),
    escrowQuarantineMinimum: 5000,
  };
}

/**
 * A job that provisioned before (a pilot, an earlier run), now paused: steady state was first
 * reached days ago and its last cycle ended before this run, against credentials of that time.
 * steadyStateFirstAchievedTime is set, so a flow that reads it as "this run's cycle is done" is
 * wrong at once (docs/vendor-facts.md G5).
 */
export function markProvisionedBefore(state: EntraState, now = Date.now()): void {
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  const day = 86_400_000;
  const users = assignedUsers(state).length;
  const execution = (began: number, ended: number): TaskExecution => ({
    activityIdentifier: randomUUID(),
    countEntitled: users,
    countExported: 0,
    countImported: users,
    countEscrowed: 0,
    error: null,
    state: 'Succeeded',
    timeBegan: iso(began),
    timeEnded: iso(ended),
  });
  const last = execution(day + 60_000, day);
  const job = state.job;
  job.schedule = { expiration: null, interval: 'PT40M', state: 'Paused' };
  job.status = {
    ...job.status,
    code: 'Paused',
    lastExecution: last,
    lastSuccessfulExecution: last,
    lastSuccessfulExecutionWithExports: execution(7 * day + 600_000, 7 * day),
    progress: [{ completedUnits: users, totalUnits: users, units: 'Users', progressObservationDateTime: iso(day) }],
    steadyStateFirstAchievedTime: iso(7 * day),
    steadyStateLastAchievedTime: iso(day),
  };
  state.secrets = [
    { key: 'BaseAddress', value: 'https://scim.pilot.invalid/1/2/scim' },
    { key: 'SecretToken', value: randomUUID() },
    { key: 'SyncAll', value: 'false' },
  ];
}
