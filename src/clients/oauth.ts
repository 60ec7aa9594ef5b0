import { z } from 'zod';
import type { HttpClient } from './http.js';

/**
 * OAuth 2.0 client-credentials tokens (ZIdentity for ZIA OneAPI, zscaler-api.md §1b;
 * Microsoft identity platform for Graph, idp-apis.md A6). One token is cached in memory
 * and refreshed shortly before it expires; it is never written anywhere.
 */

const TokenSchema = z
  .object({
    access_token: z.string().min(1),
    token_type: z.string().optional(),
    // ZPA sends expires_in as a string (§7); accept both.
    expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  })
  .passthrough();

/** Refresh this long before expiry, or at 10% of the lifetime for short-lived tokens. */
const MARGIN_MS = 60_000;

export interface TokenSource {
  /** A valid access token, fetching a new one when none is cached or it is about to expire. */
  get(): Promise<string>;
  /** Forget the cached token (after a 401), so the next `get` fetches a new one. */
  invalidate(): void;
}

export function createTokenSource(opts: {
  /** The token endpoint client (system 'login'); the token URL is its base URL. */
  http: HttpClient;
  form: Record<string, string>;
  /** Called with each new token so every client scrubs it from messages. */
  onToken: (token: string) => void;
}): TokenSource {
  let cached: { value: string; refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const requested = Date.now();
    const t = await opts.http.post('', opts.form, TokenSchema, { form: true, auth: true, idempotent: true });
    opts.http.addSecret(t.access_token);
    opts.onToken(t.access_token);
    const lifetimeMs = (t.expires_in ?? 3600) * 1000;
    cached = { value: t.access_token, refreshAt: requested + lifetimeMs - Math.min(MARGIN_MS, lifetimeMs / 10) };
    return t.access_token;
  }

  return {
    async get() {
      if (cached && Date.now() < cached.refreshAt) return cached.value;
      // Concurrent callers share one token request.
      inflight ??= fetchToken().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
