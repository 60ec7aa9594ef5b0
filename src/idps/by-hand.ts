import { OperatorNeeded, UserError } from '../engine/errors.js';
import type { Observation, Step, StepRun } from '../engine/step.js';
import type { MigrationContext, ScimCredentials } from '../flows/context.js';
import { describeScope, directoryPages, runParity } from '../flows/parity-check.js';
import { pollUntil } from '../flows/steps/poll.js';
import { obtainScimCredentials } from '../flows/steps/scim.js';
import type { IdpKind } from './actions.js';
import type { IdpSteps } from './provisioner.js';
import { recordedScimEndpoint } from './provisioner.js';

/**
 * IdP steps done by a person at the IdP's console and verified only through the ZIA SCIM service:
 * the token accepted, users appearing, counts growing, parity. `manual` is made of these; an IdP
 * module uses them for whatever its API cannot do (an Okta app other than the Zscaler OIN app).
 */
export interface ByHandOptions {
  kind: IdpKind;
  /** Step ids are `<prefix>-credentials`, `<prefix>-start`, `<prefix>-initial-cycle`, `<prefix>-pause` (kept stable: state files hold them). */
  prefix: string;
  /** The IdP as the instructions name it. */
  label(ctx: MigrationContext): string;
  /** The vendor document the steps follow. */
  doc: string;
  /** Console instructions, one line each. */
  instructions: {
    setCredentials(ctx: MigrationContext, baseUrl: string, scope: string): string[];
    start(ctx: MigrationContext): string[];
    pause(ctx: MigrationContext): string[];
  };
  /** How long the initial cycle is watched before the run stops (it can be resumed). */
  timeoutMinutes(ctx: MigrationContext): number;
}

/** The users the IdP should push, in words: the migration's directory scope. */
function scopeSentence(ctx: MigrationContext): string {
  return `only the users and groups assigned to the app: the users of the migration's directory scope (${describeScope(ctx)}), not all users`;
}

/** Users in the directory scope, and how many are disabled (an IdP may push those as inactive, or not at all). */
async function directoryCounts(ctx: MigrationContext): Promise<{ inScope: number; enabled: number }> {
  let inScope = 0;
  let enabled = 0;
  for await (const page of directoryPages(ctx)) {
    inScope += page.length;
    for (const e of page) if (!e.disabled) enabled += 1;
  }
  return { inScope, enabled };
}

const recordedNumber = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** While the initial cycle is watched: parity is re-read at most once every this many looks. */
const PARITY_EVERY = 10;

/** What the initial-cycle watch remembers between looks. */
interface CycleWatch {
  looks: number;
  count?: number;
  /** The look at which parity was last read, and what it found. */
  parityAt?: number;
  lastBreaches?: string;
}

export function byHandSteps(o: ByHandOptions): IdpSteps {
  const ids = { credentials: `${o.prefix}-credentials`, start: `${o.prefix}-start`, cycle: `${o.prefix}-initial-cycle`, pause: `${o.prefix}-pause` };

  const setCredentials: Step<MigrationContext> = {
    id: ids.credentials,
    title: 'Give the IdP the SCIM Base URL and token; scope: assigned users and groups only',
    doc: o.doc,
    kind: 'operator',
    async observe(run) {
      const wanted = run.ctx.scimCredentials?.baseUrl ?? recordedScimEndpoint(run);
      const recorded = run.previous?.baseUrl;
      if (typeof recorded === 'string' && (wanted === undefined || recorded === wanted)) {
        return {
          state: 'done',
          detail: `the operator gave ${o.label(run.ctx)} the SCIM Base URL ${recorded} and token at ${String(run.previous?.handedOverAt)}`,
        };
      }
      return {
        state: 'pending',
        detail: `${o.label(run.ctx)} has not been given ${typeof wanted === 'string' ? wanted : 'the SCIM Base URL'} and its token by this migration`,
        changes: [
          "operator: paste the SCIM Base URL and Bearer Token into the IdP's Zscaler app, scope it to assigned users and groups, Test Connection, save (not started yet)",
        ],
      };
    },
    async apply(run) {
      const { ctx } = run;
      const known = recordedScimEndpoint(run);
      const creds = await obtainScimCredentials(
        ctx,
        'The IdP needs the SCIM Bearer Token, and migrate holds it in memory only: this run does not have it.',
        true,
        typeof known === 'string' ? known : undefined,
      );
      // Users already in SCIM before the IdP pushes: "users appearing" is measured from here.
      const before = await ctx.scim(creds).countUsers();
      const scope = scopeSentence(ctx);
      await ctx.operator.perform({
        action: 'idp.setCredentials',
        idp: o.kind,
        baseUrl: creds.baseUrl,
        token: creds.token,
        scope,
        title: `Give ${o.label(ctx)} the SCIM Base URL and token`,
        instructions: o.instructions.setCredentials(ctx, creds.baseUrl, scope),
      });
      return { baseUrl: creds.baseUrl, scimUsersBefore: before, handedOverAt: new Date().toISOString() };
    },
    async verify(run, applied) {
      // What the SCIM service can say now: the token handed over is the one it accepts.
      const creds = run.ctx.scimCredentials;
      if (!creds) throw new OperatorNeeded('the SCIM credentials were not provided', 'Set scim.baseUrl and scim.tokenEnv, or run interactively.');
      await run.ctx.scim(creds).probe();
      return { state: 'done', detail: `the SCIM endpoint ${String(applied?.baseUrl)} accepts the token given to ${o.label(run.ctx)}` };
    },
  };

  /** SCIM users now, when this run holds the token; undefined otherwise. */
  const scimCount = async (ctx: MigrationContext): Promise<number | undefined> =>
    ctx.scimCredentials ? ctx.scim(ctx.scimCredentials).countUsers() : undefined;

  const start: Step<MigrationContext> = {
    id: ids.start,
    title: 'Start provisioning',
    doc: o.doc,
    kind: 'operator',
    async observe(run) {
      if (typeof run.previous?.startedAt === 'string') return { state: 'done', detail: `the operator started provisioning at ${run.previous.startedAt}` };
      const before = recordedNumber(run.outputsOf(ids.credentials)?.scimUsersBefore);
      const now = await scimCount(run.ctx);
      if (before !== undefined && now !== undefined && now > before) {
        return { state: 'done', detail: `users are appearing in SCIM (${before} → ${now}): ${o.label(run.ctx)} is provisioning` };
      }
      return {
        state: 'pending',
        detail: `provisioning has not been started by this migration`,
        changes: [`operator: start provisioning in ${o.label(run.ctx)}`],
      };
    },
    async apply(run) {
      const at = new Date().toISOString();
      await run.ctx.operator.perform({
        action: 'idp.start',
        idp: o.kind,
        title: `Start provisioning in ${o.label(run.ctx)}`,
        instructions: o.instructions.start(run.ctx),
      });
      return { startedAt: at };
    },
    async verify(_run, applied) {
      // Users appearing is what the initial-cycle step watches; here the operator's word is the evidence.
      return { state: 'done', detail: `the operator started provisioning at ${String(applied?.startedAt)}` };
    },
  };

  /**
   * Watched through SCIM only: the users count is the progress, and the cycle is over when parity
   * holds (users and groups as AD has them, within parity.thresholds). ZIA's SCIM lists the
   * directory-synced users too (docs/vendor-facts.md G9), so the count can be near the scope from the
   * start: parity decides. It reads every user of three systems, so it is tried only once the count
   * has settled (unchanged since the last look), and then at most once every PARITY_EVERY looks.
   */
  async function observeCycle(
    run: StepRun<MigrationContext>,
    creds: ScimCredentials,
    expected: { inScope: number; enabled: number },
    seen: CycleWatch,
  ): Promise<Observation> {
    const { ctx } = run;
    const count = await ctx.scim(creds).countUsers();
    const settled = seen.count !== undefined && count === seen.count;
    const growing = seen.count !== undefined && count > seen.count;
    seen.count = count;
    seen.looks += 1;
    const facts = { done: Math.min(count, expected.inScope), total: expected.inScope, scimUsers: count };
    const enough = count >= expected.enabled - ctx.config.parity.thresholds.missing;
    if (!enough || !settled) {
      return { state: 'pending', detail: `${count} users in SCIM of ${expected.inScope} in the directory scope${growing ? ' (growing)' : ''}`, facts };
    }
    if (seen.parityAt !== undefined && seen.looks - seen.parityAt < PARITY_EVERY) {
      return {
        state: 'pending',
        detail: `${count} users in SCIM; parity not reached at the last check (${seen.lastBreaches ?? ''}), checked again shortly`,
        facts,
      };
    }
    seen.parityAt = seen.looks;
    const parity = await runParity(ctx, { scim: creds });
    if (parity.ok) return { state: 'done', detail: `${count} users in SCIM and parity holds: the initial cycle is complete`, facts };
    seen.lastBreaches = parity.breaches.join('; ');
    return { state: 'pending', detail: `${count} users in SCIM; parity not reached yet (${seen.lastBreaches})`, facts };
  }

  const initialCycle: Step<MigrationContext> = {
    id: ids.cycle,
    title: 'Wait for the initial provisioning cycle (watched through the SCIM service)',
    doc: o.doc,
    kind: 'automated',
    async observe(run) {
      if (typeof run.previous?.completedAt === 'string')
        return { state: 'done', detail: `initial cycle complete at ${run.previous.completedAt} (${String(run.previous.scimUsers)} users in SCIM)` };
      const now = await scimCount(run.ctx);
      return {
        state: 'pending',
        detail: now === undefined ? 'the initial cycle is watched through the SCIM service once the run holds the token' : `${now} users in SCIM so far`,
        changes: ['watch the SCIM users count grow to the directory scope, then check parity'],
      };
    },
    async apply(run) {
      const { ctx } = run;
      const creds = await obtainScimCredentials(ctx, 'The initial cycle is watched through the SCIM service with the Bearer Token.', false);
      const expected = await directoryCounts(ctx);
      const minutes = o.timeoutMinutes(ctx);
      const watch: CycleWatch = { looks: 0 };
      const seen = await pollUntil(
        ctx,
        `${o.label(ctx)}: initial cycle`,
        () => observeCycle(run, creds, expected, watch),
        minutes * 60_000,
        (x) => (typeof x.facts?.done === 'number' && typeof x.facts.total === 'number' ? { done: x.facts.done, total: x.facts.total } : undefined),
      );
      if (seen.state !== 'done') {
        throw new UserError(`after ${minutes} minutes the initial cycle is not complete: ${seen.detail}`, {
          hint:
            `In ${o.label(ctx)}, check that provisioning is on, that its Base URL and token are the ones ZIA's Edit IdP shows, and its provisioning log for failing users; ` +
            'the parity findings above name who is missing or different. Run the same command again to keep watching (idp.initialCycleTimeoutMinutes sets the budget).',
        });
      }
      return { completedAt: new Date().toISOString(), scimUsers: typeof seen.facts?.scimUsers === 'number' ? seen.facts.scimUsers : null };
    },
  };

  const pause: Step<MigrationContext> = {
    id: ids.pause,
    title: 'Pause provisioning (users stay assigned; nothing is deprovisioned)',
    doc: o.doc,
    kind: 'operator',
    async observe(run) {
      if (typeof run.previous?.pausedAt === 'string') return { state: 'done', detail: `the operator paused provisioning at ${run.previous.pausedAt}` };
      if (
        run.snapshot?.adopted === undefined &&
        run.statusOf(`ad-to-scim:${ids.credentials}`) === 'pending' &&
        run.statusOf(`ad-to-scim:${ids.start}`) === 'pending'
      ) {
        return { state: 'done', detail: 'this migration never gave the IdP the SCIM token nor started provisioning' };
      }
      return {
        state: 'pending',
        detail: `${o.label(run.ctx)} may be pushing to SCIM`,
        changes: [`operator: pause provisioning in ${o.label(run.ctx)} (never unassign users)`],
      };
    },
    async apply(run) {
      const at = new Date().toISOString();
      await run.ctx.operator.perform({
        action: 'idp.pause',
        idp: o.kind,
        title: `Pause provisioning in ${o.label(run.ctx)}`,
        instructions: o.instructions.pause(run.ctx),
      });
      return { pausedAt: at };
    },
    async verify(_run, applied) {
      // An idle IdP and a paused one look the same from SCIM: the operator's word is the evidence.
      return { state: 'done', detail: `the operator paused provisioning at ${String(applied?.pausedAt)}` };
    },
  };

  return { setCredentials, start, initialCycle, pause };
}
