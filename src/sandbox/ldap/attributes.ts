/**
 * Chooses the attributes of an entry to return for a search's attribute list, with AD's
 * ranged retrieval of multi-valued attributes (docs/vendor-facts.md F41): MaxValRange is 1500, so a
 * group with more members returns `member;range=0-1499` and the client must ask for
 * `member;range=1500-*` (and so on). The last window is labelled `…-*`.
 */
import type { LdapEntry } from './entries.js';
import type { WireAttribute } from './ber.js';

export const MAX_VAL_RANGE = 1500;

interface Requested {
  all: boolean;
  /** lower-case plain names */
  names: Set<string>;
  /** lower-case name → requested ranges */
  ranges: Map<string, Array<{ low: number; high: number | '*' }>>;
}

const RANGE_RE = /^([^;]+);range=(\d+)-(\d+|\*)$/i;

export function parseRequested(attributes: string[]): Requested {
  const req: Requested = { all: false, names: new Set(), ranges: new Map() };
  if (attributes.length === 0) req.all = true;
  for (const raw of attributes) {
    const a = raw.trim();
    if (a === '*') {
      req.all = true;
      continue;
    }
    if (a === '1.1' || a === '+') continue; // 1.1 = no attributes (RFC 4511 §4.5.1.8)
    const m = RANGE_RE.exec(a);
    if (m) {
      const name = (m[1] as string).toLowerCase();
      const list = req.ranges.get(name) ?? [];
      list.push({ low: Number(m[2]), high: m[3] === '*' ? '*' : Number(m[3]) });
      req.ranges.set(name, list);
      continue;
    }
    req.names.add(a.toLowerCase());
  }
  return req;
}

function window(name: string, values: Array<string | Buffer>, low: number, high: number | '*'): WireAttribute | null {
  if (low >= values.length && !(low === 0 && values.length === 0)) return null;
  const cap = low + MAX_VAL_RANGE - 1;
  const wantedHigh = high === '*' ? values.length - 1 : high;
  const end = Math.min(wantedHigh, cap, values.length - 1);
  const label = end >= values.length - 1 ? '*' : String(end);
  return { type: `${name};range=${low}-${label}`, values: values.slice(low, end + 1) };
}

export function selectAttributes(entry: LdapEntry, req: Requested): WireAttribute[] {
  const out: WireAttribute[] = [];
  for (const [lower, attr] of entry.attrs) {
    const ranges = req.ranges.get(lower);
    if (ranges) {
      for (const r of ranges) {
        const w = window(attr.name, attr.values, r.low, r.high);
        if (w) out.push(w);
      }
      continue;
    }
    if (!req.all && !req.names.has(lower)) continue;
    if (attr.values.length > MAX_VAL_RANGE) {
      // AD never returns more than MaxValRange values unasked: the client must range.
      const w = window(attr.name, attr.values, 0, '*');
      if (w) out.push(w);
    } else {
      out.push({ type: attr.name, values: attr.values });
    }
  }
  return out;
}
