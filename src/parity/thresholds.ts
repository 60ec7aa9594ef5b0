import type { FindingKind, ParityReport, ReportRun, Verdict } from './report-schema.js';

/** Allowed counts per category (config `parity.thresholds`); a count above its allowance is a breach. */
export interface ParityThresholds {
  missing: number;
  extra: number;
  duplicates: number;
  drift: number;
}

export type ThresholdCategory = keyof ParityThresholds;

/**
 * Which finding kinds each threshold counts. `missing` and `extra` count users: one finding per
 * user, whatever the number of sources it is missing from (or present in), so "missing: 7" is
 * the 7 users an administrator counts, not 14 when each is absent from both ZIA and SCIM.
 */
export const THRESHOLD_KINDS: Record<ThresholdCategory, readonly FindingKind[]> = {
  missing: ['missing'],
  extra: ['extra'],
  duplicates: ['duplicate'],
  drift: ['case-mismatch', 'attribute-drift', 'disabled-in-ad-active-in-scim', 'active-in-ad-disabled-in-scim', 'group-count-mismatch'],
};

export interface ThresholdCheck {
  category: ThresholdCategory;
  /** Findings counted: for missing and extra, users. */
  count: number;
  allowed: number;
  ok: boolean;
  byKind: Partial<Record<FindingKind, number>>;
  /** missing and extra only: of those users, how many per source (a user may count in both). */
  bySource?: { zia: number; scim: number | null };
  /** How the two slots of bySource are named: ZIA and SCIM, or the product's stores (summary.stores). */
  slotNames?: { zia: string; scim: string };
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
    const check: ThresholdCheck = { category, count, allowed, ok: count <= allowed, byKind };
    if (category === 'missing' || category === 'extra') {
      const s = report.summary[category];
      check.bySource = { zia: s.zia, scim: s.scim };
      const st = report.summary.stores;
      if (st) check.slotNames = { zia: st.find((x) => x.slot === 'zia')?.label ?? 'ZIA', scim: st.find((x) => x.slot === 'scim')?.label ?? 'SCIM' };
    }
    return check;
  });
}

/** "7 users (7 from ZIA, 7 from SCIM)": a user missing from both counts once, and once per source. */
export function describeUserCount(c: ThresholdCheck): string {
  const users = `${c.count} user${c.count === 1 ? '' : 's'}`;
  if (!c.bySource) return users;
  const prep = c.category === 'missing' ? 'from' : 'in';
  const parts = [`${c.bySource.zia} ${prep} ${c.slotNames?.zia ?? 'ZIA'}`];
  if (c.bySource.scim !== null) parts.push(`${c.bySource.scim} ${prep} ${c.slotNames?.scim ?? 'SCIM'}`);
  return `${users} (${parts.join(', ')})`;
}

/** The verdict the reports state at the top: pass, or each threshold breached, by how much. */
export function verdictOf(report: ParityReport, thresholds: ParityThresholds): Verdict {
  const breaches: Verdict['breaches'] = [];
  for (const c of thresholdChecks(report, thresholds)) {
    if (c.ok) continue;
    let text: string;
    if (c.bySource) {
      text = `${c.category}: ${describeUserCount(c)}, ${c.allowed} allowed by parity.thresholds.${c.category}`;
    } else {
      const parts = Object.entries(c.byKind)
        .filter(([, n]) => n !== undefined && n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      text = `${c.category}: ${c.count} found (${parts}), ${c.allowed} allowed by parity.thresholds.${c.category}`;
    }
    breaches.push({ category: c.category, count: c.count, allowed: c.allowed, over: c.count - c.allowed, text });
  }
  const { missing, extra, duplicates, drift } = thresholds;
  return { ok: breaches.length === 0, thresholds: { missing, extra, duplicates, drift }, breaches };
}

/** The report with its verdict (and, when known, the tenant and tool) attached, for every writer. */
export function withVerdict(report: ParityReport, thresholds: ParityThresholds, run?: ReportRun): ParityReport {
  return { ...report, verdict: verdictOf(report, thresholds), ...(run ? { run } : {}) };
}

/** Decides the exit code of `migrate verify`: ok when no category exceeds its allowance. */
export function evaluateThresholds(report: ParityReport, thresholds: ParityThresholds): { ok: boolean; breaches: string[] } {
  const v = verdictOf(report, thresholds);
  return { ok: v.ok, breaches: v.breaches.map((b) => b.text) };
}
