import { MemoryCheckpointStore } from '../../src/engine/checkpoint.js';
import { planFlow, runFlow } from '../../src/engine/runner.js';
import type { Flow, Step } from '../../src/engine/step.js';
import { createOutput } from '../../src/ui/output.js';
import { renderPlan } from '../../src/ui/plan.js';

/**
 * A toy tenant where, as in ZIA, a write is only staged until an activation publishes it: the
 * activation step observes "nothing pending" until the write before it has happened.
 */
interface World {
  flag: boolean;
  staged: boolean;
  applies: string[];
}

const writeFlag: Step<World> = {
  id: 'write-flag',
  title: 'Enable the flag',
  doc: 'toy runbook step 1',
  kind: 'automated',
  async observe({ ctx }) {
    return ctx.flag ? { state: 'done', detail: 'flag is on' } : { state: 'pending', detail: 'flag is off', changes: ['flag false → true'] };
  },
  async apply({ ctx }) {
    ctx.applies.push('write-flag');
    ctx.flag = true;
    ctx.staged = true;
  },
};

const activate: Step<World> = {
  id: 'activate',
  title: 'Activate',
  doc: 'toy runbook step 2',
  kind: 'automated',
  after: ['write-flag'],
  async observe({ ctx }) {
    return ctx.staged
      ? { state: 'pending', detail: 'changes staged', changes: ['publish'] }
      : { state: 'done', detail: 'nothing staged', facts: { staged: 0 } };
  },
  async apply({ ctx }) {
    ctx.applies.push('activate');
    ctx.staged = false;
  },
};

const flow: Flow<World> = { id: 'toy-after', title: 'Toy with an activation', doc: 'toy runbook', preflight: [], steps: [writeFlag, activate] };
const target = { system: 'toy', id: 'toy:1', label: 'toy tenant 1' };

describe('a step declared to run after an earlier one', () => {
  it('is planned as pending while that step is pending, says after which step, and the plan counts what the run does', async () => {
    const world: World = { flag: false, staged: false, applies: [] };
    const plan = await planFlow(flow, world, { store: new MemoryCheckpointStore(), target, dryRun: true });
    const act = plan.steps[1]!;
    expect(act.observation.state).toBe('pending');
    expect(act.observation.detail).toBe('will run after step 1 (Enable the flag); observed now: nothing staged');
    expect(act.observation.facts).toEqual({ staged: 0 });
    expect(act.after).toEqual([{ id: 'write-flag', step: 1, title: 'Enable the flag' }]);
    expect(JSON.parse(JSON.stringify(plan)).steps[1].after).toEqual([{ id: 'write-flag', step: 1, title: 'Enable the flag' }]);

    const text = renderPlan(createOutput({ color: false }), plan);
    expect(text).toContain('2. Activate — pending: will run after step 1 (Enable the flag)');
    expect(text).toContain('2 step(s) would change something');

    const wouldChange = plan.steps.filter((s) => s.observation.state !== 'done').map((s) => s.id);
    await runFlow(flow, world, { store: new MemoryCheckpointStore(), target, dryRun: false });
    expect(world.applies).toEqual(wouldChange);
  });

  it('is planned as observed once the earlier step is done', async () => {
    const world: World = { flag: true, staged: false, applies: [] };
    const plan = await planFlow(flow, world, { store: new MemoryCheckpointStore(), target, dryRun: true });
    expect(plan.steps[1]!.observation).toEqual({ state: 'done', detail: 'nothing staged', facts: { staged: 0 } });
    expect(plan.steps[1]!.after).toBeUndefined();
    expect(plan.changesPending).toBe(false);
  });

  it('keeps an observation that already says pending or blocked (it is what the run will meet)', async () => {
    const world: World = { flag: false, staged: true, applies: [] };
    const plan = await planFlow(flow, world, { store: new MemoryCheckpointStore(), target, dryRun: true });
    expect(plan.steps[1]!.observation.detail).toBe('changes staged');
    expect(plan.steps[1]!.after).toEqual([{ id: 'write-flag', step: 1, title: 'Enable the flag' }]);
  });

  it('naming a step that does not come earlier is a wiring error of the flow', async () => {
    const wrong: Flow<World> = { ...flow, steps: [{ ...activate, after: ['write-flag'] }, writeFlag] };
    await expect(planFlow(wrong, { flag: false, staged: false, applies: [] }, { store: new MemoryCheckpointStore(), target, dryRun: true })).rejects.toThrow(
      'flow toy-after: step activate runs after "write-flag", which is not an earlier step of the flow',
    );
  });
});
