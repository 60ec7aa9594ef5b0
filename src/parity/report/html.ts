import { FINDING_KINDS, type Finding, type ParityReport } from '../report-schema.js';
import { userCountsText, ziaFeedText } from './counts.js';
import { escapeHtml as h } from './escape.js';
import { csvFileName } from './markdown.js';

const num = (n: number | null | undefined) => (n === null || n === undefined ? '–' : String(n));

// Inline only: the file is attached to change tickets and opened offline, so no external assets.
const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d1d1f;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
.error{color:#b00020;font-weight:600}.warning{color:#8a5a00}.ok{color:#1b7f3b}.muted{color:#666}
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
  B.push(`<p class="muted">Generated ${h(report.generatedAt)}. Matched on <code>${h(s.key)}</code> (case-insensitive); duplicates checked on <code>${h(s.secondaryKey)}</code>. ZIA's users come from ${h(ziaFeedText(s))}.</p>`);
  B.push('<h2>Sources</h2><table><tr><th>source</th><th>records</th><th>unique</th><th>without key</th><th>matched with directory</th><th>missing</th><th>extra</th></tr>');
  const row = (name: string, c: { records: number; unique: number; withoutKey: number }, m: number | null, mi: number | null, ex: number | null) =>
    `<tr>${td(name)}${td(String(c.records), 'n')}${td(String(c.unique), 'n')}${td(String(c.withoutKey), 'n')}${td(num(m), 'n')}${td(num(mi), mi ? 'n error' : 'n')}${td(num(ex), ex ? 'n warning' : 'n')}</tr>`;
  B.push(row('directory', s.counts.directory, null, null, null));
  B.push(row('ZIA', s.counts.zia, s.matched.directoryZia, s.missing.zia, s.extra.zia));
  B.push(s.counts.scim ? row('SCIM', s.counts.scim, s.matched.directoryScim, s.missing.scim, s.extra.scim) : '<tr><td>SCIM</td><td colspan="6" class="muted">not read (directory vs ZIA only)</td></tr>');
  B.push('</table>');
  B.push(`<p>${h(userCountsText(s))}</p>`);
  if (s.matched.allThree !== null) B.push(`<p>Users in all three sources: ${s.matched.allThree}.</p>`);

  B.push('<h2>Findings by kind</h2><table><tr><th>kind</th><th>count</th></tr>');
  for (const k of FINDING_KINDS) {
    const n = s.findingsByKind[k];
    B.push(`<tr>${td(k)}${td(String(n), n ? 'n warning' : 'n ok')}</tr>`);
  }
  B.push('</table>');
  const d = s.drift.byAttribute;
  B.push(`<p>Drift by attribute: userName ${d.userName}, email ${d.email}, displayName ${d.displayName}, department ${d.department}, groups ${d.groups}. Case-only differences: ${s.caseMismatches}. Duplicates: ${s.duplicates.total}.</p>`);

  B.push('<h2>Groups</h2><table><tr><th>group</th><th>directory</th><th>ZIA</th><th>SCIM</th></tr>');
  for (const g of report.groups.slice(0, maxRows)) {
    B.push(`<tr>${td(g.name)}${td(num(g.directory), 'n')}${td(num(g.zia), 'n')}${td(num(g.scim), 'n')}</tr>`);
  }
  B.push('</table>');
  if (report.groups.length > maxRows) B.push(`<p class="muted">${report.groups.length - maxRows} more groups in parity.json.</p>`);

  B.push('<h2>Findings</h2>');
  if (report.findingsTruncated) B.push(`<p class="muted">Only the worst ${report.findings.length} of ${report.findingsTotal} findings were kept for this run.</p>`);
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
      B.push(`<tr>${td(f.severity, f.severity)}${td(f.key)}${td(f.sources.join(', '))}${td(f.attribute ?? '')}${td(f.expected ?? '')}${td(f.actual ?? '')}${td(f.detail, 'detail')}</tr>`);
    }
    B.push('</table>');
    if (s.findingsByKind[k] > list.length) B.push(`<p class="muted">${s.findingsByKind[k] - list.length} more in ${h(csvFileName(k))}.</p>`);
  }
  B.push('</body></html>');
  return `${B.join('\n')}\n`;
}
