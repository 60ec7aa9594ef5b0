import type { Flow, Step } from '../engine/step.js';
import type { MigrationContext } from './context.js';
import { deprovisionGuardStep, recordCompletionStep, verifyParityStep } from './steps/outcome.js';
import { forwardPreflightFor } from './preflight.js';
import type { IdpProvisioner } from '../idps/provisioner.js';
import { enableScimOnIdpStep, obtainScimCredentials } from './steps/scim.js';
import { activateStep, migrationFlagStep, settingsOf, syncNowStep } from './steps/zia.js';
import { forwardLifecycle, perIdp } from './lifecycle.js';
import { groupsSnapshotStep, groupsVerifyStep } from './steps/groups.js';
import { ziaOf } from '../products/zia/config.js';

/**
 * ZIA: Active Directory with LDAP to SCIM provisioning pushed by an IdP, as the vendor documents it:
 *   https://help.zscaler.com/zia/active-directory-scim-provisioning-migration-guide   (GUIDE)
 *   https://help.zscaler.com/zia/configuring-scim                                      (SCIM)
 * The IdP's part (its own guide) comes from its provisioner (src/idps/<kind>/provisioner.ts).
 */
const GUIDE = 'ZIA AD→SCIM migration guide';
const SCIM = 'ZIA "Configuring SCIM"';

/** Before the first write: everything rollback must put back. */
function snapshotSettings(idp: IdpProvisioner): Step<MigrationContext> {
  return {
    id: 'snapshot',
    title: 'Snapshot the settings this migration changes',
    doc: `${GUIDE} (rollback needs the starting point)`,
    kind: 'automated',
    async observe(run) {
      return run.snapshot
        ? { state: 'done', detail: `snapshot taken (${Object.keys(run.snapshot).join(', ')})` }
        : { state: 'pending', detail: 'no snapshot yet', changes: [`record authSettings and what ${idp.label} holds now into the checkpoint`] };
    },
    async apply(run) {
      const { ctx } = run;
      const settings = settingsOf(await ctx.zia().getAuthSettings());
      const idpState = await idp.snapshot(ctx);
      await run.saveSnapshot({
        ...(ctx.adoptObservedState ? { adopted: { at: new Date().toISOString(), migrationFlag: settings.directorySyncMigrateToScimEnabled ?? null } } : {}),
        ziaAuthSettings: settings,
        // ZIA has no public API for IdP options: they are restored by the operator steps.
        ziaIdp: { name: ziaOf(ctx.config).idpName, readableByApi: false },
        ...idpState,
      });
    },
  };
}

export const POST_MIGRATION_ADVICE = [
  'Leave "Disable Directory Sync & Enable SCIM Provisioning" on, and do not change the User Repository Type to Hosted DB: that can delete every user and group mapping and create duplicate users (https://help.zscaler.com/zia/active-directory-scim-provisioning-migration-guide).',
  'User Management in ZIA stays read-only while the repository type is Active Directory: manage users in the IdP.',
  'If you use the Zscaler Authentication Bridge (ZAB), it is safe to turn the VM off after a few days without provisioning issues.',
];

/** The forward flow with this IdP's steps (one Flow object per IdP). */
export const adToScimFlowFor = perIdp(buildAdToScimFlow);

function buildAdToScimFlow(idp: IdpProvisioner): Flow<MigrationContext> {
  return {
    id: 'ad-to-scim',
    title: `ZIA: Active Directory (LDAP sync) → SCIM provisioning from ${idp.label}`,
    doc: 'help.zscaler.com/zia/active-directory-scim-provisioning-migration-guide',
    preflight: forwardPreflightFor(idp),
    closingAdvice: POST_MIGRATION_ADVICE,
    steps: [
      snapshotSettings(idp),
      syncNowStep({ id: 'sync-now', doc: `${GUIDE}, step 2`, beforeFlag: true }),
      groupsSnapshotStep(idp),
      ...(idp.steps.beforeFlip ?? []),
      migrationFlagStep({ id: 'enable-migrate-flag', doc: `${GUIDE}, step 4`, want: true }),
      // Activated before Edit IdP: the console offers Enable SCIM Provisioning only once directory
      // sync is off for the repository (help.zscaler.com/zia/configuring-scim: "isn't supported with
      // Active Directory ... enable Disable Directory Sync & Enable SCIM Provisioning"). Activation is
      // idempotent, so activating again after the IdP edit ("Save and activate", same page) costs
      // nothing when nothing is pending.
      {
        ...activateStep({ id: 'activate-flag', title: 'Activate: directory sync off for the repository', doc: `${GUIDE}, step 4 (save and activate)` }),
        after: ['enable-migrate-flag'],
      },
      enableScimOnIdpStep(`${GUIDE}, steps 5–6; ${SCIM}`),
      {
        ...activateStep({ id: 'activate-scim', title: "Activate: the IdP's SCIM provisioning", doc: `${SCIM} ("Save and activate the change")` }),
        after: ['enable-scim-on-idp'],
      },
      // The Base URL it saves is the one step 5 obtains: planned before step 5, its change is known only then.
      { ...idp.steps.setCredentials, after: [...(idp.steps.setCredentials.after ?? []), 'enable-scim-on-idp'] },
      // Starting provisioning pushes every assigned user; users disabled in AD arrive as active=false and are
      // disabled in ZIA. Deletions: no initial cycle deletes, and the flow never unassigns.
      deprovisionGuardStep(idp, {
        title: 'Guard: users the first cycle would disable or delete',
        doc: `${GUIDE} (scoping and deprovisioning)`,
        disabledMeans: 'would be disabled in ZIA',
      }),
      ...(idp.steps.beforeStart ?? []),
      idp.steps.start,
      idp.steps.initialCycle,
      ...(idp.steps.beforeParity ?? []),
      groupsVerifyStep(),
      verifyParityStep(idp, {
        title: 'Verify users match: AD, ZIA users and the SCIM service',
        doc: `${GUIDE} ("ensure that users syncing from the IdP match those on the Users page")`,
        reads: 'read AD, ZIA users and SCIM users',
        credentials: (ctx) => obtainScimCredentials(ctx, 'Parity reads the SCIM service with the Bearer Token.', false),
        reportName: 'parity-ad-to-scim',
      }),
      recordCompletionStep(`${GUIDE} (after the migration)`),
    ],
    ...forwardLifecycle,
  };
}
