import { randomUUID } from 'node:crypto';
import { assignedGroups, assignedUsers } from '../../src/sandbox/entra/tenant.js';
import { forecastAdoption } from '../../src/idps/entra/forecast.js';
import { CrashAfter, startHarness, type Harness } from './harness.js';
import { adToScimFlow } from './entra-flows.js';

/**
 * Issue 17, part 1: the two causes of failed provisioning "Understanding SCIM" states (a userName in a domain
 * not registered with the tenant; more than 128 groups), forecast and then really refused by the simulated
 * ZIA SCIM service during Entra's initial cycle: the forecast's lists equal, user for user, the users Entra
 * then fails (its provisioning log). The forecast only counts them: it does not block the flip.
 */

const UNREGISTERED = 'unregistered.example';
const EXTRA_GROUPS = 130;

describe('adoption forecast: unregistered domains and the 128-group limit against the SCIM refusals', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('forecast equals outcome for both causes, and neither blocks the flip', async () => {
    h = await startHarness({ users: 40 });
    const entra = h.sandbox.world.entra;
    const synced = assignedUsers(entra).filter((u) => u.sourceDn !== null);
    // A world tweak: three users whose UPN (the userName Entra sends) and mail moved to a domain ZIA does not know.
    const moved = synced.slice(0, 3);
    for (const u of moved) {
      u.userPrincipalName = `${u.userPrincipalName.split('@')[0]}@${UNREGISTERED}`;
      u.mail = u.userPrincipalName;
    }
    // One user (in a registered domain) in 130 more groups assigned to the app: ZIA keeps at most 128 per user.
    const crowded = synced[5]!;
    const role = entra.assignments.find((a) => a.principalType === 'Group')!.appRoleId;
    for (let i = 0; i < EXTRA_GROUPS; i++) {
      const id = randomUUID();
      entra.groups.push({ id, displayName: `Crowd ${String(i).padStart(3, '0')}`, onPremisesSecurityIdentifier: null, memberIds: [crowded.id] });
      entra.assignments.push({ id: randomUUID(), principalId: id, principalType: 'Group', appRoleId: role, createdDateTime: new Date().toISOString() });
    }
    expect(assignedGroups(entra).length).toBeGreaterThan(EXTRA_GROUPS);

    const f = await forecastAdoption(h.ctx({ readOnly: true }));
    const forecastUnregistered = [...f.users].filter(([, u]) => u.unregisteredDomain !== undefined).map(([id]) => id);
    const forecastOverLimit = [...f.users].filter(([, u]) => u.overGroupLimit).map(([id]) => id);
    expect(forecastUnregistered.sort()).toEqual(moved.map((u) => u.id).sort());
    expect(forecastOverLimit).toEqual([crowded.id]);

    // The plan (dry run) counts and lists them; the step is done, not blocked.
    const plan = await h.run(adToScimFlow, { dryRun: true });
    const step = plan.plan.steps.find((s) => s.id === 'entra-adoption-forecast')!;
    expect(step.observation.state).toBe('done');
    const counts = (step.observation.facts!.forecast as { counts: Record<string, number> }).counts;
    expect([counts.unregisteredDomain, counts.overGroupLimit]).toEqual([3, 1]);

    // The flip and Start; then Entra's initial cycle, observed until it ends with its entry-level errors.
    await expect(h.run(adToScimFlow, { store: new CrashAfter(h.store, 'entra-start') })).rejects.toThrow('simulated crash');
    while (!(entra.job.status.lastExecution?.state === 'EntryLevelErrors' && entra.job.status.lastExecution.timeEnded)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const logs = entra.logs.filter((l) => l.provisioningStatusInfo.status === 'failure');
    expect(logs.length).toBeGreaterThan(0);
    const refusedDomain = new Set(
      logs
        .filter(
          (l) => l.sourceIdentity.identityType === 'User' && /is not registered with this tenant/.test(l.provisioningStatusInfo.errorInformation?.reason ?? ''),
        )
        .map((l) => l.sourceIdentity.id),
    );
    const byScimId = new Map([...entra.targetIds].map(([entraId, scimId]) => [scimId, entraId]));
    const refusedGroups = new Set(
      logs
        .filter((l) => l.sourceIdentity.identityType === 'Group')
        .map((l) => /user (\S+) already belongs to 128 groups/.exec(l.provisioningStatusInfo.errorInformation?.reason ?? '')?.[1])
        .filter((s): s is string => s !== undefined)
        .map((scimId) => byScimId.get(scimId) ?? `unknown SCIM id ${scimId}`),
    );
    expect([...refusedDomain].sort()).toEqual(forecastUnregistered.sort());
    expect([...refusedGroups]).toEqual(forecastOverLimit);
    // Nothing else failed: every failure is one of the two forecast causes.
    expect(
      logs.filter(
        (l) => !refusedDomain.has(l.sourceIdentity.id) && !/already belongs to 128 groups/.test(l.provisioningStatusInfo.errorInformation?.reason ?? ''),
      ),
    ).toEqual([]);
    // No ZIA user was created in the unregistered domain.
    expect([...h.sandbox.world.tenant.users.values()].filter((u) => u.userName.endsWith(`@${UNREGISTERED}`))).toEqual([]);
  });
});
