/**
 * Entra's attribute-mapping expression language (learn.microsoft.com, "Reference for writing expressions
 * for attribute mappings in Microsoft Entra ID"; docs/vendor-facts.md, "Adoption forecast"): a parser
 * (recursive descent, no eval) and an evaluator for the functions whose documented semantics this tool
 * relies on. Anything else evaluates to "cannot forecast: <what>", never to a guess.
 *
 * Grammar: expr := attribute | string | Name '(' [arg {',' arg}] ')'; arg := expr | (empty)
 *          attribute := '[' name ']'; string := '"' … '"' with \" and \\ escapes.
 */

export type Expr = { kind: 'attribute'; name: string } | { kind: 'string'; value: string } | { kind: 'call'; name: string; args: Array<Expr | null> };

export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
    this.name = 'ExpressionSyntaxError';
  }
}

type Token = { t: 'attr' | 'str' | 'name'; v: string; at: number } | { t: '(' | ')' | ','; at: number };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c, at: i });
      i++;
    } else if (c === '[') {
      const end = text.indexOf(']', i + 1);
      if (end < 0) throw new ExpressionSyntaxError(`unterminated attribute "[" at ${i}`, i);
      const name = text.slice(i + 1, end).trim();
      if (name === '') throw new ExpressionSyntaxError(`empty attribute name at ${i}`, i);
      out.push({ t: 'attr', v: name, at: i });
      i = end + 1;
    } else if (c === '"') {
      let v = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new ExpressionSyntaxError(`unterminated string at ${i}`, i);
        const d = text[j] as string;
        if (d === '\\' && j + 1 < text.length) {
          v += text[j + 1];
          j += 2;
        } else if (d === '"') {
          break;
        } else {
          v += d;
          j++;
        }
      }
      out.push({ t: 'str', v, at: i });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < text.length && /[A-Za-z0-9_]/.test(text[j] as string)) j++;
      out.push({ t: 'name', v: text.slice(i, j), at: i });
      i = j;
    } else {
      throw new ExpressionSyntaxError(`unexpected "${c}" at ${i}`, i);
    }
  }
  return out;
}

/** Parses a whole expression; an ExpressionSyntaxError says what and where otherwise. */
export function parseExpression(text: string): Expr {
  const toks = tokenize(text);
  let pos = 0;
  const expr = (): Expr => {
    const t = toks[pos];
    if (!t) throw new ExpressionSyntaxError('the expression ended early', text.length);
    pos++;
    if (t.t === 'attr') return { kind: 'attribute', name: t.v };
    if (t.t === 'str') return { kind: 'string', value: t.v };
    if (t.t !== 'name') throw new ExpressionSyntaxError(`unexpected "${t.t}" at ${t.at}`, t.at);
    if (toks[pos]?.t !== '(') throw new ExpressionSyntaxError(`"${t.v}" at ${t.at} is not followed by "("`, t.at);
    pos++;
    const args: Array<Expr | null> = [];
    if (toks[pos]?.t === ')') {
      pos++;
      return { kind: 'call', name: t.v, args };
    }
    for (;;) {
      const next = toks[pos];
      args.push(next && (next.t === ',' || next.t === ')') ? null : expr());
      const sep = toks[pos];
      if (!sep) throw new ExpressionSyntaxError(`missing ")" for ${t.v} at ${t.at}`, text.length);
      pos++;
      if (sep.t === ')') return { kind: 'call', name: t.v, args };
      if (sep.t !== ',') throw new ExpressionSyntaxError(`expected "," or ")" at ${sep.at}`, sep.at);
    }
  };
  const e = expr();
  if (pos !== toks.length) throw new ExpressionSyntaxError(`unexpected text after the expression at ${toks[pos]!.at}`, toks[pos]!.at);
  return e;
}

/** An attribute's value for one user: a string, several (multi-valued), null when empty; undefined when the tool did not read it. */
export type AttributeValue = string | string[] | null | undefined;

/** What the evaluator can learn of one user: its source attributes, and its app-role assignments (role values). */
export interface EvaluationSource {
  attribute(name: string): AttributeValue;
  /** The values (or display names) of the app roles the user is assigned to this app directly. */
  appRoles: string[];
}

export type Evaluation = { value: string | null } | { cannot: string };

type Value = string | string[] | null;
class Cannot extends Error {}

const FUNCTIONS: Record<string, (args: Array<Expr | null>, src: EvaluationSource) => Value> = {
  // Append(source, suffix): the source string with the suffix at its end.
  Append(args, src) {
    arity('Append', args, 2, 2);
    const source = single('Append', evalArg(args[0], src));
    const suffix = single('Append', evalArg(args[1], src));
    if (source === null) throw new Cannot('Append of an empty source (what Entra sends is not documented)');
    return source + (suffix ?? '');
  },
  // Join(separator, source1, source2, …): every value (each value of a multi-valued source) separated by the separator.
  Join(args, src) {
    arity('Join', args, 2, Infinity);
    const sep = single('Join', evalArg(args[0], src)) ?? '';
    const parts: string[] = [];
    for (const a of args.slice(1)) {
      const v = evalArg(a, src);
      if (v === null) throw new Cannot('Join over an empty source (whether Entra skips it is not documented)');
      parts.push(...(Array.isArray(v) ? v : [v]));
    }
    return parts.join(sep);
  },
  // ToLower(source, culture): lower case; without a culture, the invariant culture.
  ToLower(args, src) {
    arity('ToLower', args, 1, 2);
    const source = single('ToLower', evalArg(args[0], src));
    const culture = args[1] ? single('ToLower', evalArg(args[1], src)) : null;
    if (source === null) return null;
    if (culture === null || culture === '') return source.toLowerCase();
    try {
      return source.toLocaleLowerCase(culture);
    } catch {
      throw new Cannot(`ToLower with culture "${culture}"`);
    }
  },
  // Replace(source, oldValue, regexPattern, regexGroupName, replacementValue, replacementAttributeName, template).
  Replace(args, src) {
    arity('Replace', args, 7, 7);
    const [sourceArg, oldArg, patternArg, groupArg, replacementArg, replacementAttrArg, templateArg] = args;
    const source = single('Replace', evalArg(sourceArg ?? null, src));
    const oldValue = single('Replace', evalArg(oldArg ?? null, src));
    const pattern = single('Replace', evalArg(patternArg ?? null, src));
    const group = single('Replace', evalArg(groupArg ?? null, src));
    const replacement = single('Replace', evalArg(replacementArg ?? null, src));
    const replacementAttr = replacementAttrArg ?? null;
    const template = single('Replace', evalArg(templateArg ?? null, src));
    if (replacementAttr !== null || group !== null) throw new Cannot('Replace with regexGroupName or replacementAttributeName');
    // "If source has no value, source is returned."
    if (source === null) return null;
    if (oldValue !== null && pattern === null && template !== null && replacement === null) return template.split(oldValue).join(source);
    if (oldValue !== null && pattern === null && template === null) return source.split(oldValue).join(replacement ?? '');
    if (pattern !== null && oldValue === null && template === null && replacement !== null) {
      let re: RegExp;
      try {
        re = new RegExp(pattern, 'g');
      } catch {
        throw new Cannot(`Replace with regexPattern "${pattern}" (not a pattern this tool can run)`);
      }
      return source.replace(re, replacement);
    }
    throw new Cannot('Replace with this combination of parameters');
  },
  // SingleAppRoleAssignment([appRoleAssignments]): the one app role assigned to the user.
  SingleAppRoleAssignment(args, src) {
    arity('SingleAppRoleAssignment', args, 1, 1);
    const a = args[0];
    if (!a || a.kind !== 'attribute' || a.name !== 'appRoleAssignments') throw new Cannot('SingleAppRoleAssignment of anything but [appRoleAssignments]');
    if (src.appRoles.length === 0) return null;
    if (src.appRoles.length > 1) throw new Cannot('SingleAppRoleAssignment of a user with several app roles (which one Entra returns is not documented)');
    return src.appRoles[0] as string;
  },
};

function arity(name: string, args: Array<Expr | null>, min: number, max: number): void {
  if (args.length < min || args.length > max) {
    throw new Cannot(`${name} with ${args.length} argument(s) (expected ${min === max ? min : `${min} to ${max === Infinity ? 'more' : max}`})`);
  }
}

function single(fn: string, v: Value): string | null {
  if (Array.isArray(v)) {
    if (v.length > 1) throw new Cannot(`${fn} of a multi-valued attribute`);
    return v[0] ?? null;
  }
  return v;
}

function evalArg(e: Expr | null | undefined, src: EvaluationSource): Value {
  if (e === null || e === undefined) return null;
  switch (e.kind) {
    case 'string':
      return e.value;
    case 'attribute': {
      const v = src.attribute(e.name);
      if (v === undefined) throw new Cannot(`attribute [${e.name}] (not read by this tool)`);
      return v === '' ? null : v;
    }
    case 'call': {
      const fn = FUNCTIONS[e.name];
      if (!fn) throw new Cannot(e.name);
      return fn(e.args, src);
    }
  }
}

/** The value an expression gives for one user, or why it cannot be forecast. */
export function evaluate(e: Expr, src: EvaluationSource): Evaluation {
  try {
    const v = single('the mapping', evalArg(e, src));
    return { value: v };
  } catch (err) {
    if (err instanceof Cannot) return { cannot: err.message };
    throw err;
  }
}

/** The functions an expression calls that this evaluator does not know (for a sentence before any user is read). */
export function unsupportedFunctions(e: Expr): string[] {
  if (e.kind !== 'call') return [];
  const own = FUNCTIONS[e.name] ? [] : [e.name];
  return [...new Set([...own, ...e.args.flatMap((a) => (a ? unsupportedFunctions(a) : []))])];
}
