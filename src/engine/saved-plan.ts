import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonical, targetSchema, type State, type StepStatus } from './checkpoint.js';
import { EXIT, UserError, clipValue } from './errors.js';
import { jsonValueSchema, type JsonValue } from './json.js';
import { redact } from './redact.js';
import type { Plan, StepPlan } from './runner.js';
import { TOOL_VERSION } from './version.js';

/**
 * A saved plan (`--dry-run --out plan.json`), like `terraform plan -out`: what a dry-run observed
 * and intends to change, written once, approved by people, then applied with `--plan plan.json`.
 * The run re-observes and goes ahead only while what it sees still matches what was approved.
 *
 * The document is plain JSON (reviewable, diffable, attachable to a change ticket). Its `digest`
 * is sha256 over the canonical JSON of everything else: it detects any edit after saving, and a
 * runbook made together with the plan quotes it, so ticket and run are tied. It is an integrity
 * check, not a signature: whoever can edit the file can recompute it; keep the approved copy in
 * the change system.
 */

const SAVED_PLAN_SCHEMA_VERSION = 1;
/** Every refusal of a saved plan (unreadable, edited, stale, for another tenant, config or version). Nothing was changed. */
export const EXIT_PLAN_REFUSED = EXIT.planRefused;

const sha256 = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a "sha256:" followed by 64 hex digits');

const savedCheckSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    ok: z.boolean(),
    severity: z.enum(['error', 'warning']).optional(),
    detail: z.string(),
    fix: z.string().optional(),
  })
  .strict();

const savedStepSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    kind: z.enum(['automated', 'operator']),
    doc: z.string(),
    state: z.enum(['done', 'pending', 'drifted', 'blocked']),
    detail: z.string(),
    /** What the run will change at this step: the approved change. */
    changes: z.array(z.string()).optional(),
    facts: z.record(z.string(), jsonValueSchema).optional(),
    volatileFacts: z.array(z.string()).optional(),
    after: z.array(z.object({ id: z.string(), step: z.number().int(), title: z.string() }).strict()).optional(),
  })
  .strict();

const savedPlanSchema = z
  .object({
    kind: z.literal('migrate-plan'),
    schemaVersion: z.literal(SAVED_PLAN_SCHEMA_VERSION),
    tool: z.object({ name: z.literal('migrate'), version: z.string() }).strict(),
    createdAt: z.string(),
    flow: z.object({ id: z.string(), title: z.string(), doc: z.string() }).strict(),
    target: targetSchema,
    config: z.object({ digest: sha256, covers: z.string() }).strict(),
    state: z.object({ file: z.string(), serial: z.number().int().min(0).nullable(), lineage: z.string().nullable() }).strict(),
    preflight: z.array(savedCheckSchema),
    steps: z.array(savedStepSchema),
    changesPending: z.boolean(),
    digest: sha256,
  })
  .strict();
export type SavedPlan = z.infer<typeof savedPlanSchema>;
type SavedStep = SavedPlan['steps'][number];

/** sha256 over canonical JSON (keys sorted, undefined left out). */
export function digestOf(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonical(value)).digest('hex')}`;
}

function savedStep(s: StepPlan): SavedStep {
  const o = s.observation;
  return {
    id: s.id,
    title: s.title,
    kind: s.kind,
    doc: s.doc,
    state: o.state,
    detail: o.detail,
    ...(o.changes ? { changes: o.changes } : {}),
    ...(o.facts ? { facts: o.facts } : {}),
    ...(o.volatileFacts ? { volatileFacts: o.volatileFacts } : {}),
    ...(s.after ? { after: s.after } : {}),
  };
}

/**
 * The document `--out` writes. `configDigest` must cover no secret: the caller hashes the validated
 * configuration, which holds secret references (…Env, …File) and never a secret value.
 */
export function toSavedPlan(plan: Plan, opts: { configDigest: string; configCovers: string; state: State | undefined; createdAt: string }): SavedPlan {
  const body: Omit<SavedPlan, 'digest'> = {
    kind: 'migrate-plan',
    schemaVersion: SAVED_PLAN_SCHEMA_VERSION,
    tool: { name: 'migrate', version: TOOL_VERSION },
    createdAt: opts.createdAt,
    flow: plan.flow,
    target: plan.target,
    config: { digest: opts.configDigest, covers: opts.configCovers },
    state: { file: plan.stateFile, serial: opts.state?.serial ?? null, lineage: opts.state?.lineage ?? null },
    preflight: plan.preflight.map((c) => ({
      id: c.id,
      title: c.title,
      ok: c.ok,
      ...(c.severity ? { severity: c.severity } : {}),
      detail: c.detail,
      ...(c.fix ? { fix: c.fix } : {}),
    })),
    steps: plan.steps.map(savedStep),
    changesPending: plan.changesPending,
  };
  // Round-trip through JSON so the digest is computed over exactly what the file will hold; every
  // string scrubbed of registered secrets first (the file is written to disk and attached to tickets).
  const clean = scrub(JSON.parse(JSON.stringify(body))) as Omit<SavedPlan, 'digest'>;
  return { ...clean, digest: digestOf(clean) };
}

function scrub(value: unknown): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map(scrub);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
  return value;
}

function refused(file: string, message: string, hint: string, midRun = false): UserError {
  const changed = midRun ? 'Nothing of this step was done; the steps before it are recorded in the state file.' : 'Nothing was changed.';
  return new UserError(`saved plan ${file}: ${message}`, { hint: `${hint} ${changed}`, exitCode: EXIT_PLAN_REFUSED });
}

const REPLAN = 'Make a new plan (--dry-run --out <file>), have it approved, and run with --plan <file>.';

/** Parses and checks a saved plan file's text: JSON, the schema (every problem with its path), the digest. */
export function parseSavedPlan(text: string, file: string): SavedPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw refused(file, `not JSON (${(err as Error).message})`, 'Give the file `--dry-run --out` wrote.');
  }
  const parsed = savedPlanSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 10).map((i) => `  ${i.path.join('.') || '(document)'}: ${i.message}`);
    const more = parsed.error.issues.length > 10 ? [`  … and ${parsed.error.issues.length - 10} more`] : [];
    throw refused(file, `not a plan this version can read:\n${[...issues, ...more].join('\n')}`, 'Give the file `--dry-run --out` wrote, unedited.');
  }
  const plan = parsed.data;
  const { digest, ...body } = plan;
  const computed = digestOf(body);
  if (computed !== digest) {
    throw refused(
      file,
      `its content does not match its digest (recorded ${digest}, computed ${computed}): it was changed after it was saved`,
      `Use the approved file as it was saved. ${REPLAN}`,
    );
  }
  return plan;
}

/** Differences that make a plan inapplicable whatever the tenant looks like: tool, flow, tenant, configuration. */
export function identityDifferences(approved: SavedPlan, now: { flowId: string; target: { id: string; label: string }; configDigest: string }): string[] {
  const out: string[] = [];
  if (approved.tool.version !== TOOL_VERSION) out.push(`tool version: the plan was made by migrate ${approved.tool.version}, this is ${TOOL_VERSION}`);
  if (approved.flow.id !== now.flowId) out.push(`command: the plan is for \`migrate ${approved.flow.id}\`, this is \`migrate ${now.flowId}\``);
  if (approved.target.id !== now.target.id) out.push(`tenant: the plan is for ${approved.target.label}, the configuration points at ${now.target.label}`);
  if (approved.config.digest !== now.configDigest) {
    out.push(`configuration: its digest was ${approved.config.digest} when planned, it is ${now.configDigest} now (a setting changed since the plan was made)`);
  }
  return out;
}

const show = (v: JsonValue | undefined): string => (v === undefined ? '(absent)' : clipValue(JSON.stringify(v), 120));
const sameJson = (a: unknown, b: unknown): boolean => canonical(a ?? null) === canonical(b ?? null);

function factDifferences(a: SavedStep, b: SavedStep): string[] {
  const volatile = new Set([...(a.volatileFacts ?? []), ...(b.volatileFacts ?? [])]);
  const keys = [...new Set([...Object.keys(a.facts ?? {}), ...Object.keys(b.facts ?? {})])].filter((k) => !volatile.has(k)).sort();
  return keys.filter((k) => !sameJson(a.facts?.[k], b.facts?.[k])).map((k) => `${k} ${show(a.facts?.[k])} → ${show(b.facts?.[k])}`);
}

/**
 * Everything that differs between the approved plan and a fresh one observed now: the checkpoint,
 * every preflight result, each step's state, intended changes and facts (all but its volatile ones).
 */
export function observationDifferences(approved: SavedPlan, fresh: SavedPlan): string[] {
  const out: string[] = [];
  const a = approved.state;
  const b = fresh.state;
  if (a.serial !== b.serial || a.lineage !== b.lineage) {
    const describe = (s: SavedPlan['state']) => (s.serial === null ? 'no state file' : `serial ${s.serial}`);
    out.push(`state file ${fresh.state.file}: ${describe(a)} when planned, ${describe(b)} now (a run wrote it since)`);
  }
  const checks = new Map(fresh.preflight.map((c) => [c.id, c]));
  for (const c of approved.preflight) {
    const now = checks.get(c.id);
    const verdict = (x: typeof c) => (x.ok ? 'passed' : (x.severity ?? 'error') === 'warning' ? 'warned' : 'failed');
    if (!now) out.push(`preflight "${c.title}": not run now`);
    else if (verdict(c) !== verdict(now)) out.push(`preflight "${c.title}": ${verdict(c)} when planned (${c.detail}), ${verdict(now)} now (${now.detail})`);
  }
  for (const c of fresh.preflight) if (!approved.preflight.some((x) => x.id === c.id)) out.push(`preflight "${c.title}": not in the plan`);

  const ids = (p: SavedPlan) => p.steps.map((s) => s.id).join(',');
  if (ids(approved) !== ids(fresh)) {
    out.push(`steps: the plan has ${approved.steps.map((s) => s.id).join(', ')}; this version runs ${fresh.steps.map((s) => s.id).join(', ')}`);
    return out;
  }
  approved.steps.forEach((s, i) => {
    const now = fresh.steps[i]!;
    const where = `step ${i + 1} (${s.title})`;
    if (s.state !== now.state) out.push(`${where}: ${s.state} when planned (${s.detail}), ${now.state} now (${now.detail})`);
    else if (!sameJson(s.changes, now.changes))
      out.push(`${where}: would change ${describeChanges(s.changes)} when planned, ${describeChanges(now.changes)} now`);
    for (const f of factDifferences(s, now)) out.push(`${where}: ${f}`);
  });
  return out;
}

function describeChanges(changes: string[] | undefined): string {
  return changes && changes.length > 0 ? changes.map((c) => `"${c}"`).join(', ') : 'nothing';
}

/** The refusal of a stale plan: every difference, one per line. */
export function stalePlanError(file: string, differences: string[], midRun = false): UserError {
  return refused(
    file,
    `stale: what the run observes no longer matches what was approved (${differences.length} difference${differences.length === 1 ? '' : 's'}):\n${differences.map((d) => `  - ${d}`).join('\n')}`,
    REPLAN,
    midRun,
  );
}

/**
 * The runner's check before each step that would change something (RunOptions.approval): the step
 * must be one the plan approved to change, and change what the plan said (when the plan observed it
 * directly; a step planned "after" an earlier one could not be observed then). A step the checkpoint
 * records as started is resumed: it was checked when it started.
 */
export function approvalCheck(approved: SavedPlan, file: string): (step: StepPlan, recorded: StepStatus) => Error | undefined {
  return (step, recorded) => {
    if (recorded === 'started' || step.observation.state === 'done') return undefined;
    const index = approved.steps.findIndex((s) => s.id === step.id);
    const planned = approved.steps[index];
    if (!planned) return stalePlanError(file, [`step "${step.title}" is not in the approved plan`], true);
    const where = `step ${index + 1} (${planned.title})`;
    if (planned.state === 'done') {
      return stalePlanError(
        file,
        [`${where}: was in place when planned (${planned.detail}); now it would change (${step.observation.detail}), which the plan did not approve`],
        true,
      );
    }
    if (!planned.after && !sameJson(planned.changes, step.observation.changes)) {
      return stalePlanError(
        file,
        [`${where}: would change ${describeChanges(planned.changes)} when planned, ${describeChanges(step.observation.changes)} now`],
        true,
      );
    }
    return undefined;
  };
}
