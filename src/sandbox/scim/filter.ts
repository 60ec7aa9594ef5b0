/**
 * A small SCIM filter parser and evaluator (RFC 7644 §3.4.2.2), written for the sandbox because
 * the libraries looked at compare attribute values case-sensitively where RFC 7643 says userName
 * is caseExact=false, and do not treat "True"/"False" strings as booleans (Entra sends those).
 * Parsing with scim2-parse-filter 0.2.10 and keeping only this evaluator was tried (2026-11-26)
 * and dropped: it needed four rewrites of the filter text around the library (it doubles
 * backslashes in strings, rejects a negative number before the end of the filter, accepts only
 * lower-case true/false/null, and splits `emails[type eq "work"].value eq "x"` into two terms that
 * different emails can satisfy), which was more code, and more fragile, than this parser.
 *
 * Supported: attrPath op value with eq ne co sw ew gt ge lt le, `pr`, `and`, `or`, `not (…)`,
 * parentheses, and value paths `emails[type eq "work"].value` as `emails.value`-style lookups.
 * Attribute names are case-insensitive (RFC 7643 §2.1). String comparison is case-insensitive
 * except for attributes listed as caseExact (id, externalId — RFC 7643 §3.1, §4.1).
 */
export type FilterNode =
  | { type: 'cmp'; path: string; op: 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le'; value: string | number | boolean | null }
  | { type: 'pr'; path: string }
  | { type: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { type: 'not'; expr: FilterNode };

export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterError';
  }
}

type Token = { t: 'word'; v: string } | { t: 'str'; v: string } | { t: '(' } | { t: ')' };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ t: c });
      i++;
    } else if (c === '"') {
      let v = '';
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) {
          const n = s[i + 1] as string;
          v += n === 'n' ? '\n' : n === 't' ? '\t' : n;
          i += 2;
        } else {
          v += s[i];
          i++;
        }
      }
      if (i >= s.length) throw new FilterError('unterminated string in filter');
      i++;
      out.push({ t: 'str', v });
    } else {
      let v = '';
      // Words may contain brackets with a nested filter (value paths); keep them whole.
      let depth = 0;
      while (i < s.length) {
        const ch = s[i] as string;
        if (ch === '[') depth++;
        if (ch === ']') depth--;
        if (depth === 0 && (/\s/.test(ch) || ch === '(' || ch === ')')) break;
        if (ch === '"' && depth === 0) break;
        v += ch;
        i++;
      }
      out.push({ t: 'word', v });
    }
  }
  return out;
}

const OPS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

export function parseFilter(text: string): FilterNode {
  const toks = tokenize(text);
  let pos = 0;
  const peekWord = () => {
    const t = toks[pos];
    return t && t.t === 'word' ? t.v.toLowerCase() : undefined;
  };
  function parseOr(): FilterNode {
    let left = parseAnd();
    while (peekWord() === 'or') {
      pos++;
      left = { type: 'or', left, right: parseAnd() };
    }
    return left;
  }
  function parseAnd(): FilterNode {
    let left = parseUnary();
    while (peekWord() === 'and') {
      pos++;
      left = { type: 'and', left, right: parseUnary() };
    }
    return left;
  }
  function parseUnary(): FilterNode {
    const t = toks[pos];
    if (!t) throw new FilterError('filter ended early');
    if (t.t === 'word' && t.v.toLowerCase() === 'not') {
      pos++;
      const e = parseUnary();
      return { type: 'not', expr: e };
    }
    if (t.t === '(') {
      pos++;
      const e = parseOr();
      if (toks[pos]?.t !== ')') throw new FilterError('missing ")" in filter');
      pos++;
      return e;
    }
    if (t.t !== 'word') throw new FilterError('expected an attribute name');
    pos++;
    const path = t.v;
    const opTok = toks[pos];
    if (!opTok || opTok.t !== 'word') throw new FilterError(`expected an operator after "${path}"`);
    const op = opTok.v.toLowerCase();
    pos++;
    if (op === 'pr') return { type: 'pr', path };
    if (!OPS.has(op)) throw new FilterError(`unknown operator "${opTok.v}"`);
    const vt = toks[pos];
    if (!vt || vt.t === '(' || vt.t === ')') throw new FilterError(`expected a value after "${path} ${op}"`);
    pos++;
    let value: string | number | boolean | null;
    if (vt.t === 'str') value = vt.v;
    else {
      const w = vt.v.toLowerCase();
      if (w === 'true') value = true;
      else if (w === 'false') value = false;
      else if (w === 'null') value = null;
      else if (/^-?\d+(\.\d+)?$/.test(vt.v)) value = Number(vt.v);
      else throw new FilterError(`value "${vt.v}" must be a quoted string, a number, true, false or null`);
    }
    return { type: 'cmp', path, op: op as 'eq', value };
  }
  const node = parseOr();
  if (pos !== toks.length) throw new FilterError('unexpected text after the filter');
  return node;
}

const CASE_EXACT = new Set(['id', 'externalid']);
const DATE_ATTRS = new Set(['meta.lastmodified', 'meta.created']);

/** Case-insensitive lookup of a dotted path; arrays fan out (multi-valued attributes). */
export function lookup(resource: unknown, path: string): unknown[] {
  // Strip a schema URN prefix: urn:...:User:department → department inside that extension.
  let target: unknown = resource;
  let p = path;
  const urn = /^(urn:[^ ]+):([^:]+)$/i.exec(path);
  if (urn && resource && typeof resource === 'object') {
    const key = Object.keys(resource).find((k) => k.toLowerCase() === (urn[1] as string).toLowerCase());
    target = key === undefined ? undefined : (resource as Record<string, unknown>)[key];
    p = urn[2] as string;
  }
  const vp = /^([^[]+)\[(.+)\](?:\.(.+))?$/.exec(p);
  let values: unknown[] = [target];
  let parts: string[];
  let sub: FilterNode | undefined;
  let after: string[] = [];
  if (vp) {
    parts = (vp[1] as string).split('.');
    sub = parseFilter(vp[2] as string);
    after = vp[3] ? vp[3].split('.') : [];
  } else {
    parts = p.split('.');
  }
  const step = (vals: unknown[], name: string) => {
    const out: unknown[] = [];
    for (const v of vals) {
      if (!v || typeof v !== 'object') continue;
      const key = Object.keys(v).find((k) => k.toLowerCase() === name.toLowerCase());
      if (key === undefined) continue;
      const x = (v as Record<string, unknown>)[key];
      if (Array.isArray(x)) out.push(...x);
      else if (x !== undefined) out.push(x);
    }
    return out;
  };
  for (const part of parts) values = step(values, part);
  if (sub) {
    const f = sub;
    values = values.filter((v) => evaluate(f, v));
    for (const part of after) values = step(values, part);
  }
  return values;
}

function compare(path: string, op: string, actual: unknown, expected: string | number | boolean | null): boolean {
  const lp = path.toLowerCase();
  if (expected === null) return op === 'eq' ? actual === null || actual === undefined : op === 'ne' ? actual !== null && actual !== undefined : false;
  if (typeof expected === 'boolean') {
    let a = actual;
    if (typeof a === 'string' && /^(true|false)$/i.test(a)) a = a.toLowerCase() === 'true';
    return op === 'eq' ? a === expected : op === 'ne' ? a !== expected : false;
  }
  if (DATE_ATTRS.has(lp) && typeof actual === 'string' && typeof expected === 'string') {
    const a = Date.parse(actual);
    const e = Date.parse(expected);
    if (Number.isNaN(e)) throw new FilterError(`"${expected}" is not a date for ${path}`);
    return ordered(op, a, e);
  }
  if (typeof expected === 'number') {
    const a = typeof actual === 'number' ? actual : Number(actual);
    return ordered(op, a, expected);
  }
  if (typeof actual !== 'string' && typeof actual !== 'number' && typeof actual !== 'boolean') return op === 'ne';
  let a = String(actual);
  let e = expected;
  const last = lp.split('.').pop() ?? lp;
  if (!CASE_EXACT.has(last)) {
    a = a.toLowerCase();
    e = e.toLowerCase();
  }
  if (op === 'co') return a.includes(e);
  if (op === 'sw') return a.startsWith(e);
  if (op === 'ew') return a.endsWith(e);
  return ordered(op, a, e);
}

/** eq ne gt ge lt le on two strings (code-unit order) or two numbers; the substring operators are not ordered. */
function ordered<T extends string | number>(op: string, a: T, e: T): boolean {
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
  }
  return false;
}

export function evaluate(node: FilterNode, resource: unknown): boolean {
  switch (node.type) {
    case 'and':
      return evaluate(node.left, resource) && evaluate(node.right, resource);
    case 'or':
      return evaluate(node.left, resource) || evaluate(node.right, resource);
    case 'not':
      return !evaluate(node.expr, resource);
    case 'pr':
      return lookup(resource, node.path).some((v) => v !== null && v !== '' && !(Array.isArray(v) && v.length === 0));
    case 'cmp': {
      const vals = lookup(resource, node.path);
      if (node.op === 'ne') return vals.length === 0 ? node.value !== null : vals.every((v) => compare(node.path, 'ne', v, node.value));
      if (vals.length === 0) return compare(node.path, node.op, undefined, node.value);
      return vals.some((v) => compare(node.path, node.op, v, node.value));
    }
  }
}

/** The `attr eq "value"` conjuncts of a filter that is only ANDs, for index lookups. */
export function equalityTerms(node: FilterNode): Map<string, string> | undefined {
  const out = new Map<string, string>();
  const walk = (n: FilterNode): boolean => {
    if (n.type === 'and') return walk(n.left) && walk(n.right);
    if (n.type === 'cmp' && n.op === 'eq' && typeof n.value === 'string') {
      out.set(n.path.toLowerCase(), n.value);
      return true;
    }
    // An OR or NOT cannot narrow candidates; other comparisons are checked by evaluate().
    return n.type !== 'or' && n.type !== 'not';
  };
  return walk(node) ? out : undefined;
}
