import { DEPARTMENT_TARGET, ZSCALER_USER_MAPPING } from '../../src/sandbox/entra/mapping.js';
import { CrashAfter, startHarness, type Harness } from './harness.js';
import { adToScimFlow } from './entra-flows.js';

/**
 * Issue 17, part 1b: ZIA policies name groups and departments by id. The groups snapshot and forecast
 * before the flip, and the check after the initial cycle, against the sandbox's two readings of the
 * undocumented fact (variant zia-scim-group-adoption=by-name|new-group).
 */

type Entry = [number, string, number];

/** Every ZIA group and department now: id → [name, members]. */
function ziaNow(h: Harness) {
  const t = h.sandbox.world.tenant;
  const groups = new Map([...t.groups.values()].map((g) => [g.id, [g.name, g.memberIds.size] as const]));
  const deptMembers = new Map<number, number>();
  for (const u of t.users.values()) if (u.departmentId !== undefined) deptMembers.set(u.departmentId, (deptMembers.get(u.departmentId) ?? 0) + 1);
  const departments = new Map([...t.departmentsById.values()].map((d) => [d.id, [d.name, deptMembers.get(d.id) ?? 0] as const]));
  return { groups, departments };
}

async function snapshotOf(h: Harness): Promise<{ groups: Entry[]; departments: Entry[]; assumedReading: string }> {
  const state = await h.store.load();
  return state!.flows['ad-to-scim']!.steps['groups-snapshot']!.outputs as unknown as { groups: Entry[]; departments: Entry[]; assumedReading: string };
}

describe('groups and departments keep their identity (issue 17, part 1b)', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('dry-run shows the snapshot and the forecast; the clean run keeps every group and department id with its members', async () => {
    h = await startHarness({ users: 40 });
    const before = ziaNow(h);
    const plan = await h.run(adToScimFlow, { dryRun: true });
    const step = plan.plan.steps.find((s) => s.id === 'groups-snapshot')!;
    expect(step.observation.state).toBe('pending');
    expect(step.observation.detail).toMatch(
      /ZIA holds \d+ group\(s\) and \d+ department\(s\); groups: \d+ taken over, 0 new, 0 twin\(s\); departments: \d+ taken over/,
    );
    expect(step.observation.detail).toMatch(/assumes ZIA SCIM takes over a same-named group/);
    const facts = step.observation.facts as Record<string, Record<string, number>> & { assumedReading: string };
    expect(facts.assumedReading).toBe('by-name');
    expect(facts.ziaGroups).toBe(before.groups.size);
    expect(facts.groups!.takeOver).toBeGreaterThan(0);
    expect(facts.departments!.takeOver).toBeGreaterThan(0);
    expect(facts.groups!.twins).toBe(0);

    const result = await h.run(adToScimFlow);
    expect(result.completed).toBe(true);
    const snap = await snapshotOf(h);
    expect(snap.groups.map((g) => g[0]).sort()).toEqual([...before.groups.keys()].sort());
    expect(snap.departments.length).toBe(before.departments.size);
    const after = ziaNow(h);
    for (const [id, name, members] of [...snap.groups]) {
      expect(after.groups.get(id)?.[0]).toBe(name);
      expect(after.groups.get(id)![1]).toBeGreaterThanOrEqual(members);
    }
    for (const [id, name] of snap.departments) expect(after.departments.get(id)?.[0]).toBe(name);
    // No same-named twin: names are unique among groups and among departments.
    const names = (m: Map<number, readonly [string, number]>) => [...m.values()].map((v) => v[0].toLowerCase());
    expect(new Set(names(after.groups)).size).toBe(after.groups.size);
    expect(new Set(names(after.departments)).size).toBe(after.departments.size);
    const state = await h.store.load();
    expect(state!.flows['ad-to-scim']!.steps['groups-verify']!.outputs).toMatchObject({ ok: true, groups: snap.groups.length });
  });

  it('a group that would be created twice blocks the flip, with the policy impact, and nothing is written to ZIA', async () => {
    h = await startHarness({
      users: 30,
      sandbox: { variants: 'zia-scim-group-adoption=new-group' },
      tweak: (c) => {
        c.guards = { ...(c.guards as object), groupAdoption: 'new-group' };
      },
    });
    const groupsBefore = h.sandbox.world.tenant.groups.size;
    h.sandbox.resetLog();
    await expect(h.run(adToScimFlow)).rejects.toThrow(
      /Snapshot ZIA groups.*is blocked: \d+ twin\(s\) forecast.*'GG-Dept-[A-Za-z-]+' would be created a second time beside group \d+ 'GG-Dept-[A-Za-z-]+': URL filtering, firewall and SSL rules that name group \d+ 'GG-Dept-[A-Za-z-]+' would stop matching/s,
    );
    const t = h.sandbox.world.tenant;
    expect(t.getAuthSettings().directorySyncMigrateToScimEnabled).toBe(false);
    expect(t.status).toBe('ACTIVE');
    expect([...t.idps.values()].every((i) => !i.scimEnabled)).toBe(true);
    expect(t.groups.size).toBe(groupsBefore);
    // The only ZIA requests that are not reads: the API session and step 2's Sync Now; nothing reached SCIM.
    const writes = h.sandbox.requests().filter((r) => r.method !== 'GET' && (r.server === 'zia' || r.server === 'scim'));
    expect(writes.map((r) => r.path)).toEqual(['/api/v1/authenticatedSession', '/portal/syncNow']);
    const state = await h.store.load();
    expect(state!.flows['ad-to-scim']!.steps['groups-snapshot']!.status).toBe('failed');
    expect(state!.flows['ad-to-scim']!.steps['enable-migrate-flag']).toBeUndefined();
  });

  it('a twin that appears in the initial cycle is reported after it with its policy impact, and the run stops before parity', async () => {
    // The forecast assumes take-over (the default); ZIA here creates a second group instead.
    h = await startHarness({ users: 30, sandbox: { variants: 'zia-scim-group-adoption=new-group' } });
    const err = await h.run(adToScimFlow).then(
      () => undefined,
      (e: unknown) => e as Error & { exitCode?: number },
    );
    expect(err?.message).toMatch(
      /group \d+ 'GG-Dept-[A-Za-z-]+' has a same-named twin \d+ \(\d+ member\(s\)\): URL filtering, firewall and SSL rules that name group \d+ 'GG-Dept-[A-Za-z-]+' no longer match its users that moved to the twin/,
    );
    expect(err?.message).toMatch(/department \d+ '[^']+' has a same-named twin \d+/);
    expect(err?.exitCode).toBe(1);
    const state = await h.store.load();
    expect(state!.flows['ad-to-scim']!.steps['groups-verify']!.status).toBe('failed');
    expect(state!.flows['ad-to-scim']!.steps['verify-parity']).toBeUndefined();
  });

  it('a group id lost after the flip is reported with its policy impact', async () => {
    h = await startHarness({ users: 30 });
    await expect(h.run(adToScimFlow, { store: new CrashAfter(h.store, 'entra-initial-cycle') })).rejects.toThrow(/simulated crash/);
    const snap = await snapshotOf(h);
    const t = h.sandbox.world.tenant;
    const idpId = h.sandbox.credentials.zia.idpId;
    const victim = snap.groups.find((g) => g[1].startsWith('GG-Dept-'))!;
    t.scimDeleteGroup(idpId, victim[0]); // e.g. unassigned from the app with deletion on
    await expect(h.run(adToScimFlow)).rejects.toThrow(
      new RegExp(
        `group ${victim[0]} '${victim[1]}' is gone: URL filtering, firewall and SSL rules that name group ${victim[0]} '${victim[1]}' no longer match its users`,
      ),
    );
  });

  it('says what it cannot forecast: a department mapped from another attribute (Entra), and an IdP without a forecast (manual)', async () => {
    h = await startHarness({ users: 20 });
    // An admin maps the department from displayName: Entra's schema shows it, and the forecast does not guess.
    h.sandbox.world.entra.userMapping = ZSCALER_USER_MAPPING.map((m) => (m.target === DEPARTMENT_TARGET ? { ...m, source: 'displayName' as const } : m));
    const plan = await h.run(adToScimFlow, { dryRun: true });
    const detail = plan.plan.steps.find((s) => s.id === 'groups-snapshot')!.observation.detail;
    expect(detail).toMatch(/groups: \d+ taken over, 0 new, 0 twin\(s\)/);
    expect(detail).toContain(
      'departments: cannot forecast (the department is mapped from displayName, which this tool does not read; not forecast; verified after the cycle)',
    );
    await h.close();

    h = await startHarness({ users: 20, idp: 'manual' });
    const manual = await h.run(h.forward, { dryRun: true });
    const step = manual.plan.steps.find((s) => s.id === 'groups-snapshot')!;
    expect(step.observation.state).toBe('pending');
    expect(step.observation.detail).toMatch(/groups: cannot forecast \(.*: not forecast; verified after the cycle\)/);
    expect(manual.plan.steps.map((s) => s.id)).toContain('groups-verify');
  });
});
