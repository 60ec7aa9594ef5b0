import type { Observation } from '../../engine/step.js';
import { createProgress } from '../../ui/progress.js';
import type { MigrationContext } from '../context.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Observes repeatedly until done or the budget runs out; shows that it is waiting.
 * Polling is bounded: the caller decides what "not yet" means (usually: rerun later).
 */
export async function pollUntil(
  ctx: MigrationContext,
  label: string,
  observe: () => Promise<Observation>,
  budgetMs: number,
  onObservation?: (o: Observation) => void,
): Promise<Observation> {
  const deadline = Date.now() + budgetMs;
  const progress = createProgress(ctx.out, label);
  try {
    for (;;) {
      const seen = await observe();
      onObservation?.(seen);
      if (seen.state !== 'pending' || Date.now() >= deadline) return seen;
      progress.update(0, undefined, seen.detail);
      await sleep(Math.min(ctx.pollIntervalMs, Math.max(0, deadline - Date.now())));
    }
  } finally {
    progress.stop();
  }
}
