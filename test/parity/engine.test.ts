import { computeParity, ParitySourceError, type IdentityRecord, type ParityReport } from '../../src/parity/index.js';
import { pages, rec } from './helpers.js';

const opts = { key: 'userName', secondaryKey: 'email' } as const;

async function run(dir: IdentityRecord[], zia: IdentityRecord[], scim?: IdentityRecord[], extra: object = {}): Promise<ParityReport> {
  return computeParity({ directory: pages(dir, [2]), zia: pages(zia, [3]), ...(scim ? { scim: pages(scim, [1]) } : {}) }, { ...opts, ...extra });
}

const ann = { userName: 'ann@corp.test', email: 'ann@corp.test', displayName: 'Ann', department: 'Sales', active: true, groups: ['Staff'] };

describe('computeParity: one example per finding kind', () => {
  test('a clean population has no findings and full matched counts', async () => {
    const r = await run([rec('directory', ann)], [rec('zia', { ...ann, active: undefined })], [rec('scim', ann)]);
    expect(r.findings).toEqual([]);
    expect(r.summary.matched).toEqual({ directoryZia: 1, directoryScim: 1, allThree: 1 });
    expect(r.groups).toEqual([{ name: 'Staff', directory: 1, zia: 1, scim: 1 }]);
  });

  test('missing: one finding per user listing the sources it is missing from (warning when the AD account is disabled)', async () => {
    const bob = { ...ann, userName: 'bob@corp.test', email: 'bob@corp.test', active: false };
    const cy = { ...ann, userName: 'cy@corp.test', email: 'cy@corp.test' };
    const r = await run([rec('directory', ann), rec('directory', bob), rec('directory', cy)], [rec('zia', { ...cy, active: undefined })], []);
    const kinds = r.findings.filter((f) => f.kind === 'missing').map((f) => `${f.kind}:${f.key}:${f.severity}:${f.sources.join('+')}`);
    expect(kinds).toEqual(['missing:ann@corp.test:error:zia+scim', 'missing:cy@corp.test:error:scim', 'missing:bob@corp.test:warning:zia+scim']);
    expect(r.summary.missing).toEqual({ users: 3, zia: 2, scim: 3 });
    expect(r.summary.findingsByKind.missing).toBe(3);
  });

  test('extra: one finding per user listing the sources that hold it', async () => {
    const r = await run(
      [],
      [rec('zia', { userName: 'old@corp.test' }), rec('zia', { userName: 'both@corp.test' })],
      [rec('scim', { userName: 'gone@corp.test' }), rec('scim', { userName: 'Both@corp.test' })],
    );
    expect(r.findings.map((f) => [f.kind, f.key, f.sources])).toEqual([
      ['extra', 'both@corp.test', ['zia', 'scim']],
      ['extra', 'gone@corp.test', ['scim']],
      ['extra', 'old@corp.test', ['zia']],
    ]);
    expect(r.summary.extra).toEqual({ users: 3, zia: 2, scim: 2 });
  });

  test('duplicate: same email under two userNames across directory and SCIM (key mismatch)', async () => {
    const r = await run([rec('directory', ann)], [], [rec('scim', { ...ann, userName: 'ann.smith@corp.test' })]);
    const dup = r.findings.find((f) => f.kind === 'duplicate')!;
    expect(dup).toMatchObject({ key: 'ann@corp.test', attribute: 'email', sources: ['directory', 'scim'], actual: 'ann.smith@corp.test, ann@corp.test' });
    expect(dup.detail).toContain('key mismatch between directory sync and SCIM');
  });

  test('duplicate: the same key twice in one source, case-only spelling', async () => {
    const r = await run([], [rec('zia', { userName: 'Ann@corp.test', sourceId: '7' }), rec('zia', { userName: 'ann@corp.test', sourceId: '9' })]);
    const dup = r.findings.find((f) => f.kind === 'duplicate')!;
    expect(dup).toMatchObject({ key: 'ann@corp.test', sources: ['zia'], attribute: 'userName' });
    expect(dup.detail).toContain('ids 7, 9');
    expect(dup.detail).toContain('only in case');
    expect(r.summary.duplicates).toEqual({ total: 1, sameKey: 1, sameSecondaryKey: 0 });
    expect(r.summary.counts.zia).toEqual({ records: 2, unique: 1, withoutKey: 0 });
  });

  test('case-mismatch on the key, attribute-drift on displayName, department and groups', async () => {
    const r = await run(
      [rec('directory', ann)],
      [rec('zia', { ...ann, userName: 'Ann@Corp.test', displayName: 'Ann S', department: undefined, groups: ['Staff', 'VPN'], active: undefined })],
    );
    const got = r.findings.filter((f) => f.kind !== 'group-count-mismatch').map((f) => [f.kind, f.attribute, f.expected, f.actual]);
    expect(got).toEqual([
      ['case-mismatch', 'userName', 'ann@corp.test', 'Ann@Corp.test'],
      ['attribute-drift', 'department', 'Sales', undefined],
      ['attribute-drift', 'displayName', 'Ann', 'Ann S'],
      ['attribute-drift', 'groups', 'Staff', 'Staff; VPN'],
    ]);
    expect(r.summary.drift.byAttribute).toEqual({ userName: 0, email: 0, displayName: 1, department: 1, groups: 1 });
    expect(r.summary.caseMismatches).toBe(1);
  });

  test('ZIA email (its login name) is not compared with the AD mail', async () => {
    const dirAnn = { ...ann, email: 'a.smith@mail.corp.test' };
    const r = await run([rec('directory', dirAnn)], [rec('zia', { ...ann, active: undefined })]);
    expect(r.findings).toEqual([]);
  });

  test('disabled-in-ad-active-in-scim and active-in-ad-disabled-in-scim; never against ZIA', async () => {
    const bob = { ...ann, userName: 'bob@corp.test', email: 'bob@corp.test' };
    const r = await run(
      [rec('directory', { ...ann, active: false }), rec('directory', bob)],
      [rec('zia', { ...ann, active: undefined }), rec('zia', { ...bob, active: undefined })],
      [rec('scim', { ...ann, active: true }), rec('scim', { ...bob, active: false })],
    );
    expect(r.findings.map((f) => [f.kind, f.key])).toEqual([
      ['disabled-in-ad-active-in-scim', 'ann@corp.test'],
      ['active-in-ad-disabled-in-scim', 'bob@corp.test'],
    ]);
    expect(r.summary.active).toEqual({ disabledInAdActiveInScim: 1, activeInAdDisabledInScim: 1 });
  });

  test('group-count-mismatch from group inventories; memberships compared over shared groups only', async () => {
    const r = await run(
      [rec('directory', { ...ann, groups: ['Staff', 'Domain Admins'] })],
      [rec('zia', { ...ann, groups: ['Staff'], active: undefined })],
      undefined,
      {
        groups: {
          directory: new Map([
            ['Staff', 10],
            ['Domain Admins', 2],
          ]),
          zia: new Map([['staff', 9]]),
        },
      },
    );
    expect(r.findings.map((f) => [f.kind, f.key, f.expected, f.actual])).toEqual([
      ['group-count-mismatch', 'Domain Admins', '2', undefined],
      ['group-count-mismatch', 'Staff', '10', '9'],
    ]);
    expect(r.summary.groups).toMatchObject({ directory: 2, zia: 1, scim: null, mismatchedZia: 2, mismatchedScim: null });
  });

  test('records without the key are counted, not compared', async () => {
    const r = await run([rec('directory', { email: 'x@corp.test' })], []);
    expect(r.summary.counts.directory).toEqual({ records: 1, unique: 0, withoutKey: 1 });
    expect(r.findings).toEqual([]);
  });
});

describe('computeParity: reads', () => {
  test('the report is the same whether the directory is read before or after ZIA and SCIM', async () => {
    // ZIA and SCIM records are stored as differences from the directory's record under the same
    // key, made when the second of the two arrives: both orders must give the same report.
    const people = Array.from({ length: 40 }, (_, i) => ({
      userName: `u${i}@corp.test`,
      email: i % 9 === 0 ? `shared@corp.test` : `m${i}@corp.test`,
      displayName: `User ${i}`,
      department: i % 2 ? 'Sales' : 'IT',
      active: i % 7 !== 0,
      groups: i % 3 ? ['Staff', 'VPN'] : ['Staff'],
    }));
    const dir = people.map((p) => rec('directory', p));
    const zia = people.map((p, i) => rec('zia', { ...p, email: p.userName, active: undefined, displayName: i % 5 ? p.displayName : 'Old Name' }));
    const scim = people.map((p, i) => rec('scim', { ...p, groups: i % 4 ? p.groups : ['vpn', 'Staff'], active: i % 6 ? p.active : !p.active }));
    scim.push(rec('scim', { ...people[3]!, userName: 'U3@corp.test' })); // a same-key duplicate
    const after = (first: Promise<unknown>, records: IdentityRecord[]) =>
      (async function* () {
        await first;
        yield* pages(records, [4]);
      })();
    const done = () => {
      let open!: () => void;
      return { gate: new Promise<void>((r) => (open = r)), open: () => open() };
    };
    const strip = ({ generatedAt: _, ...rest }: ParityReport) => rest;

    const late = done();
    const othersFirst = computeParity(
      {
        directory: after(late.gate, dir),
        zia: pages(zia, [5]),
        scim: (async function* () {
          yield* pages(scim, [3]);
          late.open();
        })(),
      },
      opts,
    );
    const early = done();
    const directoryFirst = computeParity(
      {
        directory: (async function* () {
          yield* pages(dir, [6]);
          early.open();
        })(),
        zia: after(early.gate, zia),
        scim: after(early.gate, scim),
      },
      opts,
    );
    const [a, b] = await Promise.all([othersFirst, directoryFirst]);
    expect(a.findingsTotal).toBeGreaterThan(10);
    expect(strip(a)).toEqual(strip(b));
  });

  test('a source that throws rejects the comparison (never missing users) and stops the others', async () => {
    let ziaClosed = false;
    async function* failing(): AsyncGenerator<IdentityRecord[]> {
      yield [rec('scim', ann)];
      throw new Error('HTTP 503 on page 2 after 5 retries');
    }
    async function* endless(): AsyncGenerator<IdentityRecord[]> {
      try {
        for (let i = 0; i < 10_000; i++) {
          yield [rec('zia', { userName: `u${i}@corp.test` })];
          await new Promise((res) => setImmediate(res));
        }
      } finally {
        ziaClosed = true;
      }
    }
    const p = computeParity({ directory: pages([rec('directory', ann)]), zia: endless(), scim: failing() }, opts);
    await expect(p).rejects.toThrow(ParitySourceError);
    await expect(p).rejects.toThrow(/reading SCIM failed after 1 records: HTTP 503 on page 2/);
    for (let i = 0; i < 20 && !ziaClosed; i++) await new Promise((res) => setImmediate(res));
    expect(ziaClosed).toBe(true);
  });

  test('a record in the wrong stream is a wiring error', async () => {
    await expect(run([rec('zia', ann)], [])).rejects.toThrow(/arrived in the directory stream/);
  });

  test('sources are read concurrently and progress is reported per source', async () => {
    const order: string[] = [];
    const seen: Record<string, number> = {};
    async function* tagged(source: 'directory' | 'zia', n: number) {
      for (let i = 0; i < n; i++) {
        order.push(source);
        yield [rec(source, { userName: `u${i}@corp.test` })];
        await new Promise((res) => setImmediate(res));
      }
    }
    await computeParity({ directory: tagged('directory', 5), zia: tagged('zia', 5) }, { ...opts, onProgress: (s, n) => (seen[s] = n) });
    expect(order.slice(0, 4).sort()).toEqual(['directory', 'directory', 'zia', 'zia']);
    expect(seen).toEqual({ directory: 5, zia: 5 });
  });
});
