/**
 * The sandbox request log and counters. One instance is shared by every simulated service of
 * a sandbox so a test can prove, for example, that a dry run sent no mutating request.
 * Entries carry no headers and no bodies; query values whose names look secret are redacted.
 */
export interface RequestLogEntry {
  time: string;
  server: string;
  method: string;
  path: string;
  status: number;
}

export interface SandboxStats {
  requests: number;
  mutations: number;
  rateLimited: number;
}

const SECRET_QUERY = /secret|token|password|passwd|apikey|api_key|assertion|code|key/i;

/** Path plus query, with secret-looking query values replaced by "REDACTED". */
export function redactPath(rawUrl: string): string {
  const q = rawUrl.indexOf('?');
  if (q < 0) return rawUrl;
  const path = rawUrl.slice(0, q);
  const params = new URLSearchParams(rawUrl.slice(q + 1));
  const out: string[] = [];
  for (const [k, v] of params) {
    out.push(`${encodeURIComponent(k)}=${SECRET_QUERY.test(k) ? 'REDACTED' : encodeURIComponent(v)}`);
  }
  return out.length ? `${path}?${out.join('&')}` : path;
}

/** Logins and token requests change nothing a migration cares about; the control API is not a service. */
export function isMutation(method: string, path: string): boolean {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD' || m === 'OPTIONS') return false;
  const p = path.split('?')[0] ?? path;
  if (p.startsWith('/_sandbox')) return false;
  if (/\/authenticatedSession$/.test(p)) return false;
  if (p === '/token') return false; // the Druva inSync token request
  if (/^(?:\/zpa)?\/signin$/.test(p)) return false; // the ZPA legacy token request
  if (/\/oauth2\/.*token$/.test(p) || /\/oauth2\/token$/.test(p)) return false;
  if (/\/as\/token\.oauth2$/.test(p)) return false; // PingFederate's token endpoint (docs/vendor-facts.md P2)
  return true;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private counters: SandboxStats = { requests: 0, mutations: 0, rateLimited: 0 };
  /** Bounded so a 100k-user bench does not grow memory without limit; counters stay exact. */
  constructor(private readonly maxEntries = 200_000) {}

  record(entry: { server: string; method: string; path: string; status: number }): void {
    if (entry.path.startsWith('/_sandbox')) return;
    const path = redactPath(entry.path);
    this.counters.requests++;
    if (isMutation(entry.method, path)) this.counters.mutations++;
    if (entry.status === 429) this.counters.rateLimited++;
    if (this.entries.length >= this.maxEntries) this.entries.splice(0, this.entries.length - this.maxEntries + 1);
    this.entries.push({ time: new Date().toISOString(), server: entry.server, method: entry.method.toUpperCase(), path, status: entry.status });
  }

  list(): RequestLogEntry[] {
    return this.entries.slice();
  }

  stats(): SandboxStats {
    return { ...this.counters };
  }

  reset(): void {
    this.entries = [];
    this.counters = { requests: 0, mutations: 0, rateLimited: 0 };
  }
}
