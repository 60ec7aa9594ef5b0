/**
 * The inSync simulation's clock. Simulated time starts at `start` and moves only when a test (or
 * the scripted operator) advances it, optionally also at `rate` simulated ms per real ms. Token
 * lifetimes, page-token and tracker validity and the backup schedule all read it, so a 30-minute
 * token expiry or a day of backups is tested by advancing the clock, never by waiting. Fault
 * latencies and timeouts keep real time: they are about the transport, not the story.
 */
export interface SandboxClock {
  /** Milliseconds since the epoch, simulated. */
  now(): number;
  /** Moves the clock forward (never back); returns the new time. */
  advance(ms: number): number;
}

export function createSandboxClock(opts: { start?: number; rate?: number } = {}): SandboxClock {
  const rate = opts.rate ?? 0;
  if (!(rate >= 0) || !Number.isFinite(rate)) throw new RangeError(`the clock rate must be a finite number >= 0, got ${opts.rate}`);
  const realStart = Date.now();
  const simStart = opts.start ?? realStart;
  let offset = 0;
  const now = () => simStart + offset + Math.floor((Date.now() - realStart) * rate);
  return {
    now,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`the sandbox clock only moves forward: advance(${ms})`);
      offset += ms;
      return now();
    },
  };
}
