import { errorText, UserError } from '../../engine/errors.js';
import type { Observation, PreflightCheck, Step, StepRun } from '../../engine/step.js';
import type { JsonValue } from '../../engine/json.js';
import {
  channelState,
  createPingFederateClient,
  type PingFederateClient,
  type ProvisioningShape,
  type SpConnection,
  type TargetSettingNames,
} from '../../clients/pingfederate.js';
import { resolveSecret } from '../../config/secrets.js';
import type { MigrationContext } from '../../flows/context.js';
import { obtainScimCredentials } from '../../flows/steps/scim.js';
import { directoryPages, runParity } from '../../flows/parity-check.js';
import { pollUntil } from '../../flows/steps/poll.js';
import { configOf, type IdpProvisioner, recordedScimEndpoint } from '../provisioner.js';

/**
 * The PingFederate side (docs/vendor-facts.md P1–P11): the SP connection an administrator made from
 * the Zscaler provisioner template, driven through the admin API. Giving it the SCIM Base URL and
 * token, activating and deactivating its channel are automated; the provisioner's progress has no
 * API (P9), so the initial cycle is watched through the ZIA SCIM service, as for an IdP by hand.
 */
const DOC = 'Ping Identity, "Zscaler Internet Access Provisioner": Creating a provisioning connection';
const cfg = (ctx: MigrationContext) => configOf(ctx, 'pingfederate');
const names = (ctx: MigrationContext): TargetSettingNames => cfg(ctx).targetSettings ?? {};

/** The admin API client of this run (config idp), made once. */
export function pingFederateOf(ctx: MigrationContext): PingFederateClient {
  const idp = cfg(ctx);
  return ctx.client('pingfederate:admin', ({ readOnly, audit, env }) =>
    createPingFederateClient({
      adminUrl: idp.adminUrl,
      auth:
        idp.auth.kind === 'basic'
          ? { kind: 'basic', username: idp.auth.username, password: resolveSecret(idp.auth, 'password', 'idp.auth', env) }
          : {
              kind: 'oauth',
              tokenUrl: idp.auth.tokenUrl,
              clientId: idp.auth.clientId,
              clientSecret: resolveSecret(idp.auth, 'clientSecret', 'idp.auth', env),
              ...(idp.auth.scope ? { scope: idp.auth.scope } : {}),
            },
      readOnly,
      audit,
    }),
  );
}

/** The SP connection's id (config idp.connection), looked up once per run; a failed lookup is tried again. */
async function connectionIdOf(ctx: MigrationContext): Promise<string> {
  const ref = cfg(ctx).connection;
  if (ref.id) return ref.id;
  const holder = ctx.client('pingfederate:connectionId', () => ({ id: undefined as Promise<string> | undefined }));
  holder.id ??= pingFederateOf(ctx)
    .findProvisioningConnection(ref)
    .then((c) => c.id)
    .catch((err: unknown) => {
      holder.id = undefined;
      throw err;
    });
  return holder.id;
}

async function readShape(ctx: MigrationContext): Promise<{ connection: SpConnection; shape: ProvisioningShape }> {
  return pingFederateOf(ctx).readProvisioning(await connectionIdOf(ctx), names(ctx));
}

const conn = (s: ProvisioningShape) => `SP connection "${s.connectionName}" (id ${s.connectionId})`;
const activeChannel = (s: { channels: Array<{ name: string; active: boolean }> }) => s.channels.find((c) => c.active)?.name;

const preflight: PreflightCheck<MigrationContext>[] = [
  {
    id: 'pingfederate-admin-api',
    title: 'PingFederate admin API answers with these credentials',
    async run(ctx) {
      try {
        const version = await pingFederateOf(ctx).version();
        return { ok: true, detail: `PingFederate ${version} at ${cfg(ctx).adminUrl}` };
      } catch (err) {
        return {
          ok: false,
          detail: errorText(err),
          fix: 'check idp.adminUrl (https://<host>:9999/pf-admin-api/v1) and the credential; reading needs an Auditor or Admin account, changing the connection an Admin (docs/vendor-facts.md P2)',
        };
      }
    },
  },
  {
    id: 'pingfederate-connection',
    title: 'The Zscaler SP connection has outbound provisioning this tool can read',
    async run(ctx) {
      try {
        const { shape, connection } = await readShape(ctx);
        const channels = shape.channels;
        const wanted = cfg(ctx).channel;
        if (channels.length === 0) {
          return {
            ok: false,
            detail: `${conn(shape)} has no provisioning channel`,
            fix: "create one on the connection's Outbound Provisioning tab (Manage Channels): the AD data store, the migration's users as source location, the attribute mapping",
          };
        }
        if (wanted !== undefined && !channels.some((c) => c.name === wanted)) {
          return {
            ok: false,
            detail: `${conn(shape)} has no channel "${wanted}" (channels: ${channels.map((c) => `"${c.name}"`).join(', ')})`,
            fix: 'correct idp.channel',
          };
        }
        if (wanted === undefined && channels.length > 1) {
          return {
            ok: false,
            detail: `${conn(shape)} has ${channels.length} channels (${channels.map((c) => `"${c.name}"`).join(', ')})`,
            fix: 'name the one to activate in idp.channel',
          };
        }
        const source = (
          connection.outboundProvision?.channels.find((c) => (wanted ? c.name === wanted : true))?.channelSource as
            { userSourceLocation?: { groupDN?: string } } | undefined
        )?.userSourceLocation?.groupDN;
        const groupDn = ctx.config.directory.groupDn;
        const differs = groupDn !== undefined && source !== undefined && source.toLowerCase() !== groupDn.toLowerCase();
        return {
          ok: !differs,
          ...(differs
            ? {
                severity: 'warning' as const,
                fix: "make the channel's Source Location the migration's group, or directory.groupDn the channel's: parity compares ZIA with directory.groupDn",
              }
            : {}),
          detail: `${conn(shape)}: outbound provisioning type "${shape.type}", Base URL in target setting "${shape.baseUrlSetting}", token in "${shape.tokenSetting}"${source ? `, source location ${source}` : ''}${differs ? ` (directory.groupDn is ${groupDn})` : ''}`,
        };
      } catch (err) {
        const hint = (err as { hint?: string }).hint;
        return { ok: false, detail: errorText(err), fix: hint ?? 'check idp.connection (id or exact name)' };
      }
    },
  },
  {
    id: 'pingfederate-outbound-provisioning',
    title: 'PingFederate runs outbound provisioning',
    async run(ctx) {
      try {
        const s = await pingFederateOf(ctx).getOutboundProvisioningSettings();
        return { ok: true, detail: `the provisioner polls every ${s.synchronizationFrequency ?? 60} s (data store ${s.dataStoreRef.id})` };
      } catch (err) {
        return {
          ok: false,
          severity: 'warning',
          detail: errorText(err),
          fix: 'enable System > Protocol Settings > Roles & Protocols > Outbound Provisioning in the PingFederate console (docs/vendor-facts.md P8)',
        };
      }
    },
  },
];

const setCredentials: Step<MigrationContext> = {
  id: 'pingfederate-credentials',
  title: "Give PingFederate the SCIM Base URL and token (the Zscaler connection's Target page)",
  doc: `${DOC}, step 3 (Target)`,
  kind: 'automated',
  async observe(run) {
    const { shape } = await readShape(run.ctx);
    const wanted = run.ctx.scimCredentials?.baseUrl ?? recordedScimEndpoint(run);
    const recorded = run.previous?.baseUrl;
    const facts = { connection: shape.connectionId, type: shape.type, baseUrlSetting: shape.baseUrlSetting, tokenSetting: shape.tokenSetting };
    // The token is encrypted by PingFederate and cannot be read back: only this migration's record says it is ZIA's.
    if (typeof recorded === 'string' && recorded === shape.baseUrl && shape.tokenSet && (wanted === undefined || wanted === recorded)) {
      return {
        state: 'done',
        detail: `${conn(shape)} holds the SCIM Base URL ${recorded} and the token this migration gave it at ${String(run.previous?.setAt)}`,
        facts,
      };
    }
    const kept = shape.settingNames.filter((n) => n !== shape.baseUrlSetting && n !== shape.tokenSetting);
    return {
      state: 'pending',
      detail: `${conn(shape)} has not been given ${typeof wanted === 'string' ? wanted : 'the SCIM Base URL'} and its token by this migration`,
      changes: [
        `target setting "${shape.baseUrlSetting}": ${shape.baseUrl ?? '(empty)'} → ${typeof wanted === 'string' ? wanted : 'the SCIM Base URL of ZIA'}`,
        `target setting "${shape.tokenSetting}": the SCIM Bearer Token (encrypted by PingFederate)`,
        `kept as they are: ${kept.length ? kept.map((n) => `"${n}"`).join(', ') : 'no other setting'}, the channels and the rest of the connection`,
      ],
      facts,
    };
  },
  async apply(run) {
    const { ctx } = run;
    const known = recordedScimEndpoint(run);
    const creds = await obtainScimCredentials(
      ctx,
      'PingFederate needs the SCIM Bearer Token, and migrate holds it in memory only: this run does not have it.',
      true,
      typeof known === 'string' ? known : undefined,
    );
    // Users already in SCIM before PingFederate pushes: the initial cycle measures "users appearing" from here.
    const before = await ctx.scim(creds).countUsers();
    const id = await connectionIdOf(ctx);
    const { shape, kept } = await pingFederateOf(ctx).setProvisioningTarget(id, creds, names(ctx));
    return {
      baseUrl: creds.baseUrl,
      connectionId: id,
      baseUrlSetting: shape.baseUrlSetting,
      tokenSetting: shape.tokenSetting,
      kept,
      scimUsersBefore: before,
      setAt: new Date().toISOString(),
    };
  },
  async verify(run, applied) {
    const { shape } = await readShape(run.ctx);
    if (shape.baseUrl !== applied?.baseUrl || !shape.tokenSet) {
      return {
        state: 'drifted',
        detail: `${conn(shape)} does not hold what was saved: Base URL ${shape.baseUrl ?? '(empty)'}, token ${shape.tokenSet ? 'set' : 'empty'}`,
      };
    }
    if (run.ctx.scimCredentials) await run.ctx.scim(run.ctx.scimCredentials).probe();
    return { state: 'done', detail: `${conn(shape)} holds the SCIM Base URL ${shape.baseUrl} and a token the SCIM endpoint accepts` };
  },
};

async function observeChannel(ctx: MigrationContext): Promise<{ shape: ProvisioningShape; channel: string | undefined }> {
  const { shape } = await readShape(ctx);
  return { shape, channel: activeChannel(shape) };
}

const start: Step<MigrationContext> = {
  id: 'pingfederate-start',
  title: 'Start provisioning: activate the provisioning channel and the SP connection',
  doc: `${DOC}, steps 3–4 (channel, Activation and Summary)`,
  kind: 'automated',
  async observe(run) {
    const { shape, channel } = await observeChannel(run.ctx);
    if (shape.connectionActive && channel)
      return {
        state: 'done',
        detail: `${conn(shape)} and its channel "${channel}" are active: PingFederate's provisioner pushes the channel's users at each polling interval`,
      };
    const target = cfg(run.ctx).channel ?? shape.channels[0]?.name ?? '(none)';
    return {
      state: 'pending',
      detail: `${conn(shape)} is ${shape.connectionActive ? 'active' : 'inactive'}, no provisioning channel is active`,
      changes: [`activate channel "${target}" and the SP connection (PingFederate checks the token with ZIA's SCIM service as it saves)`],
    };
  },
  async apply(run) {
    const id = await connectionIdOf(run.ctx);
    const wanted = cfg(run.ctx).channel;
    // Taken before the PUT: the provisioner may push as soon as the channel is on, and the initial
    // cycle counts the users ZIA shows modified after this moment.
    const startedAt = new Date().toISOString();
    const state = await pingFederateOf(run.ctx).setProvisioningActive(id, { active: true, ...(wanted ? { channel: wanted } : {}) });
    return { startedAt, channel: activeChannel(state) ?? null };
  },
};

const pause: Step<MigrationContext> = {
  id: 'pingfederate-pause',
  title: 'Pause provisioning: deactivate the provisioning channel (users stay in ZIA; nothing is deprovisioned)',
  doc: `${DOC} (the channel's Active switch)`,
  kind: 'automated',
  async observe(run) {
    const { shape, channel } = await observeChannel(run.ctx);
    if (!channel) return { state: 'done', detail: `no provisioning channel of ${conn(shape)} is active` };
    return {
      state: 'pending',
      detail: `channel "${channel}" of ${conn(shape)} is active`,
      changes: [`deactivate channel "${channel}" (the connection, its target and token are kept; no user is touched in ZIA)`],
    };
  },
  async apply(run) {
    const id = await connectionIdOf(run.ctx);
    await pingFederateOf(run.ctx).setProvisioningActive(id, { active: false });
    return { pausedAt: new Date().toISOString() };
  },
};

/** Rollback, after ZIA is restored: the connection as active or inactive as it was before the migration. */
const restore: Step<MigrationContext> = {
  id: 'pingfederate-restore',
  title: 'Put the Zscaler SP connection back as it was (active or not)',
  doc: DOC,
  kind: 'automated',
  async observe(run): Promise<Observation> {
    const before = (run.snapshot?.pingfederateConnection as { active?: boolean } | undefined)?.active;
    const { shape } = await readShape(run.ctx);
    if (before === undefined) return { state: 'done', detail: `no snapshot of ${conn(shape)}: left as it is` };
    if (shape.connectionActive === before) return { state: 'done', detail: `${conn(shape)} is ${before ? 'active' : 'inactive'}, as before the migration` };
    return {
      state: 'pending',
      detail: `${conn(shape)} is ${shape.connectionActive ? 'active' : 'inactive'}; it was ${before ? 'active' : 'inactive'}`,
      changes: [`set the connection ${before ? 'active' : 'inactive'} (channels stay inactive)`],
    };
  },
  async apply(run) {
    const before = (run.snapshot?.pingfederateConnection as { active?: boolean } | undefined)?.active;
    const id = await connectionIdOf(run.ctx);
    if (before === false) await pingFederateOf(run.ctx).setProvisioningActive(id, { active: false, connection: false });
    return { restoredAt: new Date().toISOString() };
  },
};

/** Users in the directory scope, and how many are enabled (PingFederate pushes a disabled one only if ZIA has it, P10). */
async function directoryCounts(ctx: MigrationContext): Promise<{ inScope: number; enabled: number }> {
  let inScope = 0;
  let enabled = 0;
  for await (const page of directoryPages(ctx)) {
    inScope += page.length;
    for (const e of page) if (!e.disabled) enabled += 1;
  }
  return { inScope, enabled };
}

/**
 * The moment from which a user written in ZIA is PingFederate's doing: when this migration
 * activated the channel (recorded before the PUT), else when it saved the token (no push can
 * precede it). Directory-synced users already are in SCIM with parity, so counting SCIM users
 * proves nothing; counting those modified since then does (`meta.lastModified gt`, F24).
 */
function pushedSince(run: StepRun<MigrationContext>): string | undefined {
  const started = run.outputsOf('pingfederate-start')?.startedAt;
  const set = run.outputsOf('pingfederate-credentials')?.setAt;
  return typeof started === 'string' ? started : typeof set === 'string' ? set : undefined;
}

const initialCycle: Step<MigrationContext> = {
  id: 'pingfederate-initial-cycle',
  title: 'Wait for the initial provisioning cycle (watched through the SCIM service: users PingFederate updated)',
  doc: `${DOC} (progress has no admin API, docs/vendor-facts.md P9)`,
  kind: 'automated',
  async observe(run) {
    if (typeof run.previous?.completedAt === 'string')
      return { state: 'done', detail: `initial cycle complete at ${run.previous.completedAt} (${String(run.previous.pushed)} users updated by PingFederate)` };
    return {
      state: 'pending',
      detail: "PingFederate's cycle is watched through the SCIM service once the channel is active",
      changes: ["watch ZIA's SCIM users updated since the channel was activated grow to the directory scope, then check parity"],
    };
  },
  async apply(run) {
    const { ctx } = run;
    const creds = await obtainScimCredentials(ctx, 'The initial cycle is watched through the SCIM service with the Bearer Token.', false);
    const since = pushedSince(run) ?? new Date().toISOString();
    const filter = `meta.lastModified gt "${since}"`;
    const expected = await directoryCounts(ctx);
    const minutes = cfg(ctx).initialCycleTimeoutMinutes;
    const last: { pushed?: number; groups?: number } = {};
    const scim = ctx.scim(creds);
    const look = async (): Promise<Observation> => {
      const pushed = await scim.countUsers(filter);
      const groups = await scim.countGroups(filter);
      // Parity is read once PingFederate has stopped writing (no user or group modified since the
      // last look): reading every user while it pushes would be slow, and its answer stale.
      const settled = pushed === last.pushed && groups === last.groups;
      Object.assign(last, { pushed, groups });
      const facts = { done: Math.min(pushed, expected.inScope), total: expected.inScope, pushed, groups };
      if (pushed < expected.enabled || !settled)
        return { state: 'pending', detail: `${pushed} users updated by PingFederate of ${expected.inScope} in the directory scope (${groups} groups)`, facts };
      const parity = await runParity(ctx, { scim: creds });
      // A write while parity was reading makes its answer stale: look again.
      const quiet = (await scim.countUsers(filter)) === pushed && (await scim.countGroups(filter)) === groups;
      if (parity.ok && quiet)
        return { state: 'done', detail: `${pushed} users and ${groups} groups updated by PingFederate and parity holds: the initial cycle is complete`, facts };
      return {
        state: 'pending',
        detail: quiet
          ? `${pushed} users updated by PingFederate; parity not reached yet (${parity.breaches.join('; ')})`
          : `${pushed} users updated by PingFederate; it is still writing`,
        facts,
      };
    };
    const seen = await pollUntil(ctx, 'PingFederate: initial cycle', look, minutes * 60_000, (x) =>
      typeof x.facts?.done === 'number' && typeof x.facts.total === 'number' ? { done: x.facts.done, total: x.facts.total } : undefined,
    );
    if (seen.state !== 'done') {
      throw new UserError(`after ${minutes} minutes the initial cycle is not complete: ${seen.detail}`, {
        hint:
          (last.pushed ?? 0) === 0
            ? `No user has been updated in ZIA since ${since}: on the PingFederate host run provmgr --show-channels (is the channel active, what are its user and dirty counts?) and read log/provisioner.log; check the channel's Source Location holds the migration's users. Run the same command again to keep watching.`
            : 'PingFederate is still pushing or some users fail: read log/provisioner.log on the PingFederate host; run the same command again to keep watching (idp.initialCycleTimeoutMinutes sets the budget).',
      });
    }
    return { completedAt: new Date().toISOString(), pushed: typeof seen.facts?.pushed === 'number' ? seen.facts.pushed : null, since };
  },
};

export const pingfederateProvisioner: IdpProvisioner = {
  kind: 'pingfederate',
  label: 'PingFederate',
  preflight,
  async snapshot(ctx) {
    const { shape } = await readShape(ctx);
    const snap: Record<string, JsonValue> = {
      id: shape.connectionId,
      name: shape.connectionName,
      active: shape.connectionActive,
      type: shape.type,
      baseUrlSetting: shape.baseUrlSetting,
      baseUrl: shape.baseUrl ?? null,
      tokenSetting: shape.tokenSetting,
      channels: shape.channels.map((c) => ({ name: c.name, active: c.active })),
    };
    return { pingfederateConnection: snap };
  },
  steps: { setCredentials, start, initialCycle, pause, restore },
  async provisioningNow(ctx) {
    try {
      const state = channelState(await pingFederateOf(ctx).getSpConnection(await connectionIdOf(ctx)));
      const channel = activeChannel(state);
      return state.connectionActive && channel ? `PingFederate's Zscaler SP connection is active with provisioning channel "${channel}" on` : undefined;
    } catch {
      return undefined;
    }
  },
  async testConnection() {
    return { is: 'unknown', detail: 'PingFederate has no Test Connection in its admin API (it checks the token only when a channel is activated)' };
  },
  async explainMissing(run) {
    const channel = cfg(run.ctx).channel;
    return ` PingFederate's provisioner has no status API: on the PingFederate host run provmgr --show-channels (the user count and dirty-record count of ${channel ? `channel "${channel}"` : 'the Zscaler channel'}) and read log/provisioner.log for the missing users; check they are inside the channel's Source Location.`;
  },
};
