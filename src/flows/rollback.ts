import { UserError } from '../engine/errors.js';
import type { JsonValue } from '../engine/json.js';
import type { Flow, Observation, Step, StepRun } from '../engine/step.js';
import type { MigrationContext } from './context.js';
import { keepFailedReport, runParity } from './parity-check.js';
import { ziaReachable } from './preflight.js';
import { entraPauseStep, findJob } from './steps/entra.js';
import { pollUntil } from './steps/poll.js';
import { activateStep, settingsOf, syncNowStep } from './steps/zia.js';
import { retireFlow } from './retire.js';

/**
 * The documented way back (ZIA AD→SCIM migration guide, "If you need to revert from SCIM to AD
 * provisioning"), made safe: Entra is paused first, never unassigned; every setting the forward
 * run changed is restored from its snapshot; each step observes its precondition before undoing,
 * so a rollback works from wherever the forward run got to, including a run that died mid-step.
 */
const GUIDE = 'ZIA AD→SCIM migration guide, revert';

/** Disable SCIM on the IdP (operator). Verified by the SCIM endpoint refusing the token. */
const disableScimOnIdp: Step<MigrationContext> = {
  id: 'disable-scim-on-idp',
  title: 'Disable SCIM provisioning on the ZIA IdP',
  doc: `${GUIDE}, steps 1–2`,
  kind: 'operator',
  async observe(run) {
    return (await observeScimRefused(run)).observation;
  },
  async apply({ ctx }) {
    const idp = ctx.config.zia.idpName;
    await ctx.operator.perform({
      action: 'zia.disableScim',
      title: `Disable SCIM provisioning on IdP "${idp}"`,
      params: { idpName: idp },
      instructions: [
        'In the ZIA Admin Portal, go to Administration > Authentication Settings > Identity Providers.',
        `Click the Edit icon for the IdP "${idp}".`,
        'Disable the Enable SCIM Provisioning option. Re-enable "Enable SAML Auto-Provisioning" only if you used it before the migration.',
        'Click Save (migrate activates after restoring the authentication settings).',
      ],
    });
  },
  async verify(run) {
    const first = await observeScimRefused(run);
    if (!first.observable) {
      return { state: 'done', detail: 'confirmed by the operator (ZIA has no API to read the IdP, and no SCIM token is available to test)' };
    }
    return pollUntil(run.ctx, 'waiting for the SCIM endpoint to refuse the token', async () => (await observeScimRefused(run)).observation, 60_000);
  },
};

/**
 * Observes SCIM being off: with the token in memory (or in configuration), the SCIM endpoint must
 * refuse it; otherwise Entra's Test Connection with its saved credentials must fail. When neither
 * is possible (the IdP side was never configured), only the operator can say, so it stays pending.
 */
async function observeScimRefused(run: StepRun<MigrationContext>): Promise<{ observation: Observation; observable: boolean }> {
  const { ctx } = run;
  const disable = ['operator: Edit IdP → disable Enable SCIM Provisioning'];
  if (run.statusOf('ad-to-scim:enable-scim-on-idp') === 'pending' && run.statusOf('ad-to-scim:entra-credentials') === 'pending') {
    return { observation: { state: 'done', detail: 'this migration never enabled SCIM on the IdP' }, observable: true };
  }
  if (ctx.scimCredentials) {
    try {
      await ctx.scim(ctx.scimCredentials).probe();
      return { observation: { state: 'pending', detail: 'the SCIM endpoint still accepts the token', changes: disable }, observable: true };
    } catch (err) {
      return { observation: { state: 'done', detail: `the SCIM endpoint refuses the token (${firstLine(err)})` }, observable: true };
    }
  }
  const { spId, jobId } = await findJob(ctx);
  const { keys } = await ctx.graph().getSecretKeys(spId);
  // Unreadable keys (Graph v1.0 has no GET): the forward run's record says whether a token was saved.
  if (keys === null ? run.statusOf('ad-to-scim:entra-credentials') === 'pending' : !keys.includes('SecretToken')) {
    return { observation: { state: 'pending', detail: 'SCIM may be enabled on the ZIA IdP and no token is available to test it', changes: disable }, observable: false };
  }
  if (ctx.readOnly) {
    return {
      observation: { state: 'pending', detail: 'cannot test the saved SCIM token during a dry-run (Test Connection is a POST)', changes: disable },
      observable: true,
    };
  }
  try {
    await ctx.graph().validateCredentials(spId, jobId);
    return { observation: { state: 'pending', detail: 'Test Connection still succeeds: SCIM is enabled on the ZIA IdP', changes: disable }, observable: true };
  } catch (err) {
    return { observation: { state: 'done', detail: `Test Connection fails: SCIM is off (${firstLine(err)})` }, observable: true };
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] ?? '';
}

/** What must change to return to the snapshot; the flag always ends false. */
function restorePlan(current: Record<string, JsonValue>, snapshot: Record<string, JsonValue> | undefined): Record<string, JsonValue> {
  const want: Record<string, JsonValue> = { ...(snapshot ?? {}), directorySyncMigrateToScimEnabled: false };
  const change: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(want)) if (JSON.stringify(current[k]) !== JSON.stringify(v)) change[k] = v;
  return change;
}

const restoreAuthSettings: Step<MigrationContext> = {
  id: 'restore-auth-settings',
  title: 'Turn "Disable Directory Sync & Enable SCIM Provisioning" off and restore the snapshotted settings',
  doc: `${GUIDE}, step 3`,
  kind: 'automated',
  async observe(run) {
    const snapshot = run.snapshot?.ziaAuthSettings as Record<string, JsonValue> | undefined;
    const current = settingsOf(await run.ctx.zia().getAuthSettings());
    const change = restorePlan(current, snapshot);
    if ('orgAuthType' in change) {
      return {
        state: 'drifted',
        detail: `the repository type changed from ${String(snapshot?.orgAuthType)} to ${String(current.orgAuthType)} since the snapshot; migrate never changes it (the vendor warns it deletes mappings and duplicates users)`,
      };
    }
    const keys = Object.keys(change);
    if (keys.length === 0) return { state: 'done', detail: snapshot ? 'authSettings equal the snapshot; the migration flag is off' : 'the migration flag is off' };
    return {
      state: 'pending',
      detail: `${keys.length} setting(s) differ from ${snapshot ? 'the snapshot' : 'the pre-migration state (no snapshot: only the flag is restored)'}`,
      changes: keys.map((k) => `${k}: ${JSON.stringify(current[k])} → ${JSON.stringify(change[k])}`),
    };
  },
  async apply(run) {
    const snapshot = run.snapshot?.ziaAuthSettings as Record<string, JsonValue> | undefined;
    const current = settingsOf(await run.ctx.zia().getAuthSettings());
    const change = restorePlan(current, snapshot);
    if ('orgAuthType' in change) throw new UserError('refusing to change the repository type during rollback');
    await run.ctx.zia().updateAuthSettings(change as never);
    return { restored: Object.keys(change) };
  },
};

const verifyDirectoryParity: Step<MigrationContext> = {
  id: 'verify-directory-parity',
  title: 'Verify the users are back under directory sync (AD vs ZIA users)',
  doc: `${GUIDE} (users match)`,
  kind: 'automated',
  async observe(run) {
    return run.previous?.ok === true
      ? { state: 'done', detail: `verified at ${String(run.previous.verifiedAt)}` }
      : { state: 'pending', detail: 'not verified yet', changes: ['compare AD and ZIA users against parity.thresholds'] };
  },
  async apply({ ctx }) {
    const result = await runParity(ctx, {});
    ctx.lastParity = result;
    if (!result.ok) {
      const where = await keepFailedReport(ctx, result, 'parity-rollback');
      throw new UserError(`AD and ZIA users do not match within parity.thresholds: ${result.breaches.join('; ')}.${where}`, {
        hint: 'Run `migrate verify --directory-only --report ./parity` for details; a Sync Now may still be running.',
      });
    }
    return { ok: true, verifiedAt: new Date().toISOString() };
  },
};

export const rollbackFlow: Flow<MigrationContext> = {
  id: 'rollback',
  title: 'ZIA: roll back SCIM provisioning to Active Directory (LDAP sync)',
  doc: 'help.zscaler.com/zia/active-directory-scim-provisioning-migration-guide (revert)',
  preflight: [ziaReachable],
  steps: [
    entraPauseStep(`${GUIDE}, step 4 (done first, so nothing is pushed while ZIA changes)`),
    disableScimOnIdp,
    restoreAuthSettings,
    activateStep({ id: 'activate-rollback', title: 'Activate the restored settings', doc: `${GUIDE} (save and activate)` }),
    syncNowStep({ id: 'sync-now-rollback', doc: `${GUIDE}, step 5` }),
    verifyDirectoryParity,
  ],
  precondition(state) {
    const forward = state?.flows['ad-to-scim'];
    const touched = forward && Object.values(forward.steps).some((s) => s.status !== 'pending');
    return touched ? undefined : 'nothing to roll back: this state file records no ad-to-scim run (pass the --state of the migration to undo)';
  },
  onComplete(state) {
    retireFlow(state, 'ad-to-scim', 'rolled-back');
  },
};
