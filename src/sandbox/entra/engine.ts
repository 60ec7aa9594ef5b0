/**
 * The simulated Entra provisioning engine (docs/vendor-facts.md F30, F33, G8, G15): on `start` it runs an initial
 * cycle over the app's assigned users then groups, paced (`speed` multiplies throughput; at
 * speed 1 about four objects per second, "real-ish" per Microsoft's 0.01–0.08 min per object being
 * far slower: https://learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-when-will-provisioning-finish-specific-user), writing one provisioningObjectSummary per SCIM action.
 *
 * - users: GET /Users?filter=userName eq "<upn>" → POST (create) when none, else an Entra-dialect
 *   PATCH of every mapped attribute that differs, externalId included (a directory-synced user is
 *   found this way and taken over); the attributes come from `state.userMapping` (mapping.ts);
 * - groups: GET /Groups?excludedAttributes=members&filter=displayName eq "…" → POST with empty
 *   members, then PATCH `Add` members;
 * - SCIM 401 → Quarantine with reason EncounteredQuarantineException (docs/vendor-facts.md G16);
 * - pause stops after the current object and keeps the cursor; start resumes there; restart
 *   begins a fresh cycle. Nothing is ever unassigned or deprovisioned (docs/vendor-facts.md F30);
 * - accidental-deletion threshold (SyncNotificationSettings): with it on, a cycle stages its disables
 *   (an active target user whose Entra account is disabled) and exports them at the end only when
 *   fewer than the threshold; otherwise they are held (logged `stagedDelete`, escrowed) and the job
 *   goes into quarantine with reason TooManyDeletes, until a restart with resetScope ForceDeletes
 *   ("Allow deletes") lets the next cycle export them (docs/vendor-facts.md "Entra deletion threshold").
 */
import { randomUUID } from 'node:crypto';
import {
  SCHEMA_AD_GROUP,
  SCHEMA_ENTERPRISE,
  SCHEMA_GROUP,
  SCHEMA_PATCH,
  SCHEMA_USER,
  ScimHttpError,
  findGroupByDisplayName,
  findUserByAttribute,
  scimRequest,
  scimUserSchema,
  type ScimTarget,
  type ScimUser,
} from './scim-client.js';
import {
  assignedGroups,
  assignedUsers,
  deleteThreshold,
  type EntraGroup,
  type EntraState,
  type EntraUser,
  type ProvisioningLogEntry,
  type TaskExecution,
} from './tenant.js';
import { mappedValue, setTarget, targetValue, type AttributeMapping } from './mapping.js';

const BASE_DELAY_MS = 250;
const MEMBERS_PER_PATCH = 100;

/** Entra runs incremental cycles "approximately every 40 minutes" (tutorial); divided by `speed`. */
export const INCREMENTAL_INTERVAL_MS = 40 * 60_000;
/**
 * Escrow quarantine (application-provisioning-quarantine-status): from 5 000 failures on, more
 * than 40 % of the events failed or more than 40 000 failures. The minimum is a state value so
 * tests can reach it with a few users.
 */
export const ESCROW_PROPORTION = 0.4;

interface Cursor {
  cycleId: string;
  mode: 'initial' | 'incremental';
  /** the objects this cycle evaluates, fixed when it begins */
  users: EntraUser[];
  groups: EntraGroup[];
  /** index into [...users, ...groups] of the next object to process */
  next: number;
  began: string;
  exported: number;
  failed: number;
  /** users + groups in scope when this run of the cycle started (reported as entitled/imported) */
  total: number;
  /** The accidental-deletion threshold read when the cycle began (null: off). */
  threshold: number | null;
  /** Disables staged under the threshold, exported (or held) when the cycle ends. */
  staged: Array<{ user: EntraUser; targetId: string }>;
}

export class ProvisioningEngine {
  private running: Promise<void> | null = null;
  private pauseRequested = false;
  private stopped = false;
  private cursor: Cursor | null = null;
  /** An initial cycle has completed since the last restart: later cycles are incremental. */
  private initialDone = false;
  private nextCycle: NodeJS.Timeout | null = null;
  /** "Allow deletes" (restart with resetScope ForceDeletes): the next cycle exports held deletes whatever the threshold. */
  private forceDeletes = false;
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(
    private readonly state: EntraState,
    private readonly speed: number,
  ) {}

  /** Abortable sleep: stop() resolves every pending wait at once. */
  private sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (this.stopped) return resolve();
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.timers.add(entry);
    });

  private target(): ScimTarget | null {
    const get = (k: string): string | undefined => this.state.secrets.find((s) => s.key === k)?.value;
    const baseAddress = get('BaseAddress');
    const secretToken = get('SecretToken');
    return baseAddress && secretToken ? { baseAddress, secretToken } : null;
  }

  /** POST …/start: begins (or resumes) a cycle; clears quarantine (docs/vendor-facts.md F30). */
  start(): void {
    const job = this.state.job;
    job.schedule = { ...job.schedule, state: 'Active', interval: 'PT40M' };
    job.status.quarantine = null;
    this.pauseRequested = false;
    this.cancelNext();
    if (!this.running) this.launch();
  }

  /** POST …/restart: a fresh initial cycle (Watermark/Escrows/QuarantineState reset); ForceDeletes alone lets held deletes through. */
  restart(resetScope = ''): void {
    const scopes = resetScope.split(',').map((x) => x.trim());
    if (scopes.length === 1 && scopes[0] === 'ForceDeletes') {
      this.forceDeletes = true;
      this.start();
      return;
    }
    if (scopes.includes('ForceDeletes')) this.forceDeletes = true;
    this.cursor = null;
    this.initialDone = false;
    this.state.escrows.clear();
    this.start();
  }

  private cancelNext(): void {
    if (this.nextCycle) clearTimeout(this.nextCycle);
    this.nextCycle = null;
  }

  /** The next incremental cycle, INCREMENTAL_INTERVAL_MS / speed after the last one ended. */
  private scheduleNext(): void {
    this.cancelNext();
    const job = this.state.job;
    if (this.stopped || this.pauseRequested || job.schedule.state !== 'Active' || job.status.code === 'Quarantine') return;
    this.nextCycle = setTimeout(
      () => {
        this.nextCycle = null;
        if (!this.running && !this.stopped && !this.pauseRequested) this.launch();
      },
      INCREMENTAL_INTERVAL_MS / Math.max(this.speed, 0.001),
    );
    this.nextCycle.unref();
  }

  /** POST …/pause: stop after the current object, keep the cursor (docs/vendor-facts.md F30). */
  async pause(): Promise<void> {
    this.cancelNext();
    this.pauseRequested = true;
    this.state.job.schedule = { ...this.state.job.schedule, state: 'Paused' };
    this.state.job.status.code = 'Paused';
  }

  /** Resolves once no object is in flight (after a pause: the current object has been written). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelNext();
    this.pauseRequested = true;
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.timers.clear();
    await this.running;
  }

  private launch(): void {
    this.running = this.runCycle()
      .catch(() => undefined)
      .finally(() => {
        this.running = null;
        // A start that arrived while the previous loop was winding down: run again.
        const job = this.state.job;
        if (!this.pauseRequested && !this.stopped && this.cursor && job.schedule.state === 'Active' && job.status.code !== 'Quarantine') {
          this.launch();
        } else if (!this.cursor) {
          this.scheduleNext();
        }
      });
  }

  private execution(cursor: Cursor, state: TaskExecution['state'], error: TaskExecution['error']): TaskExecution {
    // From the cursor: recounting the assignments here ran after every object (n² per cycle).
    const total = cursor.total;
    return {
      activityIdentifier: cursor.cycleId,
      countEntitled: total,
      countExported: cursor.exported,
      countImported: total,
      countEscrowed: this.state.escrows.size,
      error,
      state,
      timeBegan: cursor.began,
      timeEnded: state === 'Succeeded' || state === 'Failed' ? new Date().toISOString() : null,
    };
  }

  private async runCycle(): Promise<void> {
    const job = this.state.job;
    const target = this.target();
    if (!target) {
      this.quarantine('SecretsMissing', 'BaseAddress and SecretToken are not saved; PUT …/synchronization/secrets first.');
      return;
    }
    if (!this.cursor) {
      // Initial: everything in scope. Incremental (how-provisioning-works): what is new in scope
      // since the watermark, and the escrowed objects, retried; groups holding a retried user follow.
      let users = assignedUsers(this.state);
      let groups = assignedGroups(this.state);
      const mode = this.initialDone ? 'incremental' : 'initial';
      if (mode === 'incremental') {
        const due = (id: string) => this.state.escrows.has(id) || !this.state.targetIds.has(id);
        users = users.filter((u) => due(u.id));
        const retried = new Set(users.map((u) => u.id));
        groups = groups.filter((g) => due(g.id) || g.memberIds.some((m) => retried.has(m)));
      }
      const total = users.length + groups.length;
      this.cursor = {
        cycleId: randomUUID(),
        mode,
        users,
        groups,
        next: 0,
        began: new Date().toISOString(),
        exported: 0,
        failed: 0,
        total,
        threshold: deleteThreshold(this.state),
        staged: [],
      };
    }
    const cursor = this.cursor;
    const { users, groups, total } = cursor;
    job.status.code = 'Active';
    const progress = (): void => {
      job.status.progress = [
        {
          completedUnits: Math.min(cursor.next, users.length),
          totalUnits: users.length,
          units: 'Users',
          progressObservationDateTime: new Date().toISOString(),
        },
      ];
      job.status.lastExecution = this.execution(cursor, 'EntryLevelErrors', null);
    };
    progress();
    const delay = BASE_DELAY_MS / Math.max(this.speed, 0.001);

    while (cursor.next < total) {
      if (this.pauseRequested || this.stopped) return;
      await this.sleep(delay);
      if (this.pauseRequested || this.stopped) return;
      const index = cursor.next;
      const object = index < users.length ? (users[index] as EntraUser) : (groups[index - users.length] as EntraGroup);
      try {
        if (index < users.length) await this.provisionUser(object as EntraUser, target, cursor);
        else await this.provisionGroup(object as EntraGroup, target, cursor);
        this.state.escrows.delete(object.id);
      } catch (err) {
        if (err instanceof ScimHttpError && err.status === 401) {
          this.quarantine(
            'SystemForCrossDomainIdentityManagementCredentialValidationUnavailable',
            `The SCIM endpoint rejected the Secret Token: ${err.method} ${err.path} answered HTTP 401. Update the credentials and start the job again.`,
          );
          return;
        }
        // Other failures are entry-level errors: logged, escrowed for the next cycle, the cycle goes on.
        cursor.failed++;
        const prior = this.state.escrows.get(object.id);
        this.state.escrows.set(object.id, { count: (prior?.count ?? 0) + 1, lastError: err instanceof Error ? err.message : String(err) });
      }
      cursor.next = index + 1;
      progress();
    }

    if (cursor.staged.length > 0 && !(await this.exportStaged(cursor, target))) return;

    const now = new Date().toISOString();
    if (cursor.mode === 'initial') this.initialDone = true;
    if (cursor.failed > 0) {
      // Entry-level errors: the cycle ends, nothing is "successful" or steady until the escrows clear.
      job.status.lastExecution = this.execution(cursor, 'EntryLevelErrors', null);
      job.status.lastExecution.timeEnded = now;
      const minimum = this.state.escrowQuarantineMinimum;
      if (cursor.mode === 'incremental' && cursor.failed >= minimum && (cursor.failed / total > ESCROW_PROPORTION || cursor.failed > 40_000)) {
        this.quarantine(
          'EncounteredEscrowProportionThreshold',
          `${cursor.failed} of ${total} evaluated objects failed (more than 40 %).`,
          'EncounteredEscrowProportionThreshold',
        );
      }
      this.cursor = null;
      return;
    }
    const done = this.execution(cursor, 'Succeeded', null);
    job.status.lastExecution = done;
    job.status.lastSuccessfulExecution = done;
    if (cursor.exported > 0) job.status.lastSuccessfulExecutionWithExports = done;
    if (job.status.steadyStateFirstAchievedTime.startsWith('0001')) job.status.steadyStateFirstAchievedTime = now;
    job.status.steadyStateLastAchievedTime = now;
    job.status.synchronizedEntryCountByType = [
      { key: `user to ${SCHEMA_USER}`, value: users.length },
      { key: `group to ${SCHEMA_GROUP}`, value: groups.length },
    ];
    job.status.countSuccessiveCompleteFailures = 0;
    this.cursor = null;
  }

  /**
   * The end of a cycle with staged disables: fewer than the threshold (or allowed by ForceDeletes)
   * are exported; as many or more are held, logged as stagedDelete and escrowed, and the job is
   * quarantined (TooManyDeletes). Returns false when the cycle was held.
   */
  private async exportStaged(cursor: Cursor, target: ScimTarget): Promise<boolean> {
    const threshold = cursor.threshold;
    if (threshold !== null && cursor.staged.length >= threshold && !this.forceDeletes) {
      for (const { user, targetId } of cursor.staged) {
        const began = Date.now();
        this.state.escrows.set(user.id, { count: (this.state.escrows.get(user.id)?.count ?? 0) + 1, lastError: 'held by the accidental-deletion threshold' });
        this.log(cursor, { id: user.id, displayName: user.displayName, identityType: 'User' }, targetId, 'stagedDelete', 'skipped', began);
      }
      this.quarantine(
        'TooManyDeletes',
        `${cursor.staged.length} deletes and disables in this cycle reached the accidental-deletion threshold (${threshold}); they are held until an administrator allows them or removes their cause.`,
        'TooManyDeletes',
      );
      this.cursor = null;
      return false;
    }
    this.forceDeletes = false;
    const opts = { sleep: this.sleep };
    for (const { user, targetId } of cursor.staged) {
      const began = Date.now();
      const source = { id: user.id, displayName: user.displayName, identityType: 'User' as const };
      try {
        await scimRequest(
          target,
          'PATCH',
          `/Users/${encodeURIComponent(targetId)}`,
          { schemas: [SCHEMA_PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
          opts,
        );
        cursor.exported++;
        this.state.escrows.delete(user.id);
        this.log(cursor, source, targetId, 'disable', 'success', began, null, [{ displayName: 'active', oldValue: null, newValue: 'False' }]);
      } catch (err) {
        cursor.failed++;
        this.state.escrows.set(user.id, {
          count: (this.state.escrows.get(user.id)?.count ?? 0) + 1,
          lastError: err instanceof Error ? err.message : String(err),
        });
        this.log(cursor, source, targetId, 'disable', 'failure', began, this.failure(err));
      }
    }
    cursor.staged = [];
    return true;
  }

  private quarantine(code: string, message: string, reason = 'EncounteredQuarantineException'): void {
    const job = this.state.job;
    const now = new Date();
    const prior = job.status.quarantine;
    job.status.code = 'Quarantine';
    job.status.countSuccessiveCompleteFailures += 1;
    job.status.quarantine = {
      currentBegan: now.toISOString(),
      // docs/vendor-facts.md G16: retries at 6 h, 12 h, 24 h, then daily.
      nextAttempt: new Date(now.getTime() + 6 * 3600_000).toISOString(),
      reason,
      seriesBegan: prior?.seriesBegan ?? now.toISOString(),
      seriesCount: (prior?.seriesCount ?? 0) + 1,
      error: { code, message, tenantActionable: true },
    };
    if (this.cursor) {
      job.status.lastExecution = this.execution(this.cursor, 'Failed', { code, message });
    }
  }

  private log(
    cursor: Pick<Cursor, 'cycleId'>,
    source: { id: string; displayName: string; identityType: 'User' | 'Group' },
    targetId: string,
    action: ProvisioningLogEntry['provisioningAction'],
    status: ProvisioningLogEntry['provisioningStatusInfo']['status'],
    began: number,
    error: ProvisioningLogEntry['provisioningStatusInfo']['errorInformation'] = null,
    modified: ProvisioningLogEntry['modifiedProperties'] = [],
  ): void {
    this.state.logs.push({
      id: randomUUID(),
      activityDateTime: new Date().toISOString(),
      tenantId: this.state.tenantId,
      jobId: this.state.job.id,
      cycleId: cursor.cycleId,
      changeId: randomUUID(),
      provisioningAction: action,
      durationInMilliseconds: Date.now() - began,
      provisioningStatusInfo: { status, errorInformation: error },
      sourceIdentity: source,
      targetIdentity: { id: targetId, displayName: source.displayName, identityType: source.identityType },
      servicePrincipal: { id: this.state.servicePrincipal.id, displayName: this.state.servicePrincipal.displayName },
      modifiedProperties: modified,
    });
  }

  private failure(err: unknown): ProvisioningLogEntry['provisioningStatusInfo']['errorInformation'] {
    if (err instanceof UserFault) return { errorCode: err.errorCode, reason: err.message };
    if (err instanceof ScimHttpError) {
      return { errorCode: `SystemForCrossDomainIdentityManagementBadResponse`, reason: `${err.message}: ${err.body}` };
    }
    return { errorCode: 'Unknown', reason: err instanceof Error ? err.message : String(err) };
  }

  /**
   * provisionOnDemand (docs/vendor-facts.md N4, N5): one user, now, through
   * the same provisionUser as a cycle; the job's schedule and status are not touched (the job is
   * not started). Returns the documented stringKeyStringValuePair, key and value JSON-encoded.
   */
  async provisionOnDemand(userId: string): Promise<{ key: string; value: string }> {
    const startTime = new Date().toISOString();
    const user = this.state.users.find((u) => u.id === userId);
    const answer = (result: string, details: Record<string, string>, value: Record<string, unknown>) => ({
      key: JSON.stringify({ result, details }),
      value: JSON.stringify({ changeId: randomUUID(), startTime, endTime: new Date().toISOString(), ...value }),
    });
    const identity = (id: string | null, type: string) => ({ id, type, displayName: null, details: null });
    if (!user) {
      return answer(
        'Failure',
        { errorCode: 'EntryNotFound', errorMessage: `The object ${userId} was not found in Azure Active Directory.` },
        {
          action: 'Other',
          statusInfo: { status: 'Failure', errorCode: 'EntryNotFound', reason: 'The source object was not found.' },
          sourceIdentity: identity(userId, 'User'),
        },
      );
    }
    const importStep = {
      name: 'EntryImport',
      type: 'Import',
      status: 'Success',
      description: `Retrieved User '${user.userPrincipalName}' from Azure Active Directory`,
    };
    const target = this.target();
    if (!target) {
      const reason = 'BaseAddress and SecretToken are not saved on the app.';
      return answer(
        'Failure',
        { errorCode: 'SystemForCrossDomainIdentityManagementCredentialValidationUnavailable', errorMessage: reason },
        {
          action: 'Other',
          provisioningSteps: [{ name: 'EntryConnectionTest', type: 'Import', status: 'Failure', description: reason }],
          statusInfo: { status: 'Failure', errorCode: 'SystemForCrossDomainIdentityManagementCredentialValidationUnavailable', reason },
          sourceIdentity: identity(user.id, 'User'),
        },
      );
    }
    if (!assignedUsers(this.state).some((u) => u.id === user.id)) {
      // Step 3 of on-demand provisioning: not assigned (or Default Access) → not in scope, skipped.
      const reason = `The User '${user.userPrincipalName}' is not in scope: it is not assigned to the application with a role that is provisioned.`;
      return answer(
        'Skipped',
        { errorCode: 'NotEffectivelyEntitled', errorMessage: reason },
        {
          action: 'Other',
          reportableIdentifier: user.userPrincipalName,
          provisioningSteps: [importStep, { name: 'EntrySynchronizationScoping', type: 'Scoping', status: 'Skipped', description: reason }],
          statusInfo: { status: 'Skipped', errorCode: 'NotEffectivelyEntitled', reason },
          sourceIdentity: identity(user.id, 'User'),
        },
      );
    }
    const run = { cycleId: randomUUID(), exported: 0 };
    try {
      const done = await this.provisionUser(user, target, run);
      this.state.escrows.delete(user.id);
      const skipped = done.status === 'skipped';
      return answer(
        skipped ? 'Skipped' : 'Success',
        skipped ? { errorCode: 'RedundantExport', errorMessage: 'The state of the user in both the source and target systems already match.' } : {},
        {
          action: done.action === 'create' ? 'Create' : done.action === 'update' ? 'Update' : 'Other',
          reportableIdentifier: user.userPrincipalName,
          modifiedProperties: done.modified,
          provisioningSteps: [
            importStep,
            { name: 'EntryImport', type: 'Matching', status: 'Success', description: `Retrieved '${user.userPrincipalName}' from customappsso` },
            {
              name: 'EntrySynchronizationScoping',
              type: 'Scoping',
              status: 'Success',
              description: 'Determine if User in scope by evaluating against each scoping filter',
            },
            {
              name: skipped ? 'EntrySynchronizationSkip' : done.action === 'create' ? 'EntryExportAdd' : 'EntryExportUpdate',
              type: 'Export',
              status: skipped ? 'Skipped' : 'Success',
              description: skipped
                ? `No change to the User '${user.userPrincipalName}' currently needs to be made.`
                : `User '${user.userPrincipalName}' was ${done.action === 'create' ? 'created' : 'updated'} in customappsso`,
            },
          ],
          statusInfo: { status: skipped ? 'Skipped' : 'Success', errorCode: null, reason: null },
          sourceIdentity: identity(user.id, 'User'),
          targetIdentity: identity(done.targetId, SCHEMA_USER),
        },
      );
    } catch (err) {
      const info = this.failure(err) ?? { errorCode: 'Unknown', reason: 'unknown' };
      return answer(
        'Failure',
        { errorCode: info.errorCode, errorMessage: info.reason },
        {
          action: 'Other',
          reportableIdentifier: user.userPrincipalName,
          provisioningSteps: [importStep, { name: 'EntryExport', type: 'Export', status: 'Failure', description: info.reason }],
          statusInfo: { status: 'Failure', errorCode: info.errorCode, reason: info.reason },
          sourceIdentity: identity(user.id, 'User'),
          targetIdentity: identity(this.state.targetIds.get(user.id) ?? null, SCHEMA_USER),
        },
      );
    }
  }

  /** Provisions one user (a cycle's object or an on-demand request); throws when its export fails (logged first). */
  private async provisionUser(
    user: EntraUser,
    target: ScimTarget,
    // An on-demand request has no cycle, so nothing is counted against the threshold (threshold and staged absent).
    cursor: Pick<Cursor, 'cycleId' | 'exported'> & Partial<Pick<Cursor, 'threshold' | 'staged'>>,
  ): Promise<{ action: 'create' | 'update' | 'other'; status: 'success' | 'skipped'; targetId: string; modified: ProvisioningLogEntry['modifiedProperties'] }> {
    const began = Date.now();
    const source = { id: user.id, displayName: user.displayName, identityType: 'User' as const };
    const opts = { sleep: this.sleep };
    let action: 'create' | 'update' = 'create';
    try {
      const fault = this.state.userFaults.get(user.userPrincipalName.toLowerCase());
      if (fault) throw new UserFault(fault.errorCode, fault.reason);
      const mapping = this.state.userMapping;
      const match: AttributeMapping = mapping.find((m) => m.matching) ?? { source: 'userPrincipalName', target: 'userName' };
      const matchValue = mappedValue(user, match);
      if (matchValue === null || matchValue === '') {
        // No value for the matching attribute: nothing to match on or create with; skipped, not retried (inferred).
        this.log(cursor, source, '', 'other', 'skipped', began, {
          errorCode: 'MatchingAttributeEmpty',
          reason: `the matching attribute ${match.target} has no value`,
        });
        return { action: 'other', status: 'skipped', targetId: '', modified: [] };
      }
      const existing = await findUserByAttribute(target, match.target, String(matchValue), opts);
      if (!existing) {
        const { json } = await scimRequest(target, 'POST', '/Users', createBody(user, mapping), opts);
        const created = scimUserSchema.parse(json);
        this.state.targetIds.set(user.id, created.id);
        cursor.exported++;
        this.log(cursor, source, created.id, 'create', 'success', began);
        return { action: 'create', status: 'success', targetId: created.id, modified: [] };
      }
      action = 'update';
      this.state.targetIds.set(user.id, existing.id);
      let ops = patchOps(user, existing, mapping);
      if (cursor.threshold != null && cursor.staged) {
        // Counted against the threshold: a disable is staged until the cycle ends; the other changes go now.
        const disable = ops.find((o) => o.path === 'active' && o.value === 'False');
        if (disable) {
          cursor.staged.push({ user, targetId: existing.id });
          ops = ops.filter((o) => o !== disable);
        }
      }
      if (ops.length === 0) {
        // Already matches: Entra logs these as skipped ("RedundantExport", docs/vendor-facts.md F31).
        this.log(cursor, source, existing.id, 'other', 'skipped', began);
        return { action: 'other', status: 'skipped', targetId: existing.id, modified: [] };
      }
      await scimRequest(target, 'PATCH', `/Users/${encodeURIComponent(existing.id)}`, { schemas: [SCHEMA_PATCH], Operations: ops }, opts);
      cursor.exported++;
      const modified = ops.map((o) => ({ displayName: o.path, oldValue: null, newValue: String(o.value) }));
      this.log(cursor, source, existing.id, 'update', 'success', began, null, modified);
      return { action: 'update', status: 'success', targetId: existing.id, modified };
    } catch (err) {
      this.log(cursor, source, this.state.targetIds.get(user.id) ?? '', action, 'failure', began, this.failure(err));
      throw err;
    }
  }

  private async provisionGroup(group: EntraGroup, target: ScimTarget, cursor: Cursor): Promise<void> {
    const began = Date.now();
    const source = { id: group.id, displayName: group.displayName, identityType: 'Group' as const };
    const opts = { sleep: this.sleep };
    let action: 'create' | 'update' = 'create';
    try {
      let id = (await findGroupByDisplayName(target, group.displayName, opts))?.id;
      if (!id) {
        const { json } = await scimRequest(
          target,
          'POST',
          '/Groups',
          // docs/vendor-facts.md F33: groups are created with EMPTY members, members follow by PATCH.
          { schemas: [SCHEMA_GROUP, SCHEMA_AD_GROUP], externalId: group.id, displayName: group.displayName, members: [] },
          opts,
        );
        id = scimUserSchema.pick({ id: true }).parse(json).id;
        cursor.exported++;
      } else {
        action = 'update';
      }
      this.state.targetIds.set(group.id, id);
      const memberIds = group.memberIds.map((m) => this.state.targetIds.get(m)).filter((m): m is string => m !== undefined);
      for (let i = 0; i < memberIds.length; i += MEMBERS_PER_PATCH) {
        const chunk = memberIds.slice(i, i + MEMBERS_PER_PATCH);
        await scimRequest(
          target,
          'PATCH',
          `/Groups/${encodeURIComponent(id)}`,
          { schemas: [SCHEMA_PATCH], Operations: [{ op: 'Add', path: 'members', value: chunk.map((value) => ({ value })) }] },
          opts,
        );
      }
      if (memberIds.length > 0 && action === 'update') cursor.exported++;
      this.log(cursor, source, id, action, 'success', began);
    } catch (err) {
      this.log(cursor, source, this.state.targetIds.get(group.id) ?? '', action, 'failure', began, this.failure(err));
      throw err;
    }
  }
}

/** A failure the sandbox was told to give one user (`StartEntraServiceOptions.userFaults`): logged with its errorCode. */
class UserFault extends Error {
  constructor(
    readonly errorCode: string,
    reason: string,
  ) {
    super(reason);
  }
}

function createBody(user: EntraUser, mapping: readonly AttributeMapping[]): Record<string, unknown> {
  const body: Record<string, unknown> = { schemas: [SCHEMA_USER, SCHEMA_ENTERPRISE] };
  for (const m of mapping) {
    const v = mappedValue(user, m);
    // Entra leaves out attributes whose source is empty.
    if (v !== null && v !== '') setTarget(body, m.target, v);
  }
  return { ...body, roles: [], meta: { resourceType: 'User' } };
}

interface PatchOp {
  op: 'Replace' | 'Add';
  path: string;
  value: string;
}

/**
 * Entra's default-dialect update: one capitalised `Replace` per mapped path that differs (docs/vendor-facts.md F33),
 * externalId included, so a matched user (one Entra did not create) is linked to its Entra object.
 */
export function patchOps(user: EntraUser, existing: ScimUser, mapping: readonly AttributeMapping[]): PatchOp[] {
  const ops: PatchOp[] = [];
  for (const m of mapping) {
    if (m.matching) continue;
    const want = mappedValue(user, m);
    const have = targetValue(existing, m.target);
    if (typeof want === 'boolean') {
      const is = have === true || String(have).toLowerCase() === 'true';
      // docs/vendor-facts.md F33: the default job sends the STRING "False"/"True", not a boolean.
      if (is !== want) ops.push({ op: 'Replace', path: m.target, value: want ? 'True' : 'False' });
      continue;
    }
    if (want === null || want === '') continue;
    if (have !== want) ops.push({ op: 'Replace', path: m.target, value: want });
  }
  return ops;
}
