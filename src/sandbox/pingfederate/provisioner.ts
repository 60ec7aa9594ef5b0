/**
 * The simulated PingFederate provisioning engine (docs/vendor-facts.md P7–P11). Every
 * `synchronizationFrequency` seconds (divided by `speed`) it looks at each SP connection whose
 * connection and channel are both active and whose target holds a Base URL and token, reads the
 * channel's source (the sandbox directory: the users under the user source location's group,
 * nested when `nestedSearch`), and pushes what changed since its last cycle to the SCIM target:
 *
 * - a user it has not provisioned yet: `GET /Users?filter=userName eq "…"` (PingFederate matches
 *   existing Zscaler users on Username, P10); found → `PUT /Users/{id}` with the whole resource
 *   (links a directory-synced user), not found → `POST /Users`; a disabled account is created only
 *   with the option provisionDisabledUsers;
 * - a provisioned user whose mapped attributes or account status changed: `PUT /Users/{id}`;
 * - a provisioned user that left the source location or was disabled: Remove User Action
 *   "Disable" (the default) → `PUT` with `active: false`; "Delete" → `DELETE /Users/{id}`;
 * - groups under the group source location: looked up by displayName, `POST` with their
 *   provisioned members, `PUT` when the membership changed.
 *
 * The request shapes beyond Username matching (PUT rather than PATCH, members in the POST) are
 * the sandbox's reading (P11). A 401 from the target ends the cycle (logged, retried next cycle,
 * as PingFederate logs provisioning errors in provisioner.log); other failures leave the object
 * dirty for the next cycle. Its status (user count, dirty count, last error) is what
 * `provmgr --show-channels` shows on the PingFederate host: there is no admin API for it (P9), so
 * the simulation keeps it in-process only.
 */
import {
  eqFilter,
  listResponseSchema,
  scimRequest,
  scimUserSchema,
  ScimHttpError,
  SCHEMA_ENTERPRISE,
  SCHEMA_GROUP,
  SCHEMA_USER,
  type ScimTarget,
} from '../entra/scim-client.js';
import { isDisabled, type SandboxDirectory, type SandboxDirectoryGroup, type SandboxDirectoryUser } from '../world/directory.js';
import { settingValue, type PfChannel, type PfConnection, type PfState } from './state.js';

const BASE_DELAY_MS = 250;

export interface ProvisionerLogEntry {
  time: string;
  connectionId: string;
  action: 'create' | 'link' | 'update' | 'disable' | 'delete' | 'skip' | 'group-create' | 'group-update' | 'error';
  subject: string;
  detail?: string;
}

/** What `provmgr --show-channels` shows per channel (P9). */
export interface ChannelStatus {
  connectionId: string;
  channel: string;
  /** Users in the provisioner's database for this channel. */
  userCount: number;
  /** In-scope users whose last change is not yet in the target. */
  dirtyCount: number;
  cycles: number;
  lastCycleStarted?: string;
  lastCycleEnded?: string;
  lastError?: string;
}

interface UserRecord {
  scimId: string;
  hash: string;
  active: boolean;
}

interface ChannelDb {
  users: Map<string, UserRecord>;
  groups: Map<string, { scimId: string; hash: string }>;
}

/** The directory attribute a channel's mapping names, as a string (objectGUID in base64). */
function sourceValue(u: SandboxDirectoryUser, attribute: string | undefined): string | undefined {
  switch (attribute) {
    case undefined:
      return undefined;
    case 'objectGUID':
      return u.objectGUID.toString('base64');
    case 'userPrincipalName':
      return u.userPrincipalName;
    case 'mail':
      return u.mail;
    case 'displayName':
      return u.displayName;
    case 'givenName':
      return u.givenName;
    case 'sn':
      return u.sn;
    case 'department':
      return u.department;
    case 'sAMAccountName':
      return u.sAMAccountName;
    default:
      return undefined;
  }
}

/** The SCIM user a channel's attribute mapping makes of a directory user. */
export function userResource(channel: PfChannel, u: SandboxDirectoryUser, active: boolean): Record<string, unknown> | null {
  const field = (name: string): string | undefined => {
    const m = channel.attributeMapping.find((a) => a.fieldName === name);
    if (!m) return undefined;
    const v = sourceValue(u, m.saasFieldInfo.attributeNames?.[0]) ?? m.saasFieldInfo.defaultValue;
    return v === undefined || v === '' ? undefined : v.trim();
  };
  const userName = field('userName');
  if (!userName) return null;
  const r: Record<string, unknown> = { schemas: [SCHEMA_USER, SCHEMA_ENTERPRISE], userName, active };
  const externalId = field('externalId');
  if (externalId) r.externalId = externalId;
  const given = field('firstName');
  const family = field('lastName');
  if (given || family) r.name = { ...(given ? { givenName: given } : {}), ...(family ? { familyName: family } : {}) };
  const displayName = field('displayName');
  if (displayName) r.displayName = displayName;
  const email = field('email');
  if (email) r.emails = [{ value: email, type: 'work', primary: true }];
  const department = field('department');
  if (department) r[SCHEMA_ENTERPRISE] = { department };
  return r;
}

/** The groups under a source location: the group itself and, with nestedSearch, the groups nested in it. */
function groupsUnder(directory: SandboxDirectory, groupDn: string, nested: boolean): SandboxDirectoryGroup[] {
  const byDn = new Map(directory.groups.map((g) => [g.dn.toLowerCase(), g]));
  const root = byDn.get(groupDn.toLowerCase());
  if (!root) return [];
  const out: SandboxDirectoryGroup[] = [root];
  const seen = new Set([root.dn.toLowerCase()]);
  for (let i = 0; nested && i < out.length; i++) {
    for (const m of (out[i] as SandboxDirectoryGroup).member) {
      const g = byDn.get(m.toLowerCase());
      if (g && !seen.has(g.dn.toLowerCase())) {
        seen.add(g.dn.toLowerCase());
        out.push(g);
      }
    }
  }
  return out;
}

/** The users a channel reads: members of the user source group (nested), under the base DN; everyone under the base DN without a group. */
export function usersInScope(directory: SandboxDirectory, channel: PfChannel): SandboxDirectoryUser[] {
  const src = channel.channelSource;
  const base = src.baseDn.toLowerCase();
  const under = directory.users.filter((u) => u.dn.toLowerCase().endsWith(base));
  const groupDn = src.userSourceLocation.groupDN;
  if (!groupDn) return under;
  const groups = new Set(groupsUnder(directory, groupDn, src.userSourceLocation.nestedSearch === true).map((g) => g.dn.toLowerCase()));
  return under.filter((u) => u.memberOf.some((g) => groups.has(g.toLowerCase())));
}

const OPTION = (c: PfConnection, name: string, fallback: string) => settingValue(c, name) ?? fallback;

export class PingFederateProvisioner {
  readonly log: ProvisionerLogEntry[] = [];
  readonly status = new Map<string, ChannelStatus>();
  private readonly dbs = new Map<string, ChannelDb>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly waits = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(
    private readonly state: PfState,
    private readonly directory: SandboxDirectory,
    private readonly speed: number,
  ) {}

  private sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (this.stopped) return resolve();
      const entry = {
        timer: setTimeout(() => {
          this.waits.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      this.waits.add(entry);
    });

  /** Starts polling: one pass every synchronizationFrequency seconds (÷ speed). */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const ms = (this.state.outboundProvisioning.synchronizationFrequency * 1000) / Math.max(this.speed, 0.001);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.pass()
        .catch(() => undefined)
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.waits) {
      clearTimeout(w.timer);
      w.resolve();
    }
    this.waits.clear();
    await this.running;
  }

  /** The connection as saved now, and its active channel, if provisioning should run. */
  private runnable(connectionId: string): { conn: PfConnection; channel: PfChannel } | null {
    if (!this.state.outboundProvisioningRoleEnabled) return null;
    const conn = this.state.connections.get(connectionId);
    const channel = conn?.outbound?.channels.find((c) => c.active);
    return conn && conn.active && channel ? { conn, channel } : null;
  }

  /** One polling pass over every connection (exposed for tests that drive cycles themselves). */
  async pass(): Promise<void> {
    for (const id of [...this.state.connections.keys()]) {
      if (this.stopped) return;
      if (this.runnable(id)) await this.cycle(id);
    }
  }

  private db(key: string): ChannelDb {
    let d = this.dbs.get(key);
    if (!d) this.dbs.set(key, (d = { users: new Map(), groups: new Map() }));
    return d;
  }

  private record(connectionId: string, action: ProvisionerLogEntry['action'], subject: string, detail?: string): void {
    this.log.push({ time: new Date().toISOString(), connectionId, action, subject, ...(detail ? { detail } : {}) });
  }

  private async cycle(connectionId: string): Promise<void> {
    const first = this.runnable(connectionId);
    if (!first) return;
    const { conn, channel } = first;
    const key = `${connectionId}|${channel.name}`;
    const status: ChannelStatus = this.status.get(key) ?? { connectionId, channel: channel.name, userCount: 0, dirtyCount: 0, cycles: 0 };
    this.status.set(key, status);
    status.cycles++;
    status.lastCycleStarted = new Date().toISOString();
    const baseAddress = settingValue(conn, this.state.names.baseUrl);
    const secretToken = settingValue(conn, this.state.names.token);
    if (!baseAddress || !secretToken) {
      status.lastError = 'the target has no Base URL or Bearer Token';
      return;
    }
    const target: ScimTarget = { baseAddress, secretToken };
    const db = this.db(key);
    const opts = { sleep: this.sleep };
    const delay = BASE_DELAY_MS / Math.max(this.speed, 0.001);
    const create = OPTION(conn, 'userCreate', 'true') === 'true';
    const update = OPTION(conn, 'userUpdate', 'true') === 'true';
    const remove = OPTION(conn, 'userDisableDelete', 'true') === 'true';
    const removeAction = OPTION(conn, 'removeUserAction', 'Disable');
    const provisionDisabled = OPTION(conn, 'provisionDisabledUsers', 'false') === 'true';

    const inScope = usersInScope(this.directory, channel).sort((a, b) => a.dn.localeCompare(b.dn));
    const pending = inScope.filter((u) => {
      const r = userResource(channel, u, !isDisabled(u));
      const rec = db.users.get(u.dn.toLowerCase());
      return r !== null && (!rec || rec.hash !== JSON.stringify(r));
    });
    const scopeDns = new Set(inScope.map((u) => u.dn.toLowerCase()));
    const leaving = [...db.users.entries()].filter(([dn, rec]) => !scopeDns.has(dn) && rec.active);
    status.dirtyCount = pending.length + leaving.length;
    delete status.lastError;

    const stillOn = () => !this.stopped && this.runnable(connectionId)?.conn === conn;
    try {
      for (const u of pending) {
        if (!stillOn()) return;
        await this.sleep(delay);
        if (!stillOn()) return;
        const dn = u.dn.toLowerCase();
        const active = !isDisabled(u);
        const body = userResource(channel, u, active) as Record<string, unknown>;
        const userName = String(body.userName);
        const hash = JSON.stringify(body);
        const rec = db.users.get(dn);
        try {
          if (!rec) {
            const { json } = await scimRequest(target, 'GET', `/Users?filter=${eqFilter('userName', userName)}`, undefined, opts);
            const found = listResponseSchema.parse(json).Resources?.[0];
            if (found) {
              if (!update) {
                this.record(connectionId, 'skip', userName, 'exists in the target; User Update is off');
              } else {
                await scimRequest(target, 'PUT', `/Users/${encodeURIComponent(found.id)}`, { ...body, id: found.id }, opts);
                db.users.set(dn, { scimId: found.id, hash, active });
                this.record(connectionId, 'link', userName);
              }
            } else if (!create || (!active && !provisionDisabled)) {
              this.record(connectionId, 'skip', userName, !create ? 'User Create is off' : 'disabled in the directory');
            } else {
              const { json: made } = await scimRequest(target, 'POST', '/Users', body, opts);
              db.users.set(dn, { scimId: scimUserSchema.parse(made).id, hash, active });
              this.record(connectionId, 'create', userName);
            }
          } else if (!active && rec.active && remove && removeAction === 'Delete') {
            await scimRequest(target, 'DELETE', `/Users/${encodeURIComponent(rec.scimId)}`, undefined, opts);
            db.users.delete(dn);
            this.record(connectionId, 'delete', userName);
          } else if (update || (!active && remove)) {
            await scimRequest(target, 'PUT', `/Users/${encodeURIComponent(rec.scimId)}`, { ...body, id: rec.scimId }, opts);
            db.users.set(dn, { scimId: rec.scimId, hash, active });
            this.record(connectionId, !active && rec.active ? 'disable' : 'update', userName);
          }
          status.dirtyCount = Math.max(0, status.dirtyCount - 1);
        } catch (err) {
          if (err instanceof ScimHttpError && err.status === 404 && rec) db.users.delete(dn); // gone from the target: next cycle looks it up again
          if (err instanceof ScimHttpError && (err.status === 401 || err.status === 403)) throw err;
          this.record(connectionId, 'error', userName, err instanceof Error ? err.message : String(err));
        }
      }
      for (const [dn, rec] of leaving) {
        if (!stillOn() || !remove) break;
        await this.sleep(delay);
        if (removeAction === 'Delete') {
          await scimRequest(target, 'DELETE', `/Users/${encodeURIComponent(rec.scimId)}`, undefined, opts).catch(() => undefined);
          db.users.delete(dn);
        } else {
          const { json } = await scimRequest(target, 'GET', `/Users/${encodeURIComponent(rec.scimId)}`, undefined, opts);
          await scimRequest(target, 'PUT', `/Users/${encodeURIComponent(rec.scimId)}`, { ...(json as Record<string, unknown>), active: false }, opts);
          rec.active = false;
        }
        this.record(connectionId, removeAction === 'Delete' ? 'delete' : 'disable', dn, 'left the source location');
        status.dirtyCount = Math.max(0, status.dirtyCount - 1);
      }
      await this.groups(connectionId, channel, db, target, delay, stillOn);
    } catch (err) {
      status.lastError = err instanceof Error ? err.message : String(err);
      this.record(connectionId, 'error', 'cycle', status.lastError);
    } finally {
      status.userCount = [...db.users.values()].length;
      status.lastCycleEnded = new Date().toISOString();
    }
  }

  private async groups(connectionId: string, channel: PfChannel, db: ChannelDb, target: ScimTarget, delay: number, stillOn: () => boolean): Promise<void> {
    const loc = channel.channelSource.groupSourceLocation;
    if (!loc?.groupDN) return;
    const opts = { sleep: this.sleep };
    for (const g of groupsUnder(this.directory, loc.groupDN, loc.nestedSearch === true)) {
      if (!stillOn()) return;
      const members = g.member
        .map((m) => db.users.get(m.toLowerCase()))
        .filter((r): r is UserRecord => r !== undefined)
        .map((r) => ({ value: r.scimId }))
        .sort((a, b) => a.value.localeCompare(b.value));
      const body = { schemas: [SCHEMA_GROUP], displayName: g.cn, members };
      const hash = JSON.stringify(body);
      const rec = db.groups.get(g.dn.toLowerCase());
      if (rec?.hash === hash) continue;
      await this.sleep(delay);
      if (!stillOn()) return;
      try {
        let id = rec?.scimId;
        if (!id) {
          const { json } = await scimRequest(target, 'GET', `/Groups?filter=${eqFilter('displayName', g.cn)}`, undefined, opts);
          id = listResponseSchema.parse(json).Resources?.[0]?.id;
        }
        if (id) {
          await scimRequest(target, 'PUT', `/Groups/${encodeURIComponent(id)}`, { ...body, id }, opts);
          this.record(connectionId, 'group-update', g.cn);
        } else {
          const { json } = await scimRequest(target, 'POST', '/Groups', body, opts);
          id = scimUserSchema.pick({ id: true }).parse(json).id;
          this.record(connectionId, 'group-create', g.cn);
        }
        db.groups.set(g.dn.toLowerCase(), { scimId: id, hash });
      } catch (err) {
        if (err instanceof ScimHttpError && (err.status === 401 || err.status === 403)) throw err;
        if (err instanceof ScimHttpError && err.status === 404) db.groups.delete(g.dn.toLowerCase());
        this.record(connectionId, 'error', g.cn, err instanceof Error ? err.message : String(err));
      }
    }
  }
}
