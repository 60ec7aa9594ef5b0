/**
 * Okta's provisioning engine as a SCIM client (docs/vendor-facts.md K11, Okta's SCIM 2.0 reference for
 * OIN apps), pushing to the Zscaler SCIM service the app's connection names:
 *
 * - a user to push: `GET /Users?filter=userName eq "<login>"&startIndex=1&count=100`; none → `POST /Users`
 *   with `password` (random) and `groups: []`, `active: true`; found → linked, then `GET /Users/{id}` and
 *   `PUT /Users/{id}` with the profile (OIN apps send PUT for profile updates);
 * - deactivation (an unassigned user, or one deactivated in Okta, with Deactivate Users on):
 *   `PATCH /Users/{id}` `{"Operations":[{"op":"replace","value":{"active":false}}]}` — never DELETE;
 * - group push: lookup by displayName, else `POST /Groups` with `members: []`; then PATCH with the rename
 *   op Okta sends on every update (`{"op":"replace","value":{"id","displayName"}}`) and `add` of the
 *   members that are assigned and provisioned; DELETE only when a mapping is removed with deleteTargetGroup.
 *
 * The documented pitfall (K10): an assignment made while provisioning was off is never pushed, until
 * the admin clicks Provision User or unassigns and assigns again. Work is queued and paced like the
 * Entra engine (`speed` divides the delay); a 429 from the target is waited out (Retry-After).
 */
import { randomBytes } from 'node:crypto';
import { SCHEMA_ENTERPRISE, SCHEMA_GROUP, SCHEMA_PATCH, SCHEMA_USER } from '../scim/resources.js';
import { provisioningOn, userById, type AppUserRec, type OktaAppRec, type OktaOrgState, type OktaUser } from './org.js';

const BASE_DELAY_MS = 250;
const MEMBERS_PER_PATCH = 100;
export const OKTA_SCIM_USER_AGENT = 'Okta SCIM Client 1.0.0';

export class ScimCallError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly body: string,
  ) {
    super(`SCIM ${method} ${path} answered HTTP ${status}`);
  }
}

type Job =
  | { kind: 'user'; appId: string; userId: string }
  | { kind: 'deactivate'; appId: string; userId: string; externalId: string }
  | { kind: 'group'; appId: string; mappingId: string }
  | { kind: 'unlink-group'; appId: string; targetGroupId: string };

const keyOf = (j: Job): string =>
  j.kind === 'group'
    ? `group|${j.appId}|${j.mappingId}`
    : j.kind === 'unlink-group'
      ? `unlink|${j.appId}|${j.targetGroupId}`
      : `${j.kind}|${j.appId}|${j.userId}`;

export class OktaProvisioningEngine {
  private readonly queue: Job[] = [];
  private readonly queued = new Set<string>();
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  /** Requests the engine sent, in order (method and path), for tests of Okta's request pattern. */
  readonly sent: Array<{ method: string; path: string; body: unknown }> = [];

  constructor(
    private readonly state: OktaOrgState,
    private readonly speed: number,
  ) {}

  private app(appId: string): OktaAppRec | undefined {
    return this.state.apps.find((a) => a.id === appId);
  }

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

  enqueue(job: Job): void {
    if (this.stopped) return;
    const k = keyOf(job);
    if (this.queued.has(k)) return this.kick();
    this.queued.add(k);
    // Users before groups, so a group push finds its members provisioned.
    if (job.kind === 'group') this.queue.push(job);
    else {
      const firstGroup = this.queue.findIndex((j) => j.kind === 'group');
      if (firstGroup < 0) this.queue.push(job);
      else this.queue.splice(firstGroup, 0, job);
    }
    if (job.kind === 'user') {
      const a = this.app(job.appId)?.appUsers.get(job.userId);
      if (a && a.status !== 'PROVISIONED') {
        a.status = 'STAGED';
        a.syncState = 'SYNCING';
      }
    }
    this.kick();
  }

  /**
   * Provisioning was turned on (connection ENABLED and Create Users): every assignment that Okta pushes,
   * and every active group push mapping. Assignments made before provisioning was enabled are skipped (K10).
   */
  provisioningEnabled(app: OktaAppRec): void {
    if (!provisioningOn(app)) return;
    for (const a of app.appUsers.values()) {
      if (a.assignedBeforeProvisioning || a.status === 'PROVISIONED' || a.status === 'DEPROVISIONED') continue;
      this.enqueue({ kind: 'user', appId: app.id, userId: a.userId });
    }
    for (const m of app.mappings) if (m.status === 'ACTIVE') this.enqueue({ kind: 'group', appId: app.id, mappingId: m.id });
    this.kick(); // jobs held while provisioning was off run now
  }

  private groupsHeld = 0;

  /**
   * Holds group pushes (queued, not sent) until the returned release is called: a test's way to stand at the
   * moment the users are pushed and the groups are not yet, which Okta's read API shows as ACTIVE mappings
   * without `lastPush`.
   */
  holdGroupPushes(): () => void {
    this.groupsHeld++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.groupsHeld--;
      this.kick();
    };
  }

  /** Resolves when nothing is queued or running (tests wait for this observed state, not for time). */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get pending(): number {
    return this.queue.length + (this.running ? 1 : 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    this.queued.clear();
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.timers.clear();
    await this.running;
  }

  private kick(): void {
    if (this.running || this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = null;
      if (this.queue.length > 0 && !this.stopped && this.queue.some((j) => this.runnable(j))) this.kick();
      else for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /** A job waits while its app's provisioning is off (connection deactivated, Create Users off). */
  private runnable(j: Job): boolean {
    const app = this.app(j.appId);
    if (!app || app.connection?.status !== 'ENABLED') return false;
    if (j.kind === 'group' && this.groupsHeld > 0) return false;
    return j.kind === 'user' ? app.provisioning.create : true;
  }

  private async drain(): Promise<void> {
    const delay = BASE_DELAY_MS / Math.max(this.speed, 0.001);
    for (;;) {
      if (this.stopped) return;
      const i = this.queue.findIndex((j) => this.runnable(j));
      if (i < 0) return;
      const job = this.queue.splice(i, 1)[0] as Job;
      this.queued.delete(keyOf(job));
      await this.sleep(delay);
      if (this.stopped) return;
      try {
        await this.run(job);
      } catch {
        // recorded on the app user or mapping by run(); the queue goes on
      }
    }
  }

  private async run(job: Job): Promise<void> {
    const app = this.app(job.appId);
    if (!app?.connection) return;
    if (job.kind === 'user') return this.pushUser(app, job.userId);
    if (job.kind === 'deactivate') return this.deactivate(app, job.userId, job.externalId);
    if (job.kind === 'group') return this.pushGroup(app, job.mappingId);
    await this.request(app, 'DELETE', `/Groups/${encodeURIComponent(job.targetGroupId)}`, undefined);
  }

  // ------------------------------------------------------------------ SCIM requests

  private async request(app: OktaAppRec, method: string, path: string, body: unknown): Promise<{ status: number; json: unknown }> {
    const conn = app.connection!;
    this.sent.push({ method, path, body });
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${conn.resolvedUrl.replace(/\/+$/, '')}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${conn.token}`,
          accept: 'application/scim+json',
          'user-agent': OKTA_SCIM_USER_AGENT,
          ...(body === undefined ? {} : { 'content-type': 'application/scim+json; charset=utf-8' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.status === 429 && attempt < 5) {
        const after = Number(res.headers.get('retry-after') ?? '1');
        await this.sleep(Math.max(100, (Number.isFinite(after) ? after : 1) * 1000));
        continue;
      }
      if (res.status >= 400) throw new ScimCallError(res.status, method, path, text.slice(0, 300));
      let json: unknown = null;
      if (text.trim() !== '') {
        try {
          json = JSON.parse(text);
        } catch {
          throw new ScimCallError(res.status, method, path, `non-JSON body: ${text.slice(0, 200)}`);
        }
      }
      return { status: res.status, json };
    }
  }

  private fail(a: AppUserRec, err: unknown): void {
    a.syncState = 'ERROR';
    a.error = err instanceof ScimCallError ? `${err.message}: ${err.body}` : err instanceof Error ? err.message : String(err);
    a.lastUpdated = new Date().toISOString();
  }

  private userBody(user: OktaUser, id?: string): Record<string, unknown> {
    const p = user.profile;
    return {
      schemas: [SCHEMA_USER, SCHEMA_ENTERPRISE],
      ...(id ? { id } : {}),
      userName: p.login,
      name: { givenName: p.firstName, familyName: p.lastName },
      ...(p.email ? { emails: [{ primary: true, value: p.email, type: 'work' }] } : {}),
      displayName: p.displayName,
      locale: 'en-US',
      externalId: user.id,
      ...(p.department ? { [SCHEMA_ENTERPRISE]: { department: p.department } } : {}),
    };
  }

  private async pushUser(app: OktaAppRec, userId: string): Promise<void> {
    const a = app.appUsers.get(userId);
    const user = userById(this.state, userId);
    if (!a || !user) return;
    try {
      const q = `filter=${encodeURIComponent(`userName eq "${user.profile.login.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)}&startIndex=1&count=100`;
      const { json } = await this.request(app, 'GET', `/Users?${q}`, undefined);
      const found = (json as { Resources?: Array<{ id?: unknown }> } | null)?.Resources?.[0];
      let id: string;
      if (found && typeof found.id === 'string') {
        id = found.id;
        if (app.provisioning.update) {
          await this.request(app, 'GET', `/Users/${encodeURIComponent(id)}`, undefined);
          await this.request(app, 'PUT', `/Users/${encodeURIComponent(id)}`, { ...this.userBody(user, id), active: user.status === 'ACTIVE' });
        }
      } else {
        const password = randomBytes(12).toString('base64url');
        const { json: created } = await this.request(app, 'POST', '/Users', { ...this.userBody(user), groups: [], password, active: user.status === 'ACTIVE' });
        const cid = (created as { id?: unknown } | null)?.id;
        if (typeof cid !== 'string') throw new Error('the SCIM service created the user without an id');
        id = cid;
      }
      const now = new Date().toISOString();
      Object.assign(a, { status: 'PROVISIONED', syncState: 'SYNCHRONIZED', externalId: id, lastSync: now, lastUpdated: now, error: null });
      // Membership of pushed groups follows the user.
      for (const m of app.mappings) {
        if (m.status !== 'ACTIVE') continue;
        const g = this.state.groups.find((x) => x.id === m.sourceGroupId);
        if (g?.memberIds.includes(userId) && m.targetGroupId) this.enqueue({ kind: 'group', appId: app.id, mappingId: m.id });
      }
    } catch (err) {
      this.fail(a, err);
      throw err;
    }
  }

  private async deactivate(app: OktaAppRec, userId: string, externalId: string): Promise<void> {
    // OIN apps: PATCH without a path, never DELETE (K11).
    await this.request(app, 'PATCH', `/Users/${encodeURIComponent(externalId)}`, {
      schemas: [SCHEMA_PATCH],
      Operations: [{ op: 'replace', value: { active: false } }],
    });
    const a = app.appUsers.get(userId);
    if (a) Object.assign(a, { status: 'DEPROVISIONED', syncState: 'SYNCHRONIZED', externalId, lastSync: new Date().toISOString() });
  }

  private async pushGroup(app: OktaAppRec, mappingId: string): Promise<void> {
    const m = app.mappings.find((x) => x.id === mappingId);
    const g = m && this.state.groups.find((x) => x.id === m.sourceGroupId);
    if (!m || !g || m.status !== 'ACTIVE') return;
    const name = m.targetGroupName ?? g.name;
    try {
      let id = m.targetGroupId;
      if (!id) {
        const q = `filter=${encodeURIComponent(`displayName eq "${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)}&startIndex=1&count=100`;
        const { json } = await this.request(app, 'GET', `/Groups?${q}`, undefined);
        const found = (json as { Resources?: Array<{ id?: unknown }> } | null)?.Resources?.[0];
        if (found && typeof found.id === 'string') id = found.id;
        else {
          const { json: created } = await this.request(app, 'POST', '/Groups', { schemas: [SCHEMA_GROUP], displayName: name, members: [] });
          const cid = (created as { id?: unknown } | null)?.id;
          if (typeof cid !== 'string') throw new Error('the SCIM service created the group without an id');
          id = cid;
        }
        m.targetGroupId = id;
      }
      const members = g.memberIds
        .map((uid) => app.appUsers.get(uid))
        .filter((a): a is AppUserRec => a !== undefined && a.status === 'PROVISIONED' && a.externalId !== null)
        .map((a) => ({ value: a.externalId as string, display: userById(this.state, a.userId)?.profile.login ?? '' }));
      for (let i = 0; i === 0 || i < members.length; i += MEMBERS_PER_PATCH) {
        await this.request(app, 'PATCH', `/Groups/${encodeURIComponent(id)}`, {
          schemas: [SCHEMA_PATCH],
          Operations: [
            // Okta sends the group's id and name with every update (K11).
            { op: 'replace', value: { id, displayName: name } },
            ...(members.length ? [{ op: 'add', path: 'members', value: members.slice(i, i + MEMBERS_PER_PATCH) }] : []),
          ],
        });
      }
      m.lastPush = new Date().toISOString();
      m.errorSummary = null;
    } catch (err) {
      m.status = 'ERROR';
      m.errorSummary = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }
}
