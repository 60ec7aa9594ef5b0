import type { Plan } from '../engine/runner.js';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** A dry-run plan as JUnit XML: one test case per preflight check and per step, for CI dashboards. */
export function planToJUnit(plan: Plan): string {
  const cases: string[] = [];
  let failures = 0;
  for (const c of plan.preflight) {
    const failed = !c.ok && (c.severity ?? 'error') === 'error';
    if (failed) failures += 1;
    cases.push(
      `    <testcase classname="${esc(plan.flow.id)}.preflight" name="${esc(c.title)}">` +
        (failed ? `<failure message="${esc(c.detail)}">${esc(c.fix ?? '')}</failure>` : `<system-out>${esc(c.detail)}</system-out>`) +
        '</testcase>',
    );
  }
  for (const s of plan.steps) {
    const failed = s.observation.state === 'blocked' || s.observation.state === 'drifted';
    if (failed) failures += 1;
    const out = [s.observation.detail, ...(s.observation.changes ?? []).map((c) => `would: ${c}`)].join('\n');
    cases.push(
      `    <testcase classname="${esc(plan.flow.id)}.steps" name="${esc(s.title)}">` +
        (failed ? `<failure message="${esc(s.observation.state)}">${esc(out)}</failure>` : `<system-out>${esc(`${s.observation.state}: ${out}`)}</system-out>`) +
        '</testcase>',
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="migrate ${esc(plan.flow.id)} --dry-run" tests="${cases.length}" failures="${failures}">`,
    `  <testsuite name="${esc(plan.flow.title)}" tests="${cases.length}" failures="${failures}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
