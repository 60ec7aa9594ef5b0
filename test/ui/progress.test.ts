import { PassThrough } from 'node:stream';
import { createOutput } from '../../src/ui/output.js';
import type { StepPlan } from '../../src/engine/runner.js';
import type { Observation } from '../../src/engine/step.js';
import { pollUntil } from '../../src/flows/steps/poll.js';
import { progressEvents } from '../../src/ui/plan.js';
import { createReadProgress } from '../../src/ui/progress.js';

/** A stderr that records what is written; `isTTY` decides whether it passes for a terminal. */
function stderr(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 120 });
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('read progress (verify reads three sources at once)', () => {
  it('on a terminal: one line per source with its count and rate', async () => {
    const err = stderr(true);
    const progress = createReadProgress(createOutput({ stderr: err.stream }), ['AD', 'ZIA', 'SCIM']);
    await new Promise((r) => setTimeout(r, 50));
    progress.update('AD', 12_500);
    progress.update('SCIM', 1_000);
    progress.stop();
    await new Promise((r) => setImmediate(r));
    const shown = err.text();
    expect(shown).toMatch(/AD {3}12,500 users · [\d,]+\/s/);
    expect(shown).toMatch(/ZIA {2}0 users · 0\/s/);
    expect(shown).toMatch(/SCIM 1,000 users · [\d,]+\/s/);
  });

  it('off a terminal (CI, a pipe) and with --quiet: nothing at all', () => {
    for (const out of [createOutput({ stderr: stderr(false).stream }), createOutput({ stderr: stderr(true).stream, quiet: true })]) {
      const err = out.stderr as PassThrough;
      let written = '';
      err.on('data', (d: Buffer) => (written += d.toString()));
      const progress = createReadProgress(out, ['AD', 'ZIA']);
      progress.update('AD', 10);
      progress.stop();
      expect(written).toBe('');
    }
  });
});

describe('waiting progress (pollUntil): the label, the count and what was observed stay apart', () => {
  const observations = (list: Observation[]) => {
    let i = 0;
    return async () => list[Math.min(i++, list.length - 1)]!;
  };
  const cycle = (done: number, total: number): Observation => ({
    state: 'pending',
    detail: `initial cycle running: ${done}/${total} users processed`,
    facts: { done, total },
  });
  const measure = (o: Observation) =>
    typeof o.facts?.done === 'number' && typeof o.facts.total === 'number' ? { done: o.facts.done, total: o.facts.total } : undefined;

  it('off a terminal: the label and the observation are two parts of the line, and the last state is shown when it ends', async () => {
    const err = stderr(false);
    const out = createOutput({ stderr: err.stream });
    const seen = await pollUntil(
      { out, pollIntervalMs: 1 },
      'waiting for the directory sync to finish',
      observations([
        { state: 'pending', detail: 'last sync ended 2026-12-01T10:00:00.000Z' },
        { state: 'done', detail: 'directory sync finished at 2026-12-01T10:05:00.000Z, after this step began' },
      ]),
      60_000,
    );
    expect(seen.state).toBe('done');
    expect(err.text().split('\n').filter(Boolean)).toEqual([
      'waiting for the directory sync to finish — last sync ended 2026-12-01T10:00:00.000Z',
      // throttled while waiting, shown when the wait ends
      'waiting for the directory sync to finish — directory sync finished at 2026-12-01T10:05:00.000Z, after this step began',
    ]);
  });

  it('off a terminal: a count that ends with an observation without figures ends at the full count, not at 0', async () => {
    const err = stderr(false);
    const out = createOutput({ stderr: err.stream });
    await pollUntil(
      { out, pollIntervalMs: 1 },
      'Entra initial cycle',
      observations([cycle(7, 2942), cycle(1500, 2942), { state: 'done', detail: 'initial cycle complete (steady state since 2026-12-01T10:09:00Z)' }]),
      60_000,
      measure,
    );
    const lines = err.text().split('\n').filter(Boolean);
    expect(lines[0]).toBe('Entra initial cycle 7/2942 users');
    expect(lines.at(-1)).toBe('Entra initial cycle 2942/2942 users — initial cycle complete (steady state since 2026-12-01T10:09:00Z)');
    expect(err.text()).not.toMatch(/\b0\/2942/);
  });

  it('on a terminal: the bar ends at the full count with the final observation after a dash', async () => {
    const err = stderr(true);
    const out = createOutput({ stderr: err.stream });
    await pollUntil(
      { out, pollIntervalMs: 1 },
      'Entra initial cycle',
      observations([cycle(12, 40), { state: 'done', detail: 'initial cycle complete' }]),
      60_000,
      measure,
    );
    await new Promise((r) => setImmediate(r));
    expect(err.text()).toContain('40/40 users — initial cycle complete');
    expect(err.text()).not.toMatch(/\b0\/40 users initial cycle complete/);
  });
});

describe('live step lines (progressEvents)', () => {
  const guard: StepPlan = {
    id: 'deprovision-guard',
    title: 'Guard: users the first cycle would disable or delete',
    kind: 'automated',
    doc: 'guide',
    observation: { state: 'done', detail: 'would disable 6 of 300 (2.0% ≤ 15%), delete 0 (≤ 0)' },
  };

  it('a step found in place (a guard that passed) shows what was found, with its figures', () => {
    const err = stderr(false);
    const events = progressEvents(createOutput({ stderr: err.stream }));
    events.observed!(guard);
    events.succeeded!(guard, 'already-done');
    expect(err.text()).toBe('✓ Guard: users the first cycle would disable or delete — would disable 6 of 300 (2.0% ≤ 15%), delete 0 (≤ 0)\n');
  });

  it('a step found complete on resume says so, with what was found', () => {
    const err = stderr(false);
    const events = progressEvents(createOutput({ stderr: err.stream }));
    events.observed!({ ...guard, id: 'sync', title: 'Sync Now', observation: { state: 'done', detail: 'directory sync finished at T' } });
    events.succeeded!({ id: 'sync', title: 'Sync Now' }, 'resumed');
    expect(err.text()).toBe('✓ Sync Now — found complete on resume: directory sync finished at T\n');
  });
});
