import fc from 'fast-check';
import { computeParity, type Finding, type IdentityRecord, type ParityReport, type Source } from '../../src/parity/index.js';
import { pages } from './helpers.js';

/**
 * A deliberately plain reference model of the diff: whole arrays in memory, no encoding,
 * no hashing. The engine must agree with it on every count and on the set of findings.
 */
type Key = 'userName' | 'email';
interface Pop {
  directory: IdentityRecord[];
  zia: IdentityRecord[];
  scim?: IdentityRecord[];
}

function sig(kind: string, key: string, sources: string[], attribute: string | undefined, severity: string): string {
  return [kind, key, sources.join(','), attribute ?? '', severity].join('|');
}

function findingSig(f: Finding): string {
  return sig(f.kind, f.kind === 'group-count-mismatch' ? f.key.toLowerCase() : f.key, f.sources, f.attribute, f.severity);
}

function reference(pop: Pop, key: Key, secondaryKey: Key, ziaFedBy: 'directory-sync' | 'scim') {
  const srcs: (keyof Pop)[] = pop.scim ? ['directory', 'zia', 'scim'] : ['directory', 'zia'];
  const first = new Map<Source, Map<string, IdentityRecord>>();
  const findings: string[] = [];
  for (const s of srcs) {
    const m = new Map<string, IdentityRecord>();
    const count = new Map<string, number>();
    for (const r of pop[s]!) {
      const kv = r[key];
      if (!kv) continue;
      const k = kv.toLowerCase();
      count.set(k, (count.get(k) ?? 0) + 1);
      if (!m.has(k)) m.set(k, r);
    }
    for (const [k, n] of count) if (n > 1) findings.push(sig('duplicate', k, [s], key, 'error'));
    first.set(s, m);
  }
  if (secondaryKey !== key) {
    const byV = new Map<string, { keys: Set<string>; sources: Set<Source> }>();
    for (const s of srcs) {
      for (const [k, r] of first.get(s)!) {
        const v = r[secondaryKey]?.toLowerCase();
        if (!v) continue;
        const e = byV.get(v) ?? { keys: new Set(), sources: new Set() };
        e.keys.add(k);
        e.sources.add(s);
        byV.set(v, e);
      }
    }
    for (const [v, e] of byV)
      if (e.keys.size > 1)
        findings.push(
          sig(
            'duplicate',
            v,
            srcs.filter((s) => e.sources.has(s)),
            secondaryKey,
            'error',
          ),
        );
  }
  const D = first.get('directory')!;
  const others = srcs.filter((s) => s !== 'directory') as ('zia' | 'scim')[];
  const drift: Record<string, number> = { userName: 0, email: 0, displayName: 0, department: 0, groups: 0 };
  let caseMismatches = 0;
  // Per user and per source: a user absent from ZIA and SCIM is ONE missing finding (listing both)
  // and one user, and counts once in each source's column.
  const missing: Record<string, number> = { users: 0, zia: 0, scim: 0 };
  const extra: Record<string, number> = { users: 0, zia: 0, scim: 0 };
  const matched: Record<string, number> = { zia: 0, scim: 0 };
  let allThree = 0;
  // After the migration ZIA holds what SCIM sends: the same difference (attribute and values) in
  // ZIA and in SCIM is one finding listing both sources, counted once.
  const link = ziaFedBy === 'scim' && pop.scim !== undefined;
  for (const [k, d] of D) {
    const absent: string[] = [];
    const diffs: { o: 'zia' | 'scim'; kind: string; attr: string; expected: string; actual: string }[] = [];
    for (const o of others) {
      const r = first.get(o)!.get(k);
      if (!r) {
        missing[o]!++;
        absent.push(o);
        continue;
      }
      matched[o]!++;
      const attrs = o === 'zia' ? (['userName', 'displayName', 'department'] as const) : (['userName', 'email', 'displayName', 'department'] as const);
      for (const a of attrs) {
        const dv = d[a],
          ov = r[a];
        if (dv === ov) continue;
        const kind = (a === 'userName' || a === 'email') && dv && ov && dv.toLowerCase() === ov.toLowerCase() ? 'case-mismatch' : 'attribute-drift';
        diffs.push({ o, kind, attr: a, expected: String(dv), actual: String(ov) });
      }
      const dg = new Set(d.groups.map((g) => g.toLowerCase()));
      const og = new Set(r.groups.map((g) => g.toLowerCase()));
      if (dg.size !== og.size || [...dg].some((g) => !og.has(g))) {
        diffs.push({ o, kind: 'attribute-drift', attr: 'groups', expected: [...dg].sort().join(';'), actual: [...og].sort().join(';') });
      }
      if (o === 'scim' && d.active !== undefined && r.active !== undefined && d.active !== r.active) {
        findings.push(sig(d.active ? 'active-in-ad-disabled-in-scim' : 'disabled-in-ad-active-in-scim', k, ['directory', 'scim'], 'active', 'error'));
      }
    }
    const emit = (x: (typeof diffs)[number], sources: string[]) => {
      if (x.kind === 'case-mismatch') caseMismatches++;
      else drift[x.attr]!++;
      findings.push(sig(x.kind, k, sources, x.attr, 'warning'));
    };
    const ziaDiffs = diffs.filter((x) => x.o === 'zia');
    for (const x of diffs.filter((y) => y.o === 'scim')) {
      const twin = link ? ziaDiffs.findIndex((z) => z.kind === x.kind && z.attr === x.attr && z.expected === x.expected && z.actual === x.actual) : -1;
      if (twin >= 0) {
        ziaDiffs.splice(twin, 1);
        emit(x, ['directory', 'zia', 'scim']);
      } else {
        emit(x, ['directory', 'scim']);
      }
    }
    for (const z of ziaDiffs) emit(z, ['directory', 'zia']);
    if (absent.length > 0) {
      missing.users!++;
      findings.push(sig('missing', k, absent, undefined, d.active === false ? 'warning' : 'error'));
    }
    if (pop.scim && first.get('zia')!.has(k) && first.get('scim')!.has(k)) allThree++;
  }
  const downstreamKeys = new Set(others.flatMap((o) => [...first.get(o)!.keys()]));
  for (const k of downstreamKeys) {
    if (D.has(k)) continue;
    const present = others.filter((o) => first.get(o)!.has(k));
    extra.users!++;
    for (const o of present) extra[o]!++;
    findings.push(sig('extra', k, present, undefined, 'warning'));
  }
  const groupCounts = (s: Source) => {
    const c = new Map<string, number>();
    for (const r of first.get(s)!.values()) for (const g of new Set(r.groups.map((x) => x.toLowerCase()))) c.set(g, (c.get(g) ?? 0) + 1);
    return c;
  };
  const dgc = groupCounts('directory');
  const gc = new Map(others.map((o) => [o, groupCounts(o)] as const));
  const allGroups = new Set([...dgc.keys(), ...others.flatMap((o) => [...gc.get(o)!.keys()])]);
  for (const g of allGroups) {
    const off = others.filter((o) => dgc.get(g) !== gc.get(o)!.get(g));
    // After the migration the same count in ZIA and SCIM is one finding listing both.
    if (link && off.length === 2 && gc.get('zia')!.get(g) === gc.get('scim')!.get(g)) {
      findings.push(sig('group-count-mismatch', g, ['directory', 'zia', 'scim'], 'members', 'warning'));
    } else {
      for (const o of off) findings.push(sig('group-count-mismatch', g, ['directory', o], 'members', 'warning'));
    }
  }
  return { findings, drift, caseMismatches, missing, extra, matched, allThree };
}

// Small pools so that random populations collide: matches, duplicates, case changes, drift.
const casing = (s: string) => fc.constantFrom(s, s.toUpperCase(), s[0]!.toUpperCase() + s.slice(1));
const userName = fc.integer({ min: 0, max: 11 }).chain((i) => casing(`user${i}@corp.test`));
const email = fc.option(
  fc.integer({ min: 0, max: 9 }).chain((i) => casing(`mail${i}@corp.test`)),
  { nil: undefined },
);
const record = (source: Source) =>
  fc.record(
    {
      source: fc.constant(source),
      sourceId: fc.string({ minLength: 1, maxLength: 4 }),
      userName: fc.option(userName, { nil: undefined, freq: 12 }),
      email,
      displayName: fc.option(fc.constantFrom('Ann', 'Bob', 'Cy', 'bob'), { nil: undefined }),
      department: fc.option(fc.constantFrom('Sales', 'IT', 'sales'), { nil: undefined }),
      active: source === 'zia' ? fc.constant(undefined) : fc.option(fc.boolean(), { nil: undefined }),
      groups: fc.uniqueArray(fc.constantFrom('Staff', 'VPN', 'vpn', 'Admins'), { maxLength: 3 }),
    },
    { requiredKeys: ['source', 'sourceId', 'groups'] },
  ) as fc.Arbitrary<IdentityRecord>;

/** Optional fields that fast-check leaves present-but-undefined are dropped, like the normalisers do. */
function tidy(r: IdentityRecord): IdentityRecord {
  const out = { ...r };
  for (const k of Object.keys(out) as (keyof IdentityRecord)[]) if (out[k] === undefined) delete out[k];
  return out;
}

const population = fc.record({
  directory: fc.array(record('directory'), { maxLength: 25 }),
  zia: fc.array(record('zia'), { maxLength: 25 }),
  scim: fc.option(fc.array(record('scim'), { maxLength: 25 }), { nil: undefined }),
  key: fc.constantFrom<Key>('userName', 'email'),
  secondaryKey: fc.constantFrom<Key>('userName', 'email'),
  ziaFedBy: fc.constantFrom<'directory-sync' | 'scim'>('directory-sync', 'scim'),
  pageSizes: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 }),
});

describe('computeParity agrees with a plain reference model', () => {
  test('random populations across the three sources', async () => {
    await fc.assert(
      fc.asyncProperty(population, async (p) => {
        const pop: Pop = { directory: p.directory.map(tidy), zia: p.zia.map(tidy), ...(p.scim ? { scim: p.scim.map(tidy) } : {}) };
        const report: ParityReport = await computeParity(
          {
            directory: pages(pop.directory, p.pageSizes),
            zia: pages(pop.zia, p.pageSizes),
            ...(pop.scim ? { scim: pages(pop.scim, p.pageSizes) } : {}),
          },
          { key: p.key, secondaryKey: p.secondaryKey, ziaFedBy: p.ziaFedBy },
        );
        const ref = reference(pop, p.key, p.secondaryKey, p.ziaFedBy);
        expect(report.findings.map(findingSig).sort()).toEqual([...ref.findings].sort());
        const s = report.summary;
        expect(s.drift.byAttribute).toEqual(ref.drift);
        expect(s.caseMismatches).toBe(ref.caseMismatches);
        expect(s.missing.users).toBe(ref.missing.users);
        expect(s.extra.users).toBe(ref.extra.users);
        expect(s.missing.zia).toBe(ref.missing.zia);
        expect(s.extra.zia).toBe(ref.extra.zia);
        // The thresholds count what an administrator counts: users, each once.
        expect(s.findingsByKind.missing).toBe(ref.missing.users);
        expect(s.findingsByKind.extra).toBe(ref.extra.users);
        expect(s.matched.directoryZia).toBe(ref.matched.zia);
        if (pop.scim) {
          expect(s.missing.scim).toBe(ref.missing.scim);
          expect(s.extra.scim).toBe(ref.extra.scim);
          expect(s.matched.directoryScim).toBe(ref.matched.scim);
          expect(s.matched.allThree).toBe(ref.allThree);
        } else {
          expect(s.missing.scim).toBeNull();
          expect(s.extra.scim).toBeNull();
          expect(s.counts.scim).toBeNull();
        }
        expect(report.findingsTotal).toBe(ref.findings.length);
        // Sorted worst first: errors, then kind order.
        const sev = report.findings.map((f) => f.severity);
        expect(sev.indexOf('warning') === -1 || sev.lastIndexOf('error') < sev.indexOf('warning')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('maxFindings keeps exactly the worst N of the full sorted list', async () => {
    await fc.assert(
      fc.asyncProperty(population, fc.integer({ min: 0, max: 6 }), async (p, max) => {
        const run = (maxFindings?: number) =>
          computeParity(
            { directory: pages(p.directory.map(tidy)), zia: pages(p.zia.map(tidy)), ...(p.scim ? { scim: pages(p.scim.map(tidy)) } : {}) },
            { key: p.key, secondaryKey: p.secondaryKey, ziaFedBy: p.ziaFedBy, ...(maxFindings === undefined ? {} : { maxFindings }) },
          );
        const full = await run();
        const cut = await run(max);
        expect(cut.findings.map(findingSig)).toEqual(full.findings.slice(0, max).map(findingSig));
        expect(cut.findingsTotal).toBe(full.findingsTotal);
        expect(cut.findingsTruncated).toBe(full.findingsTotal > max);
        expect(cut.summary.findingsByKind).toEqual(full.summary.findingsByKind);
      }),
      { numRuns: 100 },
    );
  });
});
