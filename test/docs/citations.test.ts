import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Comments, user-facing text and tests cite docs/vendor-facts.md (a row id such as F12) or the
 * vendor's page / RFC, never research notes kept outside the repository: a reader of the code
 * cannot open those. This test scans the repository's own files for citations of such notes
 * (their file names, their "seed 00N" pages, their § section numbers and A1…A8 / G-xxx / E-xxx
 * source keys, their [CONFLICT]-style markers), and checks that every row id cited right after
 * "docs/vendor-facts.md" exists there. This file is the one place allowed to hold the patterns.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SELF = relative(ROOT, fileURLToPath(import.meta.url));
const SCANNED = ['src', 'bench', 'scripts', 'test', 'fixtures', 'README.md', 'ARCHITECTURE.md'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage']);
/** Lines that hold a pattern to check text against, not a citation. */
const PATTERN_HOLDERS: { file: string; line: RegExp; why: string }[] = [
  { file: 'test/cli/words.test.ts', line: /\.not\.toMatch\(/, why: 'asserts that the printed advice cites no seed page or note section' },
];

const NOTE_FILES = ['zscaler-api', 'idp-apis', 'peers', 'insync-zpa-ping', 'fidelity-notes', 'samba-ad'].map((n) => `${n}.md`);
const SOURCE_KEYS = [
  ...[
    'job',
    'status',
    'sched',
    'exec',
    'quar',
    'prog',
    'tmpl',
    'ovw',
    'postjob',
    'secrets',
    'kv',
    'validate',
    'start',
    'pause',
    'restart',
    'delete',
    'reset',
    'pod',
    'logs',
    'auth',
    'throttle',
    'err',
  ].map((k) => `G-${k}`),
  ...['api', 'scim', 'compat', 'how', 'portal', 'skip', 'quar', 'when', 'validator', 'zs', 'zpa', 'apps'].map((k) => `E-${k}`),
  ...['spec', 'scim', 'rl', 'svc', 'tf', 'kb'].map((k) => `O-${k}`),
];

const NOTE_PATTERNS: { why: string; re: RegExp }[] = [
  { why: 'names a note file', re: new RegExp(NOTE_FILES.map((f) => f.replace(/[.-]/g, '\\$&')).join('|'), 'i') },
  { why: 'points into ../shared', re: /(?:\.\.\/|\/work\/)shared\b/ },
  { why: 'cites a seed page', re: /\bseed 00\d\b/i },
  { why: 'uses a note source key', re: new RegExp(`(?<![\\w-])(?:${SOURCE_KEYS.join('|')})(?![\\w-])`) },
  { why: 'uses a note section label (A1…A8)', re: /(?:^|[\s(])A[1-8](?:[–-]A[1-8])?(?=[),:])/ },
  { why: 'uses a note marker', re: /\[(?:CONFLICT|INFERRED|UNCONFIRMED|CONFIRMED|U|I)\]|\[C: / },
];

/** § is fine only as a section of a named standard: "RFC 7644 §3.4.2.2", "RFC 7643 §3.1, §4.1", "RFC 7643 §5–§7". */
const STANDARD_SECTIONS = /\b(?:RFC ?\d+|MS-[A-Z]+) §[\d.]+(?:(?:, | and |–|-)§[\d.]+)*/g;

export function noteCitations(text: string): string[] {
  const found: string[] = [];
  for (const p of NOTE_PATTERNS) if (p.re.test(text)) found.push(p.why);
  if (text.replace(STANDARD_SECTIONS, '').includes('§')) found.push("uses a § section that is not a standard's");
  return found;
}

function* files(path: string): Generator<string> {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isFile()) {
    yield path;
    return;
  }
  for (const entry of readdirSync(path)) {
    if (!SKIPPED_DIRS.has(entry)) yield* files(join(path, entry));
  }
}

function scan(): { where: string; text: string }[] {
  const lines: { where: string; text: string }[] = [];
  for (const top of SCANNED) {
    for (const file of files(join(ROOT, top))) {
      const rel = relative(ROOT, file);
      if (rel === SELF) continue;
      const content = readFileSync(file);
      if (content.includes(0)) continue; // binary
      content
        .toString('utf8')
        .split('\n')
        .forEach((text, i) => {
          if (!PATTERN_HOLDERS.some((h) => h.file === rel && h.line.test(text))) lines.push({ where: `${rel}:${i + 1}`, text });
        });
    }
  }
  return lines;
}

describe('citations', () => {
  it('recognises note citations and leaves standards alone', () => {
    for (const cited of [
      '// zscaler-api.md §10: 5 requests/second',
      ' * (per samba-ad.md §8, pitfall 3)',
      '// Step 2 (seed 000): Sync Now.',
      "describe('throttling (A6)', () => {",
      '/** A4 (G-reset): scopes */',
      '// E-compat: the default job sends the STRING "False"',
      '/** §10: 5 requests/second. */',
      '// orgAuthType (§2 [CONFLICT])',
      '# timings per /work/shared/docs/samba-ad.md',
    ]) {
      expect({ cited, found: noteCitations(cited).length > 0 }).toEqual({ cited, found: true });
    }
    for (const fine of [
      '// SCIM filter (RFC 7644 §3.4.2.2)',
      ' * caseExact (id, externalId — RFC 7643 §3.1, §4.1).',
      '/** Discovery documents (RFC 7643 §5–§7) */',
      '// MS-ADTS §3.1.1.3.4.6',
      '// docs/vendor-facts.md F25: 5 requests/second',
      'const a1 = cell("A1");',
      'userName must have the form user@domain',
    ]) {
      expect({ fine, found: noteCitations(fine) }).toEqual({ fine, found: [] });
    }
  });

  it('no file in src, bench, scripts, test or fixtures cites a note outside the repository', () => {
    const offending = scan()
      .map(({ where, text }) => ({ where, text, why: noteCitations(text) }))
      .filter((l) => l.why.length > 0)
      .map((l) => `${l.where}: ${l.why.join('; ')}: ${l.text.trim()}`);
    // Fix: cite a row of docs/vendor-facts.md (add the row: fact, public source, confidence) or the vendor's page.
    expect(offending).toEqual([]);
  });

  it('every row id cited after "docs/vendor-facts.md" exists there', () => {
    const facts = readFileSync(join(ROOT, 'docs/vendor-facts.md'), 'utf8');
    const rows = new Set([...facts.matchAll(/^\| ([A-Z]\d+) \|/gm)].map((m) => m[1]!));
    const missing: string[] = [];
    for (const { where, text } of scan()) {
      for (const m of text.matchAll(/docs\/vendor-facts\.md,? ((?:[A-Z]\d+(?:[–-][A-Z]\d+)?(?:, | and )?)+)/g)) {
        for (const id of m[1]!.match(/[A-Z]\d+/g) ?? []) if (!rows.has(id)) missing.push(`${where}: ${id}`);
      }
    }
    expect(rows.size).toBeGreaterThan(40);
    expect(missing).toEqual([]);
  });
});
