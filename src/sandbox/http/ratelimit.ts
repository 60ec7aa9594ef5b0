/**
 * Fixed-window request counters, one per key (endpoint + method class). Enough to answer
 * 429 the way the vendors document it; not a precise model of their internals.
 */
export interface WindowLimit {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  /** Human label for the 429 message, e.g. "1/SECOND". */
  label: string;
}

export interface LimitDecision {
  allowed: boolean;
  /** Seconds until the exhausted window resets (>= 1). */
  retryAfterSeconds: number;
  limit: number;
  remaining: number;
  resetSeconds: number;
  label: string;
}

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  /** Checks every limit; a request is counted only when all limits allow it. */
  take(key: string, limits: WindowLimit[], now = Date.now()): LimitDecision {
    let tightest: LimitDecision | undefined;
    const states: { w: { start: number; count: number }; l: WindowLimit }[] = [];
    for (const l of limits) {
      const k = `${key}|${l.windowMs}`;
      let w = this.windows.get(k);
      if (!w || now - w.start >= l.windowMs) {
        w = { start: now, count: 0 };
        this.windows.set(k, w);
      }
      const resetMs = w.start + l.windowMs - now;
      const d: LimitDecision = {
        allowed: w.count < l.limit,
        retryAfterSeconds: Math.max(1, Math.ceil(resetMs / 1000)),
        limit: l.limit,
        remaining: Math.max(0, l.limit - w.count - 1),
        resetSeconds: Math.max(0, Math.ceil(resetMs / 1000)),
        label: l.label,
      };
      states.push({ w, l });
      if (!d.allowed) return d;
      if (!tightest || d.remaining < tightest.remaining) tightest = d;
    }
    for (const s of states) s.w.count++;
    return tightest ?? { allowed: true, retryAfterSeconds: 1, limit: 0, remaining: 0, resetSeconds: 0, label: '' };
  }

  reset(): void {
    this.windows.clear();
  }
}
