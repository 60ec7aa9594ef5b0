import { isBlockingCheck, isBlockingStep, type CheckOutcome, type Plan, type StepPlan } from '../engine/runner.js';
import type { StepGuide } from '../engine/step.js';

/**
 * The plan as a change-ticket runbook (GitHub-flavoured markdown): the tenant, every preflight
 * result, every step in order with what it will change, each operator step's console instructions
 * and what the tool verifies afterwards, the waits, the guards, the rollback plan and a sign-off
 * table. Deterministic: the same plan and inputs give the same bytes; the only clock is
 * `generatedAt`, which the caller supplies.
 */

/** A step of the way back, described without observing it (it runs only if the change is undone). */
interface ReverseStep {
  title: string;
  kind: string;
  doc: string;
  guide?: StepGuide;
}

export interface RunbookInput {
  plan: Plan;
  /** The command this runbook plans, e.g. "migrate ad-to-scim". */
  command: string;
  generatedAt: string;
  toolVersion: string;
  /** The saved plan written with this runbook (`--out`), which the run must be given (`--plan`). */
  savedPlan?: { file: string; digest: string };
  /** The configured guard thresholds, by configuration key. */
  guards: { key: string; value: string }[];
  /** How to undo the change: its command, its procedure and its steps. */
  reverse?: { command: string; title: string; doc: string; steps: ReverseStep[] };
}

/** Text safe inside markdown and a GFM table cell: markdown punctuation escaped, line breaks as <br>. */
function mdText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/([`*_[\]<>|~#])/g, '\\$1')
    .replace(/\r?\n/g, '<br>');
}

/** A code span that survives any content (backticks fenced by a longer run; pipes escaped for tables). */
function mdCode(value: string): string {
  const longest = Math.max(0, ...(value.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  // GFM splits a table row at every pipe not preceded by an odd run of backslashes, inside code spans too.
  const cell = value.replace(/(\\*)\|/g, (_m, run: string) => `${run}${run.length % 2 === 0 ? '\\' : ''}|`);
  return `${fence}${pad}${cell.replace(/\r?\n/g, ' ')}${pad}${fence}`;
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`)];
}

const STATE_WORD: Record<string, string> = { done: 'in place', pending: 'will change', drifted: 'DRIFTED', blocked: 'BLOCKED' };

function checkResult(c: CheckOutcome): string {
  if (c.ok) return 'pass';
  return (c.severity ?? 'error') === 'warning' ? 'warning' : '**FAIL**';
}

function verdict(plan: Plan): string {
  if (plan.alreadyDone) return `Nothing to do: ${plan.alreadyDone}`;
  const changing = plan.steps.filter((s) => s.observation.state !== 'done').length;
  if (plan.blocking)
    return '**Blocked**: a preflight check failed or a step is blocked or drifted (marked below). Fix it and plan again; this plan cannot be applied.';
  if (!plan.changesPending) return 'Nothing to do: every step is already in place.';
  return `${changing} of ${plan.steps.length} steps will change something.`;
}

function guideLines(guide: StepGuide | undefined, kind: string): string[] {
  if (!guide) return [];
  const lines: string[] = [];
  if (guide.instructions && guide.instructions.length > 0) {
    lines.push(`- **${kind === 'operator' ? 'Operator, in the console' : 'Instructions'}:**`);
    guide.instructions.forEach((line, i) => lines.push(`  ${i + 1}. ${mdText(line)}`));
  }
  if (guide.verifiedBy) lines.push(`- **The tool verifies afterwards:** ${mdText(guide.verifiedBy)}`);
  if (guide.wait) {
    const w = guide.wait;
    const expected = w.expected ? mdText(w.expected) : 'not known before the run (no estimate is made)';
    lines.push(`- **Wait:** for ${mdText(w.for)}. Expected: ${expected}.${w.limit ? ` The tool waits at most ${mdText(w.limit)}.` : ''}`);
  }
  if (guide.guard) lines.push(`- **Guard:** ${mdText(guide.guard)}`);
  return lines;
}

function factsLine(step: StepPlan): string[] {
  const facts = step.observation.facts;
  if (!facts || Object.keys(facts).length === 0) return [];
  const parts = Object.keys(facts)
    .sort()
    .map((k) => `${mdCode(k)} ${mdCode(JSON.stringify(facts[k]))}`);
  return [`- **Facts observed:** ${parts.join(', ')}`];
}

function stepSection(step: StepPlan, index: number): string[] {
  const o = step.observation;
  const lines = [`### ${index + 1}. ${mdText(step.title)}`, ''];
  lines.push(`- **Kind:** ${step.kind === 'operator' ? 'operator (a person, in the console)' : 'automated'}; **follows:** ${mdText(step.doc)}`);
  lines.push(`- **Observed:** ${STATE_WORD[o.state] ?? o.state}: ${mdText(o.detail)}`);
  if (step.after && step.after.length > 0) {
    lines.push(`- **Runs after:** ${step.after.map((a) => `step ${a.step} (${mdText(a.title)})`).join(', ')}`);
  }
  if (o.changes && o.changes.length > 0) {
    lines.push('- **Will change:**');
    for (const c of o.changes) lines.push(`  - ${mdText(c)}`);
  } else if (o.state !== 'done' && step.after && step.after.length > 0) {
    lines.push(`- **Will change:** what it finds when it runs, after step ${step.after.map((a) => a.step).join(' and ')} (observed again then)`);
  } else if (o.state !== 'done') {
    lines.push('- **Will change:** nothing by itself (it waits, checks or records)');
  }
  lines.push(...guideLines(step.guide, step.kind), ...factsLine(step), '');
  return lines;
}

/** The runbook, as markdown. */
export function renderRunbook(input: RunbookInput): string {
  const { plan } = input;
  const state = plan.stateSerial === null ? `${mdCode(plan.stateFile)} (not created yet)` : `${mdCode(plan.stateFile)} (serial ${plan.stateSerial})`;
  const runWith = input.savedPlan ? `${input.command} --plan ${input.savedPlan.file}` : input.command;
  const lines: string[] = [
    `# Change runbook: ${mdText(plan.flow.title)}`,
    '',
    ...table(
      ['Item', 'Value'],
      [
        ['Tenant', mdText(plan.target.label)],
        ['Tenant id', mdCode(plan.target.id)],
        ['Procedure', mdText(plan.flow.doc)],
        ['Generated', `${mdText(input.generatedAt)} by migrate ${mdText(input.toolVersion)} (a dry-run: nothing was changed)`],
        ['State file', state],
        [
          'Saved plan',
          input.savedPlan
            ? `${mdCode(input.savedPlan.file)}, digest ${mdCode(input.savedPlan.digest)}`
            : 'none saved with this runbook (make both together with `--dry-run --out <file> --format markdown`, so the ticket and the run are tied)',
        ],
        ['Run with', mdCode(runWith)],
        ['Verdict', verdict(plan)],
      ],
    ),
    '',
  ];
  if (input.savedPlan) {
    lines.push(
      `The run applies only this plan: ${mdCode(runWith)} re-observes the tenant and refuses (exit 4, nothing changed) if the saved plan's digest is not ${mdCode(input.savedPlan.digest)}, or if the tenant, the configuration, the tool version or any step's observation differs from what this runbook shows.`,
      '',
    );
  }

  lines.push('## Preflight', '');
  if (plan.preflight.length === 0) lines.push('No preflight checks ran (nothing to do).', '');
  else {
    lines.push(
      ...table(
        ['#', 'Check', 'Result', 'Observed', 'Fix'],
        plan.preflight.map((c, i) => [String(i + 1), mdText(c.title), checkResult(c), mdText(c.detail), !c.ok && c.fix ? mdText(c.fix) : '']),
      ),
      '',
    );
    const failing = plan.preflight.filter(isBlockingCheck).length;
    if (failing > 0) lines.push(`**${failing} check(s) fail: the run stops before its first write.**`, '');
  }

  lines.push('## Steps', '');
  if (plan.steps.length > 0) {
    lines.push(
      ...table(
        ['#', 'Step', 'Kind', 'Now', 'Changes'],
        plan.steps.map((s, i) => [
          String(i + 1),
          mdText(s.title),
          s.kind,
          isBlockingStep(s) ? `**${STATE_WORD[s.observation.state]}**` : (STATE_WORD[s.observation.state] ?? s.observation.state),
          String(s.observation.changes?.length ?? 0),
        ]),
      ),
      '',
    );
    plan.steps.forEach((s, i) => lines.push(...stepSection(s, i)));
  } else lines.push('No step to run.', '');

  lines.push('## Guards', '', 'The run stops, before the change they protect, when a threshold is crossed.', '');
  lines.push(
    ...table(
      ['Setting', 'Value'],
      input.guards.map((g) => [mdCode(g.key), mdCode(g.value)]),
    ),
    '',
  );
  const guardSteps = plan.steps.map((s, i) => ({ s, i })).filter(({ s }) => s.guide?.guard);
  if (guardSteps.length > 0) {
    lines.push(
      ...table(
        ['Step', 'Stops when', 'Observed now'],
        guardSteps.map(({ s, i }) => [
          `${i + 1}. ${mdText(s.title)}`,
          mdText(s.guide!.guard!),
          `${STATE_WORD[s.observation.state]}: ${mdText(s.observation.detail)}`,
        ]),
      ),
      '',
    );
  }

  lines.push('## Forecast', '', 'No forecast: not computed by this version.', '');

  lines.push('## Rollback plan', '');
  if (input.reverse) {
    const r = input.reverse;
    lines.push(
      `To undo the change: ${mdCode(r.command)} (${mdText(r.title)}; follows ${mdText(r.doc)}). Plan it first with ${mdCode(`${r.command} --dry-run --format markdown`)}: it works from any point this run reaches, and each step observes before it acts.`,
      '',
      ...table(
        ['#', 'Step', 'Kind', 'Follows'],
        r.steps.map((s, i) => [String(i + 1), mdText(s.title), s.kind, mdText(s.doc)]),
      ),
      '',
    );
    r.steps.forEach((s, i) => {
      const g = guideLines(s.guide, s.kind);
      if (g.length > 0) lines.push(`**Step ${i + 1}, ${mdText(s.title)}:**`, '', ...g, '');
    });
  } else lines.push('No reverse procedure is defined for this command.', '');

  lines.push(
    '## Sign-off',
    '',
    ...table(
      ['Role', 'Name', 'Decision', 'Date', 'Signature'],
      [['Change owner (runs the tool)'], ['ZIA administrator (operator steps)'], ['Identity provider administrator'], ['Approver']].map((r) => [
        ...r,
        '',
        '',
        '',
        '',
      ]),
    ),
    '',
  );
  return lines.join('\n');
}
