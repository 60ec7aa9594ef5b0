/**
 * Client-side rate limiting: one sliding-window log per documented limit.
 *
 * Why a sliding window and not a refilling bucket: vendors count "N per second/hour" over
 * a window we cannot see. A bucket that refills at fixed instants lets 2N calls through
 * around a refill (N at the end of one window, N at the start of the next); a log of the
 * start times of the last N calls never has more than N inside any window of that length,
 * whichever way the server aligns its window. A full read of a large tenant then gets no
 * 429 at all (the ZIA limits are per second and per hour: docs/vendor-facts.md F20).
 *
 * Why a call is counted until its response arrives, not from its start: the server counts a
 * request when it reaches it, somewhere between our start and the response. Counting from the
 * start assumes every request reaches the server equally fast; when the first of N was slow to
 * arrive (a new connection, a busy server or event loop) and the N+1th fast, both landed in one
 * server window and the N+1th got a 429 (seen by bench/verify.mjs against the sandbox). A window
 * measured from the response of the oldest call is the latest moment the server can have counted
 * it, so no N+1 arrivals ever share a window, whatever the latencies.
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
  /** A window of another length (ZPA counts per 10 seconds, docs/vendor-facts.md Y6). */
  per?: { max: number; windowMs: number };
}

/**
 * Extra time added to each window, so millisecond clock and timer granularity never tips us
 * over. Small, because a window runs from the response, after the server counted the call.
 */
const MARGIN_MS = 10;

/** One call's place in a window: its end is unknown (Infinity) until its response has arrived. */
interface Slot {
  end: number;
}

class SlidingWindow {
  private readonly slots: Slot[] = [];
  private queue: Promise<void> = Promise.resolve();
  /** Wakes a caller that waits only on calls still in flight. */
  private onRelease: (() => void) | undefined;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {
    if (!Number.isFinite(max) || max < 1) throw new Error(`rate limit must be at least 1 per window, got ${max}`);
  }

  /** Resolves with a slot when one more call may start; calls are admitted in arrival order. */
  acquire(): Promise<Slot> {
    const turn = this.queue.then(() => this.waitForSlot());
    // A rejected turn must not block later callers.
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** The call's response has arrived: its slot now expires one window after this instant. */
  release(slot: Slot): void {
    if (slot.end !== Infinity) return;
    slot.end = Date.now();
    const wake = this.onRelease;
    this.onRelease = undefined;
    wake?.();
  }

  private async waitForSlot(): Promise<Slot> {
    // Bounded: each pass either admits the call, or sleeps until the earliest slot leaves the
    // window, or (every slot in flight) until a call finishes.
    for (;;) {
      const now = Date.now();
      let earliest = Infinity;
      for (let i = this.slots.length - 1; i >= 0; i--) {
        const end = (this.slots[i] as Slot).end;
        if (end + this.windowMs + MARGIN_MS <= now) this.slots.splice(i, 1);
        else if (end < earliest) earliest = end;
      }
      if (this.slots.length < this.max) {
        const slot: Slot = { end: Infinity };
        this.slots.push(slot);
        return slot;
      }
      if (earliest === Infinity) {
        await new Promise<void>((resolve) => (this.onRelease = resolve));
      } else {
        await sleep(earliest + this.windowMs + MARGIN_MS - now);
      }
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
  /**
   * Waits until every limit matching this call has room, and counts the call against each from
   * that moment until one window after the returned `done` is called (when the response has
   * arrived). Call `done` exactly once, whatever the outcome.
   */
  begin(method: string, path: string): Promise<() => void>;
  /** begin() for a call counted from its start only (done at once). */
  acquire(method: string, path: string): Promise<void>;
}

export function createLimiter(limits: RateLimit[]): Limiter {
  const compiled: CompiledLimit[] = limits.map((l) => {
    const windows: SlidingWindow[] = [];
    if (l.perSecond !== undefined) windows.push(new SlidingWindow(l.perSecond, 1_000));
    if (l.perMinute !== undefined) windows.push(new SlidingWindow(l.perMinute, 60_000));
    if (l.perHour !== undefined) windows.push(new SlidingWindow(l.perHour, 3_600_000));
    if (l.per !== undefined) windows.push(new SlidingWindow(l.per.max, l.per.windowMs));
    return { methods: new Set(l.methods.map((m) => m.toUpperCase())), pathPrefix: l.pathPrefix, except: l.exceptPathPrefixes ?? [], windows };
  });
  const begin = async (method: string, path: string): Promise<() => void> => {
    const m = method.toUpperCase();
    const held: [SlidingWindow, Slot][] = [];
    // Limits are taken in a fixed order; a slot held while waiting on a later window only
    // makes us slower, never faster than documented.
    for (const limit of compiled) {
      if (!limit.methods.has(m)) continue;
      if (limit.pathPrefix !== undefined && !path.startsWith(limit.pathPrefix)) continue;
      if (limit.except.some((p) => path.startsWith(p))) continue;
      for (const w of limit.windows) held.push([w, await w.acquire()]);
    }
    return () => {
      for (const [w, slot] of held) w.release(slot);
    };
  };
  return {
    begin,
    async acquire(method, path) {
      (await begin(method, path))();
    },
  };
}
