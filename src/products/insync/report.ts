import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { csvRow, escapeHtml, escapeMarkdownCell, escapeXml } from '../../parity/report/escape.js';
import { renderTable, type Cell } from '../../parity/report/table.js';
import { totalBytes, type SwitchFinding, type TenantReading } from './snapshot.js';

/**
 * The before/after report of a provisioning switch: one system read twice (the snapshot, and the
 * tenant after the switch), with the escaping and file conventions of the parity reports
 * (src/parity/report: 0600 files, CSV/HTML/Markdown/XML escaping).
 */
export interface SwitchReport {
  schemaVersion: 1;
  generatedAt: string;
  flow: string;
  from: string;
  to: string;
  keepExistingMappings: boolean;
  /** "Moved to manual mode" is not observable (D15): what the operator attested. */
  manualMode: 'attested by the operator' | 'not attested';
  before: { users: number; activeUsers: number; devices: number; backupBytes: number; takenAt: string };
  after: { users: number; activeUsers: number; devices: number; backupBytes: number };
  findings: SwitchFinding[];
  ok: boolean;
}

const counts = (r: TenantReading) => ({
  users: r.users.length,
  activeUsers: r.users.filter((u) => u.status === 'active').length,
  devices: r.devices.length,
  backupBytes: totalBytes(r),
});

export function buildSwitchReport(input: {
  flow: string;
  from: string;
  to: string;
  keepExistingMappings: boolean;
  attested: boolean;
  before: TenantReading & { takenAt: string };
  after: TenantReading;
  findings: SwitchFinding[];
  generatedAt: string;
}): SwitchReport {
  return {
    schemaVersion: 1,
    generatedAt: input.generatedAt,
    flow: input.flow,
    from: input.from,
    to: input.to,
    keepExistingMappings: input.keepExistingMappings,
    manualMode: input.attested ? 'attested by the operator' : 'not attested',
    before: { ...counts(input.before), takenAt: input.before.takenAt },
    after: counts(input.after),
    findings: input.findings,
    ok: input.findings.length === 0,
  };
}

const ROWS: [string, (c: SwitchReport['after']) => number][] = [
  ['users', (c) => c.users],
  ['active users', (c) => c.activeUsers],
  ['devices', (c) => c.devices],
  ['backup bytes', (c) => c.backupBytes],
];

/** The terminal view, laid out by the parity reports' table renderer (src/parity/report/table.ts). */
export function renderSwitchReport(r: SwitchReport, width = process.stdout.columns || 100): string {
  const lines = [`inSync provisioning ${r.from} → ${r.to}: ${r.ok ? 'nothing lost' : `${r.findings.length} finding(s)`}`];
  const counts: Cell[][] = [
    [{ text: '' }, { text: 'before' }, { text: 'after' }],
    ...ROWS.map(([name, get]) => [{ text: name }, { text: String(get(r.before)) }, { text: String(get(r.after)) }]),
  ];
  lines.push(...renderTable(counts, ['left', 'right', 'right'], width).map((l) => `  ${l}`));
  lines.push(`  manual mode: ${r.manualMode} (not observable through the API)`);
  if (r.findings.length) {
    const rows: Cell[][] = [[{ text: 'kind' }, { text: 'detail' }], ...r.findings.slice(0, 20).map((f) => [{ text: f.kind }, { text: f.detail }])];
    lines.push(...renderTable(rows, ['left', 'left'], width - 2).map((l) => `  ${l}`));
  }
  if (r.findings.length > 20) lines.push(`  … and ${r.findings.length - 20} more (see the report files)`);
  return lines.join('\n');
}

function markdown(r: SwitchReport): string {
  const lines = [
    `# inSync provisioning switch: ${r.from} → ${r.to}`,
    '',
    `Generated ${r.generatedAt}. Verdict: **${r.ok ? 'nothing lost' : `${r.findings.length} finding(s)`}**. "Keep existing ${r.from} mappings": ${r.keepExistingMappings ? 'kept' : 'not kept (deleted)'}.`,
    '',
    '| | before | after |',
    '|---|---:|---:|',
    ...ROWS.map(([name, get]) => `| ${name} | ${get(r.before)} | ${get(r.after)} |`),
    '',
    `Users moved to manual provisioning mode: ${r.manualMode} (no API field shows it).`,
    '',
  ];
  if (r.findings.length) {
    lines.push('| kind | who | attribute | before | after |', '|---|---|---|---|---|');
    for (const f of r.findings)
      lines.push(
        `| ${f.kind} | ${escapeMarkdownCell(f.who)} | ${f.attribute ?? ''} | ${escapeMarkdownCell(f.before ?? '')} | ${escapeMarkdownCell(f.after ?? '')} |`,
      );
  }
  return `${lines.join('\n')}\n`;
}

function html(r: SwitchReport): string {
  const rows = ROWS.map(([name, get]) => `<tr><td>${name}</td><td>${get(r.before)}</td><td>${get(r.after)}</td></tr>`).join('');
  const findings = r.findings.map((f) => `<tr><td>${escapeHtml(f.kind)}</td><td>${escapeHtml(f.who)}</td><td>${escapeHtml(f.detail)}</td></tr>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>inSync provisioning switch</title></head><body><h1>inSync provisioning ${escapeHtml(r.from)} → ${escapeHtml(r.to)}</h1><p>${r.ok ? 'Nothing lost.' : `${r.findings.length} finding(s).`} Manual mode: ${escapeHtml(r.manualMode)}.</p><table><tr><th></th><th>before</th><th>after</th></tr>${rows}</table>${findings ? `<table><tr><th>kind</th><th>who</th><th>detail</th></tr>${findings}</table>` : ''}</body></html>\n`;
}

function junit(r: SwitchReport): string {
  const kinds = ['user-missing', 'user-preserved', 'user-changed', 'device-missing', 'backup-bytes-decreased', 'no-backup-since-switch'] as const;
  const cases = kinds.map((k) => {
    const fs = r.findings.filter((f) => f.kind === k);
    return `    <testcase classname="insync.switch" name="${k}">${fs.length ? `<failure message="${fs.length} finding(s)">${escapeXml(fs.map((f) => f.detail).join('\n'))}</failure>` : ''}</testcase>`;
  });
  const failures = cases.filter((c) => c.includes('<failure')).length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="inSync provisioning switch" tests="${cases.length}" failures="${failures}">`,
    `  <testsuite name="${escapeXml(`${r.from} → ${r.to}`)}" tests="${cases.length}" failures="${failures}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function csv(r: SwitchReport): string {
  return [
    csvRow(['kind', 'key', 'who', 'attribute', 'before', 'after', 'detail']),
    ...r.findings.map((f) => csvRow([f.kind, f.key, f.who, f.attribute, f.before, f.after, f.detail])),
  ].join('');
}

/** switch.json, switch.md, switch.html, switch.csv and switch.junit.xml in `dir` (0700), each 0600: they name users. */
export async function writeSwitchReport(r: SwitchReport, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files: [string, string][] = [
    ['switch.json', `${JSON.stringify(r, null, 2)}\n`],
    ['switch.md', markdown(r)],
    ['switch.html', html(r)],
    ['switch.csv', csv(r)],
    ['switch.junit.xml', junit(r)],
  ];
  const written: string[] = [];
  for (const [name, text] of files) {
    const p = join(dir, name);
    await writeFile(p, text, { encoding: 'utf8', mode: 0o600 });
    await chmod(p, 0o600);
    written.push(p);
  }
  return written;
}
