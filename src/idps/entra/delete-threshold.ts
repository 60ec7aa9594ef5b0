import { z } from 'zod';
import type { JsonValue } from '../../engine/json.js';
import type { Observation, Step, StepRun } from '../../engine/step.js';
import type { Config } from '../../config/schema.js';
import type { MigrationContext } from '../../flows/context.js';
import { deprovisionForecast, type DeprovisionForecast } from '../../flows/steps/deprovision.js';
import { obtainScimCredentials } from '../../flows/steps/scim.js';
import { findJob, graphOf } from './provisioner.js';

/**
 * Entra's own stop on mass deprovisioning: "Prevent accidental deletions" of the provisioning job,
 * saved as the secret `SyncNotificationSettings`, a JSON string {Enabled, Recipients,
 * DeleteThresholdEnabled, DeleteThresholdValue} (docs/vendor-facts.md, "Entra deletion threshold").
 * The value is a count per cycle, of deletes and disables together; a cycle that reaches it (a value
 * of 500 lets 499 through) is held: the job goes into quarantine (reason TooManyDeletes) until an
 * administrator allows or rejects the deletes.
 *
 * Design: its own step, after the deprovision guard and before Start (`steps.beforeStart`), that
 * re-PUTs the whole set of secrets. Graph has no PATCH on the secrets and a PUT replaces the set,
 * so the PUT carries BaseAddress, SyncAll and the SCIM Secret Token again; the token is the one this
 * run holds in memory (`obtainScimCredentials`: asked for again in a new process, never stored), and
 * Test Connection with the saved credentials proves nothing was dropped. Folding the threshold into
 * the credentials step's PUT would save a request but not this: a run resumed after the credentials
 * step, or a stricter value the tenant already has, still needs a step that observes and records it.
 * What was there before is recorded in the snapshot (before the first write) and in this step's
 * outputs; rollback (`entra-restore-delete-threshold`) puts it back unless guards.keepEntraDeleteThreshold.
 */

const SETTINGS_KEY = 'SyncNotificationSettings';

const bool = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False']).transform((v) => v.toLowerCase() === 'true')]);
const count = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);

/** SyncNotificationSettings as the documented examples write it; other keys are kept as they are. */
const NotificationSettingsSchema = z
  .object({ Enabled: bool.optional(), Recipients: z.string().nullish(), DeleteThresholdEnabled: bool.optional(), DeleteThresholdValue: count.optional() })
  .passthrough();

/** What the migration wants: the tool's two limits as Entra's one count. */
export interface WantedThreshold {
  /** Deletes plus disables the tool's guards allow in one cycle. */
  allowed: number;
  /** DeleteThresholdValue: the first count Entra holds (allowed + 1). */
  value: number;
  inScope: number;
  fromDeletions: number;
  fromDisables: number;
}

/**
 * Entra counts deletes and disables together against one number, with no percentage form; the
 * tool allows guards.maxDeletions deletions and guards.maxDisablePercent of the users in scope as
 * disables. Entra's count is their sum: the smaller of the two would make Entra hold a first cycle
 * the guard has just accepted (with the defaults, one user disabled in AD would quarantine the job).
 * A value of N lets N − 1 through, so the value is the allowance plus one.
 */
export function wantedThreshold(guards: Config['guards'], inScope: number): WantedThreshold {
  const fromDisables = Math.floor((guards.maxDisablePercent * inScope) / 100 + 1e-9);
  const allowed = guards.maxDeletions + fromDisables;
  return { allowed, value: allowed + 1, inScope, fromDeletions: guards.maxDeletions, fromDisables };
}

/** The job's current threshold: readable or not; `threshold` null when prevention is off or nothing is saved. */
type ThresholdRead =
  | { readable: false; reason: string }
  | { readable: true; raw: string | null; threshold: number | null; parsed: Record<string, unknown> | null; keys: string[] };

function parseSettings(raw: string | null): { threshold: number | null; parsed: Record<string, unknown> | null } {
  if (raw === null) return { threshold: null, parsed: null };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { threshold: null, parsed: null };
  }
  const s = NotificationSettingsSchema.safeParse(json);
  if (!s.success) return { threshold: null, parsed: null };
  const on = s.data.DeleteThresholdEnabled === true && s.data.DeleteThresholdValue !== undefined;
  return { threshold: on ? (s.data.DeleteThresholdValue as number) : null, parsed: json as Record<string, unknown> };
}

async function readThreshold(ctx: MigrationContext, spId: string): Promise<ThresholdRead> {
  const read = await graphOf(ctx).getSecretSettings(spId);
  if (read.keys === null) return { readable: false, reason: read.reason };
  const raw = read.settings[SETTINGS_KEY] ?? null;
  // Listed but its value withheld: unknown, not absent.
  if (raw === null && read.keys.includes(SETTINGS_KEY)) return { readable: false, reason: `Graph lists ${SETTINGS_KEY} but does not give its value` };
  return { readable: true, raw, keys: read.keys, ...parseSettings(raw) };
}

/** What the snapshot records (before the first write): the raw setting, null when none is saved, or why it is unknown. */
export async function thresholdSnapshot(ctx: MigrationContext, spId: string): Promise<JsonValue> {
  const read = await readThreshold(ctx, spId);
  return read.readable ? { readable: true, value: read.raw } : { readable: false, reason: read.reason };
}

const describeThreshold = (t: number | null): string => (t === null ? 'off' : `${t}`);

/** For the deprovision guard: Entra's own stop, in a clause. Never throws. */
export async function describeEntraStop(ctx: MigrationContext, forecast: DeprovisionForecast): Promise<string> {
  const wanted = wantedThreshold(ctx.config.guards, forecast.inScope);
  const k = forecast.wouldDisable + forecast.wouldDelete;
  try {
    const { spId } = await findJob(ctx);
    const read = await readThreshold(ctx, spId);
    const held = (t: number) =>
      `Entra's own stop: its accidental-deletion threshold holds any cycle with ${t} or more deletes and disables (job quarantined, reason TooManyDeletes)` +
      (k >= t ? `; this forecast (${k}) reaches it, so Entra may hold the first cycle` : `; this forecast (${k}) stays below it`);
    if (read.readable && read.threshold !== null && read.threshold <= wanted.value) return held(read.threshold);
    const now = read.readable ? describeThreshold(read.threshold) : `unknown: ${read.reason}`;
    return `${held(wanted.value).replace('its accidental-deletion threshold holds', `the next step sets its accidental-deletion threshold (now ${now}) to ${wanted.value}, which holds`)}`;
  } catch (err) {
    return `Entra's own stop could not be read (${String((err as Error)?.message ?? err).split('\n')[0]}); the next step sets it to ${wanted.value}`;
  }
}

export function entraStopGuide(ctx: MigrationContext): string {
  const g = ctx.config.guards;
  return (
    `Entra's own stop: its accidental-deletion threshold is set to guards.maxDeletions (${g.maxDeletions}) + guards.maxDisablePercent (${g.maxDisablePercent}%) of the users in scope, plus one, ` +
    'unless the tenant already has a stricter one; a cycle that reaches it is held in quarantine (TooManyDeletes)'
  );
}

const CREDENTIALS = ['BaseAddress', 'SecretToken', 'SyncAll'];

/** Forward, before Start: set the threshold for the migration unless the tenant's own is stricter. */
export function entraDeleteThresholdStep(doc: string): Step<MigrationContext> {
  return {
    // Literal ids: this module and provisioner.ts import each other, so no constant is read while the provisioner is built.
    id: 'entra-delete-threshold',
    title: "Set Entra's accidental-deletion threshold (Prevent accidental deletions) from the guards",
    doc,
    kind: 'automated',
    guide: (ctx) => ({
      verifiedBy: `${SETTINGS_KEY} read back where Graph allows it, and Test Connection with the saved credentials (the PUT replaces the whole set, so the Secret Token is sent again)`,
      guard: entraStopGuide(ctx),
    }),
    async observe(run) {
      const { ctx } = run;
      const { spId } = await findJob(ctx);
      const wanted = wantedThreshold(ctx.config.guards, (await deprovisionForecast(ctx)).inScope);
      const read = await readThreshold(ctx, spId);
      const facts: Record<string, JsonValue> = { deleteThresholdValue: wanted.value, allowedPerCycle: wanted.allowed, usersInScope: wanted.inScope };
      const setByUs = typeof run.previous?.setValue === 'number' ? run.previous.setValue : undefined;
      if (read.readable && read.threshold !== null && read.threshold <= wanted.value) {
        return {
          state: 'done',
          detail:
            setByUs === read.threshold
              ? `set by this migration: Entra holds any cycle with ${read.threshold} or more deletes and disables`
              : `Entra's own accidental-deletion threshold (${read.threshold}) is already at least as strict as the migration's (${wanted.value}); kept`,
          facts: { ...facts, current: read.threshold },
        };
      }
      if (!read.readable && setByUs !== undefined && setByUs <= wanted.value) {
        return { state: 'done', detail: `set to ${setByUs} by this migration (Graph does not let it be read back: ${read.reason})`, facts };
      }
      const now = read.readable
        ? read.raw === null
          ? `Entra's accidental-deletion prevention is off (no ${SETTINGS_KEY} saved)`
          : read.parsed === null
            ? `${SETTINGS_KEY} holds a value that is not the documented JSON`
            : read.threshold === null
              ? "Entra's accidental-deletion prevention is off"
              : `Entra's accidental-deletion threshold is ${read.threshold}, looser than the migration's ${wanted.value}`
        : `Entra's current threshold cannot be read (${read.reason})`;
      return {
        state: 'pending',
        detail: now,
        changes: [
          `PUT synchronization/secrets: ${SETTINGS_KEY} DeleteThresholdEnabled true, DeleteThresholdValue ${wanted.value} (guards.maxDeletions ${wanted.fromDeletions} + guards.maxDisablePercent ${ctx.config.guards.maxDisablePercent}% of ${wanted.inScope} users in scope = ${wanted.allowed} deletes and disables allowed per cycle)`,
          read.readable
            ? 'the PUT replaces the whole set: BaseAddress, SecretToken (the token this run holds) and SyncAll are sent again, readable settings are kept, the notification email settings unchanged'
            : 'the PUT replaces the whole set: BaseAddress, SecretToken (the token this run holds) and SyncAll are sent again; other keys cannot be read and are removed, and the value before cannot be recorded, so rollback will leave this one',
          'POST validateCredentials (Test Connection) with the saved credentials',
        ],
        facts,
      };
    },
    async apply(run) {
      const { ctx } = run;
      const { spId, jobId } = await findJob(ctx);
      const wanted = wantedThreshold(ctx.config.guards, (await deprovisionForecast(ctx)).inScope);
      const read = await readThreshold(ctx, spId);
      const previous: Record<string, JsonValue> = read.readable
        ? { previousReadable: true, previous: read.raw }
        : { previousReadable: false, previousUnknownBecause: read.reason };
      if (read.readable && read.threshold !== null && read.threshold <= wanted.value) return { kept: read.threshold, ...previous };
      const known = run.outputsOf('entra-credentials')?.baseUrl ?? run.outputsOf('enable-scim-on-idp')?.baseUrl;
      const creds = await obtainScimCredentials(
        ctx,
        "Setting Entra's deletion threshold re-sends the whole set of provisioning secrets (Graph has no PATCH on them), the Secret Token included, which this run does not hold.",
        true,
        typeof known === 'string' ? known : undefined,
      );
      const next = { ...(read.readable && read.parsed ? read.parsed : { Enabled: false }), DeleteThresholdEnabled: true, DeleteThresholdValue: wanted.value };
      const graph = graphOf(ctx);
      const put = await graph.updateSecrets(spId, {
        BaseAddress: creds.baseUrl,
        SecretToken: creds.token,
        SyncAll: 'false',
        [SETTINGS_KEY]: JSON.stringify(next),
      });
      // The token went out again with the PUT: Test Connection with what is saved now proves it is there and works.
      await graph.validateCredentials(spId, jobId);
      return {
        setValue: wanted.value,
        allowedPerCycle: wanted.allowed,
        usersInScope: wanted.inScope,
        ...previous,
        droppedKeys: put.dropped,
        setAt: new Date().toISOString(),
      };
    },
    async verify({ ctx }, applied): Promise<Observation> {
      if (typeof applied?.kept === 'number') return { state: 'done', detail: `Entra's own threshold (${applied.kept}) is already at least as strict; kept` };
      const { spId } = await findJob(ctx);
      const read = await readThreshold(ctx, spId);
      const value = applied?.setValue;
      if (!read.readable)
        return { state: 'done', detail: `threshold ${String(value)} saved and Test Connection passed (Graph does not let it be read back: ${read.reason})` };
      const missing = CREDENTIALS.filter((k) => !read.keys.includes(k));
      if (missing.length) return { state: 'pending', detail: `the secrets lack ${missing.join(', ')} after the update` };
      return read.threshold === value
        ? { state: 'done', detail: `Entra now holds any cycle with ${value} or more deletes and disables; Test Connection passed with the saved token` }
        : { state: 'pending', detail: `${SETTINGS_KEY} reads ${read.raw ?? '(none)'} after the update, not threshold ${String(value)}` };
    },
  };
}

type SnapshotThreshold = { readable: true; value: string | null } | { readable: false; reason: string };

/** The value before the migration: from the snapshot, else (a snapshot taken by an earlier version) what the forward step saw before it wrote. */
function snapshotOf(run: StepRun<MigrationContext>): SnapshotThreshold | undefined {
  const s = run.snapshot?.entraDeleteThreshold;
  if (s === undefined) {
    const seen = run.outputsOf('ad-to-scim:entra-delete-threshold');
    if (seen?.previousReadable === true && (typeof seen.previous === 'string' || seen.previous === null)) return { readable: true, value: seen.previous };
    return undefined;
  }
  if (!s || typeof s !== 'object' || Array.isArray(s)) return undefined;
  if (s.readable === true && (typeof s.value === 'string' || s.value === null)) return { readable: true, value: s.value };
  if (s.readable === false) return { readable: false, reason: String(s.reason) };
  return undefined;
}

/** Rollback, after ZIA is restored: put the threshold back as it was before the migration (or leave it, as configured). */
export function entraRestoreDeleteThresholdStep(doc: string): Step<MigrationContext> {
  const forward = 'ad-to-scim:entra-delete-threshold';
  return {
    id: 'entra-restore-delete-threshold',
    title: "Put Entra's accidental-deletion threshold back as it was before the migration",
    doc,
    kind: 'automated',
    async observe(run) {
      const { ctx } = run;
      const set = run.outputsOf(forward);
      if (run.statusOf(forward) === 'pending') return { state: 'done', detail: "this migration did not change Entra's deletion threshold" };
      if (typeof set?.kept === 'number') return { state: 'done', detail: `this migration kept the tenant's own threshold (${set.kept}); nothing to put back` };
      const setValue = typeof set?.setValue === 'number' ? set.setValue : undefined;
      if (ctx.config.guards.keepEntraDeleteThreshold) {
        return { state: 'done', detail: `left as the migration set it${setValue ? ` (${setValue})` : ''}: guards.keepEntraDeleteThreshold is true` };
      }
      const before = snapshotOf(run);
      if (!before || !before.readable) {
        return {
          state: 'done',
          detail: `the threshold before the migration is unknown (${before ? before.reason : 'not in the snapshot'}), so it is left as the migration set it${setValue ? ` (${setValue})` : ''}: review Provisioning > Settings > Prevent accidental deletions in the Entra admin center`,
        };
      }
      const { spId } = await findJob(ctx);
      const read = await readThreshold(ctx, spId);
      if (!read.readable) {
        return {
          state: 'done',
          detail: `the threshold cannot be read now (${read.reason}), so it is left; before the migration ${SETTINGS_KEY} was ${before.value ?? '(not saved)'}`,
        };
      }
      if (read.raw === before.value)
        return { state: 'done', detail: `${SETTINGS_KEY} is as it was before the migration (threshold ${describeThreshold(read.threshold)})` };
      if (setValue !== undefined && read.threshold !== setValue) {
        return { state: 'done', detail: `changed since the migration set it (now ${describeThreshold(read.threshold)}, set ${setValue}): left as it is` };
      }
      return {
        state: 'pending',
        detail: `Entra's threshold is ${describeThreshold(read.threshold)} (set by the migration); before it was ${describeThreshold(parseSettings(before.value).threshold)}`,
        changes: [
          before.value === null
            ? `PUT synchronization/secrets without ${SETTINGS_KEY} (none was saved before)`
            : `PUT synchronization/secrets: ${SETTINGS_KEY} = ${before.value}`,
          'the PUT replaces the whole set: BaseAddress and SyncAll are kept; the Secret Token is removed (SCIM is off on the ZIA IdP, so it no longer works, and Graph never gives its value back); the job stays paused, and a later migration saves a new one',
        ],
      };
    },
    async apply(run): Promise<Record<string, JsonValue>> {
      const before = snapshotOf(run);
      if (!before?.readable) return { left: true };
      const { spId } = await findJob(run.ctx);
      const put = await graphOf(run.ctx).updateSecrets(spId, before.value === null ? {} : { [SETTINGS_KEY]: before.value }, {
        remove: before.value === null ? [SETTINGS_KEY] : [],
      });
      return { restoredTo: before.value, droppedKeys: put.dropped, restoredAt: new Date().toISOString() };
    },
    async verify(run) {
      const before = snapshotOf(run);
      const { spId } = await findJob(run.ctx);
      const read = await readThreshold(run.ctx, spId);
      if (!before?.readable || !read.readable) return { state: 'done', detail: 'left as it is (the value before is unknown)' };
      return read.raw === before.value
        ? { state: 'done', detail: `${SETTINGS_KEY} is back as it was before the migration (threshold ${describeThreshold(read.threshold)})` }
        : { state: 'pending', detail: `${SETTINGS_KEY} reads ${read.raw ?? '(none)'}, not ${before.value ?? '(none)'}` };
    },
  };
}
