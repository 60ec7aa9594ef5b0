/**
 * Client-side rate limiting: one sliding-window log per documented limit.
 *
 * Why a sliding window and not a refilling bucket: vendors count "N per second/hour" over
 * a window we cannot see. A bucket that refills at fixed instants lets 2N calls through
 * around a refill (N at the end of one window, N at the start of the next); a log of the
 * start times of the last N calls never has more than N inside any window of that length,
 * whichever way the server aligns its window. A full read of a large tenant then gets no
 * 429 at all (per zscaler-api.md §6 the ZIA limits are per second and per hour).
 */

export interface RateLimit {
  /** Upper-case HTTP methods the limit applies to (for example ['GET']). */
  methods: string[];
  /** Only paths starting with this (relative to the client's base URL) are counted. */
  pathPrefix?: string;
  /** Paths starting with any of these are not counted (for example the session endpoint). */
  exceptPathPrefixes?: string[];
  perSecond?: number;
  perMinute?: number;
  perHour?: number;
}

/** Extra time added to each window, so clock granularity on either side never tips us over. */
const MARGIN_MS = 50;

class SlidingWindow {
  private readonly starts: number[] = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {
    if (!Number.isFinite(max) || max < 1) throw new Error(`rate limit must be at least 1 per window, got ${max}`);
  }

  /** Resolves when one more call may start; calls are admitted in arrival order. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot());
    // A rejected turn must not block later callers.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForSlot(): Promise<void> {
    // Bounded: each pass either admits the call or sleeps until the oldest start leaves the window.
    for (;;) {
      const now = Date.now();
      while (this.starts.length > 0 && (this.starts[0] ?? 0) + this.windowMs + MARGIN_MS <= now) this.starts.shift();
      if (this.starts.length < this.max) {
        this.starts.push(now);
        return;
      }
      const oldest = this.starts[0] ?? now;
      await sleep(oldest + this.windowMs + MARGIN_MS - now);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

interface CompiledLimit {
  methods: Set<string>;
  pathPrefix: string | undefined;
  except: string[];
  windows: SlidingWindow[];
}

export interface Limiter {
  /** Waits until every limit matching this call has room, then counts the call against each. */
  acquire(method: string, path: string): Promise<void>;
}

export function createLimiter(limits: RateLimit[]): Limiter {
  const compiled: CompiledLimit[] = limits.map((l) => {
    const windows: SlidingWindow[] = [];
    if (l.perSecond !== undefined) windows.push(new SlidingWindow(l.perSecond, 1_000));
    if (l.perMinute !== undefined) windows.push(new SlidingWindow(l.perMinute, 60_000));
    if (l.perHour !== undefined) windows.push(new SlidingWindow(l.perHour, 3_600_000));
    return { methods: new Set(l.methods.map((m) => m.toUpperCase())), pathPrefix: l.pathPrefix, except: l.exceptPathPrefixes ?? [], windows };
  });
  return {
    async acquire(method, path) {
      const m = method.toUpperCase();
      // Limits are taken in a fixed order; a slot held while waiting on a later window only
      // makes us slower, never faster than documented.
      for (const limit of compiled) {
        if (!limit.methods.has(m)) continue;
        if (limit.pathPrefix !== undefined && !path.startsWith(limit.pathPrefix)) continue;
        if (limit.except.some((p) => path.startsWith(p))) continue;
        for (const w of limit.windows) await w.acquire();
      }
    },
  };
}
