import { z } from 'zod';
import { ApiError, type HttpClient } from './http.js';

/**
 * OAuth 2.0 client-credentials tokens (ZIdentity for ZIA OneAPI, docs/vendor-facts.md F8;
 * Microsoft identity platform for Graph, F32). One token is cached in memory
 * and refreshed shortly before it expires; it is never written anywhere.
 */

const TokenSchema = z
  .object({
    access_token: z.string().min(1),
    token_type: z.string().optional(),
    // ZPA sends expires_in as a string (docs/vendor-facts.md F23); accept both.
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
  /** The token request's form; a function when each request needs fresh values (a signed client assertion). */
  form: Record<string, string> | (() => Record<string, string>);
  /** Extra headers of the token request (Druva: the client id and secret as HTTP Basic). */
  headers?: Record<string, string>;
  /** Called with each new token so every client scrubs it from messages. */
  onToken: (token: string) => void;
}): TokenSource {
  let cached: { value: string; refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  /**
   * The token endpoint's refusal of these credentials (400/401/403: invalid_client, a wrong
   * secret, an unknown tenant). Kept for the rest of the run and thrown again without asking:
   * the same secret would be refused again, and repeated failures can lock the client out.
   */
  let refused: Error | undefined;

  async function fetchToken(): Promise<string> {
    if (refused) throw refused;
    const requested = Date.now();
    let t: z.output<typeof TokenSchema>;
    try {
      const form = typeof opts.form === 'function' ? opts.form() : opts.form;
      t = await opts.http.post('', form, TokenSchema, { form: true, auth: true, idempotent: true, ...(opts.headers ? { headers: opts.headers } : {}) });
    } catch (err) {
      if (isCredentialRefusal(err)) refused = err as Error;
      throw err;
    }
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
      cached = undefined; // a refusal stays: invalidating a token does not make a wrong secret right
    },
  };
}

/** A login or token endpoint refusing the credentials themselves: never worth sending again in this run. */
export function isCredentialRefusal(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 400 || err.status === 401 || err.status === 403);
}
