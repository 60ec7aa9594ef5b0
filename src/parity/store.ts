import type { IdentityRecord, Source } from './identity.js';

/**
 * How the diff holds the users it has read: one slot per distinct matching key shared by the
 * sources, one compact string per user per source. Memory per user is what decides whether a
 * 1M-user verify fits in 1 GB (issue 6); the figures are in src/parity/README.md.
 */

export type MatchKey = 'userName' | 'email';

// ---------------------------------------------------------------------------------------------
// Compact per-user encoding: one flat string per user, fields separated by US (\x1f).
// Two savings that matter at 1M users: the key field is stored as SAME (\x1d) when it is
// already lower case (the Map key holds it), and group names are interned to base-36
// numbers separated by ','. Flat strings built by join() cost one object each.

const FS = '\x1f';
const SAME = '\x1d';
/**
 * Leads a ZIA or SCIM record stored as a difference from the directory's record with the same
 * key: each field equal to the directory's is DITTO. Users in sync are the common case, so their
 * display name, department and (up to 128, LDAP sync: docs/vendor-facts.md F14) group ids are stored once, not three
 * times. The directory's record under a key never changes once stored, so a delta stays valid.
 */
const DELTA = '\x1c';
const DITTO = '\x1b';
/** In the email field: the same string as the userName field (ZIA's login is both; UPN = mail is common). */
const AS_USER = '\x1e';
const F_ID = 0,
  F_USER = 1,
  F_EMAIL = 2,
  F_DISPLAY = 3,
  F_DEPT = 4,
  F_ACTIVE = 5,
  F_GROUPS = 6;

/** The markers cannot occur in real identity data; if they do, they are replaced, not trusted. */
function safe(v: string | undefined): string {
  if (v === undefined) return '';
  return /[\x1b-\x1f]/.test(v) ? v.replace(/[\x1b-\x1f]/g, '\ufffd') : v;
}

export interface Decoded {
  sourceId: string;
  userName: string | undefined;
  email: string | undefined;
  displayName: string | undefined;
  department: string | undefined;
  active: boolean | undefined;
  groups: string[];
}

export class Codec {
  /** Interned values (group names, departments): few distinct values, repeated for every user. */
  private readonly ids = new Map<string, string>();
  private readonly names: string[] = [];
  private readonly keyField: number;
  constructor(key: MatchKey) {
    this.keyField = key === 'userName' ? F_USER : F_EMAIL;
  }

  private intern(name: string): string {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length.toString(36);
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  /** `base`: the directory's record under the same key, if stored; the result is then a delta from it. */
  encode(r: IdentityRecord, lowerKey: string, base?: string): string {
    const f = [safe(r.sourceId), safe(r.userName), safe(r.email), safe(r.displayName)];
    // Live memory at 100k users is mostly these strings (issue 6): an email equal to the userName
    // is stored once. Decided before SAME replaces the key field, on the real values.
    const emailAsUser = f[F_EMAIL] !== '' && f[F_EMAIL] === f[F_USER];
    if (f[this.keyField] === lowerKey) f[this.keyField] = SAME;
    if (emailAsUser && this.keyField !== F_EMAIL) f[F_EMAIL] = AS_USER;
    const department = safe(r.department);
    f.push(department === '' ? '' : this.intern(department));
    f.push(r.active === undefined ? '' : r.active ? '1' : '0');
    f.push(this.groupIds(r.groups));
    return base === undefined ? f.join(FS) : this.ditto(f, base);
  }

  /** The fields `f` as a delta from `base`, or joined as they are when no field is the same. */
  private ditto(f: string[], base: string): string {
    const b = base.split(FS);
    let same = 0;
    for (let i = 0; i < f.length; i++) {
      // An empty field costs nothing; DITTO would cost a character.
      if (f[i] !== '' && f[i] === b[i]) {
        f[i] = DITTO;
        same++;
      }
    }
    return same === 0 ? f.join(FS) : DELTA + f.join(FS);
  }

  /**
   * Group ids in ascending order, so that the same set of groups is the same string whichever
   * order a source lists them in (the comparison ignores order; see sameNames).
   */
  private groupIds(groups: readonly string[]): string {
    if (groups.length === 0) return '';
    if (groups.length === 1) return this.intern(groups[0]!);
    const n = groups.map((g) => parseInt(this.intern(g), 36));
    n.sort((a, b) => a - b);
    return n.map((x) => x.toString(36)).join(',');
  }

  private field(f: string[], i: number, k: string): string | undefined {
    const v = f[i];
    if (v === SAME && i === this.keyField) return k;
    if (v === AS_USER && i === F_EMAIL) return this.field(f, F_USER, k);
    return v === '' || v === undefined ? undefined : v;
  }

  /**
   * The field array of an encoded record. `base` is the directory's record under the same key,
   * needed (and always present) when `s` is a delta.
   */
  private fields(s: string, base: string | undefined): string[] {
    if (!s.startsWith(DELTA)) return s.split(FS);
    if (base === undefined) throw new Error('parity: a delta-encoded record has no directory record to expand against');
    const f = s.slice(DELTA.length).split(FS);
    let b: string[] | undefined;
    for (let i = 0; i < f.length; i++) {
      if (f[i] !== DITTO) continue;
      b ??= base.split(FS);
      f[i] = b[i]!;
    }
    return f;
  }

  /** A stored full record re-expressed as a delta from `base` (its directory record arrived later). */
  delta(full: string, base: string): string {
    return this.ditto(full.split(FS), base);
  }

  decode(s: string, k: string, base?: string): Decoded {
    const f = this.fields(s, base);
    const a = f[F_ACTIVE];
    const d = f[F_DEPT] ?? '';
    const g = f[F_GROUPS] ?? '';
    return {
      sourceId: f[F_ID] ?? '',
      userName: this.field(f, F_USER, k),
      email: this.field(f, F_EMAIL, k),
      displayName: this.field(f, F_DISPLAY, k),
      department: d === '' ? undefined : this.nameOf(parseInt(d, 36)),
      active: a === '1' ? true : a === '0' ? false : undefined,
      groups: g === '' ? [] : g.split(',').map((id) => this.nameOf(parseInt(id, 36))),
    };
  }

  /** One identity field of an encoded record, without splitting it (the secondary-key passes read every record twice). */
  fieldOf(s: string, attr: MatchKey, k: string, base?: string): string | undefined {
    return this.valueAt(s, base, attr === 'userName' ? F_USER : F_EMAIL, k);
  }

  /** Field `i` as stored (markers kept), a DITTO taken from `base`; nothing else is split. */
  private rawAt(s: string, base: string | undefined, i: number): string {
    const v = s.startsWith(DELTA) ? nthField(s, i, DELTA.length) : nthField(s, i, 0);
    if (v !== DITTO) return v;
    if (base === undefined) throw new Error('parity: a delta-encoded record has no directory record to expand against');
    return nthField(base, i, 0);
  }

  private valueAt(s: string, base: string | undefined, i: number, k: string): string | undefined {
    const v = this.rawAt(s, base, i);
    if (v === SAME && i === this.keyField) return k;
    if (v === AS_USER && i === F_EMAIL) return this.valueAt(s, base, F_USER, k);
    return v === '' ? undefined : v;
  }

  /** The interned group ids of an encoded record, without decoding the rest. */
  groupIdsOf(s: string, base?: string): number[] {
    const g = this.rawAt(s, base, F_GROUPS);
    return g === '' ? [] : g.split(',').map((id) => parseInt(id, 36));
  }

  private readonly caselessIds = new Map<string, number>();
  private readonly caselessOfId: number[] = [];
  /** Lower-cased names by caseless id. */
  readonly caselessNames: string[] = [];

  /** One number per lower-cased name: "VPN" and "vpn" (two interned ids) share it. */
  caseless(id: number): number {
    let c = this.caselessOfId[id];
    if (c === undefined) {
      const lower = (this.names[id] ?? '').toLowerCase();
      c = this.caselessIds.get(lower);
      if (c === undefined) {
        c = this.caselessNames.length;
        this.caselessIds.set(lower, c);
        this.caselessNames.push(lower);
      }
      this.caselessOfId[id] = c;
    }
    return c;
  }

  nameOf(id: number): string {
    return this.names[id] ?? '';
  }
}

/** Field `i` of an encoded record whose first field starts at `from`, without splitting the rest. */
function nthField(s: string, i: number, from: number): string {
  let start = from;
  for (let n = 0; n < i; n++) {
    const at = s.indexOf(FS, start);
    if (at < 0) return '';
    start = at + 1;
  }
  const end = s.indexOf(FS, start);
  return end < 0 ? s.slice(start) : s.slice(start, end);
}

/**
 * One slot per distinct lower-cased key, shared by the sources: each key string and its Map
 * entry exist once, not once per source. At 1M users per source the per-source Maps held three
 * copies of every key and three Map entries, about 180 MB of the live set (issue 6).
 */
export class KeySlots {
  private readonly slotOf = new Map<string, number>();
  /** slot → lower-cased key. */
  readonly keys: string[] = [];
  private readonly stores: SourceStore[] = [];

  attach(store: SourceStore): void {
    this.stores.push(store);
  }

  slot(k: string): number {
    let slot = this.slotOf.get(k);
    if (slot === undefined) {
      slot = this.keys.length;
      this.slotOf.set(k, slot);
      this.keys.push(k);
      // Every store grows with the slots, so each array stays dense (a write far past the end
      // of a JS array would turn it into a slow, larger dictionary).
      for (const s of this.stores) s.enc.push(undefined);
    }
    return slot;
  }

  get size(): number {
    return this.keys.length;
  }
}

export class SourceStore {
  /** slot → encoded first record of this source with that key (undefined: none). */
  readonly enc: (string | undefined)[] = [];
  /** Later records with a key already seen, by slot (rare: reported as duplicates). */
  readonly extras = new Map<number, string[]>();
  records = 0;
  withoutKey = 0;
  /** Distinct keys seen in this source. */
  unique = 0;
  /** The stores whose records are kept as deltas from this one's (the directory's: ZIA, SCIM). */
  private readonly dependents: SourceStore[] = [];
  constructor(
    readonly source: Source,
    private readonly key: MatchKey,
    private readonly codec: Codec,
    private readonly slots: KeySlots,
    /** The directory's store, for ZIA and SCIM (their records are stored as deltas from it). */
    private readonly baseStore?: SourceStore,
  ) {
    slots.attach(this);
    baseStore?.dependents.push(this);
  }

  /** The directory's record under the same key, which a delta in this store expands against. */
  base(slot: number): string | undefined {
    return this.baseStore?.enc[slot];
  }

  add(r: IdentityRecord): void {
    if (r.source !== this.source) {
      throw new Error(`a ${r.source} record (id ${r.sourceId}) arrived in the ${this.source} stream: the sources are wired wrongly`);
    }
    this.records++;
    const kv = r[this.key];
    if (kv === undefined || kv === '') {
      this.withoutKey++;
      return;
    }
    const k = kv.toLowerCase();
    const slot = this.slots.slot(k);
    if (this.enc[slot] === undefined) {
      const enc = this.codec.encode(r, k, this.base(slot));
      this.enc[slot] = enc;
      this.unique++;
      // A directory record arriving after ZIA's or SCIM's: theirs become deltas from it now.
      for (const d of this.dependents) {
        const theirs = d.enc[slot];
        if (theirs !== undefined) d.enc[slot] = this.codec.delta(theirs, enc);
      }
      return;
    }
    // Later records under a key already seen are kept whole (rare: reported as duplicates).
    const enc = this.codec.encode(r, k);
    const list = this.extras.get(slot);
    if (list) list.push(enc);
    else this.extras.set(slot, [enc]);
  }
}
