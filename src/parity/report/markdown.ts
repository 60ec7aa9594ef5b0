import { FINDING_KINDS, type Finding, type ParityReport } from '../report-schema.js';
import { feedSentence, slotNames, userCountsText } from './counts.js';
import { escapeMarkdownCell as md } from './escape.js';
import { reportHeader } from './verdict.js';

const num = (n: number | null | undefined) => (n === null || n === undefined ? '-' : String(n));

export function csvFileName(kind: string): string {
  return `findings-${kind}.csv`;
}

/** The Markdown report for the change ticket; each kind lists at most maxRows findings (full lists in the CSVs). */
export function toMarkdown(report: ParityReport, maxRows = 500): string {
  const s = report.summary;
  const names = slotNames(s);
  const second = names.second ?? 'SCIM';
  const L: string[] = [];
  L.push('# User parity report', '');
  const hd = reportHeader(report);
  L.push(`**${md(hd.headline)}**`, '');
  for (const b of hd.breaches) L.push(`- ${md(b)}`);
  if (hd.breaches.length) L.push('');
  L.push(`| | |`, '|---|---|');
  L.push(`| thresholds | ${md(hd.thresholds)} |`, `| tenant | ${md(hd.tenant)} |`, `| tool | ${md(hd.tool)} |`, `| time | ${md(hd.time)} |`, '');
  L.push(
    `Generated ${md(report.generatedAt)}. Matched on **${s.key}** (case-insensitive); duplicates checked on **${s.secondaryKey}**. ${s.stores ? md(feedSentence(s)) : feedSentence(s)}`,
    '',
  );
  L.push('## Sources', '');
  L.push('| source | records | unique | without key | matched with directory | missing | extra |');
  L.push('|---|---:|---:|---:|---:|---:|---:|');
  L.push(`| directory | ${s.counts.directory.records} | ${s.counts.directory.unique} | ${s.counts.directory.withoutKey} | - | - | - |`);
  L.push(
    `| ${md(names.first)} | ${s.counts.zia.records} | ${s.counts.zia.unique} | ${s.counts.zia.withoutKey} | ${s.matched.directoryZia} | ${s.missing.zia} | ${s.extra.zia} |`,
  );
  if (s.counts.scim) {
    L.push(
      `| ${md(second)} | ${s.counts.scim.records} | ${s.counts.scim.unique} | ${s.counts.scim.withoutKey} | ${num(s.matched.directoryScim)} | ${num(s.missing.scim)} | ${num(s.extra.scim)} |`,
    );
  } else if (names.second !== undefined) {
    L.push(`| ${md(names.second)} | not read | | | | | |`);
  }
  L.push('');
  L.push(userCountsText(s), '');
  if (s.matched.allThree !== null) L.push(`Users in all three sources: ${s.matched.allThree}.`, '');
  L.push('## Findings by kind', '');
  L.push('| kind | count |', '|---|---:|');
  for (const k of FINDING_KINDS) L.push(`| ${k} | ${s.findingsByKind[k]} |`);
  L.push('');
  const d = s.drift.byAttribute;
  L.push(
    `Drift by attribute: userName ${d.userName}, email ${d.email}, displayName ${d.displayName}, department ${d.department}, groups ${d.groups}. Case-only differences: ${s.caseMismatches}. Duplicates: ${s.duplicates.total} (same key ${s.duplicates.sameKey}, same ${s.secondaryKey} ${s.duplicates.sameSecondaryKey}).`,
    '',
  );
  L.push('## Groups', '');
  const cell = (g: (typeof report.groups)[number], slot: 'zia' | 'scim') => {
    const key = s.stores?.find((x) => x.slot === slot)?.key;
    return g[slot] === null && key !== undefined && g.presentIn?.includes(key) ? 'present' : num(g[slot]);
  };
  if (names.second === undefined) {
    L.push(`| group | directory | ${md(names.first)} |`, '|---|---:|---:|');
    for (const g of report.groups.slice(0, maxRows)) L.push(`| ${md(g.name)} | ${num(g.directory)} | ${cell(g, 'zia')} |`);
  } else {
    L.push(`| group | directory | ${md(names.first)} | ${md(names.second)} |`, '|---|---:|---:|---:|');
    for (const g of report.groups.slice(0, maxRows)) L.push(`| ${md(g.name)} | ${num(g.directory)} | ${cell(g, 'zia')} | ${cell(g, 'scim')} |`);
  }
  if (report.groups.length > maxRows) L.push('', `${report.groups.length - maxRows} more groups in parity.json.`);
  L.push('');
  L.push('## Findings', '');
  if (report.findingsTruncated) {
    L.push(`Only the worst ${report.findings.length} of ${report.findingsTotal} findings were kept for this run.`, '');
  }
  const byKind = new Map<string, Finding[]>();
  for (const f of report.findings) {
    const list = byKind.get(f.kind);
    if (!list) byKind.set(f.kind, [f]);
    else if (list.length < maxRows) list.push(f);
  }
  if (byKind.size === 0) L.push('No differences.');
  for (const k of FINDING_KINDS) {
    const list = byKind.get(k);
    if (!list) continue;
    L.push(`### ${k} (${s.findingsByKind[k]})`, '');
    L.push('| severity | key | sources | attribute | expected | actual | detail |', '|---|---|---|---|---|---|---|');
    for (const f of list) {
      L.push(
        `| ${f.severity} | ${md(f.key)} | ${f.sources.join(', ')} | ${md(f.attribute ?? '')} | ${md(f.expected ?? '')} | ${md(f.actual ?? '')} | ${md(f.detail)} |`,
      );
    }
    if (s.findingsByKind[k] > list.length) L.push('', `${s.findingsByKind[k] - list.length} more in ${csvFileName(k)}.`);
    L.push('');
  }
  return `${L.join('\n')}\n`;
}
