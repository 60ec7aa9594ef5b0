import { UserError } from '../../engine/errors.js';
import type { PreflightCheck, Observation, Step, StepRun } from '../../engine/step.js';
import { createGraphClient, cycleEndedWithErrors, describeQuarantine, isInitialCycleComplete, type GraphClient, type SyncJob } from '../../clients/graph.js';
import { resolveSecret } from '../../config/secrets.js';
import { pollUntil } from '../../flows/steps/poll.js';
import type { MigrationContext } from '../../flows/context.js';
import { obtainScimCredentials } from '../../flows/steps/scim.js';
import { configOf, type IdpProvisioner, recordedScimEndpoint } from '../provisioner.js';
import { entraAdoptionForecastStep } from './forecast.js';
import { entraPilotStep } from './pilot.js';
import { describeEntraStop, entraDeleteThresholdStep, entraRestoreDeleteThresholdStep, entraStopGuide, thresholdSnapshot } from './delete-threshold.js';

/**
 * The Entra ID side: the Zscaler enterprise app's provisioning job, driven through the
 * Microsoft Graph synchronization API (docs/vendor-facts.md F29–F31 and G1–G16).
 */

/** The Graph client of this run (config idp), made once. */
export function graphOf(ctx: MigrationContext): GraphClient {
  const idp = configOf(ctx, 'entra');
  return ctx.client('entra:graph', ({ readOnly, audit, env, rateLimits }) =>
    createGraphClient({
      loginUrl: idp.loginUrl,
      graphUrl: idp.graphUrl,
      tenantId: idp.tenantId,
      clientId: idp.clientId,
      clientSecret: resolveSecret(idp, 'clientSecret', 'idp', env),
      readOnly,
      audit,
      rateLimits,
    }),
  );
}

/**
 * The Zscaler app's service principal (config idp.servicePrincipal), looked up once per run:
 * it does not change while a migration runs, and the initial-cycle wait polls every few seconds.
 * A failed lookup is tried again next time.
 */
export function servicePrincipalIdOf(ctx: MigrationContext): Promise<string> {
  const holder = ctx.client('entra:servicePrincipalId', () => ({ id: undefined as Promise<string> | undefined }));
  holder.id ??= graphOf(ctx)
    .findServicePrincipal(configOf(ctx, 'entra').servicePrincipal)
    .then((sp) => sp.id)
    .catch((err: unknown) => {
      holder.id = undefined;
      throw err;
    });
  return holder.id;
}

interface JobRef {
  spId: string;
  jobId: string;
  job: SyncJob;
}

export async function findJob(ctx: MigrationContext): Promise<JobRef> {
  const spId = await servicePrincipalIdOf(ctx);
  const job = await graphOf(ctx).getSynchronizationJob(spId);
  return { spId, jobId: job.id, job };
}

const scheduleState = (job: SyncJob): string => job.schedule?.state ?? 'unknown';

const WANTED_KEYS = ['BaseAddress', 'SecretToken', 'SyncAll'];

/**
 * Secrets: Tenant URL, Secret Token, and scope "Sync only assigned users and groups" (SyncAll false).
 * Graph v1.0 documents only PUT on the secrets and a PUT replaces the whole set; the keys are read
 * (beta) where Graph allows it, never the values (docs/vendor-facts.md, Entra ID / Microsoft Graph).
 */
export function entraCredentialsStep(doc: string): Step<MigrationContext> {
  return {
    id: 'entra-credentials',
    title: 'Configure Entra provisioning: Tenant URL, Secret Token, scope "assigned only"; Test Connection',
    doc,
    kind: 'automated',
    async observe(run) {
      const { ctx } = run;
      const { spId } = await findJob(ctx);
      const read = await graphOf(ctx).getSecretKeys(spId);
      const wanted = ctx.scimCredentials?.baseUrl ?? recordedScimEndpoint(run);
      const recorded = run.previous?.baseUrl;
      const missing = read.keys === null ? [] : WANTED_KEYS.filter((k) => !read.keys.includes(k));
      if (missing.length === 0 && typeof recorded === 'string' && recorded === wanted) {
        return {
          state: 'done',
          detail: `provisioning credentials for ${recorded} are saved on the app${read.keys === null ? ' (recorded by this migration; Graph does not let them be read back)' : ''}`,
        };
      }
      const others = read.keys === null ? [] : read.keys.filter((k) => !WANTED_KEYS.includes(k));
      return {
        state: 'pending',
        detail:
          read.keys === null
            ? `the app's provisioning secrets cannot be read (${read.reason}); this migration has not saved them yet`
            : missing.length
              ? `the app's provisioning secrets lack ${missing.join(', ')}`
              : 'the app holds provisioning credentials this migration did not set',
        changes: [
          `PUT synchronization/secrets: BaseAddress = ${wanted ?? '(the SCIM Base URL)'}, SecretToken = (the bearer token), SyncAll = false`,
          read.keys === null
            ? 'the PUT replaces the whole set and the keys saved now cannot be read: any other key (for example a notification email or SkipOutOfScopeDeletions) is removed'
            : others.length
              ? `the PUT replaces the whole set: readable settings among ${others.join(', ')} are kept, any secret among them is removed`
              : 'the PUT replaces the whole set (no other key is saved now)',
          'POST validateCredentials (Test Connection)',
        ],
      };
    },
    async apply(run) {
      const { ctx } = run;
      const known = recordedScimEndpoint(run);
      const creds = await obtainScimCredentials(
        ctx,
        'The SCIM Bearer Token is held in memory only and this run does not have it.',
        true,
        typeof known === 'string' ? known : undefined,
      );
      const { spId, jobId } = await findJob(ctx);
      const graph = graphOf(ctx);
      const put = await graph.updateSecrets(spId, { BaseAddress: creds.baseUrl, SecretToken: creds.token, SyncAll: 'false' });
      await graph.validateCredentials(spId, jobId);
      return { baseUrl: creds.baseUrl, servicePrincipalId: spId, jobId, secretKeys: put.keys, droppedKeys: put.dropped, savedAt: new Date().toISOString() };
    },
    async verify({ ctx }, applied) {
      const { spId } = await findJob(ctx);
      const read = await graphOf(ctx).getSecretKeys(spId);
      // Where Graph will not list the keys, the 204 of the PUT and Test Connection with the saved credentials are the proof.
      if (read.keys === null) return { state: 'done', detail: `credentials for ${String(applied?.baseUrl)} saved and Test Connection passed` };
      const ok = WANTED_KEYS.every((k) => read.keys.includes(k));
      return ok
        ? { state: 'done', detail: `credentials for ${String(applied?.baseUrl)} saved and Test Connection passed` }
        : { state: 'pending', detail: `secret keys present after the update: ${read.keys.join(', ')}` };
    },
  };
}

/**
 * The job's schedule, running or not: "Provisioning Status: On" is start, "Off" is pause
 * (docs/vendor-facts.md F30: pause keeps state and deprovisions nothing; start resumes where it stopped).
 */
function jobScheduleStep(opts: { id: string; title: string; doc: string; running: boolean }): Step<MigrationContext> {
  const action = opts.running ? 'start' : 'pause';
  return {
    id: opts.id,
    title: opts.title,
    doc: opts.doc,
    kind: 'automated',
    async observe({ ctx }) {
      const { job } = await findJob(ctx);
      const state = scheduleState(job);
      const running = state === 'Active';
      const detail = running ? `provisioning job is running (status ${job.status?.code ?? 'unknown'})` : `provisioning job is not running (schedule ${state})`;
      return running === opts.running ? { state: 'done', detail } : { state: 'pending', detail, changes: [`POST synchronization/jobs/{id}/${action}`] };
    },
    async apply({ ctx }) {
      const { spId, jobId } = await findJob(ctx);
      // Taken before the request: the cycle it starts may begin before the answer arrives.
      const at = new Date().toISOString();
      if (opts.running) await graphOf(ctx).startJob(spId, jobId);
      else await graphOf(ctx).pauseJob(spId, jobId);
      return { [opts.running ? 'startedAt' : 'pausedAt']: at };
    },
  };
}

/** Start provisioning ("Provisioning Status: On"). */
export function entraStartStep(doc: string): Step<MigrationContext> {
  return jobScheduleStep({ id: 'entra-start', title: 'Start Entra provisioning', doc, running: true });
}

function progressOf(job: SyncJob): { done: number; total: number } | undefined {
  const p = job.status?.progress?.find((x) => /user/i.test(x.units ?? '')) ?? job.status?.progress?.[0];
  if (!p) return undefined;
  return { done: Number(p.completedUnits ?? 0), total: Number(p.totalUnits ?? 0) };
}

/**
 * The moment this migration set the job going: the `entra-start` step's startedAt; for a job that
 * was already running (start found it done), the moment the credentials were saved.
 */
export function cycleReference(run: StepRun<MigrationContext>): string | undefined {
  const started = run.outputsOf('entra-start')?.startedAt;
  if (typeof started === 'string') return started;
  const saved = run.outputsOf('entra-credentials')?.savedAt;
  return typeof saved === 'string' ? saved : undefined;
}

function observeCycle(job: SyncJob, since: string | undefined): Observation {
  if (job.status?.code === 'Quarantine') {
    const q = describeQuarantine(job);
    return {
      state: 'blocked',
      detail: q
        ? `provisioning is in quarantine (${q.reason}${q.since ? ` since ${q.since}` : ''}): ${q.meaning} What to do: ${q.whatToDo}`
        : 'provisioning is in quarantine',
      facts: { quarantineReason: q?.reason ?? null },
    };
  }
  if (since === undefined && scheduleState(job) !== 'Active') {
    // Not started by this run yet: whatever a pilot or an earlier run achieved does not count.
    return { state: 'pending', detail: `provisioning is not running (schedule ${scheduleState(job)}); a full cycle is awaited once it is started` };
  }
  if (isInitialCycleComplete(job, since)) {
    return {
      state: 'done',
      detail: since
        ? `a full cycle finished after provisioning was started at ${since} (steady state at ${job.status?.steadyStateLastAchievedTime ?? 'unknown'})`
        : `initial cycle complete (steady state since ${job.status?.steadyStateFirstAchievedTime})`,
    };
  }
  const errors = since === undefined ? null : cycleEndedWithErrors(job, since);
  if (errors) {
    return {
      state: 'pending',
      detail: `the cycle that ended at ${errors.endedAt} left ${errors.escrowed ?? 'some'} object(s) failing; Entra retries them in its next cycle (about every 40 minutes)`,
      facts: { failing: errors.escrowed ?? -1, cycleEndedAt: errors.endedAt },
    };
  }
  const p = progressOf(job);
  return {
    state: 'pending',
    detail: p ? `initial cycle running: ${p.done}/${p.total} users processed` : `initial cycle not finished (status ${job.status?.code ?? 'unknown'})`,
    ...(p ? { facts: { done: p.done, total: p.total } } : {}),
  };
}

/**
 * Assigned users Entra will not provision, with the reason, for the report and the parity step:
 * users assigned with the Default Access role (the Zscaler tutorials exclude them, G10).
 */
export async function notProvisionedByDesign(ctx: MigrationContext): Promise<{ defaultAccess: string[]; explanation: string | undefined }> {
  const spId = await servicePrincipalIdOf(ctx);
  const assignments = await graphOf(ctx).listAssignments(spId);
  const defaultAccess = assignments
    .filter((a) => a.defaultAccess && (a.principalType ?? 'User') === 'User')
    .map((a) => a.principalDisplayName ?? a.principalId);
  if (defaultAccess.length === 0) return { defaultAccess, explanation: undefined };
  const shown = defaultAccess.slice(0, 10).join(', ') + (defaultAccess.length > 10 ? `, … ${defaultAccess.length - 10} more` : '');
  return {
    defaultAccess,
    explanation:
      `${defaultAccess.length} user(s) are assigned to the Zscaler app with the Default Access role, which Entra does not provision (${shown}): ` +
      'they are not pushed by SCIM; assign them a role such as User in Enterprise applications > Users and groups if they should be.',
  };
}

/**
 * Objects whose latest provisioning-log entry since `since` is a failure (a later success clears
 * an earlier failure: Entra retried it), with the reason Entra logged.
 */
export async function failedObjects(ctx: MigrationContext, since: string): Promise<Array<{ name: string; type: string; reason: string }>> {
  const { jobId } = await findJob(ctx);
  const latest = new Map<string, { at: number; failed: boolean; name: string; type: string; reason: string }>();
  for await (const page of graphOf(ctx).listProvisioningLogs(jobId, since)) {
    for (const e of page) {
      const id = e.sourceIdentity?.id;
      if (!id) continue;
      const at = Date.parse(e.activityDateTime);
      const prior = latest.get(id);
      if (prior && prior.at > at) continue;
      const status = e.provisioningStatusInfo?.status ?? '';
      latest.set(id, {
        at,
        failed: status === 'failure',
        name: e.sourceIdentity?.displayName ?? id,
        type: e.sourceIdentity?.identityType ?? 'object',
        reason: e.provisioningStatusInfo?.errorInformation?.reason ?? e.provisioningStatusInfo?.errorInformation?.errorCode ?? 'no reason logged',
      });
    }
  }
  return [...latest.values()].filter((v) => v.failed).map(({ name, type, reason }) => ({ name, type, reason }));
}

/**
 * A logged reason in a sentence: Entra's reason often carries the target's whole answer, and a SCIM
 * error's `detail` (RFC 7644 §3.12) is what says why; cut blindly, the answer lost exactly that.
 */
export function shortReason(reason: string): string {
  const first = reason.split('\n')[0] ?? '';
  const detail = /"detail"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(reason)?.[1];
  if (detail === undefined) return first.slice(0, 160);
  let text = detail;
  try {
    text = JSON.parse(`"${detail}"`) as string;
  } catch {
    // keep the escaped form
  }
  const before = first.slice(0, first.indexOf('{') >= 0 ? first.indexOf('{') : first.length).replace(/[\s:]+$/, '');
  return `${before.slice(0, 120)}: ${text.slice(0, 200)}`;
}

function describeFailures(failed: Array<{ name: string; type: string; reason: string }>): string {
  if (failed.length === 0) return '';
  const shown = failed
    .slice(0, 5)
    .map((f) => `${f.type} ${f.name} (${shortReason(f.reason)})`)
    .join('; ');
  return ` ${failed.length} object(s) failed in Entra's provisioning logs and are being retried: ${shown}${failed.length > 5 ? `; … ${failed.length - 5} more` : ''}.`;
}

/**
 * The hook for the parity step: one or more sentences (leading space) on assigned users Entra
 * did not provision and why, or '' when there is nothing to say or Graph cannot be read.
 */
export async function explainNotProvisioned(run: StepRun<MigrationContext>): Promise<string> {
  const parts: string[] = [];
  try {
    const { explanation } = await notProvisionedByDesign(run.ctx);
    if (explanation) parts.push(explanation);
    const since = cycleReference(run);
    if (since !== undefined) {
      const failed = describeFailures(await failedObjects(run.ctx, since));
      if (failed) parts.push(failed.trim());
    }
  } catch {
    // The explanation is a courtesy: the parity failure stands on its own.
  }
  return parts.length ? ` ${parts.join(' ')}` : '';
}

/**
 * A logged reason a later cycle may clear without anyone acting: the target was busy, down or slow
 * (HTTP 408, 429, 5xx, a timeout). Other refusals (a value refused, a conflict) come back every cycle.
 */
const CLEARS_BY_ITSELF =
  /\b(?:HTTP|StatusCode:?)\s*(?:408|429|5\d\d)\b|ServiceUnavailable|InternalServerError|TooManyRequests|BadGateway|GatewayTimeout|timed? ?out/i;

/**
 * Entra retries failed objects in its next cycles (docs/vendor-facts.md G15). When two cycles in a
 * row end with the same objects failing for the same reasons, none of which clears by itself, the
 * retry changed nothing and the rest of the budget (hours by default) would be spent waiting for it.
 * `judge` turns that observation into `blocked`; `unchanged` says which objects and why.
 */
function retryWatch(ctx: MigrationContext, since: string | undefined) {
  let previous: { endedAt: string; signature: string | undefined } | undefined;
  const watch = {
    unchanged: undefined as { endedAt: string; failed: Awaited<ReturnType<typeof failedObjects>> } | undefined,
    async judge(seen: Observation): Promise<Observation> {
      const endedAt = seen.facts?.cycleEndedAt;
      if (since === undefined || typeof endedAt !== 'string' || endedAt === previous?.endedAt) return seen;
      const failed = await failedObjects(ctx, since);
      const stubborn = failed.length > 0 && failed.every((f) => !CLEARS_BY_ITSELF.test(f.reason));
      const signature = stubborn ? JSON.stringify(failed.map((f) => `${f.type} ${f.name}: ${f.reason}`).sort()) : undefined;
      const repeated = signature !== undefined && previous?.signature === signature;
      previous = { endedAt, signature };
      if (!repeated) return seen;
      watch.unchanged = { endedAt, failed };
      return { state: 'blocked', detail: `the retry cycle that ended at ${endedAt} failed the same ${failed.length} object(s) again`, facts: seen.facts };
    },
  };
  return watch;
}

/** Wait for the initial cycle with a progress bar; a quarantine stops the run with its explanation. */
export function entraInitialCycleStep(doc: string): Step<MigrationContext> {
  return {
    id: 'entra-initial-cycle',
    title: 'Wait for the initial provisioning cycle',
    doc,
    kind: 'automated',
    guide: (ctx) => ({
      wait: {
        for: 'a full provisioning cycle that began after Start, with progress',
        limit: `${ctx.config.idp.initialCycleTimeoutMinutes} minutes (idp.initialCycleTimeoutMinutes), then it stops naming what still fails; a rerun keeps watching`,
      },
    }),
    async observe(run) {
      const { job } = await findJob(run.ctx);
      return observeCycle(job, cycleReference(run));
    },
    async apply(run) {
      const { ctx } = run;
      const since = cycleReference(run);
      const minutes = configOf(ctx, 'entra').initialCycleTimeoutMinutes;
      const retries = retryWatch(ctx, since);
      const seen = await pollUntil(
        ctx,
        'Entra initial cycle',
        async () => retries.judge(observeCycle((await findJob(ctx)).job, since)),
        minutes * 60_000,
        (o) => (typeof o.facts?.done === 'number' && typeof o.facts.total === 'number' ? { done: o.facts.done, total: o.facts.total } : undefined),
      );
      if (retries.unchanged) {
        throw new UserError(
          `objects still fail to provision after Entra retried them: the cycle that ended at ${retries.unchanged.endedAt} failed the same ${retries.unchanged.failed.length} object(s) for the same reasons as the cycle before, and no reason is one that clears by itself (a busy or unreachable service).${describeFailures(retries.unchanged.failed)}`,
          {
            hint: 'Waiting longer retries the same refusals. Read the provisioning logs for each object and fix the cause (a value the SCIM service refuses, a duplicate, a mapping), then run the same command again: it keeps watching from here. Or roll back.',
          },
        );
      }
      if (seen.state === 'blocked') {
        throw new UserError(seen.detail, {
          hint:
            seen.facts?.quarantineReason === 'TooManyDeletes'
              ? "Entra's own deletion threshold (set by this migration from guards.maxDeletions and guards.maxDisablePercent) held this cycle: nothing over it was disabled or deleted. Read the provisioning logs (action StagedDelete), fix the cause, then start the job again; or roll back."
              : 'Fix the cause (usually the Secret Token or Tenant URL), then run again: the credentials step re-checks and the job is restarted from quarantine by Start.',
        });
      }
      // Out of budget: objects that failed since the start (provisioning logs) are the likely reason.
      const failed = seen.state !== 'done' && since !== undefined ? await failedObjects(ctx, since) : [];
      if (seen.state !== 'done' && (failed.length > 0 || typeof seen.facts?.failing === 'number')) {
        throw new UserError(`after ${minutes} minutes objects still fail to provision (${seen.detail}).${describeFailures(failed)}`, {
          hint: 'Read the provisioning logs for each failing object and fix the cause (a value ZIA refuses, a duplicate); Entra retries them every cycle. Run the same command again to keep waiting.',
        });
      }
      if (seen.state !== 'done') {
        throw new UserError(`the initial cycle is still running after ${minutes} minutes: ${seen.detail}`, {
          hint: 'Nothing is wrong with waiting longer: run the same command again to keep watching (idp.initialCycleTimeoutMinutes sets the budget).',
        });
      }
      const { defaultAccess, explanation } = await notProvisionedByDesign(ctx);
      if (explanation) ctx.out.warn(explanation);
      return { completedAt: new Date().toISOString(), defaultAccessUsers: defaultAccess };
    },
  };
}

/** Rollback step 1: pause, never unassign or narrow scope (out-of-scope users get disabled in Zscaler, docs/vendor-facts.md F30). */
export function entraPauseStep(doc: string): Step<MigrationContext> {
  return jobScheduleStep({ id: 'entra-pause', title: 'Pause Entra provisioning (users stay assigned; nothing is deprovisioned)', doc, running: false });
}

const GUIDE = 'ZIA AD→SCIM migration guide';
const ENTRA = 'Entra ID Zscaler provisioning tutorial / Graph synchronization API';
const REVERT = 'ZIA AD→SCIM migration guide, revert';
const ACCIDENTAL = 'Entra "Enable accidental deletions prevention in the Microsoft Entra provisioning service"';

const graphCanManageProvisioning: PreflightCheck<MigrationContext> = {
  id: 'graph-provisioning',
  title: "Graph credentials can read the Zscaler app's provisioning job",
  async run(ctx) {
    const { spId, job } = await findJob(ctx);
    await graphOf(ctx).getSecretKeys(spId);
    // Writes need Application.ReadWrite.OwnedBy (app owner) or Synchronization.ReadWrite.All (docs/vendor-facts.md F32);
    // a read cannot prove write access, so the first write reports a 403 with this same advice.
    return { ok: true, detail: `service principal ${spId}, job ${job.id} (status ${job.status?.code ?? 'unknown'})` };
  },
};

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] ?? '';
}

/** Entra ID behind the IdP interface: every capability automated through Microsoft Graph. */
export const entraProvisioner: IdpProvisioner = {
  kind: 'entra',
  label: 'Entra ID',
  preflight: [graphCanManageProvisioning],
  async snapshot(ctx) {
    const { spId, job } = await findJob(ctx);
    const secrets = await graphOf(ctx).getSecretKeys(spId);
    return {
      entraJob: { servicePrincipalId: spId, jobId: job.id, statusCode: job.status?.code ?? null, scheduleState: job.schedule?.state ?? null },
      // null when Graph does not let the keys be read (v1.0 has no GET): then they are unknown, not absent.
      entraSecretKeys: secrets.keys,
      // SyncNotificationSettings as it was (null: none saved), or why it is unknown: rollback puts it back.
      entraDeleteThreshold: await thresholdSnapshot(ctx, spId),
    };
  },
  steps: {
    beforeFlip: [entraAdoptionForecastStep(`${ENTRA} (attribute mappings, matching attribute); Zscaler "Understanding SCIM"`)],
    setCredentials: entraCredentialsStep(`${GUIDE}, step 7; ${ENTRA}`),
    start: entraStartStep(`${ENTRA} ("Provisioning Status: On")`),
    // The threshold first: the pilot's on-demand exports run with the job's secrets as they will be at Start.
    beforeStart: [
      entraDeleteThresholdStep(`${ACCIDENTAL} ("Prevent accidental deletions")`),
      entraPilotStep(`${ENTRA} (provision on demand: pilot users before Start)`),
    ],
    initialCycle: entraInitialCycleStep(`${ENTRA} (initial cycle)`),
    pause: entraPauseStep(`${REVERT}, step 4 (done first, so nothing is pushed while ZIA changes)`),
    restore: entraRestoreDeleteThresholdStep(`${ACCIDENTAL} (the setting as it was before the migration)`),
  },
  deprovisionStop: { guide: entraStopGuide, describe: describeEntraStop },
  async provisioningNow(ctx) {
    const { job } = await findJob(ctx);
    return job.schedule?.state === 'Active' ? `the Entra provisioning job is already running (status ${job.status?.code ?? 'unknown'})` : undefined;
  },
  async testConnection(run) {
    const { ctx } = run;
    try {
      const { spId, jobId } = await findJob(ctx);
      const { keys } = await graphOf(ctx).getSecretKeys(spId);
      // Unreadable keys (Graph v1.0 has no GET): the forward run's record says whether a token was saved.
      const tokenSaved = keys === null ? run.statusOf('ad-to-scim:entra-credentials') !== 'pending' : keys.includes('SecretToken');
      if (!tokenSaved) return { is: 'unknown', detail: 'Entra holds no saved token to test' };
      if (ctx.readOnly) return { is: 'unknown', detail: 'Test Connection cannot run during a dry-run (it is a POST)' };
      try {
        await graphOf(ctx).validateCredentials(spId, jobId);
        return { is: 'on', detail: "Entra's Test Connection still succeeds with its saved token" };
      } catch (err) {
        return { is: 'unknown', detail: `Entra's Test Connection fails, which a regenerated token also causes (${firstLine(err)})` };
      }
    } catch (err) {
      return { is: 'unknown', detail: `Entra could not be read (${firstLine(err)})` };
    }
  },
  explainMissing: explainNotProvisioned,
  groupsInScope: async (ctx) => (await import('./groups.js')).entraGroupsInScope(ctx),
};
