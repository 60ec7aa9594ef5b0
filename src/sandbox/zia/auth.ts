import { randomBytes } from 'node:crypto';

/**
 * ZIA API authentication as the sandbox checks it.
 * Legacy (docs/vendor-facts.md F2–F4): POST /authenticatedSession with the API key obfuscated from the
 * request's own timestamp; the session is a JSESSIONID cookie with an idle timeout (default 5 min).
 * OneAPI (F8): client-credentials token from /oauth2/v1/token, audience https://api.zscaler.com.
 */

/** docs/vendor-facts.md F2, identical in the Go and Python SDKs. */
export function obfuscateApiKey(apiKey: string, timestamp: string): string {
  const high = timestamp.slice(-6);
  const low = String(parseInt(high, 10) >> 1).padStart(6, '0');
  let key = '';
  for (const d of high) key += apiKey[Number(d)] ?? '';
  for (const d of low) key += apiKey[Number(d) + 2] ?? '';
  return key;
}

export interface Session {
  username: string;
  lastUsed: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  constructor(
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(username: string): string {
    const id = randomBytes(16).toString('hex').toUpperCase();
    this.sessions.set(id, { username, lastUsed: this.now() });
    return id;
  }

  /** 'valid' refreshes the idle timer; 'expired' removes the session (the caller auto-activates, docs/vendor-facts.md F5). */
  touch(id: string | undefined): 'valid' | 'expired' | 'unknown' {
    if (!id) return 'unknown';
    const s = this.sessions.get(id);
    if (!s) return 'unknown';
    if (this.now() - s.lastUsed > this.idleMs) {
      this.sessions.delete(id);
      return 'expired';
    }
    s.lastUsed = this.now();
    return 'valid';
  }

  end(id: string | undefined): boolean {
    return id !== undefined && this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}

export class TokenStore {
  private readonly tokens = new Map<string, number>();
  constructor(
    readonly lifetimeSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(): string {
    const t = randomBytes(32).toString('base64url');
    this.tokens.set(t, this.now() + this.lifetimeSeconds * 1000);
    return t;
  }

  valid(token: string | undefined): boolean {
    if (!token) return false;
    const exp = this.tokens.get(token);
    if (exp === undefined) return false;
    if (exp <= this.now()) {
      this.tokens.delete(token);
      return false;
    }
    return true;
  }
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
