import type { Flow } from '../engine/step.js';

type FlowState = Parameters<NonNullable<Flow<unknown>['onComplete']>>[0];

/**
 * When one direction completes, the other direction's records describe a world that no longer
 * exists. They are kept (attempt counts, errors) but their outputs and start times are dropped,
 * so the next run in that direction observes afresh instead of trusting stale "done" evidence.
 */
export function retireFlow(state: FlowState, flowId: string, status: 'rolled-back' | 'pending'): void {
  const flow = state.flows[flowId] as { completedAt?: string; steps: Record<string, { status: string; outputs?: unknown; startedAt?: string }> } | undefined;
  if (!flow) return;
  for (const rec of Object.values(flow.steps)) {
    if (rec.status === 'pending') continue;
    rec.status = status;
    delete rec.outputs;
    delete rec.startedAt;
  }
  delete flow.completedAt;
}
