import { OperatorNeeded, UserError } from '../../engine/errors.js';
import type { JsonValue } from '../../engine/json.js';
import type { Observation, Step, StepRun } from '../../engine/step.js';
import type { AuthSettings } from '../../clients/zia.js';
import type { MigrationContext } from '../context.js';
import { pollUntil } from './poll.js';

/**
 * Building blocks on the ZIA side, shared by the forward flow and the rollback:
 * Sync Now (console only), the migration flag (API) and activation (API).
 */

/** The authSettings fields a rollback restores. Sync timestamps are the tenant's record, not a setting. */
const NOT_SETTINGS = new Set(['lastSyncStartTime', 'lastSyncEndTime', 'kerberosPwd']);

export function settingsOf(all: AuthSettings): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(all)) if (!NOT_SETTINGS.has(k) && v !== undefined) out[k] = v as JsonValue;
  return out;
}

/** Epoch seconds of the end of the last directory sync, or undefined when ZIA reports none. */
function lastSyncEnd(s: AuthSettings): number | undefined {
  const v = s.lastSyncEndTime;
  return typeof v === 'number' && v > 0 ? v : undefined;
}

function describeSyncTime(sec: number | undefined): string {
  return sec === undefined ? 'never' : new Date(sec * 1000).toISOString();
}

const SYNC_NOW_INSTRUCTIONS = [
  'In the ZIA Admin Portal, go to Administration > Authentication Settings.',
  'Click Sync Now to perform a manual sync with Active Directory.',
  'Wait for the sync to finish: migrate sees it end when lastSyncEndTime moves past the moment this step began.',
];

/**
 * Sync Now (ZIA AD→SCIM migration guide, "Migrating to SCIM" step 2; rollback step 5).
 * No API exists, so a person clicks it; the step is verified by lastSyncEndTime moving past
 * the moment the step began (at a terminal the run waits for that by itself, nothing to confirm).
 */
export function syncNowStep(opts: { id: string; doc: string; title?: string; beforeFlag?: boolean }): Step<MigrationContext> {
  const observe = async (run: StepRun<MigrationContext>): Promise<Observation> => {
    const settings = await run.ctx.zia().getAuthSettings();
    const end = lastSyncEnd(settings);
    const facts = { lastSyncEndTime: describeSyncTime(end) };
    // A scheduled sync between a saved plan and its run moves it; the step asks for a new sync anyway.
    const volatileFacts = ['lastSyncEndTime'];
    if (opts.beforeFlag && !run.startedAt && settings.directorySyncMigrateToScimEnabled === true) {
      // Only an adopted tenant gets here (preflight refuses a flag found on otherwise): directory
      // sync is already off, and the console no longer offers Sync Now.
      return { state: 'done', detail: 'directory sync is already off (the migration flag is on): there is nothing to sync', facts, volatileFacts };
    }
    if (run.startedAt) {
      const began = Math.floor(Date.parse(run.startedAt) / 1000);
      if (end !== undefined && end >= began) {
        return { state: 'done', detail: `directory sync finished at ${describeSyncTime(end)}, after this step began`, facts, volatileFacts };
      }
      return {
        state: 'pending',
        detail: `waiting for a Sync Now that ends after ${run.startedAt} (last sync ended ${describeSyncTime(end)})`,
        facts,
        volatileFacts,
      };
    }
    return {
      state: 'pending',
      detail: `last directory sync ended ${describeSyncTime(end)}`,
      changes: ['ask the operator to click Sync Now, then watch lastSyncEndTime'],
      facts,
      volatileFacts,
    };
  };
  return {
    id: opts.id,
    title: opts.title ?? 'Sync Now with Active Directory',
    doc: opts.doc,
    kind: 'operator',
    guide: () => ({
      instructions: SYNC_NOW_INSTRUCTIONS,
      verifiedBy: 'lastSyncEndTime in the authentication settings moving past the moment the step began (nothing to confirm: the run continues by itself)',
      wait: { for: 'the directory sync to finish', limit: '15 minutes, then exit 3 (state saved; a rerun keeps watching)' },
    }),
    observe,
    async apply(run) {
      await run.ctx.operator.perform({
        action: 'zia.syncNow',
        title: 'Sync Now with Active Directory',
        instructions: SYNC_NOW_INSTRUCTIONS,
        observedBy: 'lastSyncEndTime in the authentication settings',
      });
    },
    async verify(run) {
      const seen = await pollUntil(run.ctx, 'waiting for the directory sync to finish', () => observe(run), 15 * 60_000);
      if (seen.state !== 'done') {
        throw new OperatorNeeded(
          `Sync Now has not been observed yet: ${seen.detail}`,
          'Click Sync Now if it was not clicked; run the same command again once the sync has finished.',
        );
      }
      return seen;
    },
  };
}

/** Shared observation of the one flag the migration turns on, in the configuration ZIA would activate. */
export function migrationFlagStep(opts: { id: string; doc: string; want: boolean }): Step<MigrationContext> {
  const label = 'Disable Directory Sync & Enable SCIM Provisioning';
  return {
    id: opts.id,
    title: `${opts.want ? 'Enable' : 'Disable'} "${label}"`,
    doc: opts.doc,
    kind: 'automated',
    async observe({ ctx }) {
      const s = await ctx.zia().getAuthSettings();
      const current = s.directorySyncMigrateToScimEnabled === true;
      return current === opts.want
        ? { state: 'done', detail: `directorySyncMigrateToScimEnabled is ${current}` }
        : {
            state: 'pending',
            detail: `directorySyncMigrateToScimEnabled is ${current}`,
            changes: [`PUT /authSettings with directorySyncMigrateToScimEnabled ${current} → ${opts.want} (every other field sent back as read)`],
          };
    },
    async apply({ ctx }) {
      const { before } = await ctx.zia().updateAuthSettings({ directorySyncMigrateToScimEnabled: opts.want });
      return { before: Boolean(before.directorySyncMigrateToScimEnabled) };
    },
  };
}

/**
 * Activation publishes every pending change of the tenant, by anyone (help.zscaler.com/zia: "Saving and Activating Changes").
 * Preflight refuses to start with other admins' changes pending unless accepted; this step
 * says so again at the moment it activates.
 */
export function activateStep(opts: { id: string; doc: string; title?: string }): Step<MigrationContext> {
  return {
    id: opts.id,
    title: opts.title ?? 'Activate the ZIA changes',
    doc: opts.doc,
    kind: 'automated',
    async observe({ ctx }) {
      const status = await ctx.zia().getActivationStatus();
      if (status === 'ACTIVE') return { state: 'done', detail: 'no changes pending activation' };
      return {
        state: 'pending',
        detail: `activation status is ${status}`,
        changes: ["POST /status/activate (tenant-wide: publishes every pending change, including other admins')"],
      };
    },
    async apply({ ctx }) {
      const zia = ctx.zia();
      const status = await zia.activate();
      if (status === 'ACTIVE') return { activatedAt: new Date().toISOString() };
      // Queued behind another admin's session: wait a bounded time, then hand back to a person.
      const seen = await pollUntil(
        ctx,
        'waiting for the activation to complete',
        async () => {
          const s = await zia.getActivationStatus();
          return { state: s === 'ACTIVE' ? 'done' : 'pending', detail: `activation status ${s}` } as Observation;
        },
        5 * 60_000,
      );
      if (seen.state !== 'done') {
        throw new UserError(`activation did not complete: ${seen.detail}`, {
          hint: 'Another administrator may hold pending changes (ZIA queues activations until every editing admin activates). Ask them, or use Force Activate in the console, then run again.',
        });
      }
      return { activatedAt: new Date().toISOString() };
    },
  };
}
