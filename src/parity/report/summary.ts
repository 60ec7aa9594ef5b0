import { Chalk } from 'chalk';
import { FINDING_KINDS, type ParityReport } from '../report-schema.js';
import { feedSentence, slotNames, userCountLines } from './counts.js';
import { renderTable, type Cell } from './table.js';

export interface SummaryOptions {
  color: boolean;
  /** Columns available (default: the terminal's width, process.stdout.columns, else 100). Cells wrap to it. */
  width?: number;
  /** Findings listed (default 20); the full list goes to --report / --json. */
  maxRows?: number;
}

const num = (n: number | null | undefined) => (n === null || n === undefined ? '-' : String(n));

/**
 * The terminal view: counts per source, counts per finding kind, then the worst findings.
 * It reads only the first maxRows findings (already sorted worst first), so its size does
 * not grow with the population.
 */
export function renderSummary(report: ParityReport, opts: SummaryOptions): string {
  // An explicit instance: colour follows the caller's decision, not chalk's own TTY detection.
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const width = Math.max(40, opts.width ?? (process.stdout.columns || 100));
  const maxRows = Math.max(0, opts.maxRows ?? 20);
  const s = report.summary;
  const out: string[] = [];
  const bad = (n: number | null, style: (x: string) => string) => (n ? style : c.green);

  out.push(c.bold(`User parity: matched on ${s.key} (case-insensitive), duplicates checked on ${s.secondaryKey}`));
  const names = slotNames(s);
  // ZIA's line as it always read (no full stop); another product's stores with their notes.
  out.push(feedSentence(s).replace(/\.$/, ''));
  out.push('');
  const head: Cell[] = ['source', 'records', 'unique', 'no key', 'matched', 'missing', 'extra'].map((t) => ({ text: t, style: c.bold }));
  const rows: Cell[][] = [head];
  rows.push([
    { text: 'directory' },
    { text: num(s.counts.directory.records) },
    { text: num(s.counts.directory.unique) },
    { text: num(s.counts.directory.withoutKey) },
    { text: '' },
    { text: '' },
    { text: '' },
  ]);
  rows.push([
    { text: names.first },
    { text: num(s.counts.zia.records) },
    { text: num(s.counts.zia.unique) },
    { text: num(s.counts.zia.withoutKey) },
    { text: num(s.matched.directoryZia) },
    { text: num(s.missing.zia), style: bad(s.missing.zia, c.red) },
    { text: num(s.extra.zia), style: bad(s.extra.zia, c.yellow) },
  ]);
  if (s.counts.scim) {
    rows.push([
      { text: names.second ?? 'SCIM' },
      { text: num(s.counts.scim.records) },
      { text: num(s.counts.scim.unique) },
      { text: num(s.counts.scim.withoutKey) },
      { text: num(s.matched.directoryScim) },
      { text: num(s.missing.scim), style: bad(s.missing.scim, c.red) },
      { text: num(s.extra.scim), style: bad(s.extra.scim, c.yellow) },
    ]);
  } else if (names.second !== undefined) {
    rows.push([{ text: names.second }, { text: `not read (directory vs ${names.first} only)`, style: c.dim }]);
  }
  out.push(...renderTable(rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right'], width));
  // Per user, beside the per-source columns: a user missing from ZIA and SCIM counts once here.
  if (s.missing.users > 0 || s.extra.users > 0) out.push(...userCountLines(s).map((l) => `${l.charAt(0).toLowerCase()}${l.slice(1)}`));
  if (s.matched.allThree !== null) out.push(`in all three: ${s.matched.allThree}`);
  out.push('');

  // Finding counts per kind, in report order; kinds with findings only, or a clean line.
  const kindRows: Cell[][] = [
    [
      { text: 'finding', style: c.bold },
      { text: 'count', style: c.bold },
    ],
  ];
  for (const kind of FINDING_KINDS) {
    const n = s.findingsByKind[kind];
    if (n > 0) kindRows.push([{ text: kind }, { text: String(n), style: c.yellow }]);
  }
  if (kindRows.length === 1) {
    out.push(c.green('No differences: every user in the directory scope matches.'));
  } else {
    out.push(...renderTable(kindRows, ['left', 'right'], width));
    const d = s.drift.byAttribute;
    out.push(`drift by attribute: userName ${d.userName}, email ${d.email}, displayName ${d.displayName}, department ${d.department}, groups ${d.groups}`);
  }
  out.push(
    `groups: directory ${s.groups.directory}, ${names.first} ${s.groups.zia}` +
      (s.groups.scim === null ? '' : `, ${names.second ?? 'SCIM'} ${s.groups.scim}`) +
      `; member counts differ: ${names.first} ${s.groups.mismatchedZia}` +
      (s.groups.mismatchedScim === null ? '' : `, ${names.second ?? 'SCIM'} ${s.groups.mismatchedScim}`),
  );

  const shown = report.findings.slice(0, maxRows);
  if (shown.length > 0) {
    out.push('');
    out.push(c.bold(`Worst findings (${shown.length} of ${report.findingsTotal}):`));
    const fr: Cell[][] = [['severity', 'kind', 'source', 'key', 'attribute', 'detail'].map((t) => ({ text: t, style: c.bold }))];
    for (const f of shown) {
      fr.push([
        { text: f.severity, style: f.severity === 'error' ? c.red : c.yellow },
        { text: f.kind },
        { text: f.sources.filter((x) => x !== 'directory').join(',') || 'directory' },
        { text: f.key },
        { text: f.attribute ?? '' },
        { text: f.detail },
      ]);
    }
    out.push(...renderTable(fr, ['left', 'left', 'left', 'left', 'left', 'left'], width));
    if (report.findingsTotal > shown.length) {
      out.push(c.dim(`… ${report.findingsTotal - shown.length} more: write them all with --report <dir> or --json`));
    }
  }
  return `${out.join('\n')}\n`;
}
