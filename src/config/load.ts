import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import YAML, { LineCounter } from 'yaml';
import type { z } from 'zod';
import { anyConfigSchema, isScimConfig, type AnyConfig, type Config } from './schema.js';
import { UserError } from '../engine/errors.js';
import { OWN_CONFIG_PRODUCTS, productOf } from '../products/index.js';

type Path = readonly PropertyKey[];

/** What the schema expects at a path: the object keys it knows there, if it is an object. */
export function knownKeysAt(schema: z.ZodType, path: Path, raw: unknown): string[] | undefined {
  let node: z.core.$ZodType | undefined = schema;
  let value: unknown = raw;
  for (let i = 0; ;) {
    if (!node) return undefined;
    const def = node._zod.def as unknown as { type: string; [k: string]: unknown };
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'nonoptional':
      case 'readonly':
      case 'catch':
        node = def.innerType as z.core.$ZodType;
        continue;
      case 'pipe': {
        // A preprocess (transform → schema), such as idp's default kind: read the value as the schema will.
        const first = def.in as z.core.$ZodType;
        const tdef = first._zod.def as unknown as { type: string; transform?: (v: unknown, ctx: unknown) => unknown };
        if (tdef.type === 'transform' && tdef.transform) {
          try {
            value = tdef.transform(value, { issues: [], addIssue: () => undefined });
          } catch {
            // keep the value as written
          }
          node = def.out as z.core.$ZodType;
        } else node = first;
        continue;
      }
      case 'lazy':
        node = (def.getter as () => z.core.$ZodType)();
        continue;
      case 'union': {
        const options = def.options as z.core.$ZodType[];
        const disc = def.discriminator as string | undefined;
        const tag = disc && value && typeof value === 'object' ? (value as Record<string, unknown>)[disc] : undefined;
        // The option the value's discriminator names, else every option's keys together.
        const matching = options.filter((o) => {
          const shape = (o._zod.def as unknown as { shape?: Record<string, z.core.$ZodType> }).shape;
          // The discriminator's values, through a default or optional wrapper (product: zia | zpa, default zia).
          let d =
            shape && disc
              ? (shape[disc]?._zod.def as unknown as { values?: unknown[]; entries?: Record<string, unknown>; innerType?: z.core.$ZodType } | undefined)
              : undefined;
          while (d && !d.values && !d.entries && d.innerType) d = d.innerType._zod.def as unknown as typeof d;
          const lit = d?.values ?? (d?.entries ? Object.values(d.entries) : undefined);
          return tag !== undefined && lit?.includes(tag);
        });
        if (matching.length === 1) {
          node = matching[0];
          continue;
        }
        const all = options.map((o) => knownKeysAt(o as z.ZodType, path.slice(i), value)).filter((k): k is string[] => !!k);
        return all.length ? [...new Set(all.flat())] : undefined;
      }
      case 'object': {
        const shape = def.shape as Record<string, z.core.$ZodType>;
        if (i === path.length) return Object.keys(shape);
        const key = String(path[i]);
        node = shape[key];
        value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
        i++;
        continue;
      }
      case 'array': {
        if (i === path.length) return undefined;
        node = def.element as z.core.$ZodType;
        value = Array.isArray(value) ? value[Number(path[i])] : undefined;
        i++;
        continue;
      }
      default:
        return undefined;
    }
  }
}

/** Edit distance (insert, delete, substitute, swap two neighbours), ignoring case. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[x.length]![y.length]!;
}

/** The candidate a typo most likely meant: close in spelling (a third of its letters at most). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > 64) return undefined; // not a typo of a key name (and not worth the work)
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const score = distance(word, c);
    if (score < bestScore) [best, bestScore] = [c, score];
  }
  return best !== undefined && bestScore <= Math.max(1, Math.floor(Math.max(word.length, best.length) / 3)) ? best : undefined;
}

/** Where things are in the file: the line of a key, found through the parsed document's ranges. */
interface Located {
  doc: YAML.Document;
  lines: LineCounter;
  raw: unknown;
}

function lineOfKey(at: Located | undefined, path: Path): number | undefined {
  if (!at || path.length === 0) return undefined;
  const parent = path.length === 1 ? at.doc.contents : at.doc.getIn(path.slice(0, -1), true);
  if (!YAML.isMap(parent)) {
    if (YAML.isSeq(parent)) {
      const item = parent.items[Number(path[path.length - 1])] as YAML.Node | undefined;
      return item?.range ? at.lines.linePos(item.range[0]).line : undefined;
    }
    return undefined;
  }
  const key = String(path[path.length - 1]);
  const pair = parent.items.find((p) => (YAML.isScalar(p.key) ? String(p.key.value) : String(p.key)) === key);
  const node = (pair?.key ?? undefined) as YAML.Node | undefined;
  return node?.range ? at.lines.linePos(node.range[0]).line : undefined;
}

function valueAt(raw: unknown, path: Path): unknown {
  let v = raw;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

const article = (what: string) => `${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what}`;
const dotted = (path: Path) => (path.length ? path.map(String).join('.') : '(top level)');
const lineNote = (line: number | undefined) => (line === undefined ? '' : ` (line ${line})`);

/**
 * Formats zod issues as `file: field.path: message (line N)` lines an administrator can act on: a
 * key the schema does not know says which known key it probably meant ("did you mean …"), a
 * missing one says "required", and each names the line of the offending key when the text was
 * parsed here. Sorted by line, the order they are met in the file.
 */
export function describeIssues(source: string, issues: readonly z.core.$ZodIssue[], at?: Located, schema: z.ZodType = anyConfigSchema): string {
  const lines: { line: number | undefined; text: string }[] = [];
  const isMissing = (issue: z.core.$ZodIssue): boolean => {
    const last = issue.path[issue.path.length - 1];
    const parent = at ? valueAt(at.raw, issue.path.slice(0, -1)) : undefined;
    return (
      issue.code === 'invalid_type' &&
      last !== undefined &&
      parent !== null &&
      typeof parent === 'object' &&
      !Array.isArray(parent) &&
      !(String(last) in parent)
    );
  };
  const missingPaths = new Set(issues.filter(isMissing).map((i) => dotted(i.path)));
  // A missing key whose misspelling is reported as an unknown key is said once, on that line.
  const explained = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys' || !at) continue;
    const known = knownKeysAt(schema, issue.path, at.raw) ?? [];
    const present = Object.keys((valueAt(at.raw, issue.path) as object | undefined) ?? {});
    for (const key of issue.keys) {
      const guess = closest(
        key,
        known.filter((k) => !present.includes(k)),
      );
      if (guess && missingPaths.has(dotted([...issue.path, guess]))) explained.add(dotted([...issue.path, guess]));
    }
  }
  for (const issue of issues) {
    const path = issue.path;
    if (issue.code === 'unrecognized_keys') {
      const known = (at && knownKeysAt(schema, path, at.raw)) ?? [];
      const present = Object.keys((valueAt(at?.raw, path) as object | undefined) ?? {});
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const guess = closest(
          key,
          known.filter((k) => !present.includes(k)),
        );
        const advice = guess
          ? `; did you mean "${guess}"?${explained.has(dotted([...path, guess])) ? ' (it is required)' : ''}`
          : known.length
            ? `; known here: ${known.join(', ')}`
            : '';
        const line = lineOfKey(at, keyPath);
        lines.push({ line, text: `  ${source}: ${dotted(keyPath)}: unknown key${lineNote(line)}${advice}` });
      }
      continue;
    }
    const parent = at ? (valueAt(at.raw, path.slice(0, -1)) as Record<string, unknown>) : undefined;
    if (at && parent && isMissing(issue)) {
      if (explained.has(dotted(path))) continue;
      const known = knownKeysAt(schema, path.slice(0, -1), at.raw) ?? [];
      const strays = Object.keys(parent).filter((k) => !known.includes(k));
      const typo = closest(String(path[path.length - 1]), strays);
      const parentLine = lineOfKey(at, path.slice(0, -1));
      const typoLine = typo === undefined ? undefined : lineOfKey(at, [...path.slice(0, -1), typo]);
      const where = path.length > 1 ? ` from "${dotted(path.slice(0, -1))}"${lineNote(parentLine)}` : '';
      const hint = typo === undefined ? '' : `; "${typo}"${lineNote(typoLine)} looks like a misspelling of it`;
      lines.push({
        line: typoLine ?? parentLine,
        text: `  ${source}: ${dotted(path)}: required (${article((issue as z.core.$ZodIssueInvalidType).expected)}), missing${where}${hint}`,
      });
      continue;
    }
    const line = lineOfKey(at, path);
    lines.push({ line, text: `  ${source}: ${dotted(path)}: ${issue.message}${lineNote(line)}` });
  }
  return lines
    .map((l, i) => ({ ...l, i }))
    .sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || a.i - b.i)
    .map((l) => l.text)
    .join('\n');
}

/** Parses a configuration of the directory migration (ZIA, ZPA): `migrate verify`, `migrate init`. */
export function parseConfig(text: string, source: string): Config {
  const any = parseAnyConfig(text, source);
  if (!isScimConfig(any)) {
    const m = productOf(any.product);
    throw new UserError(`${source} configures product ${any.product} (${m.label}), which this command does not handle`, {
      hint: `Use ${m.commands.map((c) => `\`migrate ${c}\``).join(', ')} or \`migrate status\` with it.`,
    });
  }
  return any;
}

/** Parses configuration text of any registered product: `product:` picks the section and keys (src/products/index.ts). */
export function parseAnyConfig(text: string, source: string): AnyConfig {
  let raw: unknown;
  const lines = new LineCounter();
  let doc: YAML.Document;
  try {
    doc = YAML.parseDocument(text, { prettyErrors: true, lineCounter: lines });
    if (doc.errors.length > 0) {
      throw new Error(doc.errors.map((e) => e.message).join('; '));
    }
    raw = doc.toJS();
  } catch (err) {
    const kind = extname(source) === '.json' ? 'JSON' : 'YAML';
    throw new UserError(`${source} is not valid ${kind}: ${(err as Error).message}`, {
      hint: 'Fix the syntax, or run `migrate init` to write a fresh commented file.',
    });
  }
  const parsed = anyConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const product = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).product : undefined;
    const own = OWN_CONFIG_PRODUCTS.find((m) => m.kind === product);
    throw new UserError(
      `${source} is not a valid migrate configuration:\n${describeIssues(source, parsed.error.issues, { doc, lines, raw }, anyConfigSchema)}`,
      {
        hint: own ? `See the ${own.label} section of README.md.` : 'See the configuration reference in README.md, or run `migrate init`.',
      },
    );
  }
  return parsed.data as AnyConfig;
}

export async function loadConfig(path: string): Promise<Config> {
  return parseConfig(await readConfigText(path), path);
}

export async function loadAnyConfig(path: string): Promise<AnyConfig> {
  return parseAnyConfig(await readConfigText(path), path);
}

async function readConfigText(path: string): Promise<string> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read configuration ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, {
      hint: 'Pass --config <file>, or run `migrate init` to create one (or `migrate sandbox` for a rehearsal config).',
    });
  }
  return text;
}
