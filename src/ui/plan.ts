import type { CheckOutcome, Plan, RunEvents, StepPlan } from '../engine/runner.js';
import type { Output } from './output.js';

const MARK: Record<string, string> = { done: '✓', pending: '→', drifted: '!', blocked: '✗' };

function checkLine(out: Output, c: CheckOutcome): string {
  const sev = c.ok ? 'ok' : (c.severity ?? 'error');
  const mark = sev === 'ok' ? out.color.green('✓') : sev === 'warning' ? out.color.yellow('!') : out.color.red('✗');
  const fix = !c.ok && c.fix ? `\n      ${out.color.dim(`fix: ${c.fix}`)}` : '';
  return `  ${mark} ${c.title}: ${c.detail}${fix}`;
}

function stepLine(out: Output, s: StepPlan, index: number): string {
  const state = s.observation.state;
  const paint = state === 'done' ? out.color.green : state === 'pending' ? out.color.cyan : out.color.red;
  const kind = s.kind === 'operator' ? out.color.magenta(' [operator]') : '';
  const lines = [`  ${paint(MARK[state] ?? '?')} ${String(index + 1).padStart(2)}. ${s.title}${kind} — ${paint(state)}: ${s.observation.detail}`];
  for (const change of s.observation.changes ?? []) lines.push(`        ${out.color.dim('would:')} ${change}`);
  // A wait changes nothing itself: what it waits for may already be true by the time the run reaches it.
  const wait = s.guide?.wait;
  if (state === 'pending' && wait)
    lines.push(`        ${out.color.dim('waits for:')} ${wait.for}; if that is already so when the run gets here, it waits no time`);
  return lines.join('\n');
}

/** The plan as an administrator reads it: preflight, then each step with what it found and would do. */
export function renderPlan(out: Output, plan: Plan): string {
  const lines = [
    out.color.bold(`${plan.flow.title}`) + out.color.dim(` (${plan.flow.doc})`),
    `target: ${plan.target.label}   state: ${plan.stateFile}${plan.stateSerial === null ? ' (not created yet)' : ` (serial ${plan.stateSerial})`}`,
    '',
    out.color.bold('Preflight'),
    ...plan.preflight.map((c) => checkLine(out, c)),
    '',
    out.color.bold('Steps'),
    ...plan.steps.map((s, i) => stepLine(out, s, i)),
    '',
  ];
  const verdict = plan.blocking
    ? out.color.red('Blocked: fix the items marked ✗ or ! before running.')
    : plan.changesPending
      ? out.color.cyan(`${plan.steps.filter((s) => s.observation.state !== 'done').length} step(s) would change something. Nothing was written.`)
      : out.color.green('Nothing to do: every step is already in place.');
  lines.push(verdict);
  return lines.join('\n');
}

/**
 * Live progress lines while a flow applies. A step found already in place says what was found
 * (a guard that passed shows its figures), not just that nothing was done.
 */
export function progressEvents(out: Output): RunEvents {
  const seen = new Map<string, StepPlan['observation']>();
  return {
    preflight: (outcomes) => {
      out.info(out.color.bold('Preflight'));
      for (const c of outcomes) out.info(checkLine(out, c));
    },
    observed: (step) => {
      seen.set(step.id, step.observation);
    },
    started: (step, attempt) =>
      out.info(
        `${out.color.cyan('→')} ${step.title}${step.kind === 'operator' ? out.color.magenta(' [operator]') : ''}${attempt > 1 ? out.color.dim(` (attempt ${attempt})`) : ''}`,
      ),
    succeeded: (step, how) => {
      const detail = seen.get(step.id)?.detail;
      const why = how === 'resumed' ? 'found complete on resume' : 'already in place';
      const found = how === 'applied' ? '' : out.color.dim(detail ? ` — ${how === 'resumed' ? `${why}: ` : ''}${detail}` : ` (${why})`);
      out.info(`${out.color.green('✓')} ${step.title}${found}`);
    },
    failed: (step, error) => out.info(`${out.color.red('✗')} ${step.title}: ${error.message.split('\n')[0]}`),
  };
}
