import type { MigrationContext } from '../context.js';
import { directoryPages } from '../parity-check.js';

/** What the first cycle would deprovision, from the directory scope (the deprovision guard's forecast). */
export interface DeprovisionForecast {
  /** Users in the directory scope. */
  inScope: number;
  /** Users disabled in AD: the IdP pushes them as active=false, so ZIA disables them. */
  wouldDisable: number;
  /** The flow never unassigns, and an initial cycle deletes nothing. */
  wouldDelete: number;
}

export async function deprovisionForecast(ctx: MigrationContext): Promise<DeprovisionForecast> {
  let inScope = 0;
  let wouldDisable = 0;
  for await (const page of directoryPages(ctx)) {
    inScope += page.length;
    for (const e of page) if (e.disabled) wouldDisable += 1;
  }
  return { inScope, wouldDisable, wouldDelete: 0 };
}
