import type { ParityStore, Why } from './engine.js';
import type { IdentityRecord } from './identity.js';

/**
 * ZPA's store for parity, in ZPA's words (issue 15, part 2). ZPA's users are the ones the IdP
 * pushes to the IdP's SCIM Service Provider Endpoint. Read with the SCIM token, the store is the
 * SCIM service's /Users and /Groups (full records); without it, the admin API's SCIM userName
 * values and SCIM group names (docs/vendor-facts.md Y9–Y11): names only.
 */

/** The IdP's own remedy for a user it has not pushed, by `idp.kind`. */
function pushRemedy(idpKind: string): string {
  switch (idpKind) {
    case 'okta':
      return (
        'in Okta, users assigned to the app before SCIM provisioning was enabled are not pushed: enable PROVISION_OUT_OF_SYNC_USERS on the app, ' +
        'then unassign and reassign those users (or their group) and verify again'
      );
    case 'entra':
      return 'in Entra ID, assign the user (or a group holding it) to the ZPA enterprise app, or use Provision on demand, and verify after the next cycle (about every 40 minutes)';
    default:
      return "assign the user (or a group holding it) to the IdP's ZPA provisioning app, let the IdP push it, and verify again";
  }
}

export function zpaWhy(idpKind: string): Why {
  return {
    stale: 'the IdP has not pushed the change to ZPA yet, or its attribute mapping sends a different attribute',
    groups: "the groups are not assigned to the IdP's ZPA app, or the IdP has not pushed the change to ZPA yet",
    missing:
      "the IdP has not pushed the user to ZPA yet (its cycle has not reached the user, or failed: see the IdP's provisioning logs), " +
      `or the user is not assigned to the IdP's ZPA app. Remedy: ${pushRemedy(idpKind)}`,
    extra:
      'pushed by the IdP for a user outside the configured userFilter/groupDn, or deleted or moved in AD and not deprovisioned by the IdP yet ' +
      "(ZPA keeps a SCIM user until the IdP deletes it). Remedy: align the app's assignment with the directory scope at the IdP; do not delete SCIM users in ZPA, policies may use them",
    groupAbsent: "not assigned to the IdP's ZPA app (the IdP pushes assigned groups only), or not pushed yet",
    groupCount: 'members outside the user scope, or memberships not pushed by the IdP yet',
  };
}

/** Label of ZPA's store read over SCIM. */
export const ZPA_SCIM_LABEL = 'ZPA SCIM';
/** Label of ZPA's store read through the admin API without the token. */
export const ZPA_NAMES_LABEL = 'ZPA (names only)';

/** ZPA's SCIM service read with the token: full records, compared as ZIA's SCIM is. */
export function zpaScimStore(records: AsyncIterable<IdentityRecord[]>, idpKind: string): ParityStore {
  return {
    key: 'zpa',
    label: ZPA_SCIM_LABEL,
    records,
    why: zpaWhy(idpKind),
    compare: ['userName', 'email', 'displayName', 'department', 'groups', 'active'],
    pushedOnly: true,
  };
}

/**
 * Without the token: the userNames the admin API lists (the SCIM `userName` attribute's values) and
 * the SCIM group names per IdP. Only names exist there, so only names are compared; the report says so.
 */
export function zpaNamesStore(userNames: () => Promise<string[]>, groupNames: () => Promise<string[]>, idpKind: string): ParityStore {
  async function* records(): AsyncGenerator<IdentityRecord[]> {
    const names = await userNames();
    const PAGE = 1000;
    for (let i = 0; i < names.length; i += PAGE) {
      yield names.slice(i, i + PAGE).map((n) => ({ source: 'zpa', sourceId: n, userName: n, groups: [] }));
    }
  }
  return {
    key: 'zpa',
    label: ZPA_NAMES_LABEL,
    records: records(),
    why: zpaWhy(idpKind),
    compare: ['userName'],
    pushedOnly: true,
    groupNames,
    note:
      "Only userNames and group names were compared: without the SCIM token, ZPA's admin API shows SCIM users only as the values of their userName attribute " +
      '(no email, display name, department, memberships or active flag) and SCIM groups without members (so a group of the directory scope that ZPA lacks is reported, while the other groups ZPA holds are only listed: an empty one cannot be told from a stale one), and whether that list is complete on a large tenant is unconfirmed ' +
      '(docs/vendor-facts.md Y11). For a full comparison, give the SCIM token (scim.tokenEnv or scim.tokenFile)',
  };
}
