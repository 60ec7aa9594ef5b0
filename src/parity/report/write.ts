import { createWriteStream } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { FINDING_KINDS, type ParityReport } from '../report-schema.js';
import { csvRow } from './escape.js';
import { toHtml } from './html.js';
import { toJson } from './json.js';
import { csvFileName, toMarkdown } from './markdown.js';

export const CSV_HEADER = ['severity', 'kind', 'key', 'sources', 'attribute', 'expected', 'actual', 'detail'];

/** Reports name users and their emails: only the owner may read them. */
const REPORT_MODE = 0o600;

/** Streams the CSV of one finding kind, so size never builds up in memory. */
async function writeCsv(path: string, report: ParityReport, kind: string): Promise<void> {
  const out = createWriteStream(path, { encoding: 'utf8', mode: REPORT_MODE });
  const closed = once(out, 'close');
  const write = async (line: string) => {
    if (!out.write(line)) await once(out, 'drain');
  };
  try {
    await write(csvRow(CSV_HEADER));
    for (const f of report.findings) {
      if (f.kind !== kind) continue;
      await write(csvRow([f.severity, f.kind, f.key, f.sources.join(' '), f.attribute, f.expected, f.actual, f.detail]));
    }
  } finally {
    out.end();
  }
  await closed;
}

/**
 * `--report <dir>`: parity.md, parity.html (self-contained), parity.json and a findings-<kind>.csv
 * for each kind that has findings (no empty files), all mode 0600. The directory is created (0700)
 * when missing.
 */
export async function writeReportDir(report: ParityReport, dir: string, opts: { maxRows?: number } = {}): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(`cannot create the report directory ${dir}: ${(err as Error).message}; choose a writable --report path`);
  }
  const written: string[] = [];
  const put = async (name: string, text: string) => {
    const p = join(dir, name);
    await writeFile(p, text, { encoding: 'utf8', mode: REPORT_MODE });
    await chmod(p, REPORT_MODE); // an existing file keeps its old mode through writeFile
    written.push(p);
  };
  await put('parity.json', toJson(report));
  await put('parity.md', toMarkdown(report, opts.maxRows));
  await put('parity.html', toHtml(report, opts.maxRows));
  for (const kind of FINDING_KINDS) {
    if (!report.findings.some((f) => f.kind === kind)) continue;
    const p = join(dir, csvFileName(kind));
    await writeCsv(p, report, kind);
    await chmod(p, REPORT_MODE);
    written.push(p);
  }
  return written;
}
