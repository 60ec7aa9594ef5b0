import { FINDING_KINDS, type ParityReport } from '../report-schema.js';
import { THRESHOLD_KINDS, describeUserCount, thresholdChecks, type ParityThresholds, type ThresholdCategory } from '../thresholds.js';
import { escapeXml as x } from './escape.js';

const SAMPLE = 20;

/**
 * JUnit XML for CI: one testcase per threshold (missing, extra, duplicates, drift) and one
 * per finding kind; a testcase fails when its threshold is breached (a kind fails when it
 * contributes to a breached threshold). Failure bodies list the worst findings of the kind.
 */
export function toJUnit(report: ParityReport, thresholds: ParityThresholds): string {
  const checks = thresholdChecks(report, thresholds);
  const breached = new Set(checks.filter((c) => !c.ok).map((c) => c.category));
  const categoryOf = new Map<string, ThresholdCategory>();
  for (const [cat, kinds] of Object.entries(THRESHOLD_KINDS) as [ThresholdCategory, readonly string[]][]) {
    for (const k of kinds) categoryOf.set(k, cat);
  }
  const cases: string[] = [];
  let failures = 0;
  for (const c of checks) {
    const name = `parity.thresholds.${c.category}`;
    if (c.ok) {
      const found = c.bySource ? describeUserCount(c) : String(c.count);
      cases.push(
        `    <testcase classname="parity.thresholds" name="${x(c.category)}"><system-out>${x(`${found} found, ${c.allowed} allowed`)}</system-out></testcase>`,
      );
    } else {
      failures++;
      const msg = c.bySource
        ? `${describeUserCount(c)} ${c.category}, ${c.allowed} allowed (${name})`
        : `${c.count} ${c.category} findings, ${c.allowed} allowed (${name})`;
      cases.push(
        `    <testcase classname="parity.thresholds" name="${x(c.category)}"><failure type="threshold" message="${x(msg)}">${x(msg)}</failure></testcase>`,
      );
    }
  }
  const samples = new Map<string, string[]>();
  for (const f of report.findings) {
    const list = samples.get(f.kind) ?? [];
    if (list.length < SAMPLE) list.push(`${f.severity} ${f.key} [${f.attribute ?? f.sources.join(', ')}]: ${f.detail}`);
    samples.set(f.kind, list);
  }
  for (const kind of FINDING_KINDS) {
    const n = report.summary.findingsByKind[kind];
    const cat = categoryOf.get(kind)!;
    if (n > 0 && breached.has(cat)) {
      failures++;
      const list = samples.get(kind) ?? [];
      const body = list.join('\n') + (n > list.length ? `\n… ${n - list.length} more` : '');
      cases.push(
        `    <testcase classname="parity.${x(cat)}" name="${x(kind)}"><failure type="${x(kind)}" message="${x(`${n} ${kind}`)}">${x(body)}</failure></testcase>`,
      );
    } else {
      cases.push(`    <testcase classname="parity.${x(cat)}" name="${x(kind)}"><system-out>${x(`${n} found`)}</system-out></testcase>`);
    }
  }
  const total = cases.length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="migrate verify" tests="${total}" failures="${failures}">`,
    `  <testsuite name="parity" tests="${total}" failures="${failures}" errors="0" skipped="0" timestamp="${x(report.generatedAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
