import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 may grow the old generation after a full collection before it collects again:
 * to (1 + HEAP_GROWING_PERCENT/100) times what survived.
 *
 * Why: left to its defaults on a machine with a few GB of memory, V8 lets the heap reach up to
 * four times the surviving data between full collections. `migrate verify` keeps little (about
 * 50 MB at 100k users) but reads a great deal that is garbage as soon as it has been compared
 * (a ZIA page is 10,000 users, a SCIM page 1,000), and that garbage is what the peak was made of:
 * 321–334 MB at 100k users with the defaults, 204 MB at 50 %, with the same wall time, because
 * the extra collections run while the reads wait on the vendors' rate limits (bench/verify.mjs,
 * issue 6).
 *
 * Node documents that V8 flags set after start-up may do nothing. This one is read each time V8
 * sets the next collection's limit; bench/heap-policy.mjs shows that it takes effect on the
 * Node we run (the peak heap of the same workload, with and without it), and bench/verify.mjs
 * prints the figure for verify. test/engine/heap.test.ts checks, cheaply, that V8 knows the flag
 * and that the CLI sets it. It changes only when garbage is collected, never what is kept, so it
 * cannot change any result.
 */
export const HEAP_GROWING_PERCENT = 50;

/** The growth this process last asked V8 for (0: V8's own); undefined until one was set. */
let applied: number | undefined;
/** @public read by test/engine/heap.test.ts inside a child process, where knip cannot see it */
export function heapGrowingPercent(): number | undefined {
  return applied;
}

/** Called once at start-up by the CLI (and by bench/verify.mjs, to measure what the CLI does). */
export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  applied = HEAP_GROWING_PERCENT;
}

/**
 * V8's own growth again, for `migrate sandbox`: the simulator holds whole tenants (three copies of
 * the population) and reads little, so the tighter policy only costs it time. Measured: a
 * 300k-user sandbox was ready in 13.5 s with the policy, 11.0 s without. 0 means "not set" to V8.
 */
export function defaultHeapGrowth(): void {
  setFlagsFromString('--heap-growing-percent=0');
  applied = 0;
}
