import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  computeParity,
  csvField,
  evaluateThresholds,
  parityReportJsonSchema,
  parityReportSchema,
  renderSummary,
  toJson,
  toJUnit,
  writeReportDir,
  type ParityReport,
} from '../../src/parity/index.js';
import { FINDING_KINDS } from '../../src/parity/report-schema.js';
import { pages, rec } from './helpers.js';

async function sample(): Promise<ParityReport> {
  const ann = { userName: 'ann@corp.test', email: 'ann@corp.test', displayName: 'Ann', active: true, groups: [] };
  return computeParity(
    {
      directory: pages([
        rec('directory', { ...ann, displayName: '<script>alert(1)</script>' }),
        rec('directory', { userName: 'bob@corp.test', displayName: 'Bob, "the builder"\nline2', active: true }),
        rec('directory', { userName: 'eve@corp.test', displayName: '=HYPERLINK("http://x")', active: true }),
      ]),
      zia: pages([
        rec('zia', { ...ann, active: undefined }),
        rec('zia', { userName: 'stale@corp.test' }),
        rec('zia', { userName: 'bob@corp.test', displayName: 'Bob' }),
      ]),
      scim: pages([rec('scim', { ...ann, active: false }), rec('scim', { userName: 'eve@corp.test', displayName: '@SUM(1)' })]),
    },
    { key: 'userName', secondaryKey: 'email' },
  );
}

/** A small well-formedness check: balanced tags, quoted attributes, only predefined or numeric entities. */
function assertWellFormedXml(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    if (m[6]) throw new Error(`stray < at ${m.index}`);
    const text = m[5] ?? m[3] ?? '';
    for (const amp of text.matchAll(/&([^;]*);?/g)) {
      if (!/^(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+)$/i.test(amp[1] ?? '') || !amp[0].endsWith(';')) throw new Error(`bad entity ${amp[0]}`);
    }
    if (m[5] !== undefined) continue;
    if (m[1]) {
      if (stack.pop() !== m[2]) throw new Error(`mismatched </${m[2]}>`);
    } else if (!m[4]) stack.push(m[2]!);
  }
  if (stack.length) throw new Error(`unclosed ${stack.join(',')}`);
}

describe('report writers', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parity-report-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('writeReportDir: md, self-contained escaped html, json and a csv per kind with findings, all 0600', async () => {
    const report = await sample();
    await writeReportDir(report, join(dir, 'out'));
    const files = (await readdir(join(dir, 'out'))).sort();
    const kinds = [...new Set(report.findings.map((f) => f.kind))];
    expect(kinds.length).toBeGreaterThan(1);
    expect(kinds.length).toBeLessThan(FINDING_KINDS.length); // some kinds have no findings: no file for them
    expect(files).toEqual([...kinds.map((k) => `findings-${k}.csv`), 'parity.html', 'parity.json', 'parity.md'].sort());
    // Reports name users and emails: owner-only, even where the umask is permissive.
    for (const f of files) expect((await stat(join(dir, 'out', f))).mode & 0o777).toBe(0o600);
    const html = await readFile(join(dir, 'out', 'parity.html'), 'utf8');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<link|<img|src=|href=|@import|url\(/);
    const md = await readFile(join(dir, 'out', 'parity.md'), 'utf8');
    expect(md).not.toContain('<script>');
    expect(md).toContain('### missing (2)');
    expect(md).toContain('Missing: 2 users (1 from ZIA, 1 from SCIM)');
    expect(html).toContain('Missing: 2 users (1 from ZIA, 1 from SCIM)');

    const csv = await readFile(join(dir, 'out', 'findings-attribute-drift.csv'), 'utf8');
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('severity,kind,key,sources,attribute,expected,actual,detail');
    // The multi-line display name stays one quoted field with doubled quotes.
    expect(csv).toContain('"Bob, ""the builder""\nline2"');
    // Formula prefixes are neutralised.
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv).toContain("'@SUM(1)");
    const json = JSON.parse(await readFile(join(dir, 'out', 'parity.json'), 'utf8'));
    expect(parityReportSchema.parse(json).schemaVersion).toBe(2);
  });

  test('csvField follows RFC 4180 and neutralises = + - @', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\r\nb')).toBe('"a\r\nb"');
    for (const p of ['=', '+', '-', '@']) expect(csvField(`${p}1+1`)).toBe(`'${p}1+1`);
    expect(csvField('=1,2')).toBe(`"'=1,2"`);
    expect(csvField(undefined)).toBe('');
  });

  test('toJson is the documented schema with stable key order', async () => {
    const report = await sample();
    const text = toJson(report);
    const parsed = parityReportSchema.parse(JSON.parse(text));
    expect(Object.keys(parsed)).toEqual(['schemaVersion', 'generatedAt', 'summary', 'groups', 'findings', 'findingsTotal', 'findingsTruncated']);
    for (const f of JSON.parse(text).findings) {
      const keys = Object.keys(f);
      const order = ['kind', 'severity', 'key', 'sources', 'attribute', 'expected', 'actual', 'detail'].filter((k) => keys.includes(k));
      expect(keys).toEqual(order);
    }
    const schema = parityReportJsonSchema();
    expect(schema).toHaveProperty('properties.summary');
  });

  test('renderSummary: aligned, worst first, no colour codes unless asked, bounded rows', async () => {
    const report = await sample();
    const plain = renderSummary(report, { color: false, width: 80, maxRows: 3 });
    expect(plain).not.toMatch(/\x1b\[/);
    expect(plain).toContain(`Worst findings (3 of ${report.findingsTotal})`);
    expect(plain).toMatch(/more: write them all with --report/);
    const rows = plain.split('\n').filter((l) => /^(error|warning) /.test(l));
    expect(rows).toHaveLength(3);
    expect(rows[0]!.startsWith('error')).toBe(true);
    for (const l of plain.split('\n')) expect([...l].length).toBeLessThanOrEqual(80);
    // Columns line up: the kind column starts at the same offset in every row.
    const offsets = rows.map((l) => l.search(/ (missing|extra|duplicate|case-mismatch|attribute-drift|disabled-in|active-in|group-count)/));
    expect(offsets.every((o) => o > 0)).toBe(true);
    expect(new Set(offsets).size).toBe(1);
    expect(plain).toContain('missing: 2 users (1 from ZIA, 1 from SCIM)');
    const coloured = renderSummary(report, { color: true, maxRows: 3 });
    expect(coloured).toMatch(/\x1b\[31merror/);
  });
});

describe('thresholds and JUnit', () => {
  test('evaluateThresholds: ok within allowances, breaches name the category and counts', async () => {
    const report = await sample();
    const s = report.summary.findingsByKind;
    const loose = { missing: 100, extra: 100, duplicates: 100, drift: 100 };
    expect(evaluateThresholds(report, loose)).toEqual({ ok: true, breaches: [] });
    const missing = s.missing;
    expect(missing).toBe(2); // bob (from SCIM) and eve (from ZIA): two users
    const exact = { ...loose, missing };
    expect(evaluateThresholds(report, exact).ok).toBe(true);
    const r = evaluateThresholds(report, { ...loose, missing: missing - 1 });
    expect(r.ok).toBe(false);
    expect(r.breaches).toEqual([`missing: 2 users (1 from ZIA, 1 from SCIM), ${missing - 1} allowed by parity.thresholds.missing`]);
  });

  test('toJUnit: one testcase per threshold and kind, failures for breaches, escaped and well-formed', async () => {
    const report = await sample();
    const xml = toJUnit(report, { missing: 0, extra: 100, duplicates: 0, drift: 100 });
    assertWellFormedXml(xml);
    expect(xml.match(/<testcase /g)).toHaveLength(12);
    expect(xml).toMatch(/<testcase classname="parity.thresholds" name="missing"><failure/);
    expect(xml).toMatch(/<testcase classname="parity.thresholds" name="extra"><system-out>/);
    expect(xml).toMatch(/name="missing"><failure type="missing" message="2 missing"/);
    expect(xml).toContain('message="2 users (1 from ZIA, 1 from SCIM) missing, 0 allowed (parity.thresholds.missing)"');
    expect(xml).not.toMatch(/name="attribute-drift"><failure/);
    expect(xml).toContain('failures="2"');
    const failing = toJUnit(report, { missing: 0, extra: 0, duplicates: 0, drift: 0 });
    assertWellFormedXml(failing);
    expect(failing).toContain('&lt;script&gt;');
    expect(() => assertWellFormedXml('<a><b></a>')).toThrow();
    expect(() => assertWellFormedXml('<a>x < y</a>')).toThrow();
  });
});
