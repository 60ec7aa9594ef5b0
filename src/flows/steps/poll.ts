import type { Observation } from '../../engine/step.js';
import { sleep } from '../../clients/rate-limit.js';
import { createProgress } from '../../ui/progress.js';
import type { MigrationContext } from '../context.js';

/** Progress an observation reports while it waits (e.g. users processed of the total). */
export interface Measured {
  done: number;
  total: number;
}

/**
 * Observes repeatedly until the state is no longer pending or the budget runs out, showing that it
 * waits (a bar when the observation can say how far along it is). Polling is bounded: the caller
 * decides what "not yet" means (usually: rerun later).
 */
export async function pollUntil(
  ctx: MigrationContext,
  label: string,
  observe: () => Promise<Observation>,
  budgetMs: number,
  measure?: (o: Observation) => Measured | undefined,
): Promise<Observation> {
  const deadline = Date.now() + budgetMs;
  const progress = createProgress(ctx.out, label, measure ? { total: 0, unit: 'users' } : {});
  try {
    for (;;) {
      const seen = await observe();
      const m = measure?.(seen);
      if (m) progress.update(m.done, m.total);
      else progress.update(0, undefined, seen.detail);
      if (seen.state !== 'pending' || Date.now() >= deadline) return seen;
      await sleep(Math.min(ctx.pollIntervalMs, Math.max(0, deadline - Date.now())));
    }
  } finally {
    progress.stop();
  }
}
