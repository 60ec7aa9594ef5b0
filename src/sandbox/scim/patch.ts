import { z } from 'zod';
import { FilterError, evaluate, parseFilter } from './filter.js';

/**
 * SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON representation.
 *
 * Entra's dialect is normalised first (docs/vendor-facts.md F33, Entra's SCIM known issues): capitalised
 * `Add`/`Replace`/`Remove`, string booleans `"True"`/`"False"` for `active`, member removal with
 * `{"op":"Remove","path":"members","value":[{"value":"id"}]}` instead of a value filter, and
 * path-less ops whose value object uses dotted or URN-prefixed keys.
 *
 * Why not scim-patch (0.8.3, checked 2026-11-26): after the normalisation above it still appends
 * an element on a replace whose value filter matches nothing instead of answering noTarget
 * (RFC 7644 §3.5.2.3), splits a URN key such as `urn:…:enterprise:2.0:User` at its dots in a
 * path-less op, and matches attribute names and filter values case-sensitively.
 */
export const patchRequestSchema = z.object({
  schemas: z.array(z.string()).optional(),
  Operations: z
    .array(
      z.object({
        op: z.string(),
        path: z.string().optional(),
        value: z.unknown().optional(),
      }),
    )
    .min(1),
});

export type PatchOp = { op: 'add' | 'replace' | 'remove'; path?: string; value?: unknown };

export class PatchError extends Error {
  constructor(
    readonly scimType: 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'mutability',
    message: string,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

/** Strings "True"/"False" (any case) become booleans for `active`, as Entra sends them. */
function normaliseBooleans(path: string | undefined, value: unknown): unknown {
  if (path !== undefined && /(^|[.:])active$/i.test(path) && typeof value === 'string' && /^(true|false)$/i.test(value)) {
    return value.toLowerCase() === 'true';
  }
  if (path === undefined && value && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = normaliseBooleans(k, v);
    return out;
  }
  return value;
}

/**
 * `strict` (variant `scim-patch-dialect=rfc`): the server takes RFC 7644 §3.5.2 as written — `op`
 * exactly "add", "remove" or "replace", `active` a JSON boolean (RFC 7643 §2.3.2) — and refuses
 * Entra's default dialect with 400 invalidSyntax / invalidValue instead of normalising it.
 */
export function normaliseOps(body: unknown, opts: { strict?: boolean } = {}): PatchOp[] {
  const parsed = patchRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw new PatchError(
      'invalidSyntax',
      `PATCH body must be a PatchOp with an Operations array: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  if (opts.strict) {
    for (const o of parsed.data.Operations) {
      if (o.op !== 'add' && o.op !== 'remove' && o.op !== 'replace') {
        throw new PatchError('invalidSyntax', `unknown PATCH op "${o.op}": RFC 7644 §3.5.2 allows "add", "remove" or "replace"`);
      }
      const activeString = (path: string | undefined, v: unknown) => path !== undefined && /(^|[.:])active$/i.test(path) && typeof v === 'string';
      const pathless = o.path === undefined && o.value && typeof o.value === 'object' && !Array.isArray(o.value) ? Object.entries(o.value) : [];
      if (activeString(o.path, o.value) || pathless.some(([k, v]) => activeString(k, v))) {
        throw new PatchError('invalidValue', '"active" must be a boolean (RFC 7643 §2.3.2), not a string');
      }
    }
  }
  return parsed.data.Operations.map((o) => {
    const op = o.op.toLowerCase();
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw new PatchError('invalidSyntax', `unknown PATCH op "${o.op}"`);
    const out: PatchOp = { op };
    if (o.path !== undefined && o.path !== '') out.path = o.path;
    if (o.value !== undefined) out.value = normaliseBooleans(out.path, o.value);
    return out;
  });
}

type Obj = Record<string, unknown>;

function keyOf(obj: Obj, name: string): string | undefined {
  return Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
}

interface ParsedPath {
  /** Container object keys leading to the attribute (schema URN first when present). */
  container: string[];
  attr: string;
  filter?: string;
  sub?: string;
}

export function parsePath(path: string, extensionUrns: string[]): ParsedPath {
  let container: string[] = [];
  let rest = path;
  for (const urn of extensionUrns) {
    if (path.toLowerCase().startsWith(`${urn.toLowerCase()}:`)) {
      container = [urn];
      rest = path.slice(urn.length + 1);
      break;
    }
  }
  const m = /^([A-Za-z0-9_$-]+)(?:\[(.+)\])?(?:\.([A-Za-z0-9_$-]+))?$/.exec(rest);
  if (!m) throw new PatchError('invalidPath', `cannot parse PATCH path "${path}"`);
  const out: ParsedPath = { container, attr: m[1] as string };
  if (m[2] !== undefined) out.filter = m[2];
  if (m[3] !== undefined) out.sub = m[3];
  return out;
}

function containerFor(resource: Obj, keys: string[], create: boolean): Obj | undefined {
  let cur: Obj = resource;
  for (const k of keys) {
    const existing = keyOf(cur, k);
    if (existing === undefined) {
      if (!create) return undefined;
      cur[k] = {};
      cur = cur[k] as Obj;
    } else {
      cur = cur[existing] as Obj;
    }
  }
  return cur;
}

function matches(filter: string, item: unknown): boolean {
  try {
    return evaluate(parseFilter(filter), item);
  } catch (e) {
    if (e instanceof FilterError) throw new PatchError('invalidPath', `bad value filter "${filter}": ${e.message}`);
    throw e;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a && b && typeof a === 'object' && typeof b === 'object' && 'value' in (a as Obj) && 'value' in (b as Obj)) {
    return String((a as Obj).value) === String((b as Obj).value);
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Applies normalised ops in order to a deep copy of `resource`; returns the copy. */
export function applyPatch(resource: Obj, ops: PatchOp[], opts: { extensionUrns: string[]; multiValued: Set<string> }): Obj {
  const doc = structuredClone(resource);
  for (const op of ops) {
    if (op.path === undefined) {
      if (op.op === 'remove') throw new PatchError('noTarget', 'a remove operation needs a path');
      if (!op.value || typeof op.value !== 'object' || Array.isArray(op.value)) {
        throw new PatchError('invalidValue', `a ${op.op} without a path needs an object value`);
      }
      // Path-less add/replace: each key is itself a path (Entra sends dotted and URN keys here).
      for (const [k, v] of Object.entries(op.value as Obj)) {
        if (opts.extensionUrns.some((u) => u.toLowerCase() === k.toLowerCase()) && v && typeof v === 'object') {
          for (const [k2, v2] of Object.entries(v as Obj)) applyOne(doc, { op: op.op, path: `${k}:${k2}`, value: v2 }, opts);
        } else {
          applyOne(doc, { op: op.op, path: k, value: normaliseBooleans(k, v) }, opts);
        }
      }
      continue;
    }
    applyOne(doc, { ...op, path: op.path }, opts);
  }
  return doc;
}

function applyOne(doc: Obj, op: PatchOp & { path: string }, opts: { extensionUrns: string[]; multiValued: Set<string> }): void {
  // "name.givenName" style: treat the first segment as a complex attribute.
  const p = parsePath(op.path, opts.extensionUrns);
  const container = containerFor(doc, p.container, op.op !== 'remove');
  if (!container) return;
  const key = keyOf(container, p.attr) ?? p.attr;
  const multi = opts.multiValued.has(p.attr.toLowerCase()) && p.container.length === 0;
  const current = container[key];

  if (p.filter !== undefined) {
    if (!Array.isArray(current)) {
      if (op.op === 'remove') return;
      if (op.op === 'replace' || op.op === 'add') {
        // RFC 7644 §3.5.2.3: no match for a value-filter replace is noTarget; Entra relies on add creating it.
        const item: Obj = {};
        const eq = /^\s*([A-Za-z]+)\s+eq\s+"([^"]*)"\s*$/i.exec(p.filter);
        if (eq) item[eq[1] as string] = eq[2];
        if (p.sub) item[p.sub] = op.value;
        else if (op.value && typeof op.value === 'object') Object.assign(item, op.value);
        container[key] = [item];
      }
      return;
    }
    const hits = current.filter((it) => matches(p.filter as string, it));
    if (op.op === 'remove') {
      if (p.sub) for (const h of hits) delete (h as Obj)[keyOf(h as Obj, p.sub) ?? p.sub];
      else container[key] = current.filter((it) => !hits.includes(it));
      return;
    }
    if (hits.length === 0) {
      if (op.op === 'replace') throw new PatchError('noTarget', `no value of ${p.attr} matches [${p.filter}]`);
      const item: Obj = {};
      const eq = /^\s*([A-Za-z]+)\s+eq\s+"([^"]*)"\s*$/i.exec(p.filter);
      if (eq) item[eq[1] as string] = eq[2];
      if (p.sub) item[p.sub] = op.value;
      current.push(item);
      return;
    }
    for (const h of hits) {
      if (p.sub) (h as Obj)[keyOf(h as Obj, p.sub) ?? p.sub] = op.value;
      else if (op.value && typeof op.value === 'object') Object.assign(h as Obj, op.value);
    }
    return;
  }

  if (p.sub !== undefined) {
    // Sub-attribute of a complex attribute, e.g. name.givenName.
    if (op.op === 'remove') {
      const c = current as Obj | undefined;
      if (c && typeof c === 'object') delete c[keyOf(c, p.sub) ?? p.sub];
      return;
    }
    if (Array.isArray(current)) {
      for (const it of current) (it as Obj)[keyOf(it as Obj, p.sub) ?? p.sub] = op.value;
      return;
    }
    const c = current && typeof current === 'object' ? (current as Obj) : {};
    c[keyOf(c, p.sub) ?? p.sub] = op.value;
    container[key] = c;
    return;
  }

  if (op.op === 'remove') {
    if (multi && Array.isArray(current) && Array.isArray(op.value)) {
      // Entra: remove listed members by value instead of a value filter.
      const drop = op.value as unknown[];
      container[key] = current.filter((it) => !drop.some((d) => sameValue(d, it)));
      return;
    }
    delete container[key];
    return;
  }
  if (multi) {
    const incoming = Array.isArray(op.value) ? op.value : [op.value];
    if (op.op === 'replace' || !Array.isArray(current)) {
      container[key] = [...incoming];
      return;
    }
    // add: append values not already present (RFC 7644 §3.5.2.1).
    for (const v of incoming) if (!current.some((c) => sameValue(c, v))) current.push(v);
    return;
  }
  if (op.op === 'add' && current && typeof current === 'object' && !Array.isArray(current) && op.value && typeof op.value === 'object') {
    Object.assign(current as Obj, op.value);
    return;
  }
  container[key] = op.value;
}
