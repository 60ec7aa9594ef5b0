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
 * decides what "not yet" means (usually: rerun later). The last observation is shown with the last
 * count it had (all of it when done), never as "0 of N" because it no longer reports a count.
 */
export async function pollUntil(
  ctx: Pick<MigrationContext, 'out' | 'pollIntervalMs'>,
  label: string,
  observe: () => Promise<Observation>,
  budgetMs: number,
  measure?: (o: Observation) => Measured | undefined,
): Promise<Observation> {
  const deadline = Date.now() + budgetMs;
  const progress = createProgress(ctx.out, label, measure ? { total: 0, unit: 'users' } : {});
  let counted: Measured | undefined;
  try {
    for (;;) {
      const seen = await observe();
      const finished = seen.state !== 'pending';
      const measured = measure?.(seen);
      if (measured) counted = measured;
      else if (counted && seen.state === 'done') counted = { done: counted.total, total: counted.total };
      if (counted) progress.update(counted.done, counted.total, measured && !finished ? undefined : seen.detail);
      else progress.update(0, undefined, seen.detail);
      if (finished || Date.now() >= deadline) return seen;
      await sleep(Math.min(ctx.pollIntervalMs, Math.max(0, deadline - Date.now())));
    }
  } finally {
    progress.stop();
  }
}
