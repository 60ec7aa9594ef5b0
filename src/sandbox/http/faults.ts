import { createPrng } from '../world/seed.js';

/**
 * Fault injection for the simulated services.
 *
 * Grammar (comma-separated rules; whitespace ignored):
 *
 *   rule   := server ":" method ":" prefix ":" kind [ ":" rate ]
 *   server := "zia" | "scim" | "graph" | "login" | "zpa" | "zpa-scim" | "insync" | "okta" | "pingfederate" | "*"   (SANDBOX_SERVERS; the same names the request
 *             log uses, so a rule names exactly what GET /_sandbox/requests shows)
 *   method := an HTTP method (GET, POST, …) or "*"
 *   prefix := a path prefix ("/users", "/Users", …) or "*"; matched against the path with the
 *             service's API prefix removed (/api/v1, /zia/api/v1, /<org>/<idp>/scim, /v1.0, and
 *             /<tenant> before /oauth2 on login) and against the raw path
 *   kind   := "429"               answer 429 with the service's rate-limit body and Retry-After: 1
 *           | "5xx" | "500".."599" answer that status (5xx = 503) with the service's error body
 *           | "reset"             destroy the socket without answering
 *           | "timeout" ["=" ms]  hold the request without answering for ms (default 120000), then reset
 *           | "truncate"          send the headers and half of the real body, then destroy the socket
 *           | "latency=" ms       delay the real answer by ms
 *   rate   := probability in [0,1] that a matching request is hit (default 1)
 *
 * Example: `zia:GET:/users:429:0.2,scim:*:*:500:0.1,graph:*:*:latency=200`
 * Draws come from a PRNG seeded by the sandbox seed, so a run with the same requests in the
 * same order sees the same faults.
 */
/**
 * The simulated HTTP systems, by the one name each goes by in the fault grammar and the request
 * log. Entra ID is two systems on one listener: `login` (the token endpoint) and `graph` (/v1.0),
 * matching the `System` names the product's HTTP clients use for them.
 */
export const SANDBOX_SERVERS = ['zia', 'scim', 'graph', 'login', 'zpa', 'zpa-scim', 'insync', 'okta', 'pingfederate'] as const;
export type SandboxServer = (typeof SANDBOX_SERVERS)[number];

export type FaultKind =
  { kind: 'status'; status: number } | { kind: 'reset' } | { kind: 'timeout'; ms: number } | { kind: 'truncate' } | { kind: 'latency'; ms: number };

export interface FaultRule {
  server: string;
  method: string;
  prefix: string;
  fault: FaultKind;
  rate: number;
}

export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

function parseKind(text: string, rule: string): FaultKind {
  const k = text.trim().toLowerCase();
  if (k === '429') return { kind: 'status', status: 429 };
  if (k === '5xx') return { kind: 'status', status: 503 };
  if (/^5\d\d$/.test(k)) return { kind: 'status', status: Number(k) };
  if (k === 'reset') return { kind: 'reset' };
  if (k === 'truncate') return { kind: 'truncate' };
  const m = /^(timeout|latency)(?:=(\d+))?$/.exec(k);
  if (m) {
    if (m[1] === 'latency') {
      if (m[2] === undefined) throw new FaultSpecError(`fault rule "${rule}": latency needs a value in ms, e.g. latency=200`);
      return { kind: 'latency', ms: Number(m[2]) };
    }
    return { kind: 'timeout', ms: m[2] === undefined ? 120_000 : Number(m[2]) };
  }
  throw new FaultSpecError(`fault rule "${rule}": unknown kind "${text}" (use 429, 5xx, 500-599, reset, timeout[=ms], truncate, latency=ms)`);
}

export function parseFaultSpec(spec: string | undefined): FaultRule[] {
  if (!spec || !spec.trim()) return [];
  return spec
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r.length > 0)
    .map((rule) => {
      const parts = rule.split(':');
      if (parts.length < 4 || parts.length > 5) {
        throw new FaultSpecError(`fault rule "${rule}": expected server:method:prefix:kind[:rate], e.g. zia:GET:/users:429:0.2`);
      }
      const [server, method, prefix, kind, rateText] = parts as [string, string, string, string, string | undefined];
      const name = server.trim().toLowerCase();
      if (name !== '*' && !(SANDBOX_SERVERS as readonly string[]).includes(name)) {
        // Entra is two servers; the old log names (entra-login, entra-graph) are a likely guess.
        const hint = name.startsWith('entra') ? '; Entra ID is two servers: login (token endpoint) and graph (/v1.0)' : '';
        throw new FaultSpecError(`fault rule "${rule}": unknown server "${server.trim()}" (use ${[...SANDBOX_SERVERS, '*'].join(', ')}${hint})`);
      }
      const rate = rateText === undefined ? 1 : Number(rateText);
      if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
        throw new FaultSpecError(`fault rule "${rule}": rate must be a number between 0 and 1, got "${rateText}"`);
      }
      return {
        server: name,
        method: method.trim().toUpperCase(),
        prefix: prefix.trim(),
        fault: parseKind(kind, rule),
        rate,
      };
    });
}

export class FaultInjector {
  private readonly rand: () => number;
  constructor(
    public rules: FaultRule[],
    seed = 1,
  ) {
    this.rand = createPrng(seed ^ 0x5eed);
  }

  /** Replaces the rules (tests turn a fault on for one phase of a run, then off). */
  set(rules: FaultRule[]): void {
    this.rules = rules;
  }

  /** The first matching rule whose draw hits, or undefined. */
  pick(server: SandboxServer, method: string, paths: string[]): FaultKind | undefined {
    for (const r of this.rules) {
      if (r.server !== '*' && r.server !== server) continue;
      if (r.method !== '*' && r.method !== method.toUpperCase()) continue;
      if (r.prefix !== '*' && !paths.some((p) => p.startsWith(r.prefix))) continue;
      if (r.rate >= 1 || this.rand() < r.rate) return r.fault;
    }
    return undefined;
  }
}
