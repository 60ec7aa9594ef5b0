// Loads the AD tier's connection details: the env file scripts/samba-ad/up.sh writes, named by
// AD_ENV_FILE. Not a test file (jest only runs *.test.ts); shared by the test/ad/*.test.ts files.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const envSchema = z.object({
  AD_DIR: z.string().min(1),
  AD_URL: z.string().regex(/^ldap:\/\//),
  AD_LDAPS_URL: z.string().regex(/^ldaps:\/\//),
  AD_BIND_DN: z.string().min(1),
  AD_BIND_UPN: z.string().includes('@'),
  AD_BIND_NT: z.string().includes('\\'),
  AD_PASSWORD_FILE: z.string().min(1),
  AD_CA_FILE: z.string().min(1),
  AD_BASE_DN: z.string().min(1),
  AD_EXPECTED: z.string().min(1),
});

const sampleSchema = z.object({
  sAMAccountName: z.string(),
  displayName: z.string(),
  userPrincipalName: z.string(),
  mail: z.string().nullable(),
});

const expectedSchema = z.object({
  baseDn: z.string(),
  userFilter: z.string(),
  usersInScope: z.number().int(),
  disabledInScope: z.number().int(),
  enabledInScope: z.number().int(),
  withoutMailInScope: z.number().int(),
  upnDiffersFromMailInScope: z.number().int(),
  outsideUsers: z.number().int(),
  bigGroup: z.object({ dn: z.string(), directMembers: z.number().int() }),
  nested: z.object({ groupDn: z.string(), usersInScope: z.number().int(), usersAnywhere: z.number().int() }),
  metacharGroup: z.object({ dn: z.string(), cn: z.string(), usersInScope: z.number().int() }),
  nonAsciiGroup: z.object({ dn: z.string(), cn: z.string(), usersInScope: z.number().int() }),
  samples: z.object({ nonAscii: sampleSchema, comma: sampleSchema, metachar: sampleSchema, upnDiffersFromMail: sampleSchema }),
});

export type AdEnv = z.infer<typeof envSchema> & { password: string; expected: z.infer<typeof expectedSchema> };

export const SKIP_MESSAGE =
  'AD tier SKIPPED: set AD_ENV_FILE=/tmp/ad/env (run `sudo scripts/samba-ad/up.sh /tmp/ad` first, ' +
  'stop it with scripts/samba-ad/down.sh /tmp/ad). In CI (CI=true) a missing AD_ENV_FILE fails the suite.';

/** Parses `export KEY='value'` lines (the only form up.sh writes). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)='([^']*)'$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

/** The AD env, or the reason it is unavailable. */
export function loadAdEnv(): { env: AdEnv } | { reason: string } {
  const file = process.env.AD_ENV_FILE;
  if (!file) return { reason: 'AD_ENV_FILE is not set' };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { reason: `AD_ENV_FILE=${file} is unreadable (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  const vars = envSchema.parse(parseEnvFile(text));
  const password = readFileSync(vars.AD_PASSWORD_FILE, 'utf8');
  const expected = expectedSchema.parse(JSON.parse(readFileSync(vars.AD_EXPECTED, 'utf8')));
  return { env: { ...vars, password, expected } };
}

export const adTier = loadAdEnv();
/** `describe` when the DC is available, `describe.skip` otherwise (00-tier.test.ts reports why). */
export const describeAd = 'env' in adTier ? describe : describe.skip;
export function adEnv(): AdEnv {
  if (!('env' in adTier)) throw new Error(adTier.reason);
  return adTier.env;
}
