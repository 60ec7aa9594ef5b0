import { assignedGroups, assignedUsers, type EntraState } from '../entra/tenant.js';
import type { Portal } from '../zia/portal.js';
import type { ZiaTenant } from './tenant.js';

export interface FastForwardResult {
  baseUrl: string;
  token: string;
  scimUsers: number;
  adopted: number;
  scimGroups: number;
}

/**
 * Puts the tenant straight into the state a completed migration leaves: the migration flag on and
 * activated, SCIM enabled on the IdP, and every assigned Entra user and group created through the
 * SCIM service's own create path (so synced users are adopted, exactly as an initial cycle would).
 * For benchmarks and tests of what comes after: driving Entra's cycle at real pace would take hours
 * at 100k users. The returned token is a sandbox throwaway.
 */
export function fastForwardToMigrated(opts: { tenant: ZiaTenant; entra: EntraState; portal: Portal; idpId: number }): FastForwardResult {
  const { tenant, entra, portal, idpId } = opts;
  const { kerberosPwd: _k, lastSyncStartTime: _s, lastSyncEndTime: _e, ...settings } = tenant.getAuthSettings();
  tenant.putAuthSettings({ ...settings, directorySyncMigrateToScimEnabled: true });
  tenant.activate();
  const { baseUrl, bearerToken } = portal.setScim(idpId, true);
  tenant.activate(); // an Edit IdP save may stay pending until activation (variant idp-edit-pending)
  const zid = new Map<string, number>(); // Entra object id -> ZIA user id
  let adopted = 0;
  for (const u of assignedUsers(entra)) {
    const r = tenant.scimCreateUser(
      idpId,
      {
        userName: u.userPrincipalName,
        externalId: u.id,
        active: u.accountEnabled,
        displayName: u.displayName,
        givenName: u.givenName,
        familyName: u.surname,
        ...(u.mail ? { mail: u.mail } : {}),
        ...(u.department ? { department: u.department } : {}),
      },
      { adoptSynced: true },
    );
    if (r.adopted) adopted += 1;
    zid.set(u.id, r.user.id);
    entra.targetIds.set(u.id, tenant.scimUserId(r.user.id)); // the SCIM id Entra would have read back
  }
  let scimGroups = 0;
  for (const g of assignedGroups(entra)) {
    const members = g.memberIds.map((id) => zid.get(id)).filter((id): id is number => id !== undefined);
    const rec = tenant.scimCreateGroup(idpId, { displayName: g.displayName, externalId: g.id, members });
    entra.targetIds.set(g.id, tenant.scimGroupId(rec.id));
    scimGroups += 1;
  }
  return { baseUrl: baseUrl as string, token: bearerToken as string, scimUsers: zid.size, adopted, scimGroups };
}
