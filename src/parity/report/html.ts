import { FINDING_KINDS, type Finding, type FindingKind, type GroupParityRow, type ParityReport, type Severity } from '../report-schema.js';
import { feedSentence, slotNames, userCountsText, ziaFeedText } from './counts.js';
import { escapeHtml as h } from './escape.js';
import { csvFileName } from './markdown.js';
import { reportHeader } from './verdict.js';

const num = (n: number | null | undefined) => (n === null || n === undefined ? '–' : String(n));

// Inline only: the file is attached to change tickets and opened offline, so no external assets.
const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d1d1f;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.error{color:#b00020;font-weight:600}.warning{color:#8a5a00}.ok{color:#1b7f3b}.muted{color:#666}
.verdict{padding:.75rem 1rem;border-radius:6px;border:2px solid}.verdict h2{margin:0;font-size:1.3rem}
.verdict.pass{border-color:#1b7f3b;background:#eef8f0}.verdict.fail{border-color:#b00020;background:#fdecee}.verdict.none{border-color:#999;background:#f6f6f6}
.verdict ul{margin:.25rem 0}dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.5rem 0}dl.meta dt{font-weight:600}dl.meta dd{margin:0}
tr.differ td{background:#fff4d6}tr.differ td:first-child{border-left:4px solid #b00020}
.charts{display:flex;flex-wrap:wrap;gap:2rem}svg.chart text{font:12px system-ui,sans-serif;fill:#1d1d1f}
.bar-error{fill:#b00020}.bar-warning{fill:#d08a00}.bar-none{fill:#ccc}
td.detail{max-width:48rem}code{font-family:ui-monospace,monospace}
`;

function td(v: string, cls?: string): string {
  return cls ? `<td class="${cls}">${h(v)}</td>` : `<td>${h(v)}</td>`;
}

/** A self-contained HTML report: inline CSS, no scripts, every value escaped. */
export function toHtml(report: ParityReport, maxRows = 1000): string {
  const s = report.summary;
  const B: string[] = [];
  B.push('<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">');
  B.push('<meta name="viewport" content="width=device-width,initial-scale=1">');
  B.push('<title>User parity report</title>', `<style>${CSS}</style></head><body>`);
  B.push('<h1>User parity report</h1>');
  const hd = reportHeader(report);
  const vcls = hd.ok === undefined ? 'none' : hd.ok ? 'pass' : 'fail';
  B.push(`<section class="verdict ${vcls}" id="verdict"><h2>${h(hd.headline)}</h2>`);
  if (hd.breaches.length) B.push(`<ul>${hd.breaches.map((b) => `<li>${h(b)}</li>`).join('')}</ul>`);
  B.push('<dl class="meta">');
  for (const [k, v] of [
    ['thresholds', hd.thresholds],
    ['tenant', hd.tenant],
    ['tool', hd.tool],
    ['time', hd.time],
  ] as const)
    B.push(`<dt>${k}</dt><dd>${h(v)}</dd>`);
  B.push('</dl></section>');
  B.push(
    `<h2>At a glance</h2><div class="charts">${barChart('Findings by kind', kindBars(report))}${barChart('Users missing and extra, by source', sourceBars(report))}</div>`,
  );
  B.push(
    `<p class="muted">Generated ${h(report.generatedAt)}. Matched on <code>${h(s.key)}</code> (case-insensitive); duplicates checked on <code>${h(s.secondaryKey)}</code>. ${s.stores ? h(feedSentence(s)) : `ZIA's users come from ${h(ziaFeedText(s))}.`}</p>`,
  );
  B.push(
    '<h2>Sources</h2><table><tr><th>source</th><th>records</th><th>unique</th><th>without key</th><th>matched with directory</th><th>missing</th><th>extra</th></tr>',
  );
  const row = (name: string, c: { records: number; unique: number; withoutKey: number }, m: number | null, mi: number | null, ex: number | null) =>
    `<tr>${td(name)}${td(String(c.records), 'n')}${td(String(c.unique), 'n')}${td(String(c.withoutKey), 'n')}${td(num(m), 'n')}${td(num(mi), mi ? 'n error' : 'n')}${td(num(ex), ex ? 'n warning' : 'n')}</tr>`;
  B.push(row('directory', s.counts.directory, null, null, null));
  const names = slotNames(s);
  B.push(row(names.first, s.counts.zia, s.matched.directoryZia, s.missing.zia, s.extra.zia));
  if (s.counts.scim) B.push(row(names.second ?? 'SCIM', s.counts.scim, s.matched.directoryScim, s.missing.scim, s.extra.scim));
  else if (names.second !== undefined)
    B.push(`<tr><td>${h(names.second)}</td><td colspan="6" class="muted">not read (directory vs ${h(names.first)} only)</td></tr>`);
  B.push('</table>');
  B.push(`<p>${h(userCountsText(s))}</p>`);
  if (s.matched.allThree !== null) B.push(`<p>Users in all three sources: ${s.matched.allThree}.</p>`);

  B.push('<h2>Findings by kind</h2><table><tr><th>kind</th><th>count</th></tr>');
  for (const k of FINDING_KINDS) {
    const n = s.findingsByKind[k];
    B.push(`<tr>${td(k)}${td(String(n), n ? `n ${kindSeverity(report, k)}` : 'n ok')}</tr>`);
  }
  B.push('</table>');
  const d = s.drift.byAttribute;
  B.push(
    `<p>Drift by attribute: userName ${d.userName}, email ${d.email}, displayName ${d.displayName}, department ${d.department}, groups ${d.groups}. Case-only differences: ${s.caseMismatches}. Duplicates: ${s.duplicates.total}.</p>`,
  );

  B.push(
    '<h2>Groups</h2><p class="muted">Highlighted: groups whose member counts differ between sources (or that a source lacks).</p><table><tr><th>group</th><th>directory</th>' +
      `<th>${h(names.first)}</th>${names.second === undefined ? '' : `<th>${h(names.second)}</th>`}</tr>`,
  );
  // A store that lists group names only shows "present" (it has no member count), and differs only when it lacks the group.
  const storeKey = (slot: 'zia' | 'scim') => s.stores?.find((x) => x.slot === slot)?.key;
  const cell = (g: GroupParityRow, slot: 'zia' | 'scim') => {
    const key = storeKey(slot);
    return g[slot] === null && key !== undefined && g.presentIn?.includes(key) ? 'present' : num(g[slot]);
  };
  for (const g of report.groups.slice(0, maxRows)) {
    const differs = s.stores?.some((x) => x.groupsByName) ? g.directory === null || !g.presentIn?.includes(storeKey('zia')!) : groupDiffers(g, s.scimCompared);
    B.push(
      `<tr${differs ? ' class="differ"' : ''}>${td(g.name)}${td(num(g.directory), 'n')}${td(cell(g, 'zia'), 'n')}${names.second === undefined ? '' : td(cell(g, 'scim'), 'n')}</tr>`,
    );
  }
  B.push('</table>');
  if (report.groups.length > maxRows) B.push(`<p class="muted">${report.groups.length - maxRows} more groups in parity.json.</p>`);

  B.push('<h2>Findings</h2>');
  if (report.findingsTruncated)
    B.push(`<p class="muted">Only the worst ${report.findings.length} of ${report.findingsTotal} findings were kept for this run.</p>`);
  const byKind = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = byKind.get(f.kind);
    if (!list) byKind.set(f.kind, [f]);
    else if (list.length < maxRows) list.push(f);
  }
  if (byKind.size === 0) B.push('<p class="ok">No differences.</p>');
  for (const k of FINDING_KINDS) {
    const list = byKind.get(k);
    if (!list) continue;
    B.push(`<h3>${h(k)} (${s.findingsByKind[k]})</h3>`);
    B.push('<table><tr><th>severity</th><th>key</th><th>sources</th><th>attribute</th><th>expected</th><th>actual</th><th>detail</th></tr>');
    for (const f of list) {
      B.push(
        `<tr>${td(f.severity, f.severity)}${td(f.key)}${td(f.sources.join(', '))}${td(f.attribute ?? '')}${td(f.expected ?? '')}${td(f.actual ?? '')}${td(f.detail, 'detail')}</tr>`,
      );
    }
    B.push('</table>');
    if (s.findingsByKind[k] > list.length) B.push(`<p class="muted">${s.findingsByKind[k] - list.length} more in ${h(csvFileName(k))}.</p>`);
  }
  B.push('</body></html>');
  return `${B.join('\n')}\n`;
}

/** A kind's colour: red when any of its findings is an error, amber when all are warnings. */
function kindSeverity(report: ParityReport, kind: FindingKind): Severity {
  return report.findings.some((f) => f.kind === kind && f.severity === 'error') ? 'error' : 'warning';
}

/** A group differs when its member counts are not the same in every source compared. */
function groupDiffers(g: GroupParityRow, scimCompared: boolean): boolean {
  const counts = scimCompared ? [g.directory, g.zia, g.scim] : [g.directory, g.zia];
  return counts.some((c) => c !== counts[0]);
}

interface Bar {
  label: string;
  value: number;
  cls: 'bar-error' | 'bar-warning' | 'bar-none';
}

function kindBars(report: ParityReport): Bar[] {
  return FINDING_KINDS.map((k) => {
    const value = report.summary.findingsByKind[k];
    return { label: k, value, cls: value === 0 ? 'bar-none' : `bar-${kindSeverity(report, k)}` };
  });
}

function sourceBars(report: ParityReport): Bar[] {
  const s = report.summary;
  const { first, second = 'SCIM' } = slotNames(s);
  const bars: Bar[] = [
    { label: `missing from ${first}`, value: s.missing.zia, cls: s.missing.zia ? 'bar-error' : 'bar-none' },
    { label: `extra in ${first}`, value: s.extra.zia, cls: s.extra.zia ? 'bar-warning' : 'bar-none' },
  ];
  if (s.missing.scim !== null) bars.push({ label: `missing from ${second}`, value: s.missing.scim, cls: s.missing.scim ? 'bar-error' : 'bar-none' });
  if (s.extra.scim !== null) bars.push({ label: `extra in ${second}`, value: s.extra.scim, cls: s.extra.scim ? 'bar-warning' : 'bar-none' });
  return bars;
}

/** A horizontal bar chart as inline SVG (no script, no external asset); each bar also has a <title>. */
function barChart(title: string, bars: Bar[]): string {
  const labelW = 210,
    barW = 260,
    rowH = 22,
    top = 24;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = top + bars.length * rowH + 4;
  const P: string[] = [];
  P.push(
    `<svg class="chart" role="img" aria-label="${h(title)}" width="${labelW + barW + 60}" height="${height}" viewBox="0 0 ${labelW + barW + 60} ${height}">`,
  );
  P.push(`<title>${h(title)}</title><text x="0" y="14" font-weight="600">${h(title)}</text>`);
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const w = b.value === 0 ? 0 : Math.max(2, Math.round((b.value / max) * barW));
    P.push(`<text x="${labelW - 6}" y="${y + 14}" text-anchor="end">${h(b.label)}</text>`);
    P.push(`<rect class="${b.cls}" x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}"><title>${h(`${b.label}: ${b.value}`)}</title></rect>`);
    P.push(`<text x="${labelW + w + 6}" y="${y + 14}">${b.value}</text>`);
  });
  P.push('</svg>');
  return P.join('');
}
