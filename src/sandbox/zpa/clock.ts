/**
 * The ZPA simulation's clock: real time plus an offset that tests move forward. IdP times
 * (`modifiedTime`, when SCIM Sync was turned on) and SCIM `meta` times read it, so a 48-hour soak
 * (docs/vendor-facts.md Y14) is tested by advancing the clock, never by waiting. Rate limits keep
 * real time: they protect the process, not the story.
 */
export interface SandboxClock {
  /** Milliseconds since the epoch, simulated. */
  now(): number;
  /** Moves the clock forward (never back: ZPA's times only grow). */
  advance(ms: number): number;
}

export function createSandboxClock(start?: number): SandboxClock {
  let offset = start === undefined ? 0 : start - Date.now();
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`the sandbox clock only moves forward: advance(${ms})`);
      offset += ms;
      return Date.now() + offset;
    },
  };
}
