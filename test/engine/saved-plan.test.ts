import { MemoryCheckpointStore } from '../../src/engine/checkpoint.js';
import { UserError } from '../../src/engine/errors.js';
import { planFlow, runFlow } from '../../src/engine/runner.js';
import { approvalCheck, observationDifferences, parseSavedPlan, toSavedPlan, type SavedPlan } from '../../src/engine/saved-plan.js';
import type { Flow, Step } from '../../src/engine/step.js';
import { renderRunbook } from '../../src/ui/runbook.js';

/** A toy tenant: a label to set, then a list of members to write, with a sync time that moves by itself. */
interface World {
  label: string;
  members: string[];
  written: string[] | undefined;
  lastSync: number;
  applies: string[];
}

const setLabel: Step<World> = {
  id: 'set-label',
  title: 'Set the label | carefully',
  doc: 'toy runbook step 1',
  kind: 'operator',
  guide: () => ({ instructions: ['Open Settings > Label, type <new> and save.'], verifiedBy: 'the label reads "new"' }),
  async observe({ ctx }) {
    return ctx.label === 'new'
      ? { state: 'done', detail: 'label is new' }
      : {
          state: 'pending',
          detail: `label is ${ctx.label}`,
          changes: [`label ${ctx.label} → new`],
          facts: { lastSync: ctx.lastSync },
          volatileFacts: ['lastSync'],
        };
  },
  async apply({ ctx }) {
    ctx.applies.push('set-label');
    ctx.label = 'new';
  },
};

const writeMembers: Step<World> = {
  id: 'write-members',
  title: 'Write the members',
  doc: 'toy runbook step 2',
  kind: 'automated',
  async observe({ ctx }) {
    if (ctx.written) return { state: 'done', detail: `${ctx.written.length} written` };
    return { state: 'pending', detail: 'none written', changes: [`write ${ctx.members.join(', ')}`], facts: { members: ctx.members.length } };
  },
  async apply({ ctx }) {
    ctx.applies.push('write-members');
    ctx.written = [...ctx.members];
  },
};

const flow: Flow<World> = { id: 'toy', title: 'Toy change', doc: 'toy runbook', preflight: [], steps: [setLabel, writeMembers] };
const target = { system: 'toy', id: 'toy:1', label: 'toy tenant 1' };
const fresh = (): World => ({ label: 'old', members: ['ann', 'bob'], written: undefined, lastSync: 100, applies: [] });

async function saved(world: World, store = new MemoryCheckpointStore()): Promise<SavedPlan> {
  const plan = await planFlow(flow, world, { store, target, dryRun: true });
  return toSavedPlan(plan, {
    configDigest: `sha256:${'0'.repeat(64)}`,
    configCovers: 'test',
    state: await store.load(),
    createdAt: '2027-01-15T08:00:00.000Z',
  });
}

describe('a saved plan', () => {
  it('round-trips through its file and is refused once edited (digest mismatch), with exit 4', async () => {
    const doc = await saved(fresh());
    const text = JSON.stringify(doc, null, 2);
    expect(parseSavedPlan(text, 'plan.json')).toEqual(doc);
    const edited = text.replace('write ann, bob', 'write ann, bob, eve');
    expect(edited).not.toBe(text);
    let error: unknown;
    try {
      parseSavedPlan(edited, 'plan.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(4);
    expect((error as UserError).message).toMatch(
      /^saved plan plan\.json: its content does not match its digest \(recorded sha256:[0-9a-f]{64}, computed sha256:[0-9a-f]{64}\)/,
    );
  });

  it('names every field the schema refuses, with its path', () => {
    const bad = JSON.stringify({ kind: 'migrate-plan', schemaVersion: 1, tool: { name: 'migrate' }, steps: [{ id: 1 }] });
    expect(() => parseSavedPlan(bad, 'p.json')).toThrow(/tool\.version: .*\n(.|\n)*steps\.0\.id: /);
    expect(() => parseSavedPlan('{ torn', 'p.json')).toThrow(/^saved plan p\.json: not JSON/);
  });

  it('differs from a fresh plan by each changed fact and intended change, but not by a volatile fact', async () => {
    const world = fresh();
    const approved = await saved(world);
    world.lastSync = 200; // moves by itself: declared volatile
    expect(observationDifferences(approved, await saved(world))).toEqual([]);
    world.members.push('eve');
    expect(observationDifferences(approved, await saved(world))).toEqual([
      'step 2 (Write the members): would change "write ann, bob" when planned, "write ann, bob, eve" now',
      'step 2 (Write the members): members 2 → 3',
    ]);
    world.label = 'new';
    expect(observationDifferences(approved, await saved(world))[0]).toBe(
      'step 1 (Set the label | carefully): pending when planned (label is old), done now (label is new)',
    );
  });

  it('stops a run at the first step whose change differs from the approved one, before that step is started', async () => {
    const world = fresh();
    const store = new MemoryCheckpointStore();
    const approved = await saved(world, store);
    world.members.push('eve'); // changed after approval
    const approval = { digest: approved.digest, check: approvalCheck(approved, 'plan.json') };
    await expect(runFlow(flow, world, { store, target, dryRun: false, approval })).rejects.toThrow(
      'saved plan plan.json: stale: what the run observes no longer matches what was approved (1 difference):\n  - step 2 (Write the members): would change "write ann, bob" when planned, "write ann, bob, eve" now',
    );
    expect(world.applies).toEqual(['set-label']);
    const state = await store.load();
    expect(state?.flows.toy?.approvedPlan).toBe(approved.digest);
    expect(state?.flows.toy?.steps['write-members']).toBeUndefined(); // never started
  });

  it('lets a run apply exactly what was approved', async () => {
    const world = fresh();
    const store = new MemoryCheckpointStore();
    const approved = await saved(world, store);
    const approval = { digest: approved.digest, check: approvalCheck(approved, 'plan.json') };
    const result = await runFlow(flow, world, { store, target, dryRun: false, approval });
    expect(result.completed).toBe(true);
    expect(world.applies).toEqual(['set-label', 'write-members']);
  });
});

describe('the runbook', () => {
  it("keeps every GFM table row to its header's cell count, escaping pipes and markup, and is the same for the same plan", async () => {
    const plan = await planFlow(flow, fresh(), { store: new MemoryCheckpointStore(), target, dryRun: true });
    const input = {
      plan,
      command: 'migrate toy',
      generatedAt: '2027-01-15T08:00:00.000Z',
      toolVersion: '0.1.0',
      guards: [{ key: 'guards.max|x', value: '1' }],
    };
    const md = renderRunbook(input);
    expect(renderRunbook(input)).toBe(md);
    expect(md).toContain('| 1 | Set the label \\| carefully | operator | will change | 1 |');
    expect(md).toContain('1. Open Settings \\> Label, type \\<new\\> and save.');
    expect(md).toContain('**The tool verifies afterwards:** the label reads "new"');
    expect(md).toContain('No forecast: not computed by this version.');
    expect(md).toContain('## Sign-off');
    const cells = (line: string) => line.replace(/\\\|/g, '').split('|').length;
    const lines = md.split('\n');
    let tables = 0;
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]!.startsWith('|') || lines[i - 1]?.startsWith('|')) continue;
      tables += 1;
      expect(lines[i + 1]).toMatch(/^\|(---\|)+$/);
      for (let j = i; lines[j]?.startsWith('|'); j++) expect([j, cells(lines[j]!)]).toEqual([j, cells(lines[i]!)]);
    }
    expect(tables).toBeGreaterThanOrEqual(4);
  });
});

describe('a saved plan and secrets', () => {
  it('holds no registered secret, even one a step put in its observation', async () => {
    const { registerSecret, forgetSecrets } = await import('../../src/engine/redact.js');
    const secret = 'token-0123456789abcdef-secret';
    registerSecret(secret);
    try {
      const world = fresh();
      world.members = [secret];
      const doc = await saved(world);
      const text = JSON.stringify(doc);
      expect(text).not.toContain(secret);
      expect(text).toContain('write [REDACTED]');
      expect(parseSavedPlan(text, 'plan.json')).toEqual(doc); // the digest covers what the file holds
    } finally {
      forgetSecrets();
    }
  });
});
