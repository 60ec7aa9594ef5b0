import { UserError } from '../engine/errors.js';
import type { IdentityRecord, Source } from './identity.js';
import { Codec, KeySlots, SourceStore, type Decoded, type MatchKey } from './store.js';
import { FINDING_KINDS, compareFindings, type Finding, type FindingKind, type GroupParityRow, type ParityReport, type ZiaFeed } from './report-schema.js';

/**
 * The three-way diff. Each source is drained concurrently (the reads are network-bound)
 * into one compact string per user, in a slot per lower-cased matching key shared by the
 * sources; the comparison then walks the slots once. Time is linear in users; memory is one
 * Map entry per distinct key plus one flat string per user per source (measured figures:
 * src/parity/README.md, bench/parity-diff.mjs).
 */

export type { MatchKey } from './store.js';

/** ZIA's sources: the directory, ZIA's admin API and (not during rollback) ZIA's SCIM service. */
export interface ZiaParitySources {
  directory: AsyncIterable<IdentityRecord[]>;
  zia: AsyncIterable<IdentityRecord[]>;
  /** Absent for rollback: the directory is then compared with ZIA only. */
  scim?: AsyncIterable<IdentityRecord[]>;
}

/** A field the diff can compare between the directory and a store. */
export type ComparedField = 'userName' | 'email' | 'displayName' | 'department' | 'groups' | 'active';

/**
 * One of the product's stores: where it is read from, how reports name it, why a user would be
 * missing from it or extra in it (in the product's words), and which fields it holds.
 */
export interface ParityStore {
  /** The source key findings name (`sources`). */
  key: Exclude<Source, 'directory'>;
  /** How reports and messages name it: "ZPA SCIM". */
  label: string;
  records: AsyncIterable<IdentityRecord[]>;
  why: Why;
  /** The fields compared with the directory; a store that holds names only compares userName. */
  compare: readonly ComparedField[];
  /**
   * The store's group names when it lists groups without members (ZPA's admin API): groups are
   * then compared by name only, with the directory's groups in scope. Read with the records.
   */
  groupNames?: () => Promise<string[]>;
  /** Said in the report beside the store (e.g. that only names were compared, and why). */
  note?: string;
  /**
   * The store holds only what the IdP pushed (ZPA: no directory sync ever fed it). A user disabled in
   * the directory and absent from it is then no finding: an IdP may push no disabled account
   * (PingFederate's default), and an account never pushed cannot sign in.
   */
  pushedOnly?: boolean;
}

/** Any product: the directory plus the product's stores (one or two; the first fills the report's first slot). */
export interface StoreParitySources {
  directory: AsyncIterable<IdentityRecord[]>;
  stores: readonly [ParityStore] | readonly [ParityStore, ParityStore];
}

export type ParitySources = ZiaParitySources | StoreParitySources;

export interface ParityOptions {
  key: MatchKey;
  secondaryKey: MatchKey;
  /**
   * Group inventories (group name → member count) per source, read from the group
   * endpoints. When absent for a source, counts are derived from its users' memberships.
   * When present for the directory and the other source, membership drift is only
   * compared over groups both know (a group absent on one side is reported once, as a
   * group-count-mismatch, not once per member).
   */
  groups?: Partial<Record<Source, Map<string, number>>>;
  /** Keep only the worst N findings in the report (summary counts stay complete). Default: all. */
  maxFindings?: number;
  /** Called after each page with the running record count of that source (progress bars). */
  onProgress?: (source: Source, records: number) => void;
  /**
   * Where ZIA's users come from: directory sync before the migration, SCIM provisioning by the IdP
   * after it (the tenant's migration flag on). The explanations of ZIA-side findings follow it.
   * Default: directory-sync.
   */
  ziaFedBy?: ZiaFeed;
}

/** A source could not be read completely. Never reported as missing users. */
export class ParitySourceError extends UserError {
  readonly source: Source;
  readonly recordsRead: number;
  constructor(source: Source, recordsRead: number, cause: unknown, label: string = LABEL[source]) {
    const why = cause instanceof Error ? cause.message : String(cause);
    // A read the server refused as incomplete (a page that ended early or repeated an id) carries its own hint.
    const own = cause instanceof UserError ? cause.hint : undefined;
    super(
      `parity: reading ${label} failed after ${recordsRead} records: ${why}. ` +
        'The comparison was stopped, because a partial read would show up as missing users.',
      { hint: own ?? `fix the connection to ${label} or its credentials, and run verify again`, cause },
    );
    this.name = 'ParitySourceError';
    this.source = source;
    this.recordsRead = recordsRead;
  }
}

const LABEL: Record<Source, string> = { directory: 'the directory', zia: 'ZIA', scim: 'SCIM', zpa: 'ZPA' };

/** 32-bit FNV-1a: the secondary-key index stores hashes, not strings; candidates are re-checked exactly. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

async function drain(
  source: Source,
  pages: AsyncIterable<IdentityRecord[]>,
  store: SourceStore,
  state: { failed: boolean },
  onProgress: ParityOptions['onProgress'],
  label: string,
): Promise<void> {
  try {
    for await (const page of pages) {
      // Another source failed: stop reading (break → the iterator's return() closes it).
      if (state.failed) return;
      if (!Array.isArray(page)) throw new Error('the stream yielded something other than a page (array) of records');
      for (const r of page) store.add(r);
      onProgress?.(source, store.records);
    }
  } catch (err) {
    state.failed = true;
    throw new ParitySourceError(source, store.records, err, label);
  }
}

// ---------------------------------------------------------------------------------------------
// Findings: counted always; kept in full, or only the worst maxFindings (bounded at 2×max).

class FindingSink {
  readonly counts = Object.fromEntries(FINDING_KINDS.map((k) => [k, 0])) as Record<FindingKind, number>;
  total = 0;
  private kept: Finding[] = [];
  private truncated = false;
  constructor(private readonly max: number | undefined) {}

  add(f: Finding): void {
    this.counts[f.kind]++;
    this.total++;
    this.kept.push(f);
    if (this.max !== undefined && this.kept.length >= 2 * this.max + 1) this.trim();
  }

  private trim(): void {
    this.kept.sort(compareFindings);
    if (this.max !== undefined && this.kept.length > this.max) {
      this.kept.length = this.max;
      this.truncated = true;
    }
  }

  finish(): { findings: Finding[]; truncated: boolean } {
    this.trim();
    return { findings: this.kept, truncated: this.truncated };
  }
}

// ---------------------------------------------------------------------------------------------

/** The likely why of each finding on a store's side (ZIA's by where ZIA's users come from). */
export interface Why {
  stale: string;
  groups: string;
  missing: string;
  extra: string;
  groupAbsent: string;
  groupCount: string;
}

const WHY_SCIM: Why = {
  stale:
    'the provisioning cycle has not run since the change (Entra ID, for one, runs incrementally about every 40 minutes), or the attribute mapping reads a different attribute',
  groups: 'the groups are not assigned to the enterprise app, or the cycle has not run since the change',
  missing: 'not assigned to the enterprise app, failed to provision (see the provisioning logs), or matched under another key (see duplicates)',
  extra: 'assigned to the enterprise app but outside the configured userFilter/groupDn, or deleted or moved in AD and not deprovisioned yet',
  groupAbsent: 'not assigned to the enterprise app, or not pushed yet',
  groupCount: 'members outside the user scope, or memberships not pushed by the provisioning cycle yet',
};

const WHY_ZIA: Record<ZiaFeed, Why> = {
  'directory-sync': {
    stale: 'directory sync has not run since the change, or the value was edited in ZIA by hand',
    groups: 'the groups are not in the sync scope, or sync has not run since the change',
    missing: 'not synced yet, outside the ZIA sync filter, or matched under another key (see duplicates)',
    extra: 'stale (deleted or moved in AD and never cleaned up by directory sync) or outside the configured userFilter/groupDn',
    groupAbsent: 'not in the directory sync scope, or not synced yet',
    groupCount: 'members outside the user scope, or memberships not synced by directory sync yet',
  },
  // After the migration directory sync is off: ZIA's users are the ones the IdP pushes over SCIM.
  scim: {
    stale:
      'since the migration ZIA takes users from SCIM provisioning by the IdP: the IdP has not pushed the change yet (Entra ID, for one, runs incrementally about every 40 minutes), or its attribute mapping sends a different attribute',
    groups:
      'since the migration ZIA takes memberships from SCIM provisioning by the IdP: the groups are not assigned to the enterprise app, or the IdP has not pushed the change yet',
    missing:
      'since the migration ZIA takes users from SCIM provisioning by the IdP: not assigned to the enterprise app, failed to provision (see the provisioning logs), or matched under another key (see duplicates)',
    extra:
      'pushed by the IdP for a user outside the configured userFilter/groupDn, or left over from directory sync (deleted or moved in AD) and not deprovisioned by the IdP',
    groupAbsent: 'not assigned to the enterprise app, or not pushed by the IdP yet',
    groupCount: 'members outside the user scope, or memberships not pushed by the IdP over SCIM yet',
  },
};

type Other = Exclude<Source, 'directory'>;

/** ZIA's `email` is its login name, not a mailbox: email drift is only compared with SCIM. */
const ZIA_COMPARED: readonly ComparedField[] = ['userName', 'displayName', 'department', 'groups'];
// Only SCIM carries an enabled flag: ZIA's admin API documents none (docs/vendor-facts.md F19).
const SCIM_COMPARED: readonly ComparedField[] = ['userName', 'email', 'displayName', 'department', 'groups', 'active'];
const SCALARS = ['userName', 'email', 'displayName', 'department'] as const;

/** ZIA's two stores, as every ZIA report has named and explained them. */
function ziaStores(sources: ZiaParitySources, ziaFedBy: ZiaFeed): ParityStore[] {
  const out: ParityStore[] = [{ key: 'zia', label: LABEL.zia, records: sources.zia, why: WHY_ZIA[ziaFedBy], compare: ZIA_COMPARED }];
  if (sources.scim) out.push({ key: 'scim', label: LABEL.scim, records: sources.scim, why: WHY_SCIM, compare: SCIM_COMPARED });
  return out;
}

function q(v: string | undefined): string {
  return v === undefined ? '(not set)' : JSON.stringify(v);
}

function lowerSet(names: Iterable<string>): Set<string> {
  const s = new Set<string>();
  for (const n of names) s.add(n.toLowerCase());
  return s;
}

interface GroupCount {
  name: string;
  count: number;
}

function groupCountsFromInventory(inv: Map<string, number>): Map<string, GroupCount> {
  const out = new Map<string, GroupCount>();
  for (const [name, count] of inv) {
    const k = name.toLowerCase();
    const prev = out.get(k);
    if (prev) prev.count += count;
    else out.set(k, { name, count });
  }
  return out;
}

/** Exactly the same set of names on both sides (order and repeats aside). */
function sameNames(a: readonly string[], b: readonly string[]): boolean {
  // The common case costs one pass: decoded groups come in interned-id order, so equal sets
  // listed without repeats are equal arrays.
  if (a.length === b.length) {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    if (i === a.length) return true;
  }
  const as = new Set(a),
    bs = new Set(b);
  for (const x of as) if (!bs.has(x)) return false;
  for (const x of bs) if (!as.has(x)) return false;
  return true;
}

function groupCountsFromRecords(store: SourceStore, codec: Codec): Map<string, GroupCount> {
  // Counted by caseless group number, not by name: lower-casing every group name of every user
  // was the diff's largest cost at 40 groups per user (bench/parity-diff.mjs).
  const count: number[] = [];
  const firstName: string[] = [];
  const order: number[] = [];
  // A user listed twice in one group (also in two spellings) counts once: lastUser[c] = slot + 1.
  const lastUser: number[] = [];
  for (let slot = 0; slot < store.enc.length; slot++) {
    const enc = store.enc[slot];
    if (enc === undefined) continue;
    for (const id of codec.groupIdsOf(enc, store.base(slot))) {
      const c = codec.caseless(id);
      if (lastUser[c] === slot + 1) continue;
      lastUser[c] = slot + 1;
      if (count[c] === undefined) {
        count[c] = 1;
        firstName[c] = codec.nameOf(id);
        order.push(c);
      } else {
        count[c]!++;
      }
    }
  }
  const out = new Map<string, GroupCount>();
  for (const c of order) out.set(codec.caselessNames[c]!, { name: firstName[c]!, count: count[c]! });
  return out;
}

/**
 * Why a directory user is absent downstream. Absent from both after the migration is ONE cause:
 * ZIA holds what SCIM holds, so the IdP did not push (or deleted) the user.
 */
function missingWhy(absent: Other[], why: Partial<Record<Other, Why>>, ziaFedBy: ZiaFeed, label: Record<Source, string>): string {
  if (absent.length === 1) return why[absent[0]!]!.missing;
  if (!absent.includes('zia') || !absent.includes('scim')) return `two separate feeds: ${absent.map((a) => `${label[a]}: ${why[a]!.missing}`).join('; ')}`;
  if (ziaFedBy === 'scim') {
    return `one cause, counted once: since the migration ZIA holds the users SCIM provisioning creates, so a user the IdP did not push (or deleted) is absent from both. ${capital(WHY_SCIM.missing)}`;
  }
  return `two separate feeds: ZIA: ${why.zia!.missing}; SCIM: ${why.scim!.missing}`;
}

function extraWhy(present: Other[], why: Partial<Record<Other, Why>>, ziaFedBy: ZiaFeed, label: Record<Source, string>): string {
  if (present.length === 1) return why[present[0]!]!.extra;
  if (!present.includes('zia') || !present.includes('scim')) return `two separate feeds: ${present.map((a) => `${label[a]}: ${why[a]!.extra}`).join('; ')}`;
  if (ziaFedBy === 'scim') return `one cause, counted once: the IdP pushed the user over SCIM, which created it in ZIA too; ${why.scim!.extra}`;
  return `two separate feeds: ZIA: ${why.zia!.extra}; SCIM: ${why.scim!.extra}`;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export async function computeParity(sources: ParitySources, options: ParityOptions): Promise<ParityReport> {
  const { key, secondaryKey } = options;
  const ziaFedBy: ZiaFeed = options.ziaFedBy ?? 'directory-sync';
  // ZIA's sources are its two fixed stores; any other product names its own.
  const generic = 'stores' in sources;
  const defs: readonly ParityStore[] = generic ? sources.stores : ziaStores(sources, ziaFedBy);
  const label: Record<Source, string> = { ...LABEL };
  const why: Partial<Record<Other, Why>> = {};
  const compared = new Map<Other, ReadonlySet<ComparedField>>();
  for (const d of defs) {
    label[d.key] = d.label;
    why[d.key] = d.why;
    compared.set(d.key, new Set(d.compare));
  }
  const codec = new Codec(key);
  const slots = new KeySlots();
  const dir = new SourceStore('directory', key, codec, slots);
  const others: { source: Other; store: SourceStore; def: ParityStore }[] = defs.map((def) => ({
    source: def.key,
    store: new SourceStore(def.key, key, codec, slots, dir),
    def,
  }));
  const zia = others.find((o) => o.source === 'zia')?.store;
  const scim = others.find((o) => o.source === 'scim')?.store;
  /** Every source read, the directory first. */
  const stores = [dir, ...others.map((o) => o.store)];
  const state = { failed: false };
  const names = new Map<Other, string[]>();
  const reads = [
    drain('directory', sources.directory, dir, state, options.onProgress, LABEL.directory),
    ...others.map((o) => drain(o.source, o.def.records, o.store, state, options.onProgress, o.def.label)),
    ...others
      .filter((o) => o.def.groupNames)
      .map(async (o) => {
        try {
          names.set(o.source, await o.def.groupNames!());
        } catch (err) {
          state.failed = true;
          throw new ParitySourceError(o.source, 0, err, `${o.def.label} groups`);
        }
      }),
  ];
  await Promise.all(reads);

  const sink = new FindingSink(options.maxFindings);

  // Group inventories (lower-cased name → display name and member count) per source.
  const groupCounts = new Map<Source, Map<string, GroupCount>>();
  for (const s of stores) {
    const inv = options.groups?.[s.source];
    const listed = names.get(s.source as Other);
    groupCounts.set(
      s.source,
      listed ? groupCountsFromInventory(new Map(listed.map((n) => [n, NaN]))) : inv ? groupCountsFromInventory(inv) : groupCountsFromRecords(s, codec),
    );
  }
  // Memberships are compared over groups both sides know, when both inventories were given.
  const membershipScope = new Map<Other, Set<string> | undefined>();
  for (const { source } of others) {
    const a = options.groups?.directory,
      b = options.groups?.[source];
    if (a && b) {
      const bs = lowerSet(b.keys());
      membershipScope.set(source, new Set([...lowerSet(a.keys())].filter((g) => bs.has(g))));
    }
  }

  // 1. Duplicates: the same key twice in one source.
  let sameKey = 0;
  for (const s of stores) {
    for (const [slot, extra] of s.extras) {
      sameKey++;
      const k = slots.keys[slot]!;
      const all = [s.enc[slot]!, ...extra];
      const base = s.base(slot);
      const ids = all.map((e) => codec.decode(e, k, base).sourceId);
      const spellings = new Set(all.map((e) => codec.fieldOf(e, key, k, base)));
      sink.add({
        kind: 'duplicate',
        severity: 'error',
        key: k,
        sources: [s.source],
        attribute: key,
        detail:
          `${key} ${JSON.stringify(k)} appears ${all.length} times in ${label[s.source]} (ids ${ids.join(', ')})` +
          (spellings.size > 1 ? ', spelled differently only in case' : '') +
          ': the same person twice; only the first record is compared',
      });
    }
  }

  // 2. Duplicates: the same secondary value under different keys, within a source or across them.
  let sameSecondaryKey = 0;
  if (secondaryKey !== key) {
    // Pass 1 keeps 32-bit hashes only (secondary hash → hash of the first key seen with it);
    // pass 2 re-reads exact strings for the candidate hashes, so a hash collision can add
    // work but never a false finding. (Two different keys that share both a secondary value
    // and a 32-bit key hash would be missed: about one chance in 4e9 per such pair.)
    const firstKeyHash = new Map<number, number>();
    const candidates = new Set<number>();
    for (const s of stores) {
      for (let slot = 0; slot < slots.size; slot++) {
        const enc = s.enc[slot];
        if (enc === undefined) continue;
        const k = slots.keys[slot]!;
        const v = codec.fieldOf(enc, secondaryKey, k, s.base(slot));
        if (v === undefined) continue;
        const vh = hash32(v.toLowerCase());
        const kh = hash32(k);
        const first = firstKeyHash.get(vh);
        if (first === undefined) firstKeyHash.set(vh, kh);
        else if (first !== kh) candidates.add(vh);
      }
    }
    firstKeyHash.clear();
    const holders = new Map<string, { source: Source; key: string }[]>();
    if (candidates.size > 0) {
      for (const s of stores) {
        for (let slot = 0; slot < slots.size; slot++) {
          const enc = s.enc[slot];
          if (enc === undefined) continue;
          const k = slots.keys[slot]!;
          const raw = codec.fieldOf(enc, secondaryKey, k, s.base(slot));
          if (raw === undefined) continue;
          const v = raw.toLowerCase();
          if (!candidates.has(hash32(v))) continue;
          const list = holders.get(v);
          if (list) list.push({ source: s.source, key: k });
          else holders.set(v, [{ source: s.source, key: k }]);
        }
      }
    }
    for (const [v, list] of holders) {
      const keys = [...new Set(list.map((h) => h.key))].sort();
      if (keys.length < 2) continue; // a hash collision, not a duplicate
      sameSecondaryKey++;
      const srcs = [...new Set(list.map((h) => h.source))];
      const within = srcs.find((src) => new Set(list.filter((h) => h.source === src).map((h) => h.key)).size > 1);
      const where = list.map((h) => `${h.key} in ${label[h.source]}`).join(', ');
      sink.add({
        kind: 'duplicate',
        severity: 'error',
        key: v,
        sources: srcs,
        attribute: secondaryKey,
        actual: keys.join(', '),
        detail:
          within !== undefined
            ? `same ${secondaryKey} under ${keys.length} ${key}s in ${label[within]} (${where}): the same person twice (an account re-created instead of renamed) or a shared mailbox`
            : `same ${secondaryKey} under ${keys.length} ${key}s (${where}): the usual symptom of a key mismatch between directory sync and SCIM (the sides match users on different attributes)`,
      });
    }
  }

  // 3. Walk the directory once: missing, matched, drift, case, active.
  let allThree = 0,
    caseMismatches = 0;
  const drift = { userName: 0, email: 0, displayName: 0, department: 0, groups: 0 };
  let disabledActive = 0,
    activeDisabled = 0;

  /**
   * Drift and case findings of the user being walked. After the migration ZIA holds what SCIM
   * provisioning sends, so the same difference in ZIA and in SCIM (same attribute, same values)
   * is one cause: ZIA's finding waits here for SCIM's and the two become one finding listing
   * both sources, counted once. Before it, the two feeds are separate and so are the findings.
   */
  const linkZiaScim = ziaFedBy === 'scim' && zia !== undefined && scim !== undefined;
  let waiting: Finding[] | undefined;
  const count = (f: Finding): void => {
    if (f.kind === 'case-mismatch') caseMismatches++;
    else drift[f.attribute as keyof typeof drift]++;
    sink.add(f);
  };
  const emitDrift = (f: Finding): void => {
    if (!linkZiaScim) return count(f);
    if (f.sources[1] === 'zia') {
      (waiting ??= []).push(f);
      return;
    }
    // Group names compare case-insensitively (the lists are sorted and de-duplicated that way).
    const same = (a: string | undefined, b: string | undefined) => (f.attribute === 'groups' ? a?.toLowerCase() === b?.toLowerCase() : a === b);
    const i = waiting?.findIndex((z) => z.kind === f.kind && z.attribute === f.attribute && same(z.expected, f.expected) && same(z.actual, f.actual)) ?? -1;
    if (i < 0) return count(f);
    waiting!.splice(i, 1);
    count({
      ...f,
      sources: ['directory', 'zia', 'scim'],
      // SCIM's sentence, naming both sides: "vs SCIM" and "in SCIM only" are the only places it names its source.
      detail: `${f.detail.replace(' vs SCIM ', ' vs ZIA and SCIM ').replace('in SCIM only: ', 'in ZIA and SCIM only: ')}; one cause, counted once: since the migration ZIA holds what SCIM provisioning sends`,
    });
  };
  const flushWaiting = (): void => {
    if (waiting === undefined) return;
    for (const f of waiting) count(f);
    waiting = undefined;
  };

  const compare = (k: string, d: Decoded, o: Decoded, other: Other): void => {
    const srcs: Source[] = ['directory', other];
    const fields = compared.get(other)!;
    for (const attr of SCALARS) {
      if (!fields.has(attr)) continue;
      const dv = d[attr],
        ov = o[attr];
      if (dv === ov) continue;
      if ((attr === 'userName' || attr === 'email') && dv !== undefined && ov !== undefined && dv.toLowerCase() === ov.toLowerCase()) {
        emitDrift({
          kind: 'case-mismatch',
          severity: 'warning',
          key: k,
          sources: srcs,
          attribute: attr,
          expected: dv,
          actual: ov,
          detail: `${attr} differs only in case: directory ${q(dv)} vs ${label[other]} ${q(ov)}; matching ignores case, but a case-sensitive consumer (SAML NameID, policies) may not`,
        });
        continue;
      }
      const f: Finding = {
        kind: 'attribute-drift',
        severity: 'warning',
        key: k,
        sources: srcs,
        attribute: attr,
        detail:
          `${attr} differs: directory ${q(dv)} vs ${label[other]} ${q(ov)}: ` +
          (ov === undefined
            ? `not set in ${label[other]}; the attribute mapping may not send it`
            : dv === undefined
              ? `set in ${label[other]} but empty in the directory; check the configured mapping`
              : why[other]!.stale),
      };
      if (dv !== undefined) f.expected = dv;
      if (ov !== undefined) f.actual = ov;
      emitDrift(f);
    }
    // The common case, the same names on both sides (in any order): no Maps to build (at 100k
    // users these per-user Maps were a large part of the comparison's garbage, issue 6).
    if (fields.has('groups') && !sameNames(d.groups, o.groups)) {
      const scope = membershipScope.get(other);
      const dg = new Map<string, string>(),
        og = new Map<string, string>();
      for (const g of d.groups) {
        const l = g.toLowerCase();
        if (!scope || scope.has(l)) dg.set(l, g);
      }
      for (const g of o.groups) {
        const l = g.toLowerCase();
        if (!scope || scope.has(l)) og.set(l, g);
      }
      const onlyD = [...dg.keys()].filter((g) => !og.has(g));
      const onlyO = [...og.keys()].filter((g) => !dg.has(g));
      if (onlyD.length > 0 || onlyO.length > 0) {
        const list = (m: Map<string, string>) =>
          [...m.keys()]
            .sort()
            .map((l) => m.get(l)!)
            .join('; ');
        const names = (m: Map<string, string>, ls: string[]) =>
          ls
            .sort()
            .map((l) => m.get(l)!)
            .join(', ');
        const parts: string[] = [];
        if (onlyD.length > 0) parts.push(`in the directory only: ${names(dg, onlyD)}`);
        if (onlyO.length > 0) parts.push(`in ${label[other]} only: ${names(og, onlyO)}`);
        emitDrift({
          kind: 'attribute-drift',
          severity: 'warning',
          key: k,
          sources: srcs,
          attribute: 'groups',
          expected: list(dg),
          actual: list(og),
          detail: `group memberships differ (${parts.join('; ')}): ${why[other]!.groups}`,
        });
      }
    }
    // Only SCIM carries an enabled flag: ZIA's admin API documents none (docs/vendor-facts.md F19),
    // so active drift is never reported against ZIA.
    if (fields.has('active') && d.active !== undefined && o.active !== undefined && d.active !== o.active) {
      if (!d.active) {
        disabledActive++;
        sink.add({
          kind: 'disabled-in-ad-active-in-scim',
          severity: 'error',
          key: k,
          sources: srcs,
          attribute: 'active',
          expected: 'false',
          actual: 'true',
          detail:
            'disabled in the directory but active in SCIM: the disable has not been provisioned yet, or the user left the provisioning scope without being soft-deleted; the user can still sign in',
        });
      } else {
        activeDisabled++;
        sink.add({
          kind: 'active-in-ad-disabled-in-scim',
          severity: 'error',
          key: k,
          sources: srcs,
          attribute: 'active',
          expected: 'true',
          actual: 'false',
          detail:
            'active in the directory but disabled in SCIM: provisioning disabled the user (left the app assignment or scoping filter, or a failed match); the user cannot sign in',
        });
      }
    }
  };

  // One finding per user, listing every source the user is missing from: after the migration a
  // user the IdP deleted or never pushed is absent from SCIM and therefore from ZIA, one cause.
  // Per-source counts go to the report's slots: the first store (ZIA's admin API, or the product's
  // store), then the second (ZIA's SCIM service).
  const first = others[0]!,
    second = others[1];
  const perSource = () => new Map<Other, number>(others.map((o) => [o.source, 0]));
  const bump = (m: Map<Other, number>, src: Other) => m.set(src, m.get(src)! + 1);
  const missingBy = perSource();
  let missingUsers = 0;
  /** Per pushed-only store: members of each group (caseless name) disabled in the directory and not pushed. */
  const unpushed = new Map<Other, Map<string, number>>();
  let matchedFirst = 0,
    matchedSecond = 0;
  for (let slot = 0; slot < slots.size; slot++) {
    const dEnc = dir.enc[slot];
    if (dEnc === undefined) continue;
    const k = slots.keys[slot]!;
    const d = codec.decode(dEnc, k);
    const absent: Other[] = [];
    for (const { source: other, store, def } of others) {
      const oEnc = store.enc[slot];
      if (oEnc === undefined) {
        if (d.active === false && def.pushedOnly) {
          // Not pushed, as expected: nor counted among its groups' members (step 5).
          const seen = new Set<string>();
          for (const id of codec.groupIdsOf(dEnc, dir.base(slot))) seen.add(codec.caselessNames[codec.caseless(id)]!);
          const m = unpushed.get(other) ?? unpushed.set(other, new Map()).get(other)!;
          for (const g of seen) m.set(g, (m.get(g) ?? 0) + 1);
          continue;
        }
        bump(missingBy, other);
        absent.push(other);
      } else {
        if (other === first.source) matchedFirst++;
        else matchedSecond++;
        compare(k, d, codec.decode(oEnc, k, dEnc), other);
      }
    }
    flushWaiting();
    if (absent.length > 0) {
      missingUsers++;
      sink.add({
        kind: 'missing',
        // A disabled account missing downstream is often deliberate (sync scope skips disabled users).
        severity: d.active === false ? 'warning' : 'error',
        key: k,
        sources: absent,
        detail:
          `in the directory scope (id ${d.sourceId}) but ${absent.length === 1 ? `not in ${label[absent[0]!]}` : `in neither ${absent.map((a) => label[a]).join(' nor ')}`}` +
          (d.active === false
            ? `; the account is disabled in AD, which some ${absent.includes('zia') && ziaFedBy === 'directory-sync' ? 'sync' : 'provisioning'} scopes skip`
            : '') +
          ': ' +
          missingWhy(absent, why, ziaFedBy, label),
      });
    }
    if (second && first.store.enc[slot] !== undefined && second.store.enc[slot] !== undefined) allThree++;
  }

  // 4. Extra: known downstream, not in the directory scope; one finding per user.
  const extraBy = perSource();
  let extraUsers = 0;
  for (let slot = 0; slot < slots.size; slot++) {
    if (dir.enc[slot] !== undefined) continue;
    const present = others.filter(({ store }) => store.enc[slot] !== undefined);
    if (present.length === 0) continue;
    const k = slots.keys[slot]!;
    extraUsers++;
    for (const { source } of present) bump(extraBy, source);
    const where = present.map(({ source, store }) => `${label[source]} (id ${codec.decode(store.enc[slot]!, k).sourceId})`).join(' and ');
    sink.add({
      kind: 'extra',
      severity: 'warning',
      key: k,
      sources: present.map((p) => p.source),
      detail: `in ${where} but not in the directory scope: ${extraWhy(
        present.map((p) => p.source),
        why,
        ziaFedBy,
        label,
      )}`,
    });
  }

  // 5. Group parity: member counts per group, directory against each other source. A store that
  // lists group names only (no members) is compared by name: a group of the directory scope it
  // lacks is a finding; one it holds beyond the scope's is not (without members, an empty group,
  // such as one assigned for its nested groups, cannot be told from a stale one): the groups table lists it.
  const dGroups = groupCounts.get('directory')!;
  const mismatched = perSource();
  // After the migration ZIA's groups are SCIM's: the same count in both is one finding (as for drift).
  const ziaGroupFindings = new Map<string, Finding>();
  for (const { source: other } of others) {
    const oGroups = groupCounts.get(other)!;
    const namesOnly = names.has(other);
    const groupNames = new Set([...dGroups.keys(), ...oGroups.keys()]);
    const notPushed = unpushed.get(other);
    for (const g of groupNames) {
      const dAll = dGroups.get(g),
        oc = oGroups.get(g);
      // A pushed-only store is compared with the members the IdP was expected to push.
      const dc = dAll && notPushed?.has(g) ? { name: dAll.name, count: dAll.count - notPushed.get(g)! } : dAll;
      if (dc?.count === oc?.count || (namesOnly && oc !== undefined) || (dc?.count === 0 && oc === undefined && notPushed?.has(g))) continue;
      bump(mismatched, other);
      const f: Finding = {
        kind: 'group-count-mismatch',
        severity: 'warning',
        key: (dc ?? oc)!.name,
        sources: ['directory', other],
        attribute: 'members',
        detail:
          oc === undefined
            ? `group ${q(dc!.name)} (${dc!.count} members in the directory) does not exist in ${label[other]}: ${why[other]!.groupAbsent}`
            : dc === undefined
              ? `group ${q(oc.name)} (${oc.count} members in ${label[other]}) does not exist in the directory scope: stale, or created on the ${label[other]} side`
              : `group ${q(dc.name)} has ${dc.count} members in the directory but ${oc.count} in ${label[other]}: ${why[other]!.groupCount}`,
      };
      if (dc !== undefined) f.expected = String(dc.count);
      if (oc !== undefined && !namesOnly) f.actual = String(oc.count);
      if (linkZiaScim && other === 'zia') {
        ziaGroupFindings.set(g, f);
        continue;
      }
      const twin = linkZiaScim && other === 'scim' ? ziaGroupFindings.get(g) : undefined;
      if (twin !== undefined && twin.actual === f.actual) {
        ziaGroupFindings.delete(g);
        sink.add({
          ...f,
          sources: ['directory', 'zia', 'scim'],
          detail: `${f.detail.replace(` in ${label.scim}`, ` in ${label.zia} and ${label.scim}`)}; one cause, counted once: since the migration ZIA holds what SCIM provisioning sends`,
        });
        continue;
      }
      sink.add(f);
    }
  }
  for (const f of ziaGroupFindings.values()) sink.add(f);
  const groupRows: GroupParityRow[] = [];
  const allGroupKeys = new Set<string>();
  for (const m of groupCounts.values()) for (const k of m.keys()) allGroupKeys.add(k);
  // A names-only store has no member count to show: its column is null, and presentIn says it holds the group.
  const countIn = (o: (typeof others)[number] | undefined, g: string) => {
    const c = o ? groupCounts.get(o.source)!.get(g) : undefined;
    return c === undefined || Number.isNaN(c.count) ? null : c.count;
  };
  const namesOnlyStores = others.filter((o) => names.has(o.source));
  for (const g of [...allGroupKeys].sort()) {
    const d = dGroups.get(g);
    const any = d ?? others.map((o) => groupCounts.get(o.source)!.get(g)).find((c) => c !== undefined)!;
    const row: GroupParityRow = { name: any.name, directory: d?.count ?? null, zia: countIn(first, g), scim: countIn(second, g) };
    if (namesOnlyStores.length > 0) row.presentIn = namesOnlyStores.filter((o) => groupCounts.get(o.source)!.has(g)).map((o) => o.source);
    groupRows.push(row);
  }

  const counts = (s: SourceStore) => ({ records: s.records, unique: s.unique, withoutKey: s.withoutKey });
  const { findings, truncated } = sink.finish();
  const driftTotal = drift.userName + drift.email + drift.displayName + drift.department + drift.groups;
  const report: ParityReport = {
    schemaVersion: 2,
    generatedAt: new Date().toISOString(),
    summary: {
      key,
      secondaryKey,
      ziaFedBy,
      scimCompared: second !== undefined,
      counts: { directory: counts(dir), zia: counts(first.store), scim: second ? counts(second.store) : null },
      matched: { directoryZia: matchedFirst, directoryScim: second ? matchedSecond : null, allThree: second ? allThree : null },
      missing: { users: missingUsers, zia: missingBy.get(first.source)!, scim: second ? missingBy.get(second.source)! : null },
      extra: { users: extraUsers, zia: extraBy.get(first.source)!, scim: second ? extraBy.get(second.source)! : null },
      duplicates: { total: sameKey + sameSecondaryKey, sameKey, sameSecondaryKey },
      caseMismatches,
      drift: { total: driftTotal, byAttribute: drift },
      active: { disabledInAdActiveInScim: disabledActive, activeInAdDisabledInScim: activeDisabled },
      groups: {
        directory: dGroups.size,
        zia: groupCounts.get(first.source)!.size,
        scim: second ? groupCounts.get(second.source)!.size : null,
        mismatchedZia: mismatched.get(first.source)!,
        mismatchedScim: second ? mismatched.get(second.source)! : null,
      },
      findingsByKind: sink.counts,
    },
    groups: groupRows,
    findings,
    findingsTotal: sink.total,
    findingsTruncated: truncated,
  };
  // Another product's report names its stores (ZIA's keeps the shape it always had).
  if (generic) {
    report.summary.stores = others.map(({ source, def }, i) => ({
      key: source,
      label: def.label,
      slot: i === 0 ? 'zia' : 'scim',
      compared: [...def.compare],
      groupsByName: def.groupNames !== undefined,
      ...(def.note ? { note: def.note } : {}),
    }));
  }
  return report;
}
