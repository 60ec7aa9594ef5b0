import { allReadings } from '../../src/sandbox/index.js';
import { forecastAdoption, type ForecastResult } from '../../src/idps/entra/forecast.js';
import { startHarness, type Harness } from './harness.js';
import { adToScimFlow } from './entra-flows.js';

/**
 * Issue 17, part 1: the adoption forecast against what the simulated Entra then really does. The sandbox
 * applies each mapping variant with its own hand-written reading of the expression (never the
 * product's evaluator), so "forecast equals outcome" is a real check.
 */

const USERS = 120;
const relaxed = (c: Record<string, unknown>) => {
  c.guards = { ...(c.guards as object | undefined), maxForecastDuplicates: 100_000 };
};

function ziaUsers(h: Harness): Map<number, string> {
  return new Map([...h.sandbox.world.tenant.users.values()].map((u) => [u.id, u.userName]));
}

/** Each user's forecast against the sandbox after the initial cycle: the ZIA user Entra linked it to, if any. */
function compare(h: Harness, f: ForecastResult, before: Map<number, string>) {
  const { tenant, entra } = h.sandbox.world;
  const mismatches: string[] = [];
  let created = 0;
  for (const [entraId, { user, outcome }] of f.users) {
    const scimId = entra.targetIds.get(entraId);
    const ziaId = scimId === undefined ? undefined : tenant.userIdForScim(scimId);
    const rec = ziaId === undefined ? undefined : tenant.users.get(ziaId);
    const bad = (why: string) => mismatches.push(`${user.userPrincipalName}: forecast ${outcome.kind}, ${why}`);
    switch (outcome.kind) {
      case 'adopted':
        if (ziaId !== outcome.ziaId) bad(`linked to ZIA user ${ziaId}, forecast ${outcome.ziaId}`);
        else if (outcome.externalId !== null && rec?.scim?.externalId !== outcome.externalId) bad(`externalId ${rec?.scim?.externalId}`);
        break;
      case 'duplicate':
      case 'created':
        created++;
        if (ziaId === undefined || before.has(ziaId)) bad(`linked to ${ziaId === undefined ? 'nothing' : `existing ZIA user ${ziaId}`}`);
        else if (rec?.userName !== outcome.userName) bad(`created as ${rec?.userName}, forecast ${outcome.userName}`);
        else if (outcome.externalId !== null && rec?.scim?.externalId !== outcome.externalId) bad(`externalId ${rec?.scim?.externalId}`);
        break;
      default:
        if (ziaId !== undefined) bad(`linked to ZIA user ${ziaId}`);
    }
  }
  const added = [...tenant.users.keys()].filter((id) => !before.has(id));
  return { mismatches, created, added: added.length };
}

describe('adoption forecast (before the flip)', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('a mapping that would create users twice blocks the flip with the examples and what to change; nothing was written to ZIA', async () => {
    h = await startHarness({ users: USERS, sandbox: { variants: 'entra-user-mapping=suffix-rewrite' } });
    const before = ziaUsers(h);
    const plan = await h.run(adToScimFlow, { dryRun: true });
    const step = plan.plan.steps.find((s) => s.id === 'entra-adoption-forecast')!;
    expect(step.observation.state).toBe('blocked');
    const forecast = step.observation.facts!.forecast as { counts: Record<string, number>; examples: Record<string, string[]> };
    expect(forecast.counts.duplicates).toBeGreaterThan(0);
    expect(forecast.counts.adopted).toBe(0);

    const err = (await h.run(adToScimFlow).catch((e) => e)) as Error;
    expect(err.message).toMatch(/would be created a second time/);
    expect(err.message).toContain(forecast.examples.duplicates![0]!);
    expect(err.message).toMatch(/map userName from \[userPrincipalName\]/);
    const state = (await h.store.load())!.flows['ad-to-scim']!.steps;
    expect(state['entra-adoption-forecast']!.status).toBe('failed');
    // Before the flip: the flag was never set, nothing was written to authSettings, no user was added or changed.
    expect(h.sandbox.world.tenant.getActiveAuthSettings().directorySyncMigrateToScimEnabled).toBe(false);
    expect(h.sandbox.requests().filter((r) => r.method === 'PUT' && r.path.includes('/authSettings'))).toEqual([]);
    expect(ziaUsers(h)).toEqual(before);
  });

  it('the default mapping (userName from the UPN) adopts every ZIA user and lets the flip go on', async () => {
    h = await startHarness({ users: 30 });
    const plan = await h.run(adToScimFlow, { dryRun: true });
    const step = plan.plan.steps.find((s) => s.id === 'entra-adoption-forecast')!;
    expect(step.observation.state).toBe('done');
    const counts = (step.observation.facts!.forecast as { counts: Record<string, number> }).counts;
    expect(counts.duplicates).toBe(0);
    expect(counts.adopted).toBe(h.sandbox.world.tenant.users.size);
    expect(counts.ziaWithoutCounterpart).toBe(0);
  });

  describe.each(allReadings('entra').map(([name, reading]) => ({ key: `${name}=${reading}` })))('$key', ({ key }) => {
    it('forecast equals outcome, user for user (guard relaxed)', async () => {
      h = await startHarness({ users: USERS, sandbox: { variants: key }, tweak: relaxed });
      const before = ziaUsers(h);
      const f = await forecastAdoption(h.ctx({ readOnly: true }));
      const kinds = [...f.users.values()].map((u) => u.outcome.kind);
      expect(kinds).not.toContain('cannot');
      // Each reading matters: what it must forecast for the sandbox's world.
      const count = (k: string) => kinds.filter((x) => x === k).length;
      const inScope = kinds.filter((k) => k !== 'out-of-scope').length;
      if (key.endsWith('=upn') || key.endsWith('=expression')) expect(count('adopted')).toBe(inScope - 1); // all but the cloud-only user
      if (key.endsWith('=mail')) expect([count('duplicate') > 0, count('no-userName') > 0, count('adopted') > 0]).toEqual([true, true, true]);
      if (key.endsWith('=suffix-rewrite')) expect(count('duplicate')).toBe(inScope - 1);
      // The run may stop at parity (duplicates are extra users there); the initial cycle has finished by then.
      await h.run(adToScimFlow).catch((e: Error) => expect(e.message).toMatch(/parity|match|missing|extra|duplicate/i));
      expect((await h.store.load())!.flows['ad-to-scim']!.steps['entra-initial-cycle']!.status).toBe('succeeded');
      const r = compare(h, f, before);
      expect(r.mismatches).toEqual([]);
      expect(r.added).toBe(r.created);
    });
  });
});
