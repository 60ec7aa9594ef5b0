/**
 * The simulated Entra tenant: users and groups synchronised from the sandbox AD the way Entra
 * Connect would (onPremisesImmutableId = base64 objectGUID, accountEnabled = !disabled), one
 * cloud-only user assigned to the app but absent from AD (a realistic mess the parity report
 * must catch), the Zscaler gallery enterprise app's service principal with its app-role
 * assignments, and its synchronization job (idp-apis.md A1).
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
  provisioningAction: 'create' | 'update' | 'other';
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
  synchronizationJobSettings: SecretPair[];
}

export interface EntraState {
  tenantId: string;
  users: EntraUser[];
  groups: EntraGroup[];
  servicePrincipal: { id: string; appId: string; displayName: string; appDisplayName: string };
  /** app-role assignments of the Zscaler app: users and groups in scope. */
  assignments: Array<{ principalId: string; principalType: 'User' | 'Group' }>;
  job: SyncJob;
  secrets: SecretPair[];
  logs: ProvisioningLogEntry[];
  /** Entra object id → SCIM resource id at the target (the provisioning service's cache). */
  targetIds: Map<string, string>;
  /** The cloud-only user assigned to the app but missing from AD. */
  cloudOnlyUserId: string;
  /** The user attribute mapping the engine applies (Attribute Mappings of the app); replaceable. */
  userMapping: readonly AttributeMapping[];
}

/** Graph's "never" timestamp (idp-apis.md A1: steadyState… stays 0001-01-01 until achieved). */
export const NEVER = '0001-01-01T00:00:00Z';
export const SP_DISPLAY_NAME = 'Zscaler Three';
/**
 * The gallery template id is not published (idp-apis.md A8 / E.1 [U]); this one is made up
 * and only has to look like `<templateId>.<tenant-guid-no-dashes>.<suffix>` job ids.
 */
export const TEMPLATE_ID = 'zscalerthree';

export function assignedUsers(state: EntraState): EntraUser[] {
  const ids = new Set(state.assignments.filter((a) => a.principalType === 'User').map((a) => a.principalId));
  return state.users.filter((u) => ids.has(u.id));
}

export function assignedGroups(state: EntraState): EntraGroup[] {
  const ids = new Set(state.assignments.filter((a) => a.principalType === 'Group').map((a) => a.principalId));
  return state.groups.filter((g) => ids.has(g.id));
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
    // A freshly created gallery job: Disabled with the "forever" interval (idp-apis.md A1).
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
    synchronizationJobSettings: [{ key: 'QuarantineTooManyDeletesThreshold', value: '500' }],
  };
  return {
    tenantId,
    users,
    groups,
    servicePrincipal: { id: spId, appId: randomUUID(), displayName: SP_DISPLAY_NAME, appDisplayName: SP_DISPLAY_NAME },
    assignments: [
      ...users.map((u) => ({ principalId: u.id, principalType: 'User' as const })),
      ...groups.map((g) => ({ principalId: g.id, principalType: 'Group' as const })),
    ],
    job,
    secrets: [],
    logs: [],
    targetIds: new Map(),
    cloudOnlyUserId: cloudOnly.id,
    userMapping: ZSCALER_USER_MAPPING,
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
