import type { PreflightCheck } from '../engine/step.js';
import type { MigrationContext } from './context.js';
import type { IdpProvisioner } from '../idps/provisioner.js';
import { ScimProbeError } from '../clients/scim.js';
import { ZIA_MAX_PAGE } from '../clients/zia.js';
import { ziaRecords } from '../parity/index.js';
import { describeScope, directoryScope, explainScope, scopeFix, scopeProblem } from './parity-check.js';

/**
 * Read-only checks run before anything is written; every one runs and all are reported
 * together, each with the fix. Sources: the migration guide's "Prerequisites" (docs/vendor-facts.md F16), F9–F12
 * (authSettings) and F5 (activation).
 */

/** orgAuthType values that mean a hosted database, not a directory (inferred: docs/vendor-facts.md F10). */
const HOSTED_DB_TYPES = new Set(['SAFECHANNEL_DIR', 'SMAUTH_ENTERPRISE_HOSTED']);
/** orgAuthType values known to mean a directory repository. The real AD value is unconfirmed (F10). */
const DIRECTORY_TYPES = new Set(['MICROSOFT_ACTIVE_DIR', 'OPENLDAP_DIR', 'AD_USER', 'AD_GROUP', 'LDAP_USER', 'LDAP_GROUP']);

export const ziaReachable: PreflightCheck<MigrationContext> = {
  id: 'zia-reachable',
  title: 'ZIA admin API reachable with these credentials',
  async run(ctx) {
    const s = await ctx.zia().getAuthSettings();
    return { ok: true, detail: `read authSettings (orgAuthType ${String(s.orgAuthType)})` };
  },
};

export const repositoryIsDirectory: PreflightCheck<MigrationContext> = {
  id: 'repository-active-directory',
  title: 'User repository type is Active Directory',
  async run(ctx) {
    const type = String((await ctx.zia().getAuthSettings()).orgAuthType ?? '');
    if (HOSTED_DB_TYPES.has(type)) {
      return {
        ok: false,
        detail: `orgAuthType is ${type} (Hosted DB); the migration guide starts from an Active Directory repository`,
        fix: 'Do not switch the repository type: the vendor warns that changing it deletes user and group mappings and creates duplicate users.',
      };
    }
    if (!DIRECTORY_TYPES.has(type)) {
      // Enum values differ between Zscaler's docs and real tenants (docs/vendor-facts.md F10): warn, do not block.
      return {
        ok: false,
        severity: 'warning',
        detail: `orgAuthType is ${type || '(empty)'}, a value this tool does not recognise as Active Directory`,
        fix: 'Confirm in Administration > Authentication Settings that the User Repository Type is Active Directory.',
      };
    }
    return { ok: true, detail: `orgAuthType ${type}` };
  },
};

export const samlIsAuthentication: PreflightCheck<MigrationContext> = {
  id: 'saml-authentication',
  title: 'SAML is the authentication method',
  async run(ctx) {
    const s = await ctx.zia().getAuthSettings();
    return s.samlEnabled === true
      ? { ok: true, detail: 'samlEnabled is true' }
      : {
          ok: false,
          detail: 'samlEnabled is false',
          fix: 'SCIM provisioning requires SAML authentication (https://help.zscaler.com/zia/configuring-scim): configure SAML with the IdP first.',
        };
  },
};

export const recentDirectorySync: PreflightCheck<MigrationContext> = {
  id: 'directory-sync-recent',
  title: 'Directory sync has run recently',
  async run(ctx) {
    const s = await ctx.zia().getAuthSettings();
    const end = typeof s.lastSyncEndTime === 'number' ? s.lastSyncEndTime : 0;
    const maxAgeH = ctx.config.guards.maxSyncAgeHours;
    if (s.directorySyncMigrateToScimEnabled === true) {
      return { ok: true, detail: 'directory sync is already disabled by the migration flag' };
    }
    if (end <= 0)
      return { ok: false, detail: 'ZIA reports no completed directory sync', fix: 'Check the AD connection in ZIA and click Sync Now once before migrating.' };
    const ageH = (Date.now() / 1000 - end) / 3600;
    return ageH <= maxAgeH
      ? { ok: true, detail: `last sync ended ${new Date(end * 1000).toISOString()}` }
      : {
          ok: false,
          severity: 'warning',
          detail: `last sync ended ${ageH.toFixed(1)} h ago (over guards.maxSyncAgeHours ${maxAgeH})`,
          fix: 'The flow runs Sync Now anyway; check why scheduled syncs stopped.',
        };
  },
};

export const noForeignPendingChanges: PreflightCheck<MigrationContext> = {
  id: 'no-pending-changes',
  title: 'No other ZIA changes pending activation',
  async run(ctx) {
    const status = await ctx.zia().getActivationStatus();
    if (status === 'ACTIVE') return { ok: true, detail: 'nothing pending' };
    if (ctx.ownChangesPending) return { ok: true, detail: `status ${status}: this migration's own saved change awaits activation (resumed run)` };
    if (ctx.acceptPendingChanges) return { ok: true, severity: 'warning', detail: `status ${status}: accepted (--accept-pending-changes)` };
    return {
      ok: false,
      detail: `activation status is ${status}: someone has unactivated changes, and activation is tenant-wide`,
      fix: 'Ask the other administrators to activate or discard, or pass --accept-pending-changes to publish them together with the migration.',
    };
  },
};

/** ZIA's users, counted page by page as verify reads them (users ZIA marks deleted left out). */
async function countZiaUsers(ctx: MigrationContext): Promise<number> {
  let n = 0;
  for await (const page of ziaRecords(ctx.zia().listUsers({ pageSize: ZIA_MAX_PAGE.users, stripUnknown: true }))) n += page.length;
  return n;
}

export const directoryReachable: PreflightCheck<MigrationContext> = {
  id: 'directory-reachable',
  title: 'Directory reachable; the scope returns users',
  async run(ctx) {
    // The same guard as verify: an empty scope, or one far smaller than ZIA (a mistyped groupDn
    // returns no users, not an error), would make every later comparison report mass deletions.
    const [n, ziaUsers] = await Promise.all([ctx.directory().countUsers(directoryScope(ctx)), countZiaUsers(ctx)]);
    const problem = scopeProblem(ctx, { entries: n, users: n }, ziaUsers);
    if (problem === undefined) {
      return { ok: true, detail: `${n} users in scope under ${ctx.config.directory.baseDn} (ZIA holds ${ziaUsers})` };
    }
    const cause = await explainScope(ctx, { entries: n, users: n });
    return {
      ok: false,
      detail: `${problem}. Scope: ${describeScope(ctx)}. Likely cause: ${cause}`,
      fix: `${scopeFix().charAt(0).toUpperCase()}${scopeFix().slice(1)}.`,
    };
  },
};

/**
 * One tenant, one migration record. A state file that records no migration must find the tenant at
 * the guide's starting point: directory sync on, the IdP not provisioning, SCIM not answering.
 * Otherwise the "before" snapshot would be taken of a migrated tenant, and a rollback from it would
 * leave SCIM on.
 */
export function tenantAtStartingPoint(idp: IdpProvisioner): PreflightCheck<MigrationContext> {
  return {
    id: 'tenant-at-starting-point',
    title: "The tenant is at the migration guide's starting point, or this state file records its migration",
    async run(ctx) {
      if (ctx.migrationRecorded) return { ok: true, detail: 'this state file records the migration in progress' };
      const seen: string[] = [];
      if ((await ctx.zia().getAuthSettings()).directorySyncMigrateToScimEnabled === true) {
        seen.push('"Disable Directory Sync & Enable SCIM Provisioning" is already on');
      }
      const provisioning = await idp.provisioningNow(ctx);
      if (provisioning) seen.push(provisioning);
      if (ctx.scimCredentials) {
        try {
          await ctx.scim(ctx.scimCredentials).probe();
          seen.push(`the SCIM endpoint ${ctx.scimCredentials.baseUrl} already accepts the configured token`);
        } catch (err) {
          if (!(err instanceof ScimProbeError)) throw err; // no answer is not "SCIM off"
        }
      }
      if (seen.length === 0) return { ok: true, detail: `directory sync on, ${idp.label} not provisioning, SCIM not in use` };
      if (ctx.adoptObservedState) {
        return { ok: true, severity: 'warning', detail: `adopting a tenant past the starting point (--adopt): ${seen.join('; ')}` };
      }
      return {
        ok: false,
        detail: `this state file records no migration, but the tenant is past the guide's starting point: ${seen.join('; ')}`,
        fix:
          'Use the state file of the run that started this migration (--state PATH). If it is lost, rerun with --adopt: the run records ' +
          "what it observes as this migration's own, skips the Sync Now that directory sync no longer accepts, and a later rollback " +
          'asks the operator to disable SCIM on the IdP.',
      };
    },
  };
}

/** The forward flow's checks: ZIA's and the directory's, then the IdP's own. */
export function forwardPreflightFor(idp: IdpProvisioner): PreflightCheck<MigrationContext>[] {
  return [
    ziaReachable,
    repositoryIsDirectory,
    samlIsAuthentication,
    recentDirectorySync,
    noForeignPendingChanges,
    tenantAtStartingPoint(idp),
    directoryReachable,
    ...idp.preflight,
  ];
}
