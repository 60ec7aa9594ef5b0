import { isBlockingCheck, isBlockingStep, type Plan } from '../engine/runner.js';
import { escapeXml as esc } from '../parity/report/escape.js';

/** A dry-run plan as JUnit XML: one test case per preflight check and per step, for CI dashboards. */
export function planToJUnit(plan: Plan): string {
  const cases: string[] = [];
  let failures = 0;
  for (const c of plan.preflight) {
    const failed = isBlockingCheck(c);
    if (failed) failures += 1;
    cases.push(
      `    <testcase classname="${esc(plan.flow.id)}.preflight" name="${esc(c.title)}">` +
        (failed ? `<failure message="${esc(c.detail)}">${esc(c.fix ?? '')}</failure>` : `<system-out>${esc(c.detail)}</system-out>`) +
        '</testcase>',
    );
  }
  for (const s of plan.steps) {
    const failed = isBlockingStep(s);
    if (failed) failures += 1;
    const out = [s.observation.detail, ...(s.observation.changes ?? []).map((c) => `would: ${c}`)].join('\n');
    cases.push(
      `    <testcase classname="${esc(plan.flow.id)}.steps" name="${esc(s.title)}">` +
        (failed
          ? `<failure message="${esc(s.observation.state)}">${esc(out)}</failure>`
          : `<system-out>${esc(`${s.observation.state}: ${out}`)}</system-out>`) +
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
