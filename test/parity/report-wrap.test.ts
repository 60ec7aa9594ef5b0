import { computeParity, renderSummary, type ParityReport } from '../../src/parity/index.js';
import { pages, rec } from './helpers.js';

/** The terminal findings table never cuts the key or the explanation: cells wrap to the width. */

async function sample(): Promise<ParityReport> {
  const longKey = `${'very-long-user-principal-name-'.repeat(3)}end@corp.test`;
  return computeParity(
    {
      directory: pages([
        rec('directory', { userName: 'ann@corp.test', displayName: 'Ann', active: true, groups: ['Sales'] }),
        rec('directory', { userName: 'bob@corp.test', displayName: 'Bob', active: true, groups: ['Sales'] }),
        rec('directory', { userName: longKey, displayName: 'Long', active: true, groups: ['Ops'] }),
      ]),
      zia: pages([
        rec('zia', { userName: 'ann@corp.test', displayName: 'Ann', groups: ['Sales'] }),
        rec('zia', { userName: longKey, displayName: 'Long', groups: ['Ops'] }),
      ]),
      scim: pages([
        rec('scim', { userName: 'ann@corp.test', displayName: 'Ann', active: true, groups: ['Sales'] }),
        rec('scim', { userName: longKey, displayName: 'Long', active: true, groups: ['Ops'] }),
      ]),
    },
    { key: 'userName', secondaryKey: 'email' },
  );
}

describe('the terminal findings table wraps instead of cutting', () => {
  test('the key and the explanation appear whole at a narrow width, every line within it', async () => {
    const report = await sample();
    const width = 60;
    const text = renderSummary(report, { color: false, width });
    expect(text).not.toContain('…');
    const table = text.slice(text.indexOf('Worst findings'));
    for (const l of table.split('\n')) expect([...l].length).toBeLessThanOrEqual(width);
    // Rebuild each row's cells from the column offsets of the header line, continuation lines included.
    const lines = table
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '' && !l.startsWith('…'));
    const header = lines[0]!;
    const starts = ['severity', 'kind', 'source', 'key', 'attribute', 'detail'].map((h) => header.indexOf(h));
    const rows: string[][] = [];
    for (const l of lines.slice(1)) {
      if (!l.startsWith(' ')) rows.push(starts.map(() => ''));
      const row = rows[rows.length - 1]!;
      starts.forEach((st, i) => (row[i] += l.slice(st, starts[i + 1] ?? undefined).trim()));
    }
    expect(rows).toHaveLength(report.findings.length);
    // Some key is wider than its column: it wrapped rather than being cut.
    expect(report.findings.some((f) => f.key.length > starts[4]! - starts[3]!)).toBe(true);
    report.findings.forEach((f, i) => {
      expect(rows[i]![3]).toBe(f.key);
      expect(rows[i]![5]!.replace(/\s+/g, '')).toBe(f.detail.replace(/\s+/g, ''));
    });
  });
});
