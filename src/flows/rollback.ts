import { OperatorNeeded, UserError } from '../engine/errors.js';
import { ApiError } from '../clients/http.js';
import { ScimProbeError } from '../clients/scim.js';
import type { JsonValue } from '../engine/json.js';
import type { Flow, Observation, Step, StepRun } from '../engine/step.js';
import type { MigrationContext } from './context.js';
import { keepFailedReport, runParity } from './parity-check.js';
import { ziaReachable } from './preflight.js';
import type { IdpProvisioner } from '../idps/provisioner.js';
import type { MigrationTask } from './operator-actions.js';
import { pollUntil } from './steps/poll.js';
import { activateStep, settingsOf, syncNowStep } from './steps/zia.js';
import { perIdp, rollbackLifecycle } from './lifecycle.js';
import { ziaOf } from '../products/zia/config.js';

/**
 * The documented way back (ZIA AD→SCIM migration guide, "If you need to revert from SCIM to AD
 * provisioning"), made safe: the IdP's provisioning is paused first, never unassigned; every setting the forward
 * run changed is restored from its snapshot; each step observes its precondition before undoing,
 * so a rollback works from wherever the forward run got to, including a run that died mid-step.
 */
const GUIDE = 'ZIA AD→SCIM migration guide, revert';

/** The console task that turns SCIM off on the IdP: asked by the disable step, and again when ZIA refuses the restore. */
function disableScimTask(idp: string, why?: string): MigrationTask {
  return {
    action: 'zia.disableScim',
    title: `Disable SCIM provisioning on IdP "${idp}"`,
    idpName: idp,
    instructions: [
      ...(why ? [why] : []),
      'In the ZIA Admin Portal, go to Administration > Authentication Settings > Identity Providers.',
      `Click the Edit icon for the IdP "${idp}".`,
      'Disable the Enable SCIM Provisioning option. Re-enable "Enable SAML Auto-Provisioning" only if you used it before the migration.',
      'Click Save (migrate activates after restoring the authentication settings).',
    ],
  };
}

/**
 * Is SCIM off on the IdP? Only definite evidence answers "off": the SCIM endpoint refusing (401/403)
 * a token it accepted earlier in this run. "On" is just as definite: the endpoint accepting the token,
 * or the IdP's Test Connection passing with its saved credentials (Entra's, through Graph). Everything else is unknown: a 5xx, a
 * reset, a timeout, a token never accepted in this run (it may be stale), and a failing Test
 * Connection (the token may have been regenerated while SCIM stays on). Unknown is never "done":
 * the operator is asked, and confirms.
 */
type ScimSwitch = { is: 'on' | 'off'; detail: string } | { is: 'unknown'; detail: string };

async function observeScimSwitch(idp: IdpProvisioner, run: StepRun<MigrationContext>): Promise<ScimSwitch> {
  const { ctx } = run;
  const creds = ctx.scimCredentials;
  const unknown: string[] = [];
  if (creds) {
    try {
      await ctx.scim(creds).probe();
      creds.accepted = true;
      return { is: 'on', detail: 'the SCIM endpoint still accepts the token' };
    } catch (err) {
      if (err instanceof ScimProbeError && err.reason === 'token-refused' && creds.accepted) {
        return { is: 'off', detail: `the SCIM endpoint refuses the token it accepted earlier in this run (${firstLine(err)})` };
      }
      unknown.push(
        err instanceof ScimProbeError
          ? `the SCIM endpoint refuses a token it never accepted in this run, which proves nothing (${firstLine(err)})`
          : `the SCIM endpoint gave no answer (${firstLine(err)})`,
      );
    }
  }
  const tested = await idp.testConnection(run);
  if (tested.is === 'on') return tested;
  unknown.push(tested.detail);
  return { is: 'unknown', detail: unknown.join('; ') };
}

/** This state file's forward run never put SCIM on the IdP (and did not adopt a tenant where it was). */
function neverEnabled(idp: IdpProvisioner, run: StepRun<MigrationContext>): boolean {
  return (
    run.snapshot?.adopted === undefined &&
    run.statusOf('ad-to-scim:enable-scim-on-idp') === 'pending' &&
    run.statusOf(`ad-to-scim:${idp.steps.setCredentials.id}`) === 'pending'
  );
}

/** Disable SCIM on the IdP (operator). Verified by definite evidence, or by the operator's confirmation. */
function disableScimOnIdp(idp: IdpProvisioner): Step<MigrationContext> {
  return {
    id: 'disable-scim-on-idp',
    title: 'Disable SCIM provisioning on the ZIA IdP',
    doc: `${GUIDE}, steps 1–2`,
    kind: 'operator',
    guide: (ctx) => ({
      instructions: disableScimTask(ziaOf(ctx.config).idpName).instructions,
      verifiedBy:
        "the SCIM endpoint refusing the token it accepted earlier in the same run, or else the operator's confirmation (never a failing Test Connection or a server error)",
    }),
    async observe(run) {
      if (neverEnabled(idp, run)) return { state: 'done', detail: 'this migration never enabled SCIM on the IdP' };
      const seen = await observeScimSwitch(idp, run);
      if (seen.is === 'off') return { state: 'done', detail: seen.detail };
      return {
        state: 'pending',
        detail: seen.is === 'on' ? seen.detail : `cannot tell whether SCIM is off: ${seen.detail}; the operator will be asked to confirm`,
        changes: ['operator: Edit IdP → disable Enable SCIM Provisioning'],
      };
    },
    async apply(run) {
      const { ctx } = run;
      await ctx.operator.perform(disableScimTask(ziaOf(ctx.config).idpName));
      // Whether ZIA honours an Edit IdP save before activation is unconfirmed (docs/vendor-facts.md,
      // variant idp-edit-pending): SCIM still on while changes are pending may be the save awaiting
      // activation. Activating publishes it, so the check below sees the IdP as ZIA will run it.
      let activatedPending = false;
      if ((await observeScimSwitch(idp, run)).is === 'on' && (await ctx.zia().getActivationStatus()) === 'PENDING') {
        ctx.out.info(
          '  SCIM is still on while ZIA has changes pending activation: ZIA may keep the Edit IdP save pending until it is activated. Activating now, then checking again.',
        );
        await ctx.zia().activate();
        activatedPending = true;
      }
      return { confirmedByOperatorAt: new Date().toISOString(), ...(activatedPending ? { activatedPendingAt: new Date().toISOString() } : {}) };
    },
    async verify(run) {
      // Wait a little for a definite answer; "on" keeps waiting (the console may take a moment),
      // "unknown" at the end is settled by the operator's confirmation, which apply just obtained.
      const seen = await pollUntil(
        run.ctx,
        'waiting for the SCIM endpoint to refuse the token',
        async () => {
          const s = await observeScimSwitch(idp, run);
          // Only "on" keeps the wait going; "unknown" ends it (polling a failing server proves nothing more).
          return { state: s.is === 'off' ? 'done' : s.is === 'on' ? 'pending' : 'blocked', detail: s.detail, facts: { scim: s.is } } as Observation;
        },
        run.ctx.scimCredentials?.accepted ? 60_000 : 0,
      );
      if (seen.state === 'done') return seen;
      if (seen.facts?.scim === 'unknown') return { state: 'done', detail: `confirmed by the operator (no definite evidence: ${seen.detail})` };
      return { state: 'pending', detail: `the operator confirmed, but ${seen.detail}` };
    },
  };
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] ?? '';
}

/** ZIA refuses to turn directory sync back on while an IdP still has SCIM on (the message is unconfirmed: docs/vendor-facts.md). */
function isScimStillEnabledRefusal(err: unknown): boolean {
  return err instanceof ApiError && err.status === 400 && /SCIM/i.test(`${err.vendorMessage ?? ''} ${err.message}`);
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
    if (keys.length === 0)
      return { state: 'done', detail: snapshot ? 'authSettings equal the snapshot; the migration flag is off' : 'the migration flag is off' };
    return {
      state: 'pending',
      detail: `${keys.length} setting(s) differ from ${snapshot ? 'the snapshot' : 'the pre-migration state (no snapshot: only the flag is restored)'}`,
      changes: keys.map((k) => `${k}: ${JSON.stringify(current[k])} → ${JSON.stringify(change[k])}`),
    };
  },
  async apply(run) {
    const { ctx } = run;
    const snapshot = run.snapshot?.ziaAuthSettings as Record<string, JsonValue> | undefined;
    const restore = async () => {
      const change = restorePlan(settingsOf(await ctx.zia().getAuthSettings()), snapshot);
      if ('orgAuthType' in change) throw new UserError('refusing to change the repository type during rollback');
      await ctx.zia().updateAuthSettings(change as never);
      return { restored: Object.keys(change) };
    };
    try {
      return await restore();
    } catch (err) {
      if (!isScimStillEnabledRefusal(err)) throw err;
      // ZIA's refusal is itself an observation: SCIM is still on, whatever the disable step concluded.
      // The operator step is reopened with its instructions (exit 3 when nobody can answer).
      const idp = ziaOf(ctx.config).idpName;
      await ctx.operator.perform(
        disableScimTask(idp, `ZIA refused to turn directory sync back on because SCIM provisioning is still enabled on IdP "${idp}" (${firstLine(err)}).`),
      );
      try {
        return await restore();
      } catch (again) {
        if (!isScimStillEnabledRefusal(again)) throw again;
        throw new OperatorNeeded(
          `ZIA still reports SCIM provisioning enabled on IdP "${idp}": ${firstLine(again)}`,
          `Disable Enable SCIM Provisioning on IdP "${idp}" in Administration > Authentication Settings > Identity Providers, click Save, then run the same command again.`,
        );
      }
    }
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

/** The rollback flow with this IdP's steps (one Flow object per IdP). */
export const rollbackFlowFor = perIdp(buildRollbackFlow);

function buildRollbackFlow(idp: IdpProvisioner): Flow<MigrationContext> {
  return {
    id: 'rollback',
    title: 'ZIA: roll back SCIM provisioning to Active Directory (LDAP sync)',
    doc: 'help.zscaler.com/zia/active-directory-scim-provisioning-migration-guide (revert)',
    preflight: [ziaReachable],
    steps: [
      idp.steps.pause,
      disableScimOnIdp(idp),
      restoreAuthSettings,
      {
        ...activateStep({ id: 'activate-rollback', title: 'Activate the restored settings', doc: `${GUIDE} (save and activate)` }),
        after: ['disable-scim-on-idp', 'restore-auth-settings'],
      },
      ...(idp.steps.restore ? [idp.steps.restore] : []),
      syncNowStep({ id: 'sync-now-rollback', doc: `${GUIDE}, step 5` }),
      verifyDirectoryParity,
    ],
    ...rollbackLifecycle,
  };
}
