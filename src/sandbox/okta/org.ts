/**
 * The simulated Okta org: users and groups imported from the sandbox AD the way the Okta AD agent
 * would (login = userPrincipalName; an account disabled in AD is a suspended Okta user, still assigned), one
 * Okta-only user assigned to Zscaler but absent from AD (the realistic mess parity must catch, as
 * in the Entra simulation), the Zscaler 2.0 OIN app (`zscalerbyz`, the one app whose provisioning
 * connection the API sets: docs/vendor-facts.md K3) and a custom SCIM app configured only in the
 * Admin Console. Every user is assigned to both apps, before provisioning is enabled, as a tenant
 * that already signs in to Zscaler through Okta SAML is.
 */
import { randomBytes } from 'node:crypto';
import { isDisabled, type SandboxDirectory } from '../world/directory.js';

/** Okta ids: 20 characters, a type prefix (00u users, 00g groups, 0oa apps). */
export function oktaId(prefix: '00u' | '00g' | '0oa' | '0gp'): string {
  const a = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return prefix + [...randomBytes(17)].map((b) => a[b % a.length]).join('');
}

export interface OktaUser {
  id: string;
  /** ACTIVE, or SUSPENDED for an account disabled in AD (still assigned; pushed as active=false). */
  status: 'ACTIVE' | 'SUSPENDED';
  /** email is null where AD has no mail (the sandbox then pushes none, as Entra's mapping sends none). */
  profile: { login: string; email: string | null; firstName: string; lastName: string; displayName: string; department: string | null };
  /** DN in the sandbox AD; null for the Okta-only user (not an Okta property). */
  sourceDn: string | null;
}

export interface OktaGroup {
  id: string;
  name: string;
  memberIds: string[];
}

export type AppUserStatus = 'ACTIVE' | 'STAGED' | 'PROVISIONED' | 'DEPROVISIONED';
export type SyncState = 'DISABLED' | 'SYNCING' | 'SYNCHRONIZED' | 'OUT_OF_SYNC' | 'ERROR';

/** One user's assignment to an app and its provisioning state (AppUser, K8). */
export interface AppUserRec {
  userId: string;
  scope: 'USER' | 'GROUP';
  created: string;
  lastUpdated: string;
  status: AppUserStatus;
  syncState: SyncState;
  /** The SCIM id at Zscaler once linked. */
  externalId: string | null;
  lastSync: string | null;
  /**
   * Assigned while provisioning was off, so Okta never pushes it: the documented pitfall (K10). Cleared
   * by the Admin Console's Provision User button, or by unassigning and assigning again.
   */
  assignedBeforeProvisioning: boolean;
  /** Why the last push failed (shown on the Assignments tab). */
  error: string | null;
}

export interface GroupPushMappingRec {
  id: string;
  sourceGroupId: string;
  targetGroupName: string | null;
  targetGroupId: string | null;
  status: 'ACTIVE' | 'INACTIVE' | 'ERROR';
  created: string;
  lastUpdated: string;
  lastPush: string | null;
  errorSummary: string | null;
}

export interface OktaAppRec {
  id: string;
  /** OIN key name: zscalerbyz, or a custom app's generated name. */
  name: string;
  label: string;
  status: 'ACTIVE' | 'INACTIVE';
  created: string;
  /** True for the apps whose token connection and USER_PROVISIONING feature the API handles (K3, K4). */
  apiProvisioning: boolean;
  settings: { app: Record<string, unknown> };
  /** null until provisioning was first configured. */
  connection: null | { status: 'ENABLED' | 'DISABLED'; baseUrl: string | null; token: string; resolvedUrl: string };
  provisioning: { create: boolean; update: boolean; deactivate: boolean; password: { status: 'ENABLED' | 'DISABLED'; seed: string; change: string } };
  appUsers: Map<string, AppUserRec>;
  mappings: GroupPushMappingRec[];
}

export interface OktaOrgState {
  users: OktaUser[];
  groups: OktaGroup[];
  apps: OktaAppRec[];
  /** The Okta-only user (assigned to Zscaler, absent from AD). */
  oktaOnlyUserId: string;
}

export function userById(state: OktaOrgState, id: string): OktaUser | undefined {
  return state.users.find((u) => u.id === id);
}

/** Provisioning pushes only when the connection is on and Create Users is enabled (K4). */
export function provisioningOn(app: OktaAppRec): boolean {
  return app.connection?.status === 'ENABLED' && app.provisioning.create;
}

/** The read-only `features` list of an app (K4): what its provisioning does now. */
export function appFeatures(app: OktaAppRec): string[] {
  const on = app.connection?.status === 'ENABLED';
  const f: string[] = [];
  if (on) f.push('IMPORT_NEW_USERS', 'GROUP_PUSH');
  if (on && app.provisioning.create) f.push('PUSH_NEW_USERS');
  if (on && app.provisioning.update) f.push('PUSH_PROFILE_UPDATES');
  if (on && app.provisioning.deactivate) f.push('PUSH_USER_DEACTIVATION', 'REACTIVATE_USERS');
  return f;
}

export interface OrgOptions {
  /** The last N directory users' assignments are marked as made before provisioning was enabled (K10). */
  unpushedAssignments?: number;
}

/**
 * Marks the assignments of the last `count` active directory users of an app as made before provisioning
 * was enabled (the pitfall, K10), as `unpushedAssignments` does at start; returns their logins.
 */
export function markAssignedBeforeProvisioning(state: OktaOrgState, app: OktaAppRec, count: number): string[] {
  const victims = state.users.filter((u) => u.sourceDn !== null && u.status === 'ACTIVE' && app.appUsers.has(u.id)).slice(-Math.max(0, count));
  for (const u of count > 0 ? victims : []) app.appUsers.get(u.id)!.assignedBeforeProvisioning = true;
  return count > 0 ? victims.map((u) => u.profile.login) : [];
}

export function buildOrg(directory: SandboxDirectory, opts: OrgOptions = {}): OktaOrgState {
  const byDn = new Map<string, OktaUser>();
  const users: OktaUser[] = directory.users.map((u) => {
    const user: OktaUser = {
      id: oktaId('00u'),
      status: isDisabled(u) ? 'SUSPENDED' : 'ACTIVE',
      profile: {
        login: u.userPrincipalName,
        email: u.mail ?? null,
        firstName: u.givenName,
        lastName: u.sn,
        displayName: u.displayName,
        department: u.department ?? null,
      },
      sourceDn: u.dn,
    };
    byDn.set(u.dn.toLowerCase(), user);
    return user;
  });
  const oktaOnly: OktaUser = {
    id: oktaId('00u'),
    status: 'ACTIVE',
    profile: {
      login: `okta.only@${directory.domain}`,
      email: `okta.only@${directory.domain}`,
      firstName: 'Okta',
      lastName: 'Only',
      displayName: 'Okta Only (not in AD)',
      department: 'Contractors',
    },
    sourceDn: null,
  };
  users.push(oktaOnly);
  const groups: OktaGroup[] = directory.groups.map((g) => ({
    id: oktaId('00g'),
    name: g.cn,
    memberIds: g.member.map((dn) => byDn.get(dn.toLowerCase())?.id).filter((id): id is string => id !== undefined),
  }));
  const now = new Date().toISOString();
  const makeApp = (name: string, label: string, apiProvisioning: boolean): OktaAppRec => ({
    id: oktaId('0oa'),
    name,
    label,
    status: 'ACTIVE',
    created: now,
    apiProvisioning,
    settings: { app: apiProvisioning ? { siteDomain: 'zscalerthree.net' } : {} },
    connection: null,
    provisioning: { create: false, update: false, deactivate: false, password: { status: 'DISABLED', seed: 'RANDOM', change: 'CHANGE' } },
    appUsers: new Map(),
    mappings: [],
  });
  const zscaler = makeApp('zscalerbyz', 'Zscaler Internet Access', true);
  const custom = makeApp(`zscalerscim_${randomBytes(3).toString('hex')}_1`, 'Zscaler SCIM (custom app)', false);
  for (const app of [zscaler, custom]) {
    for (const u of users) {
      app.appUsers.set(u.id, {
        userId: u.id,
        scope: 'USER',
        created: now,
        lastUpdated: now,
        status: 'ACTIVE',
        syncState: 'DISABLED',
        externalId: null,
        lastSync: null,
        assignedBeforeProvisioning: false,
        error: null,
      });
    }
  }
  const state: OktaOrgState = { users, groups, apps: [zscaler, custom], oktaOnlyUserId: oktaOnly.id };
  // Every assignment predates provisioning; only these are modelled as the pitfall's victims (what Okta
  // does with the others when Create Users is enabled is not documented: K10).
  markAssignedBeforeProvisioning(state, zscaler, opts.unpushedAssignments ?? 0);
  return state;
}
