import type { FindingKind, ParityReport } from './report-schema.js';

/** Allowed counts per category (config `parity.thresholds`); a count above its allowance is a breach. */
export interface ParityThresholds {
  missing: number;
  extra: number;
  duplicates: number;
  drift: number;
}

export type ThresholdCategory = keyof ParityThresholds;

/** Which finding kinds each threshold counts. */
export const THRESHOLD_KINDS: Record<ThresholdCategory, readonly FindingKind[]> = {
  missing: ['missing-in-zia', 'missing-in-scim'],
  extra: ['extra-in-zia', 'extra-in-scim'],
  duplicates: ['duplicate'],
  drift: [
    'case-mismatch',
    'attribute-drift',
    'disabled-in-ad-active-in-scim',
    'active-in-ad-disabled-in-scim',
    'group-count-mismatch',
  ],
};

export interface ThresholdCheck {
  category: ThresholdCategory;
  count: number;
  allowed: number;
  ok: boolean;
  byKind: Partial<Record<FindingKind, number>>;
}

export function thresholdChecks(report: ParityReport, thresholds: ParityThresholds): ThresholdCheck[] {
  return (Object.keys(THRESHOLD_KINDS) as ThresholdCategory[]).map((category) => {
    const byKind: Partial<Record<FindingKind, number>> = {};
    let count = 0;
    for (const kind of THRESHOLD_KINDS[category]) {
      const n = report.summary.findingsByKind[kind];
      byKind[kind] = n;
      count += n;
    }
    const allowed = thresholds[category];
    return { category, count, allowed, ok: count <= allowed, byKind };
  });
}

/** Decides the exit code of `migrate verify`: ok when no category exceeds its allowance. */
export function evaluateThresholds(
  report: ParityReport,
  thresholds: ParityThresholds,
): { ok: boolean; breaches: string[] } {
  const breaches: string[] = [];
  for (const c of thresholdChecks(report, thresholds)) {
    if (c.ok) continue;
    const parts = Object.entries(c.byKind)
      .filter(([, n]) => n !== undefined && n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    breaches.push(`${c.category}: ${c.count} found (${parts}), ${c.allowed} allowed by parity.thresholds.${c.category}`);
  }
  return { ok: breaches.length === 0, breaches };
}
