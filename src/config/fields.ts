import { z } from 'zod';
import { clipValue } from '../engine/errors.js';

/**
 * Field types shared by the configuration schema and the IdP modules' own schemas
 * (src/idps/<kind>/config.ts): secret references and API URLs.
 *
 * Secrets never appear inline. Each secret is a reference: `<name>Env` names an
 * environment variable, `<name>File` names a file (read at run time, never copied).
 * `secretRef()` builds that pair and insists on exactly one of the two.
 */

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name (letters, digits, underscore)');

/** `{ <name>Env?: string, <name>File?: string }` with exactly one present, unless optional. */
export function secretRef<N extends string>(name: N, opts: { optional?: boolean } = {}) {
  const shape = {
    [`${name}Env`]: envName.optional(),
    [`${name}File`]: z.string().min(1).optional(),
  } as { [K in `${N}Env`]: z.ZodOptional<typeof envName> } & {
    [K in `${N}File`]: z.ZodOptional<z.ZodString>;
  };
  return { shape, check: secretRefCheck(name, opts.optional ?? false) };
}

function secretRefCheck(name: string, optional: boolean) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const hasEnv = value[`${name}Env`] !== undefined;
    const hasFile = value[`${name}File`] !== undefined;
    if (hasEnv && hasFile) {
      ctx.addIssue({
        code: 'custom',
        path: [`${name}File`],
        message: `give either ${name}Env or ${name}File, not both`,
      });
    }
    if (!optional && !hasEnv && !hasFile) {
      ctx.addIssue({
        code: 'custom',
        path: [`${name}Env`],
        message: `the ${name} is required: set ${name}Env (an environment variable name) or ${name}File (a file path); secrets are never written inline`,
      });
    }
    if (name in value) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `inline secrets are not accepted: replace "${name}" with ${name}Env or ${name}File`,
      });
    }
  };
}

/** 127.0.0.0/8, localhost and [::1]: traffic that never leaves the machine (the sandbox, a local proxy). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * An API URL: https only, because every one of them carries a credential (a password, a client
 * secret, a bearer token) or the answers a migration trusts. http is accepted for a loopback host
 * only (the built-in sandbox). ftp:, file:, javascript: and the like never pass; neither do
 * credentials written into the URL (secrets are references, never inline).
 */
export function webUrl(what: string) {
  return z.string().superRefine((v, ctx) => {
    const problem = webUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: `${what} ${problem}` });
  });
}

export function webUrlProblem(v: string): string | undefined {
  const shown = `"${clipValue(v)}"`;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return `must be an https:// URL, got ${shown}`;
  }
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
    return `must use https:// (http:// is accepted only for a loopback host such as 127.0.0.1 or localhost), got ${shown}`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `must be an https:// URL, got ${shown} (scheme ${clipValue(u.protocol)})`;
  if (!u.hostname) return `must name a host, got ${shown}`;
  if (u.username || u.password) return 'must not contain a user name or password: give the secret by reference (…Env or …File)';
  return undefined;
}

const oneApiSecret = secretRef('clientSecret');

/**
 * A ZIdentity OneAPI client (ZIA's `auth`, ZPA's): its id and secret reference, and where its token comes
 * from: the vanity domain (https://<vanity>.zslogin.net/oauth2/v1/token) or an explicit `tokenUrl`
 * (sandbox, non-production clouds). The caller chooses strict or passthrough, and adds `check`.
 */
export const oneApiAuth = {
  shape: {
    kind: z.literal('oneapi'),
    vanityDomain: z.string().min(1).optional(),
    tokenUrl: webUrl('the token URL').optional(),
    clientId: z.string().min(1),
    ...oneApiSecret.shape,
  },
  check(v: { vanityDomain?: string | undefined; tokenUrl?: string | undefined } & Record<string, unknown>, ctx: z.RefinementCtx) {
    oneApiSecret.check(v, ctx);
    if (!v.vanityDomain && !v.tokenUrl) ctx.addIssue({ code: 'custom', path: ['vanityDomain'], message: 'give vanityDomain (or tokenUrl)' });
  },
};
