import type { Finding, ParityReport } from '../report-schema.js';

/** Findings with their keys always in the documented order, whatever order they were built in. */
function canonicalFinding(f: Finding): Finding {
  return {
    kind: f.kind,
    severity: f.severity,
    key: f.key,
    sources: f.sources,
    ...(f.attribute === undefined ? {} : { attribute: f.attribute }),
    ...(f.expected === undefined ? {} : { expected: f.expected }),
    ...(f.actual === undefined ? {} : { actual: f.actual }),
    detail: f.detail,
  };
}

/** The `--json` document (schemaVersion 2, documented in src/parity/README.md). */
export function toJsonValue(report: ParityReport): ParityReport {
  return {
    schemaVersion: 2,
    generatedAt: report.generatedAt,
    // The verdict first (when the run knew the thresholds): what a reader looks for.
    ...(report.verdict ? { verdict: report.verdict } : {}),
    ...(report.run ? { run: report.run } : {}),
    summary: report.summary,
    groups: report.groups,
    findings: report.findings.map(canonicalFinding),
    findingsTotal: report.findingsTotal,
    findingsTruncated: report.findingsTruncated,
  };
}

export function toJson(report: ParityReport): string {
  return `${JSON.stringify(toJsonValue(report), null, 2)}\n`;
}
