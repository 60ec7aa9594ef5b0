import { createHash } from 'node:crypto';
import { UserError } from '../../engine/errors.js';
import type { JsonValue } from '../../engine/json.js';
import type { Observation, Step, StepOutputs, StepRun } from '../../engine/step.js';
import type { EntraUser, OnDemandResult, SyncSchema } from '../../clients/graph.js';
import type { ScimUser } from '../../clients/scim.js';
import { directoryPages } from '../../flows/parity-check.js';
import type { MigrationContext } from '../../flows/context.js';
import { obtainScimCredentials } from '../../flows/steps/scim.js';
import { configOf } from '../provisioner.js';
import { findJob, graphOf, servicePrincipalIdOf, shortReason } from './provisioner.js';

/**
 * Pilot users before Start (issue 17, section 2): each pilot user is provisioned at once with Graph's
 * provisionOnDemand (the job stays off), then verified as adopted: the ZIA user directory sync made
 * keeps its id, no second user with its userName appears in ZIA or SCIM, and userName, active and
 * displayName are what the job's attribute mapping says. A failure stops the run before Start, so
 * no other user is touched. Facts: docs/vendor-facts.md N1–N8.
 *
 * Progress is written to the checkpoint's snapshot (`entraPilot`) after each user, so a resumed
 * run never provisions again a pilot user it has already verified.
 */

const STEP_ID = 'entra-pilot';

interface PilotRecord {
  /** The ZIA user directory sync made, read before this user was provisioned. */
  ziaId: number;
  entraId: string;
  result?: string;
  action?: string;
  scimId?: string;
  verifiedAt?: string;
}

type Progress = Record<string, PilotRecord>;

const lower = (v: string): string => v.trim().toLowerCase();

/** The configured pilot, as the checkpoint compares it (a changed `idp.pilot` chooses its users afresh). */
const pilotKey = (run: StepRun<MigrationContext>): string => JSON.stringify(configOf(run.ctx, 'entra').pilot ?? null);

async function saveProgress(run: StepRun<MigrationContext>, names: string[], progress: Progress): Promise<void> {
  const entraPilot = { pilot: pilotKey(run), users: names, progress: JSON.parse(JSON.stringify(progress)) as JsonValue };
  await run.saveSnapshot({ ...(run.snapshot ?? {}), entraPilot });
}

/**
 * The pilot's users and progress as the checkpoint holds them (snapshot `entraPilot`). The users
 * chosen are reused only while `idp.pilot` is unchanged (a sample stays the sample it was); the
 * progress of each user (its ZIA id before, its verification) is kept whatever the configuration.
 */
function heldPilot(run: StepRun<MigrationContext>): { names: string[] | undefined; progress: Progress } {
  const held = run.snapshot?.entraPilot;
  if (!held || typeof held !== 'object' || Array.isArray(held)) return { names: undefined, progress: {} };
  const h = held as Record<string, JsonValue>;
  const names = h.pilot === pilotKey(run) && Array.isArray(h.users) ? h.users.filter((n): n is string => typeof n === 'string') : undefined;
  const progress = h.progress && typeof h.progress === 'object' && !Array.isArray(h.progress) ? (JSON.parse(JSON.stringify(h.progress)) as Progress) : {};
  return { names, progress };
}

/** ZIA users by lower-case login name (ZIA's `email` is the login name), deleted ones left out. */
async function ziaByLogin(ctx: MigrationContext): Promise<Map<string, Array<{ id: number; name: string; email: string }>>> {
  const map = new Map<string, Array<{ id: number; name: string; email: string }>>();
  for await (const page of ctx.zia().listUsers({ stripUnknown: true })) {
    for (const u of page) {
      if (u.deleted === true) continue;
      const k = lower(u.email);
      const list = map.get(k);
      if (list) list.push({ id: u.id, name: u.name, email: u.email });
      else map.set(k, [{ id: u.id, name: u.name, email: u.email }]);
    }
  }
  return map;
}

/** Order of the sample: sha256 of the seed and the lower-case userPrincipalName (stable, whatever order LDAP answers in). */
function rank(seed: string, upn: string): string {
  return createHash('sha256')
    .update(`${seed}\n${lower(upn)}`)
    .digest('hex');
}

/**
 * The pilot's users: the configured names, or a sample of N chosen reproducibly: the enabled users of
 * the directory scope whose userPrincipalName is the login name of exactly one ZIA user, ordered by
 * sha256(seed + userPrincipalName), keeping the first N that Entra knows and that are assigned to
 * the Zscaler app with a role it provisions. The same seed and scope pick the same users.
 */
async function choosePilot(ctx: MigrationContext): Promise<{ names: string[]; note?: string }> {
  const pilot = configOf(ctx, 'entra').pilot;
  if (!pilot) return { names: [] };
  if ('users' in pilot) return { names: [...new Set(pilot.users.map(lower))] };
  const zia = await ziaByLogin(ctx);
  const candidates: Array<{ upn: string; rank: string }> = [];
  for await (const page of directoryPages(ctx)) {
    for (const e of page) {
      const upn = e.userPrincipalName;
      if (e.disabled || !upn || zia.get(lower(upn))?.length !== 1) continue;
      candidates.push({ upn: lower(upn), rank: rank(pilot.seed, upn) });
    }
  }
  candidates.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  const graph = graphOf(ctx);
  const spId = await servicePrincipalIdOf(ctx);
  const provisioned = new Set(
    (await graph.listAssignments(spId)).filter((a) => !a.defaultAccess && (a.principalType ?? 'User') === 'User').map((a) => a.principalId),
  );
  const names: string[] = [];
  for (const c of candidates) {
    if (names.length >= pilot.sample) break;
    const user = await graph.getUser(c.upn);
    if (user && provisioned.has(user.id)) names.push(c.upn);
  }
  const note =
    names.length < pilot.sample
      ? `only ${names.length} of the ${pilot.sample} sampled users are enabled in the directory scope, in ZIA once and assigned to the Zscaler app`
      : undefined;
  return { names, ...(note ? { note } : {}) };
}

/** The rule provisionOnDemand takes: the one whose enabled object mapping provisions Users. */
function userRule(schema: SyncSchema): { ruleId: string; mappings: Array<{ target: string; source: string | undefined; direct: boolean }> } {
  for (const rule of schema.synchronizationRules) {
    const mapping = (rule.objectMappings ?? []).find((m) => m.enabled !== false && (m.sourceObjectName ?? '').toLowerCase() === 'user');
    if (!mapping || !rule.id) continue;
    return {
      ruleId: rule.id,
      mappings: (mapping.attributeMappings ?? []).map((a) => {
        const name = a.source?.name ?? undefined;
        const expr = a.source?.expression ?? undefined;
        // A direct mapping: the expression is the attribute itself ([name]) or absent.
        const direct = name !== undefined && (expr === undefined || expr === `[${name}]`);
        return { target: a.targetAttributeName, source: name, direct };
      }),
    };
  }
  throw new UserError("the provisioning job's schema has no rule with an enabled User mapping, so no pilot user can be provisioned on demand", {
    hint: 'check Provisioning > Mappings of the Zscaler app ("Provision Microsoft Entra ID Users" enabled), or remove idp.pilot',
  });
}

/** An Entra source attribute's value for the mapping (the names Graph's schema uses). */
function sourceValue(user: EntraUser, source: string): string | boolean | undefined {
  const v: unknown = source === 'objectId' ? user.id : (user as Record<string, unknown>)[source];
  return typeof v === 'string' || typeof v === 'boolean' ? v : undefined;
}

interface Expected {
  userName?: string;
  active?: boolean;
  displayName?: string;
  externalId?: string;
  /** Targets among userName, active, displayName whose mapping is an expression (not compared). */
  notCompared: string[];
}

function expectedOf(user: EntraUser, mappings: ReturnType<typeof userRule>['mappings']): Expected {
  const out: Expected = { notCompared: [] };
  for (const target of ['userName', 'active', 'displayName', 'externalId'] as const) {
    const m = mappings.find((x) => x.target === target);
    if (!m) continue;
    if (!m.direct || m.source === undefined) {
      if (target !== 'externalId') out.notCompared.push(target);
      continue;
    }
    const v = sourceValue(user, m.source);
    if (v === undefined) continue;
    if (target === 'active') out.active = typeof v === 'boolean' ? v : String(v).toLowerCase() === 'true';
    else out[target] = String(v);
  }
  return out;
}

function describeResult(r: OnDemandResult): string {
  const parts = [`result ${r.result}`];
  if (r.errorCode) parts.push(`errorCode ${r.errorCode}`);
  if (r.errorMessage) parts.push(shortReason(r.errorMessage));
  else if (r.reason) parts.push(shortReason(r.reason));
  return parts.join(': ');
}

/** The user's provisioning-log entries since `since`, as reasons (the log's own words). */
async function logReasons(ctx: MigrationContext, entraId: string, since: string): Promise<string[]> {
  try {
    const { jobId } = await findJob(ctx);
    const out: string[] = [];
    for await (const page of graphOf(ctx).listProvisioningLogs(jobId, since)) {
      for (const e of page) {
        if (e.sourceIdentity?.id !== entraId) continue;
        const info = e.provisioningStatusInfo;
        out.push(
          `${e.activityDateTime} ${e.provisioningAction ?? 'action'} ${info?.status ?? ''}${info?.errorInformation ? ` (${info.errorInformation.errorCode ?? ''}: ${shortReason(info.errorInformation.reason ?? '')})` : ''}`,
        );
      }
    }
    return out.slice(-5);
  } catch {
    // The log is a courtesy: the result's own reason stands without it.
    return [];
  }
}

/** Provisions one pilot user and verifies its adoption; throws a UserError saying what failed. Returns the verified record. */
async function pilotOne(
  run: StepRun<MigrationContext>,
  upn: string,
  before: PilotRecord,
  rule: ReturnType<typeof userRule>,
  job: { spId: string; jobId: string },
): Promise<PilotRecord> {
  const { ctx } = run;
  const graph = graphOf(ctx);
  const user = await graph.getUser(upn);
  if (!user) throw new UserError(`pilot user ${upn} is not found in Entra ID`, { hint: 'name pilot users by their Entra userPrincipalName (idp.pilot.users)' });
  const since = new Date().toISOString();
  const result = await graph.provisionOnDemand(job.spId, job.jobId, rule.ruleId, [user.id]);
  const adopted = result.result === 'Success' || (result.result === 'Skipped' && result.errorCode === 'RedundantExport');
  const stop = (what: string, extra: string[] = []) =>
    new UserError(
      `pilot user ${upn} failed: ${what}. The run stopped before Start: no other user was provisioned.${extra.length ? ` ${extra.join(' ')}` : ''}`,
      {
        hint: "Fix the cause (the Zscaler app's attribute mapping, the user's assignment, the value ZIA refused), then run again: pilot users already verified are not provisioned again. Rolling back is safe: Entra provisioning was not started.",
      },
    );
  if (!adopted) {
    const log = await logReasons(ctx, user.id, since);
    const steps = result.steps.filter((s) => !/\bSuccess\b/.test(s)).slice(0, 3);
    throw stop(`Entra's provisionOnDemand answered ${describeResult(result)}`, [
      ...(steps.length ? [`Provisioning steps: ${steps.join('; ')}.`] : []),
      ...(log.length ? [`Provisioning log: ${log.join('; ')}.`] : []),
    ]);
  }

  const expected = expectedOf(user, rule.mappings);
  const creds = await obtainScimCredentials(ctx, 'The pilot reads the SCIM service with the Bearer Token to verify each pilot user.', false);
  const scim = ctx.scim(creds);
  const sentName = expected.userName ?? upn;
  const scimUser: ScimUser | null = result.targetId ? await scim.getUser(result.targetId) : await scim.findUserByUserName(sentName);
  if (!scimUser) throw stop(`Entra reported ${describeResult(result)}, but the SCIM service has no user ${result.targetId ?? sentName}`);
  const names = [...new Set([lower(upn), lower(sentName), lower(scimUser.userName)])];
  const problems: string[] = [];
  for (const n of names) {
    const count = await scim.countUsers(`userName eq ${JSON.stringify(n)}`);
    if (count > 1) problems.push(`the SCIM service holds ${count} users with userName ${n}`);
  }
  const zia = await ziaByLogin(ctx);
  const ziaMatches = names.flatMap((n) => zia.get(n) ?? []);
  const ids = [...new Set(ziaMatches.map((u) => u.id))];
  if (!ids.includes(before.ziaId)) problems.push(`ZIA user ${before.ziaId} (${upn}, made by directory sync) is gone`);
  const others = ids.filter((id) => id !== before.ziaId);
  if (others.length > 0)
    problems.push(`a second ZIA user appeared for ${names.join(' / ')} (id ${others.join(', ')}): Entra created a user instead of taking over ${before.ziaId}`);
  const ziaUser = ziaMatches.find((u) => u.id === before.ziaId);
  if (expected.userName !== undefined && lower(scimUser.userName) !== lower(expected.userName))
    problems.push(`SCIM userName is ${scimUser.userName}, the mapping says ${expected.userName}`);
  if (expected.userName !== undefined && ziaUser && lower(ziaUser.email) !== lower(expected.userName))
    problems.push(`ZIA login name is ${ziaUser.email}, the mapping says ${expected.userName}`);
  if (expected.active !== undefined && scimUser.active !== undefined && scimUser.active !== expected.active)
    problems.push(`SCIM active is ${String(scimUser.active)}, the mapping says ${String(expected.active)}`);
  if (expected.displayName !== undefined && (scimUser.displayName ?? '') !== expected.displayName)
    problems.push(`SCIM displayName is "${scimUser.displayName ?? ''}", the mapping says "${expected.displayName}"`);
  if (expected.displayName !== undefined && ziaUser && ziaUser.name !== expected.displayName)
    problems.push(`ZIA name is "${ziaUser.name}", the mapping says "${expected.displayName}"`);
  if (expected.externalId !== undefined && scimUser.externalId !== undefined && scimUser.externalId !== expected.externalId)
    problems.push(`SCIM externalId is ${scimUser.externalId}, not the Entra object id ${expected.externalId}: the SCIM user is not linked to this Entra user`);
  if (problems.length > 0) {
    const log = await logReasons(ctx, user.id, since);
    throw stop(`provisioned (${describeResult(result)}) but not adopted as it should be: ${problems.join('; ')}`, [
      ...(log.length ? [`Provisioning log: ${log.join('; ')}.`] : []),
      ...(others.length
        ? ['Change the mapping so the userName Entra sends is the ZIA login name, and remove the user Entra created, before running again.']
        : []),
    ]);
  }
  return {
    ...before,
    entraId: user.id,
    result: result.result,
    ...(result.action ? { action: result.action } : {}),
    scimId: scimUser.id,
    verifiedAt: new Date().toISOString(),
  };
}

/**
 * The step of Entra's `steps.beforeStart`: pilot users provisioned on demand and verified, or
 * "no pilot configured" (done) when `idp.pilot` is absent.
 */
export function entraPilotStep(doc: string): Step<MigrationContext> {
  return {
    id: STEP_ID,
    title: 'Pilot users: provision on demand before Start, verify each was adopted',
    doc,
    kind: 'automated',
    guide: (ctx) => {
      const pilot = configOf(ctx, 'entra').pilot;
      if (!pilot) return {};
      const who = 'users' in pilot ? pilot.users.join(', ') : `a sample of ${pilot.sample} users in scope (seed "${pilot.seed}")`;
      return {
        guard: `a pilot user (${who}) that Entra fails to provision, or that does not keep its ZIA user id, gets a second user, or differs from the mapping in userName, active or displayName, stops the run before Start`,
        verifiedBy:
          'for each pilot user: the same ZIA user id as before, one user with its userName in ZIA and in SCIM, userName/active/displayName as the mapping says',
      };
    },
    async observe(run): Promise<Observation> {
      const { ctx } = run;
      const pilot = configOf(ctx, 'entra').pilot;
      if (!pilot) return { state: 'done', detail: 'no pilot configured (idp.pilot): nothing is provisioned before Start' };
      const held = heldPilot(run);
      const recorded = run.previous?.users;
      if (run.previous && Array.isArray(recorded) && recorded.length > 0) {
        return { state: 'done', detail: `${recorded.length} pilot user(s) provisioned on demand and verified as adopted: ${recorded.join(', ')}` };
      }
      const chosen = held.names ? { names: held.names } : await choosePilot(ctx);
      if (chosen.names.length === 0) {
        return {
          state: 'blocked',
          detail: `no pilot user could be chosen${chosen.note ? `: ${chosen.note}` : ''}; name them in idp.pilot.users or remove idp.pilot`,
        };
      }
      const zia = await ziaByLogin(ctx);
      const missing = chosen.names.filter((n) => held.progress[n] === undefined && (zia.get(n)?.length ?? 0) !== 1);
      if (missing.length > 0) {
        return {
          state: 'blocked',
          detail: `pilot user(s) without exactly one ZIA user of that login name: ${missing.map((n) => `${n} (${zia.get(n)?.length ?? 0} found)`).join(', ')}; a pilot user must be one directory sync made, so its adoption can be verified`,
        };
      }
      const verified = chosen.names.filter((n) => held.progress[n]?.verifiedAt);
      const todo = chosen.names.filter((n) => !held.progress[n]?.verifiedAt);
      return {
        state: 'pending',
        detail: `would provision ${todo.length} pilot user(s) on demand before Start${verified.length ? ` (${verified.length} already verified: ${verified.join(', ')})` : ''}: ${todo.join(', ')}${chosen.note ? ` (${chosen.note})` : ''}`,
        changes: [
          ...todo.map(
            (n) =>
              `POST synchronization/jobs/{id}/provisionOnDemand for ${n} (ZIA user ${held.progress[n]?.ziaId ?? zia.get(n)?.[0]?.id}), then verify its ZIA id, SCIM and ZIA userName, active, displayName`,
          ),
          'the provisioning job stays off until Start',
        ],
        facts: { pilotUsers: chosen.names, verified: verified.length },
      };
    },
    async apply(run): Promise<StepOutputs> {
      const { ctx } = run;
      const pilot = configOf(ctx, 'entra').pilot;
      if (!pilot) return { users: [] };
      const held = heldPilot(run);
      const names = held.names ?? (await choosePilot(ctx)).names;
      if (names.length === 0) throw new UserError('no pilot user could be chosen', { hint: 'name them in idp.pilot.users or remove idp.pilot' });
      const progress: Progress = { ...held.progress };
      const { spId, jobId } = await findJob(ctx);
      const rule = userRule(await graphOf(ctx).getJobSchema(spId, jobId));
      let zia: Awaited<ReturnType<typeof ziaByLogin>> | undefined;
      for (const upn of names) {
        if (progress[upn]?.verifiedAt) continue; // verified by an earlier, interrupted run: not provisioned again
        if (!progress[upn]) {
          zia ??= await ziaByLogin(ctx);
          const found = zia.get(upn) ?? [];
          if (found.length !== 1)
            throw new UserError(`pilot user ${upn} has ${found.length} ZIA users of that login name; a pilot user must be one directory sync made`);
          const user = await graphOf(ctx).getUser(upn);
          if (!user)
            throw new UserError(`pilot user ${upn} is not found in Entra ID`, { hint: 'name pilot users by their Entra userPrincipalName (idp.pilot.users)' });
          progress[upn] = { ziaId: found[0]!.id, entraId: user.id };
          // Recorded before the provisioning request: a resumed run compares with the id directory sync gave.
          await saveProgress(run, names, progress);
        }
        progress[upn] = await pilotOne(run, upn, progress[upn], rule, { spId, jobId });
        await saveProgress(run, names, progress);
        ctx.out.info(`  pilot user ${upn}: adopted (ZIA user ${progress[upn].ziaId} kept, ${progress[upn].result})`);
      }
      return {
        users: names,
        results: names.map((n) => ({ user: n, ziaId: progress[n]!.ziaId, result: progress[n]!.result ?? null, scimId: progress[n]!.scimId ?? null })),
        verifiedAt: new Date().toISOString(),
      };
    },
    async verify(run, applied) {
      const users = Array.isArray(applied?.users) ? applied.users : [];
      return {
        state: 'done',
        detail:
          users.length === 0
            ? 'no pilot configured (idp.pilot)'
            : `${users.length} pilot user(s) provisioned on demand and verified as adopted: ${users.join(', ')}`,
      };
    },
  };
}
