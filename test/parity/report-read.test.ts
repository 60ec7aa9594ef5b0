import {
  computeParity,
  parityReportJsonSchema,
  parityReportSchema,
  toHtml,
  toJson,
  toMarkdown,
  withVerdict,
  type ParityReport,
} from '../../src/parity/index.js';
import { pages, rec } from './helpers.js';

/** Reports people read: the verdict, thresholds, tenant, tool and time first; a chart of the shape. */

const run = {
  tool: { name: 'migrate', version: '9.8.7' },
  tenant: { product: 'ZIA', cloud: 'zscalerthree', orgId: '12345678', idpName: 'Entra SCIM', idp: 'entra' },
};
const thresholds = { missing: 0, extra: 5, duplicates: 0, drift: 5 };

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

describe('the verdict at the top of every report', () => {
  test('JSON: verdict (with how far over each breach is), thresholds, tenant and tool, right after the time', async () => {
    const report = withVerdict(await sample(), thresholds, run);
    const json = JSON.parse(toJson(report));
    expect(Object.keys(json).slice(0, 4)).toEqual(['schemaVersion', 'generatedAt', 'verdict', 'run']);
    expect(json.verdict).toMatchObject({ ok: false, thresholds });
    expect(json.verdict.breaches).toEqual([expect.objectContaining({ category: 'missing', count: 1, allowed: 0, over: 1 })]);
    expect(json.run).toEqual(run);
    expect(parityReportSchema.parse(json).verdict?.ok).toBe(false);
    // The exported JSON Schema describes the new fields too.
    expect(parityReportJsonSchema()).toHaveProperty('properties.verdict.properties.breaches');
    expect(parityReportJsonSchema()).toHaveProperty('properties.run.properties.tenant');
    const passing = JSON.parse(toJson(withVerdict(await sample(), { ...thresholds, missing: 1 }, run)));
    expect(passing.verdict).toMatchObject({ ok: true, breaches: [] });
  });

  test('Markdown and HTML state verdict, thresholds, tenant, tool and time before anything else', async () => {
    const report = withVerdict(await sample(), thresholds, run);
    for (const text of [toMarkdown(report), toHtml(report)]) {
      const head = text.slice(0, text.indexOf('Sources'));
      expect(head).toContain('FAIL: 1 threshold breached');
      expect(head).toMatch(/missing: 1 user \(1 from ZIA, 1 from SCIM\), 0 allowed by parity\.thresholds\.missing \(1 over\)/);
      expect(head).toContain('missing 0, extra 5, duplicates 0, drift 5');
      expect(head).toContain('ZIA, cloud zscalerthree, org 12345678, IdP Entra SCIM (entra)');
      expect(head).toContain('migrate 9.8.7');
      expect(head).toContain(report.generatedAt);
    }
    const ok = withVerdict(await sample(), { ...thresholds, missing: 1 }, run);
    expect(toMarkdown(ok).slice(0, 200)).toContain('PASS: parity within thresholds');
  });
});

describe('the HTML shows the shape at a glance', () => {
  test('inline SVG bar charts by kind and by source, differing groups highlighted, errors red; no script or external asset', async () => {
    const report = withVerdict(await sample(), thresholds, run);
    const html = toHtml(report);
    expect(html).not.toMatch(/<script|<link|<img|src=|href=|@import|url\(/);
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(2);
    expect(svgs[0]).toContain('Findings by kind');
    // missing holds an error finding: its bar is red; the kinds without findings are grey.
    expect(svgs[0]).toMatch(/<rect class="bar-error"[^>]*><title>missing: 1<\/title>/);
    expect(svgs[0]).toMatch(/<rect class="bar-none"[^>]*><title>duplicate: 0<\/title>/);
    expect(svgs[1]).toContain('<title>missing from ZIA: 1</title>');
    expect(svgs[1]).toContain('<title>missing from SCIM: 1</title>');
    expect(html).toMatch(/\.bar-error\{fill:#b00020\}/);
    // The findings-by-kind table colours the missing count as an error (red), not a warning (orange).
    expect(html).toMatch(/<tr><td>missing<\/td><td class="n error">1<\/td><\/tr>/);
    // Sales has 2 members in the directory, 1 in ZIA and SCIM: highlighted; Ops matches: not.
    expect(html).toMatch(/<tr class="differ"><td>sales<\/td>|<tr class="differ"><td>Sales<\/td>/);
    expect(html).not.toMatch(/<tr class="differ"><td>(ops|Ops)<\/td>/);
  });
});
