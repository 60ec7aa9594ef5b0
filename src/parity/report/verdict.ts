import type { ParityReport } from '../report-schema.js';

/** What every report states first: the verdict, the thresholds, the tenant, the tool and the time. */
export interface ReportHeader {
  /** undefined when the report was not judged (a bare computeParity has no thresholds). */
  ok: boolean | undefined;
  /** "PASS: parity within thresholds" or "FAIL: 2 thresholds breached". */
  headline: string;
  /** One line per breached threshold, with how far over it is. */
  breaches: string[];
  thresholds: string;
  tenant: string;
  tool: string;
  time: string;
}

export function reportHeader(report: ParityReport): ReportHeader {
  const v = report.verdict;
  const run = report.run;
  const t = run?.tenant;
  return {
    ok: v?.ok,
    headline: !v
      ? 'NOT JUDGED: no thresholds were given to this report'
      : v.ok
        ? 'PASS: parity within thresholds'
        : `FAIL: ${v.breaches.length} threshold${v.breaches.length === 1 ? '' : 's'} breached`,
    breaches: (v?.breaches ?? []).map((b) => `${b.text} (${b.over} over)`),
    thresholds: v
      ? `missing ${v.thresholds.missing}, extra ${v.thresholds.extra}, duplicates ${v.thresholds.duplicates}, drift ${v.thresholds.drift} (parity.thresholds)`
      : 'not given',
    tenant: t ? `${t.product}, cloud ${t.cloud}, ${t.product === 'ZPA' ? 'customer' : 'org'} ${t.orgId}, IdP ${t.idpName} (${t.idp})` : 'not recorded',
    tool: run ? `${run.tool.name} ${run.tool.version}` : 'not recorded',
    time: report.generatedAt,
  };
}
