import type { Flow, Step } from '../../src/engine/step.js';
import { OperatorNeeded } from '../../src/engine/errors.js';

/**
 * A small in-memory "tenant" and a three-step flow over it: enough to prove plan/apply,
 * idempotence, resume and operator steps without any network.
 */
export interface ToyWorld {
  flag: boolean;
  activated: boolean;
  consoleClicked: boolean;
  applies: Record<string, number>;
}

export const newWorld = (): ToyWorld => ({ flag: false, activated: false, consoleClicked: false, applies: {} });

export interface ToyCtx {
  world: ToyWorld;
  /** When true the operator step's person is "present" and clicks. */
  operatorPresent: boolean;
}

const count = (w: ToyWorld, id: string) => {
  w.applies[id] = (w.applies[id] ?? 0) + 1;
};

const setFlag: Step<ToyCtx> = {
  id: 'set-flag',
  title: 'Enable the flag',
  doc: 'toy runbook step 1',
  kind: 'automated',
  async observe({ ctx }) {
    return ctx.world.flag ? { state: 'done', detail: 'flag is on' } : { state: 'pending', detail: 'flag is off', changes: ['set flag false → true'] };
  },
  async apply({ ctx }) {
    count(ctx.world, 'set-flag');
    ctx.world.flag = true;
    return { flagWas: false };
  },
};

const click: Step<ToyCtx> = {
  id: 'click',
  title: 'Click the console-only button',
  doc: 'toy runbook step 2',
  kind: 'operator',
  async observe({ ctx }) {
    return ctx.world.consoleClicked ? { state: 'done', detail: 'clicked' } : { state: 'pending', detail: 'not clicked yet' };
  },
  async apply({ ctx }) {
    count(ctx.world, 'click');
    if (!ctx.operatorPresent) throw new OperatorNeeded('click the button', 'rerun afterwards');
    ctx.world.consoleClicked = true;
  },
};

const activate: Step<ToyCtx> = {
  id: 'activate',
  title: 'Activate',
  doc: 'toy runbook step 3',
  kind: 'automated',
  async observe({ ctx }) {
    return ctx.world.activated ? { state: 'done', detail: 'active' } : { state: 'pending', detail: 'pending activation' };
  },
  async apply({ ctx }) {
    count(ctx.world, 'activate');
    ctx.world.activated = true;
  },
};

export const toyFlow: Flow<ToyCtx> = {
  id: 'toy',
  title: 'Toy migration',
  doc: 'toy runbook',
  preflight: [{ id: 'reachable', title: 'world reachable', run: async () => ({ ok: true, detail: 'yes' }) }],
  steps: [setFlag, click, activate],
};
