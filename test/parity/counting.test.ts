import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  computeParity,
  evaluateThresholds,
  renderSummary,
  toJson,
  toJUnit,
  toMarkdown,
  toHtml,
  writeReportDir,
  type IdentityRecord,
  type ParityReport,
  type ZiaFeed,
} from '../../src/parity/index.js';
import { pages, rec } from './helpers.js';

/**
 * Counting as an administrator counts: after the migration ZIA holds the users SCIM provisioning
 * creates, so 7 users the IdP deleted are absent from SCIM and from ZIA. That is 7 users missing
 * (7 from SCIM, 7 from ZIA), not "missing: 14", in the summary, the thresholds and every writer.
 */
const people = Array.from({ length: 20 }, (_, i) => ({
  userName: `u${String(i).padStart(2, '0')}@corp.test`,
  email: `u${String(i).padStart(2, '0')}@corp.test`,
  displayName: `User ${i}`,
  department: 'Sales',
  active: true,
  groups: ['Staff'],
}));
const deleted = new Set(people.slice(0, 7).map((p) => p.userName));

function population(): { directory: IdentityRecord[]; zia: IdentityRecord[]; scim: IdentityRecord[] } {
  const kept = people.filter((p) => !deleted.has(p.userName));
  return {
    directory: people.map((p) => rec('directory', p)),
    zia: [
      ...kept.map((p, i) => rec('zia', { ...p, active: undefined, department: i === 0 ? 'Old Sales' : p.department })),
      rec('zia', { userName: 'left@corp.test', groups: ['Staff'] }),
    ],
    scim: [...kept.map((p) => rec('scim', p)), rec('scim', { userName: 'left@corp.test', active: true, groups: ['Staff'] })],
  };
}

async function run(ziaFedBy?: ZiaFeed): Promise<ParityReport> {
  const p = population();
  return computeParity(
    { directory: pages(p.directory, [3]), zia: pages(p.zia, [4]), scim: pages(p.scim, [5]) },
    { key: 'userName', secondaryKey: 'email', ...(ziaFedBy ? { ziaFedBy } : {}) },
  );
}

const thresholds = { missing: 0, extra: 0, duplicates: 0, drift: 100 };

describe('7 users deleted by the IdP after the migration count as 7 users', () => {
  let report: ParityReport;
  beforeAll(async () => {
    report = await run('scim');
  });

  test('one finding per user, naming both sources and saying it is one cause', () => {
    const missing = report.findings.filter((f) => f.kind === 'missing');
    expect(missing.map((f) => f.key).sort()).toEqual([...deleted].sort());
    for (const f of missing) {
      expect(f.sources).toEqual(['zia', 'scim']);
      expect(f.severity).toBe('error');
      expect(f.detail).toContain('in neither ZIA nor SCIM');
      expect(f.detail).toContain('one cause, counted once');
    }
    expect(report.summary.missing).toEqual({ users: 7, zia: 7, scim: 7 });
    expect(report.summary.findingsByKind.missing).toBe(7);
    // The user present in SCIM and ZIA but not in the directory: one extra user, listed in both.
    const extra = report.findings.filter((f) => f.kind === 'extra');
    expect(extra.map((f) => [f.key, f.sources])).toEqual([['left@corp.test', ['zia', 'scim']]]);
    expect(report.summary.extra).toEqual({ users: 1, zia: 1, scim: 1 });
  });

  test('the thresholds count users and show the split per source', () => {
    expect(evaluateThresholds(report, { ...thresholds, missing: 7, extra: 1 })).toEqual({ ok: true, breaches: [] });
    const r = evaluateThresholds(report, { ...thresholds, missing: 6 });
    expect(r.breaches).toEqual([
      'missing: 7 users (7 from ZIA, 7 from SCIM), 6 allowed by parity.thresholds.missing',
      'extra: 1 user (1 in ZIA, 1 in SCIM), 0 allowed by parity.thresholds.extra',
    ]);
  });

  test('every writer tells the same numbers', async () => {
    const line = 'Missing: 7 users (7 from ZIA, 7 from SCIM)';
    expect(toMarkdown(report)).toContain(line);
    expect(toMarkdown(report)).toContain('### missing (7)');
    expect(toHtml(report)).toContain(line);
    expect(toHtml(report)).toContain('<h3>missing (7)</h3>');
    expect(renderSummary(report, { color: false, width: 200 })).toContain('missing: 7 users (7 from ZIA, 7 from SCIM)');
    const junit = toJUnit(report, thresholds);
    expect(junit).toContain('message="7 users (7 from ZIA, 7 from SCIM) missing, 0 allowed (parity.thresholds.missing)"');
    expect(junit).toContain('name="missing"><failure type="missing" message="7 missing"');
    const json = JSON.parse(toJson(report));
    expect(json.summary.missing).toEqual({ users: 7, zia: 7, scim: 7 });
    expect(json.findings.filter((f: { kind: string }) => f.kind === 'missing')).toHaveLength(7);
    const dir = await mkdtemp(join(tmpdir(), 'parity-count-'));
    try {
      await writeReportDir(report, dir);
      const csv = (await readFile(join(dir, 'findings-missing.csv'), 'utf8')).trim().split('\r\n');
      expect(csv).toHaveLength(1 + 7);
      expect(csv[1]).toMatch(/^error,missing,u0\d@corp\.test,zia scim,/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the same difference in ZIA and SCIM after the migration is one finding', () => {
  // Ann's department changed in AD; neither SCIM nor therefore ZIA has it yet.
  const ann = { userName: 'ann@corp.test', email: 'ann@corp.test', displayName: 'Ann', department: 'IT', active: true, groups: ['Staff', 'VPN'] };
  const stale = { department: 'Sales', groups: ['staff'] };
  const run = (ziaFedBy: ZiaFeed) =>
    computeParity(
      {
        directory: pages([rec('directory', ann)]),
        zia: pages([rec('zia', { ...ann, ...stale, active: undefined })]),
        scim: pages([rec('scim', { ...ann, ...stale, groups: ['Staff'] })]),
      },
      { key: 'userName', secondaryKey: 'email', ziaFedBy },
    );

  test('after: one finding per attribute listing ZIA and SCIM, counted once, saying it is one cause', async () => {
    const r = await run('scim');
    const drift = r.findings.filter((f) => f.kind === 'attribute-drift');
    expect(drift.map((f) => [f.attribute, f.sources])).toEqual([
      ['department', ['directory', 'zia', 'scim']],
      ['groups', ['directory', 'zia', 'scim']],
    ]);
    expect(drift[0]!.detail).toContain('directory "IT" vs ZIA and SCIM "Sales"');
    expect(drift[1]!.detail).toContain('in the directory only: VPN');
    for (const f of drift) expect(f.detail).toContain('one cause, counted once');
    expect(r.summary.drift.byAttribute).toMatchObject({ department: 1, groups: 1 });
    expect(r.summary.findingsByKind['attribute-drift']).toBe(2);
    const groups = r.findings.filter((f) => f.kind === 'group-count-mismatch');
    expect(groups.map((f) => [f.key, f.sources])).toEqual([['VPN', ['directory', 'zia', 'scim']]]);
    expect(groups[0]!.detail).toContain('does not exist in ZIA and SCIM');
    expect(r.summary.groups).toMatchObject({ mismatchedZia: 1, mismatchedScim: 1 }); // per source, as the table shows
    // What the administrator counts: department, groups, the VPN group: 3 differences, not 6.
    expect(evaluateThresholds(r, { missing: 0, extra: 0, duplicates: 0, drift: 3 }).ok).toBe(true);
  });

  test('before: two feeds, two findings each', async () => {
    const r = await run('directory-sync');
    const drift = r.findings.filter((f) => f.kind === 'attribute-drift');
    expect(drift.map((f) => [f.attribute, f.sources.join('+')]).sort()).toEqual([
      ['department', 'directory+scim'],
      ['department', 'directory+zia'],
      ['groups', 'directory+scim'],
      ['groups', 'directory+zia'],
    ]);
    expect(r.summary.drift.byAttribute).toMatchObject({ department: 2, groups: 2 });
    expect(r.findings.filter((f) => f.kind === 'group-count-mismatch')).toHaveLength(2);
  });
});

describe('explanations follow where ZIA takes its users from', () => {
  const ziaSide = (r: ParityReport) => r.findings.filter((f) => f.sources.includes('zia') && f.kind !== 'duplicate');

  test('after the migration (ZIA fed by SCIM) no ZIA-side finding blames directory sync', async () => {
    const r = await run('scim');
    expect(r.summary.ziaFedBy).toBe('scim');
    const zia = ziaSide(r);
    expect(zia.map((f) => f.kind)).toEqual(expect.arrayContaining(['missing', 'extra', 'attribute-drift']));
    for (const f of zia) {
      expect(f.detail).not.toMatch(/directory sync has not|sync scope|not synced yet|cleaned up by directory sync/);
      expect(f.detail).toMatch(/IdP|SCIM|enterprise app/);
    }
    const drift = zia.find((f) => f.kind === 'attribute-drift' && f.sources.includes('zia'))!;
    expect(drift.detail).toContain('SCIM provisioning by the IdP');
    expect(renderSummary(r, { color: false })).toContain("ZIA's users come from SCIM provisioning by the IdP");
  });

  test('before the migration (ZIA fed by directory sync) they name directory sync', async () => {
    const p = population();
    const r = await computeParity({ directory: pages(p.directory), zia: pages(p.zia) }, { key: 'userName', secondaryKey: 'email', ziaFedBy: 'directory-sync' });
    expect(r.summary.ziaFedBy).toBe('directory-sync');
    const drift = ziaSide(r).find((f) => f.kind === 'attribute-drift')!;
    expect(drift.detail).toContain('directory sync has not run since the change');
    const missing = ziaSide(r).find((f) => f.kind === 'missing')!;
    expect(missing.detail).toContain('not synced yet');
  });
});
