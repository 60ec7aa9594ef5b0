import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { UserError } from '../../engine/errors.js';

export interface DirectoryClientOptions {
  /** ldaps://host[:636] or ldap://host[:389]. */
  url: string;
  /** A DN, a UPN (user@domain) or DOMAIN\user: AD accepts all three for a simple bind. */
  bindDn: string;
  password: string;
  /** PEM with the CA that signed the DC's certificate; without it Node's CA store is used. */
  caFile?: string;
  /** Upgrade ldap:// with StartTLS (default true). Ignored for ldaps://. */
  startTls?: boolean;
  /** Permit plain ldap:// without TLS when startTls is false (lab only). Never disables certificate checks. */
  insecure?: boolean;
  /** Server-side time limit per search request, seconds; 0 = none (default 300). */
  timeLimitSeconds?: number;
  /** Paged-results page size, 1..1000 (AD's MaxPageSize is 1000; default DEFAULT_PAGE_SIZE, 250). */
  pageSize?: number;
  /** TCP/TLS connect timeout (default 10 000 ms). */
  connectTimeoutMs?: number;
}

/** How to connect, derived from validated options. */
export interface ConnectionPlan {
  url: string;
  host: string;
  port: number;
  transport: 'ldaps' | 'starttls' | 'plain';
  bindDn: string;
  caFile: string | undefined;
  /** CA PEM contents (read once, at creation). */
  ca: Buffer | undefined;
  timeLimitSeconds: number;
  pageSize: number;
  connectTimeoutMs: number;
}

const schema = z
  .object({
    url: z.string().regex(/^ldaps?:\/\/[^/\s]+\/?$/i, 'must be ldaps://host[:port] or ldap://host[:port] (no path)'),
    bindDn: z.string().min(1, 'is empty'),
    // An empty password would make the bind an "unauthenticated bind" that AD answers with success
    // (RFC 4513 §5.1.2) and every search then runs anonymously: refuse it.
    password: z.string().min(1, 'is empty (an empty password is an anonymous bind)'),
    caFile: z.string().min(1).optional(),
    startTls: z.boolean().optional(),
    insecure: z.boolean().optional(),
    timeLimitSeconds: z.number().int().min(0).max(86_400).optional(),
    pageSize: z.number().int().min(1).max(1000, 'must be at most 1000 (AD MaxPageSize)').optional(),
    connectTimeoutMs: z.number().int().min(1).max(600_000).optional(),
  })
  .strict();

/** Validates options and decides the transport. Never puts the password in a message. */
/**
 * Users per LDAP page by default. ldapts materialises a whole page (a Buffer, a string and an
 * Attribute object per value, about 4 KB per user) before returning any of it, so a 1000-user page
 * lives long enough to be promoted to V8's old space, and a 100k-user read promoted ~400 MB of
 * such garbage; at 250 most of it dies young (~100 MB), and `migrate verify`'s peak RSS drops
 * (issue 6). The cost is 4x the round trips: 400 for 100k users, well inside the time the
 * rate-limited SCIM read of the same users needs (5 pages of 1,000 per second).
 */
export const DEFAULT_PAGE_SIZE = 250;

export function planConnection(options: DirectoryClientOptions): ConnectionPlan {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'} ${i.message}`).join('; ');
    throw new UserError(`invalid directory client options: ${problems}`);
  }
  const o = parsed.data;
  const u = new URL(o.url);
  const secure = u.protocol.toLowerCase() === 'ldaps:';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port ? Number(u.port) : secure ? 636 : 389;
  let transport: ConnectionPlan['transport'];
  if (secure) transport = 'ldaps';
  else if (o.startTls ?? true) transport = 'starttls';
  else if (o.insecure === true) transport = 'plain';
  else {
    throw new UserError(`refusing plain LDAP to ${o.url}: the bind password would cross the network unencrypted`, {
      hint: 'use ldaps://host:636, or keep startTls: true on ldap:// (the default), or set insecure: true for a lab directory',
    });
  }
  let ca: Buffer | undefined;
  if (o.caFile !== undefined) {
    try {
      ca = readFileSync(o.caFile);
    } catch (err) {
      throw new UserError(`cannot read caFile ${o.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        hint: 'caFile must be a readable PEM file with the CA that signed the domain controller certificate',
      });
    }
    if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) {
      throw new UserError(`caFile ${o.caFile} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----")`, {
        hint: 'export the CA certificate in Base-64 (PEM) form',
      });
    }
  }
  return {
    url: o.url,
    host,
    port,
    transport,
    bindDn: o.bindDn,
    caFile: o.caFile,
    ca,
    timeLimitSeconds: o.timeLimitSeconds ?? 300,
    pageSize: o.pageSize ?? DEFAULT_PAGE_SIZE,
    connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
  };
}

/** TLS options for tls.connect (ldaps) or startTLS: verification always on; SNI only for names. */
export function tlsOptionsFor(plan: ConnectionPlan): import('node:tls').ConnectionOptions {
  const opts: import('node:tls').ConnectionOptions = { host: plan.host, rejectUnauthorized: true };
  if (plan.ca !== undefined) opts.ca = [plan.ca];
  if (isIP(plan.host) === 0) opts.servername = plan.host;
  return opts;
}
