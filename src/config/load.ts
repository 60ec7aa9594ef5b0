import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config } from './schema.js';
import { UserError } from '../engine/errors.js';

/** Formats zod issues as `file: field.path: message` lines an administrator can act on. */
export function describeIssues(source: string, issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
      return `  ${source}: ${where}: ${issue.message}`;
    })
    .join('\n');
}

/** Parses configuration text (YAML is a superset of JSON, so one parser reads both). */
export function parseConfig(text: string, source: string): Config {
  let raw: unknown;
  try {
    const doc = YAML.parseDocument(text, { prettyErrors: true });
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
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(`${source} is not a valid migrate configuration:\n${describeIssues(source, parsed.error.issues)}`, {
      hint: 'See the configuration reference in README.md, or run `migrate init`.',
    });
  }
  return parsed.data;
}

export async function loadConfig(path: string): Promise<Config> {
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
  return parseConfig(text, path);
}
