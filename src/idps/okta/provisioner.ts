import { UserError } from '../../engine/errors.js';
import type { JsonValue } from '../../engine/json.js';
import type { Observation, PreflightCheck, Step, StepOutputs, StepRun } from '../../engine/step.js';
import { connectionPointsAt, createOktaClient, type AppUser, type OktaApp, type OktaClient, type OktaAuth } from '../../clients/okta.js';
import { resolveSecret } from '../../config/secrets.js';
import type { MigrationContext } from '../../flows/context.js';
import { pollUntil } from '../../flows/steps/poll.js';
import { obtainScimCredentials, scimTokenDescription } from '../../flows/steps/scim.js';
import { configOf, type IdpProvisioner, recordedScimEndpoint } from '../provisioner.js';

/**
 * The Okta side (docs/vendor-facts.md K1–K13). For the Zscaler 2.0 OIN app (`zscalerbyz`) every step is
 * done through the Okta Management API: the provisioning connection (Base URL + token, tested by Okta
 * on activation), the To App features, group push mappings, and the app users' provisioning state. For
 * any other app (`idp.app.type: other`) the operator does the same in the Admin Console (K12), and the
 * steps verify it through Okta's read API and the ZIA SCIM service.
 *
 * Okta pushes only users assigned to the app (there is no "sync all"), creates a user it cannot find by
 * userName, and never deletes: unassigning deactivates (active=false) when Deactivate Users is on (K11).
 * Its documented pitfall (K10): users assigned before provisioning was enabled are not pushed; the
 * `okta-unpushed-users` step finds them (assigned in Okta, not provisioned, absent from SCIM or present
 * only as the directory-synced record) and has the operator provision them.
 */

const KIND = 'okta' as const;
const CONNECTIONS = 'Okta Management API: ApplicationConnections (Zscaler 2.0 app)';
const FEATURES = 'Okta Management API: ApplicationFeatures USER_PROVISIONING, GroupPushMapping';
const CONSOLE = 'Okta Admin Console: Applications > the Zscaler app > Provisioning';
const PITFALL = 'Okta KB "User was assigned this application before Provisioning was enabled … Click Provision User"';
const REVERT = 'ZIA AD→SCIM migration guide, revert';

/** The Okta client of this run, made once. */
export function oktaOf(ctx: MigrationContext): OktaClient {
  const idp = configOf(ctx, KIND);
  return ctx.client('okta:api', ({ readOnly, audit, env }) => {
    const a = idp.auth;
    const auth: OktaAuth =
      a.kind === 'ssws'
        ? { kind: 'ssws', apiToken: resolveSecret(a, 'apiToken', 'idp.auth', env) }
        : {
            kind: 'oauth',
            clientId: a.clientId,
            privateKey: resolveSecret(a, 'privateKey', 'idp.auth', env),
            ...(a.keyId ? { keyId: a.keyId } : {}),
            ...(a.scopes ? { scopes: a.scopes } : {}),
          };
    return createOktaClient({ orgUrl: idp.orgUrl, auth, readOnly, audit, maxConcurrent: idp.maxConcurrent });
  });
}

const byApi = (ctx: MigrationContext): boolean => configOf(ctx, KIND).app.type === 'zscaler2';

/** The configured Zscaler app, looked up once per run (a failed lookup is tried again next time). */
export function appOf(ctx: MigrationContext): Promise<OktaApp> {
  const holder = ctx.client('okta:app', () => ({ app: undefined as Promise<OktaApp> | undefined }));
  const cfg = configOf(ctx, KIND).app;
  holder.app ??= (async () => {
    const okta = oktaOf(ctx);
    if (cfg.type === 'other') return cfg.id ? okta.getApp(cfg.id) : okta.findAppByLabel(cfg.label!);
    if (ctx.config.product === 'zpa') {
      // The Zscaler 2.0 app (zscalerbyz) provisions ZIA; ZPA has its own Okta app, set up in the Admin Console.
      throw new UserError(
        'idp.app.type zscaler2 is the Okta app that provisions ZIA; ZPA is provisioned through the "Zscaler Private Access (ZPA) 2.0" app, whose API integration is configured in the Okta Admin Console',
        {
          hint: 'set idp.app.type: other with the label (or id) of your ZPA app in Okta: migrate then guides each Okta step and verifies it through the Okta API and ZPA',
        },
      );
    }
    const app = await okta.findZscalerApp({ ...(cfg.id ? { id: cfg.id } : {}), ...(cfg.label ? { label: cfg.label } : {}) });
    if (app.name !== 'zscalerbyz') {
      throw new UserError(
        `the Okta app ${app.id} ("${app.label ?? app.name}") is ${app.name}, not the Zscaler 2.0 app (zscalerbyz): its provisioning connection cannot be set through the API`,
        {
          hint: 'set idp.app.type: other to configure its provisioning in the Admin Console as operator steps, or name the Zscaler 2.0 app',
        },
      );
    }
    return app;
  })().catch((err: unknown) => {
    holder.app = undefined;
    throw err;
  });
  return holder.app;
}

const labelOf = (app: OktaApp): string => app.label ?? app.name;
const wantedBaseUrl = (run: StepRun<MigrationContext>): string | undefined => {
  const v = run.ctx.scimCredentials?.baseUrl ?? recordedScimEndpoint(run);
  return typeof v === 'string' ? v : undefined;
};
const firstLine = (err: unknown): string => String((err as Error)?.message ?? err).split('\n')[0] ?? '';

/** A list of names for a sentence: the first ten, then how many more. */
function names(list: string[], n = 10): string {
  return list.slice(0, n).join(', ') + (list.length > n ? `, … ${list.length - n} more` : '');
}

// ------------------------------------------------------------------ console instructions (K12)

function consolePath(app: OktaApp): string {
  return `In the Okta Admin Console, open Applications > Applications > "${labelOf(app)}" (id ${app.id}).`;
}

function credentialsInstructions(ctx: MigrationContext, app: OktaApp, baseUrl: string): string[] {
  return [
    consolePath(app),
    'Provisioning tab > Integration > Configure API Integration: check Enable API integration.',
    `Base URL: ${baseUrl}`,
    `API Token: ${scimTokenDescription(ctx)} (migrate never prints it).`,
    'Click Test API Credentials: it must succeed. Then Save.',
    'Do not enable Create Users yet (Provisioning > To App): migrate first checks what the first push would change.',
  ];
}

function startInstructions(ctx: MigrationContext, app: OktaApp): string[] {
  const groups = configOf(ctx, KIND).pushGroups;
  return [
    consolePath(app),
    'Provisioning tab > To App > Edit: enable Create Users, Update User Attributes and Deactivate Users (leave Sync Password as it is). Save.',
    ...(groups.length ? [`Push Groups tab > + Push Groups > Find groups by name: ${groups.join(', ')}; keep "Push group memberships immediately"; Save.`] : []),
    'Okta then pushes every user assigned to the app (Assignments tab); migrate watches their provisioning state.',
  ];
}

function pauseInstructions(app: OktaApp): string[] {
  return [
    consolePath(app),
    'Provisioning tab > To App > Edit: clear Create Users, Update User Attributes and Deactivate Users. Save. Okta then pushes nothing.',
    'Do NOT unassign users or groups and do not deactivate the app: with Deactivate Users on, Okta deactivates unassigned users in Zscaler.',
  ];
}

function provisionInstructions(app: OktaApp, logins: string[]): string[] {
  return [
    `${consolePath(app)} Open the Assignments tab.`,
    'Each user below shows "User was assigned this application before Provisioning was enabled and not provisioned in the downstream application. Click Provision User.": click Provision User on each row.',
    `Users (${logins.length}): ${names(logins, 50)}`,
    'Or unassign each of them and assign them again (safe for these users only: Okta never pushed them, so there is nothing to deactivate).',
  ];
}

// ------------------------------------------------------------------ app users

/** Assigned but never pushed: no id at Zscaler, not queued, not failed (K8, K10). */
export function notPushed(users: AppUser[]): AppUser[] {
  return users.filter(
    (u) =>
      !u.externalId &&
      u.status !== 'PROVISIONED' &&
      u.status !== 'STAGED' &&
      u.status !== 'DEPROVISIONED' &&
      u.syncState !== 'SYNCING' &&
      u.syncState !== 'ERROR',
  );
}

const loginOf = (u: AppUser): string => u.credentials?.userName ?? u.id;

interface PushState {
  total: number;
  provisioned: number;
  inFlight: AppUser[];
  failed: AppUser[];
  unpushed: AppUser[];
  groupsPending: string[];
  groupsFailed: string[];
}

async function pushState(ctx: MigrationContext, app: OktaApp): Promise<PushState> {
  const okta = oktaOf(ctx);
  const users = await okta.listAppUsers(app.id);
  // Any app's group push mappings are read through the API, however they were made (K6, K12): for an app
  // configured in the Admin Console the operator's Push Groups are these mappings, and the push is not over
  // until each active one has been pushed (lastPush) — users alone are not the whole initial push.
  const mappings = await okta.listGroupPushMappings(app.id);
  return {
    total: users.length,
    provisioned: users.filter((u) => u.status === 'PROVISIONED' || (u.externalId && u.syncState === 'SYNCHRONIZED')).length,
    inFlight: users.filter((u) => u.status === 'STAGED' || u.syncState === 'SYNCING'),
    failed: users.filter((u) => u.syncState === 'ERROR'),
    unpushed: notPushed(users),
    groupsPending: mappings.filter((m) => m.status === 'ACTIVE' && !m.lastPush).map((m) => m.sourceGroupId),
    groupsFailed: mappings.filter((m) => m.status === 'ERROR').map((m) => `${m.sourceGroupId}${m.errorSummary ? ` (${m.errorSummary})` : ''}`),
  };
}

// ------------------------------------------------------------------ steps

const credentials: Step<MigrationContext> = {
  id: 'okta-credentials',
  title: "Give Okta the SCIM Base URL and token (the Zscaler app's provisioning connection); Okta pushes assigned users only",
  doc: `${CONNECTIONS}; ${CONSOLE} > Integration (any other app); ZIA "Configuring SCIM" (Base URL)`,
  kind: 'automated',
  async observe(run): Promise<Observation> {
    const { ctx } = run;
    const app = await appOf(ctx);
    const wanted = wantedBaseUrl(run);
    const recorded = run.previous?.baseUrl;
    let conn: { status: string; baseUrl?: string | null } | undefined;
    try {
      conn = await oktaOf(ctx).getConnection(app.id);
    } catch (err) {
      if (byApi(ctx)) throw err;
    }
    const points = conn?.status === 'ENABLED' && wanted !== undefined && (byApi(ctx) ? connectionPointsAt(conn, wanted) : true);
    if (points && recorded === wanted) {
      return {
        state: 'done',
        detail: `the provisioning connection of "${labelOf(app)}" is enabled${conn?.baseUrl ? ` and points at ${conn.baseUrl}` : ''} (set by this migration at ${String(run.previous?.savedAt)})`,
      };
    }
    const now = conn
      ? `the provisioning connection of "${labelOf(app)}" is ${conn.status}${conn.baseUrl ? ` (${conn.baseUrl})` : ''}`
      : `the provisioning connection of "${labelOf(app)}" cannot be read through the API`;
    return {
      state: 'pending',
      detail: `${now}; this migration has not set it`,
      changes: byApi(ctx)
        ? [
            `POST /api/v1/apps/${app.id}/connections/default?activate=true: baseUrl ${wanted ?? '(the SCIM Base URL)'}${configOf(ctx, KIND).baseUrlForm === 'path' ? ' in the /<orgId>/<idpId>/ form' : ''}, token (the Bearer Token); Okta tests it`,
            'Create Users stays off until "Start provisioning": nothing is pushed yet',
          ]
        : ['operator: Okta Admin Console > the app > Provisioning > Configure API Integration: Base URL, API Token, Test API Credentials, Save'],
    };
  },
  async apply(run): Promise<StepOutputs> {
    const { ctx } = run;
    const app = await appOf(ctx);
    const known = recordedScimEndpoint(run);
    const creds = await obtainScimCredentials(
      ctx,
      'Okta needs the SCIM Bearer Token, and migrate holds it in memory only: this run does not have it.',
      true,
      typeof known === 'string' ? known : undefined,
    );
    const savedAt = new Date().toISOString();
    if (!byApi(ctx)) {
      await ctx.operator.perform({
        action: 'idp.setCredentials',
        idp: KIND,
        baseUrl: creds.baseUrl,
        token: creds.token,
        scope: 'the users and groups assigned to the app (Okta pushes assigned users only)',
        title: `Give Okta app "${labelOf(app)}" the SCIM Base URL and token`,
        instructions: credentialsInstructions(ctx, app, creds.baseUrl),
      });
      return { baseUrl: creds.baseUrl, appId: app.id, savedAt, byOperator: true };
    }
    const okta = oktaOf(ctx);
    // Nothing may be pushed before the deprovision guard: Create Users off first if an earlier setup left it on.
    const feature = await okta.getProvisioningFeature(app.id);
    const createWasOn = feature?.capabilities?.create?.lifecycleCreate?.status === 'ENABLED';
    if (createWasOn) await okta.setProvisioningFeature(app.id, { create: false });
    const set = await okta.setZscalerConnection(app.id, { scimBaseUrl: creds.baseUrl, token: creds.token, form: configOf(ctx, KIND).baseUrlForm });
    return { baseUrl: creds.baseUrl, appId: app.id, baseUrlForm: set.form, createTurnedOff: createWasOn, savedAt };
  },
  async verify(run, applied) {
    const { ctx } = run;
    const app = await appOf(ctx);
    const wanted = String(applied?.baseUrl);
    let conn: { status: string; baseUrl?: string | null } | undefined;
    try {
      conn = await oktaOf(ctx).getConnection(app.id);
    } catch (err) {
      if (byApi(ctx)) throw err;
    }
    if (byApi(ctx)) {
      return conn && conn.status === 'ENABLED' && connectionPointsAt(conn, wanted)
        ? {
            state: 'done',
            detail: `provisioning connection enabled for ${conn.baseUrl} (${String(applied?.baseUrlForm)} form); Okta tested the token on activation`,
          }
        : {
            state: 'pending',
            detail: `the provisioning connection is ${conn?.status ?? 'unreadable'}${conn?.baseUrl ? ` (${conn.baseUrl})` : ''} after the update`,
          };
    }
    // Set in the console: Okta's read (when it answers) and the SCIM service are the evidence.
    if (conn && conn.status !== 'ENABLED')
      return { state: 'pending', detail: `Okta reports the app's provisioning connection as ${conn.status}: Enable API integration was not saved` };
    if (ctx.scimCredentials) await ctx.scim(ctx.scimCredentials).probe();
    return {
      state: 'done',
      detail: `the operator configured the API integration for ${wanted}${conn ? ' and Okta reports it enabled' : ''}; the SCIM endpoint accepts the token`,
    };
  },
};

function featuresOn(f: Awaited<ReturnType<OktaClient['getProvisioningFeature']>>): { create: boolean; update: boolean; deactivate: boolean } {
  const on = (s: { status: string } | null | undefined) => s?.status === 'ENABLED';
  return {
    create: on(f?.capabilities?.create?.lifecycleCreate),
    update: on(f?.capabilities?.update?.profile),
    deactivate: on(f?.capabilities?.update?.lifecycleDeactivate),
  };
}

const start: Step<MigrationContext> = {
  id: 'okta-start',
  title: 'Start provisioning: To App > Create Users, Update User Attributes, Deactivate Users; push groups',
  doc: `${FEATURES}; ${CONSOLE} > To App, Push Groups (any other app)`,
  kind: 'automated',
  async observe(run): Promise<Observation> {
    const { ctx } = run;
    const app = await appOf(ctx);
    if (!byApi(ctx)) {
      if (typeof run.previous?.startedAt === 'string') return { state: 'done', detail: `the operator started provisioning at ${run.previous.startedAt}` };
      return {
        state: 'pending',
        detail: 'provisioning has not been started by this migration',
        changes: ['operator: Okta Admin Console > the app > Provisioning > To App: Create Users, Update User Attributes, Deactivate Users; Push Groups'],
      };
    }
    const okta = oktaOf(ctx);
    const f = featuresOn(await okta.getProvisioningFeature(app.id));
    const groups = configOf(ctx, KIND).pushGroups;
    const mappings = groups.length ? await okta.listGroupPushMappings(app.id) : [];
    const missingGroups: string[] = [];
    for (const name of groups) {
      const g = await okta.findGroup(name);
      if (!g || !mappings.some((m) => m.sourceGroupId === g.id && m.status === 'ACTIVE')) missingGroups.push(name);
    }
    const off = Object.entries(f)
      .filter(([, on]) => !on)
      .map(([k]) => k);
    if (off.length === 0 && missingGroups.length === 0) {
      return {
        state: 'done',
        detail: `Create Users, Update User Attributes and Deactivate Users are on${groups.length ? `; ${groups.length} group(s) pushed` : ''}`,
      };
    }
    return {
      state: 'pending',
      detail: `${off.length ? `To App: ${off.join(', ')} off` : 'To App settings on'}${missingGroups.length ? `; not pushed yet: ${names(missingGroups)}` : ''}`,
      changes: [
        ...(off.length
          ? [`PUT /api/v1/apps/${app.id}/features/USER_PROVISIONING: ${off.map((k) => `${k} ENABLED`).join(', ')} (password sync untouched)`]
          : []),
        ...missingGroups.map((n) => `group push mapping for "${n}" (ACTIVE)`),
      ],
    };
  },
  async apply(run): Promise<StepOutputs> {
    const { ctx } = run;
    const app = await appOf(ctx);
    const startedAt = new Date().toISOString();
    if (!byApi(ctx)) {
      await ctx.operator.perform({
        action: 'idp.start',
        idp: KIND,
        title: `Start provisioning in Okta app "${labelOf(app)}"`,
        instructions: startInstructions(ctx, app),
      });
      return { startedAt, byOperator: true };
    }
    const okta = oktaOf(ctx);
    await okta.setProvisioningFeature(app.id, { create: true, update: true, deactivate: true });
    const mappingIds: string[] = [];
    const existing = await okta.listGroupPushMappings(app.id);
    for (const name of configOf(ctx, KIND).pushGroups) {
      const g = await okta.findGroup(name);
      if (!g)
        throw new UserError(`idp.pushGroups names "${name}", and no Okta group has that name`, {
          hint: "use the group's name as Okta shows it in Directory > Groups",
        });
      const m = existing.find((x) => x.sourceGroupId === g.id);
      if (m) {
        if (m.status !== 'ACTIVE') await okta.setGroupPushMappingStatus(app.id, m.id, 'ACTIVE');
        mappingIds.push(m.id);
      } else {
        mappingIds.push((await okta.createGroupPushMapping(app.id, { sourceGroupId: g.id, targetGroupName: name, status: 'ACTIVE' })).id);
      }
    }
    return { startedAt, groupPushMappings: mappingIds };
  },
};

function observePush(s: PushState, startedAt: number): Observation {
  const facts = { done: s.total - s.inFlight.length, total: s.total, provisioned: s.provisioned, notPushed: s.unpushed.length, failed: s.failed.length };
  if (s.failed.length || s.groupsFailed.length) {
    return {
      state: 'blocked',
      detail:
        `Okta failed to push ${s.failed.length} user(s)${s.failed.length ? ` (${names(s.failed.map(loginOf))})` : ''}` +
        `${s.groupsFailed.length ? ` and ${s.groupsFailed.length} group(s) (${names(s.groupsFailed)})` : ''}`,
      facts,
    };
  }
  if (s.inFlight.length || s.groupsPending.length) {
    return {
      state: 'pending',
      detail: `Okta is pushing: ${facts.done}/${s.total} assigned users processed${s.groupsPending.length ? `, ${s.groupsPending.length} group(s) to push` : ''}`,
      facts,
    };
  }
  // Okta works per user, not in cycles: a short pause before the first push is not the end of one.
  if (s.provisioned === 0 && s.total > 0 && Date.now() - startedAt < 60_000) {
    return { state: 'pending', detail: `waiting for Okta to begin pushing the ${s.total} assigned users`, facts };
  }
  return {
    state: 'done',
    detail: `Okta pushed ${s.provisioned} of ${s.total} assigned users${s.unpushed.length ? `; ${s.unpushed.length} assigned user(s) were not pushed (checked before parity)` : ''}`,
    facts,
  };
}

const initialCycle: Step<MigrationContext> = {
  id: 'okta-initial-cycle',
  title: 'Wait for Okta to push the assigned users (their provisioning state, through the Okta API)',
  doc: 'Okta Management API: ApplicationUsers (status, syncState), GroupPushMapping (status, lastPush)',
  kind: 'automated',
  async observe(run): Promise<Observation> {
    if (typeof run.previous?.completedAt === 'string') return { state: 'done', detail: `Okta's initial push completed at ${run.previous.completedAt}` };
    const started = run.outputsOf('okta-start')?.startedAt;
    if (typeof started !== 'string')
      return {
        state: 'pending',
        detail: 'provisioning is not started yet; the push is watched once it is',
        changes: ["watch the assigned users' provisioning state until none is queued"],
      };
    return observePush(await pushState(run.ctx, await appOf(run.ctx)), Date.parse(started));
  },
  async apply(run): Promise<StepOutputs> {
    const { ctx } = run;
    const app = await appOf(ctx);
    const startedAt = Date.parse(String(run.outputsOf('okta-start')?.startedAt ?? new Date().toISOString()));
    const minutes = configOf(ctx, KIND).initialCycleTimeoutMinutes;
    const seen = await pollUntil(
      ctx,
      'Okta initial push',
      async () => observePush(await pushState(ctx, app), startedAt),
      minutes * 60_000,
      (o) => (typeof o.facts?.done === 'number' && typeof o.facts.total === 'number' ? { done: o.facts.done, total: o.facts.total } : undefined),
    );
    if (seen.state === 'blocked') {
      throw new UserError(seen.detail, {
        hint: `Open the Okta Admin Console > Applications > "${labelOf(app)}" > Assignments (and Dashboard > Tasks) for each error, fix its cause (often a value ZIA refuses), retry the push there, then run the same command again.`,
      });
    }
    if (seen.state !== 'done') {
      throw new UserError(`after ${minutes} minutes Okta is still pushing: ${seen.detail}`, {
        hint: 'Run the same command again to keep watching (idp.initialCycleTimeoutMinutes sets the budget).',
      });
    }
    return { completedAt: new Date().toISOString(), provisioned: Number(seen.facts?.provisioned ?? 0), notPushed: Number(seen.facts?.notPushed ?? 0) };
  },
};

/** The pitfall's users, with where they stand in SCIM when the run holds the token. */
async function unpushedUsers(ctx: MigrationContext, app: OktaApp): Promise<{ logins: string[]; absent: number; unmanaged: number }> {
  const logins = notPushed(await oktaOf(ctx).listAppUsers(app.id)).map(loginOf);
  let absent = 0;
  let unmanaged = 0;
  if (ctx.scimCredentials) {
    const scim = ctx.scim(ctx.scimCredentials);
    for (const l of logins.slice(0, 200)) {
      const u = await scim.findUserByUserName(l);
      if (!u) absent++;
      else unmanaged++;
    }
  }
  return { logins, absent, unmanaged };
}

const unpushed: Step<MigrationContext> = {
  id: 'okta-unpushed-users',
  title: 'Provision the users Okta did not push (assigned before provisioning was enabled)',
  doc: PITFALL,
  kind: 'operator',
  async observe(run): Promise<Observation> {
    const { ctx } = run;
    if (typeof run.outputsOf('okta-initial-cycle')?.completedAt !== 'string') {
      return {
        state: 'pending',
        detail: "checked once Okta's initial push is complete",
        changes: ['compare the users assigned in Okta with what Okta pushed to SCIM; the operator provisions any it skipped'],
      };
    }
    const app = await appOf(ctx);
    const u = await unpushedUsers(ctx, app);
    if (u.logins.length === 0) return { state: 'done', detail: 'every user assigned to the app in Okta was pushed to Zscaler', facts: { notPushed: 0 } };
    const where =
      u.absent + u.unmanaged > 0
        ? ` (${u.absent} absent from SCIM, ${u.unmanaged} there only as the directory-synced record${u.logins.length > 200 ? ', of the first 200' : ''})`
        : '';
    return {
      state: 'pending',
      detail: `${u.logins.length} user(s) are assigned to "${labelOf(app)}" in Okta but were never pushed to Zscaler${where}: users assigned before provisioning was enabled (${names(u.logins)})`,
      changes: ['operator: Okta Admin Console > the app > Assignments > Provision User on each of them (or unassign and assign again)'],
      facts: { notPushed: u.logins.length, absentFromScim: u.absent },
    };
  },
  async apply(run): Promise<StepOutputs> {
    const { ctx } = run;
    const app = await appOf(ctx);
    const { logins } = await unpushedUsers(ctx, app);
    if (logins.length === 0) return { askedAt: null, users: 0 };
    await ctx.operator.perform({
      action: 'idp.provisionUsers',
      idp: KIND,
      users: logins,
      title: `Provision ${logins.length} user(s) Okta did not push`,
      instructions: provisionInstructions(app, logins),
    });
    return { askedAt: new Date().toISOString(), users: logins.length, logins: logins.slice(0, 1000) };
  },
  async verify(run, applied) {
    const { ctx } = run;
    const app = await appOf(ctx);
    const asked = Array.isArray(applied?.logins) ? (applied.logins as JsonValue[]).map(String) : [];
    const minutes = Math.min(configOf(ctx, KIND).initialCycleTimeoutMinutes, 30);
    const seen = await pollUntil(
      ctx,
      'Okta: provisioning the skipped users',
      async (): Promise<Observation> => {
        const users = await oktaOf(ctx).listAppUsers(app.id);
        const still = notPushed(users).map(loginOf);
        const inFlight = users.filter((u) => asked.includes(loginOf(u)) && (u.status === 'STAGED' || u.syncState === 'SYNCING'));
        const failed = users.filter((u) => asked.includes(loginOf(u)) && u.syncState === 'ERROR').map(loginOf);
        if (failed.length) return { state: 'blocked', detail: `Okta failed to push ${failed.length} of them (${names(failed)})` };
        if (still.length || inFlight.length) return { state: 'pending', detail: `${still.length} not pushed yet, ${inFlight.length} being pushed` };
        return { state: 'done', detail: `Okta pushed the ${asked.length} user(s)` };
      },
      minutes * 60_000,
    );
    if (seen.state !== 'done') return seen;
    // And Zscaler has them as Okta's: found by userName in SCIM.
    if (ctx.scimCredentials) {
      const scim = ctx.scim(ctx.scimCredentials);
      const missing: string[] = [];
      for (const l of asked.slice(0, 200)) if (!(await scim.findUserByUserName(l))) missing.push(l);
      if (missing.length) return { state: 'pending', detail: `Okta reports them provisioned, but SCIM does not have ${names(missing)}` };
    }
    return { state: 'done', detail: `${seen.detail}; each is in SCIM` };
  },
};

const pause: Step<MigrationContext> = {
  id: 'okta-pause',
  title: 'Pause Okta provisioning: deactivate the provisioning connection (users stay assigned; nothing is deprovisioned)',
  doc: `${REVERT}, step 4 (done first, so nothing is pushed while ZIA changes); ${CONNECTIONS}`,
  kind: 'automated',
  async observe(run): Promise<Observation> {
    const { ctx } = run;
    const app = await appOf(ctx);
    if (!byApi(ctx)) {
      if (typeof run.previous?.pausedAt === 'string') return { state: 'done', detail: `the operator paused provisioning at ${run.previous.pausedAt}` };
      if (
        run.snapshot?.adopted === undefined &&
        run.statusOf('ad-to-scim:okta-credentials') === 'pending' &&
        run.statusOf('ad-to-scim:okta-start') === 'pending'
      ) {
        return { state: 'done', detail: 'this migration never configured nor started provisioning in Okta' };
      }
      return {
        state: 'pending',
        detail: `Okta app "${labelOf(app)}" may be pushing to SCIM`,
        changes: [
          'operator: Okta Admin Console > the app > Provisioning > To App: clear Create Users, Update User Attributes, Deactivate Users (never unassign)',
        ],
      };
    }
    const conn = await oktaOf(ctx).getConnection(app.id);
    if (conn.status !== 'ENABLED') return { state: 'done', detail: `the provisioning connection of "${labelOf(app)}" is ${conn.status}: Okta pushes nothing` };
    return {
      state: 'pending',
      detail: `the provisioning connection of "${labelOf(app)}" is enabled${conn.baseUrl ? ` (${conn.baseUrl})` : ''}`,
      changes: [`POST /api/v1/apps/${app.id}/connections/default/lifecycle/deactivate (assignments are kept; nothing is deprovisioned)`],
    };
  },
  async apply(run): Promise<StepOutputs> {
    const { ctx } = run;
    const app = await appOf(ctx);
    const pausedAt = new Date().toISOString();
    if (!byApi(ctx)) {
      await ctx.operator.perform({
        action: 'idp.pause',
        idp: KIND,
        title: `Pause provisioning in Okta app "${labelOf(app)}"`,
        instructions: pauseInstructions(app),
      });
      return { pausedAt, byOperator: true };
    }
    await oktaOf(ctx).deactivateConnection(app.id);
    return { pausedAt };
  },
};

interface SnapshotFeature {
  create: boolean;
  update: boolean;
  deactivate: boolean;
}

const restore: Step<MigrationContext> = {
  id: 'okta-restore',
  title: "Put Okta's To App settings back as they were; set the group push mappings this migration made inactive (the groups stay in Zscaler)",
  doc: FEATURES,
  kind: 'automated',
  async observe(run): Promise<Observation> {
    const { ctx } = run;
    if (!byApi(ctx)) return { state: 'done', detail: 'the app is configured in the Admin Console: provisioning was paused there' };
    const snap = run.snapshot?.oktaProvisioning as SnapshotFeature | null | undefined;
    const before = (run.snapshot?.oktaGroupPush as Array<{ id: string }> | undefined) ?? [];
    if (snap === undefined) return { state: 'done', detail: 'no Okta settings were recorded before the migration (nothing to put back)' };
    const app = await appOf(ctx);
    const okta = oktaOf(ctx);
    const feature = await okta.getProvisioningFeature(app.id);
    const now = featuresOn(feature);
    const want: SnapshotFeature = snap ?? { create: false, update: false, deactivate: false };
    const differ = feature !== null && (Object.keys(want) as Array<keyof SnapshotFeature>).filter((k) => want[k] !== now[k]);
    const ours = (await okta.listGroupPushMappings(app.id)).filter((m) => m.status === 'ACTIVE' && !before.some((b) => b.id === m.id));
    if ((!differ || differ.length === 0) && ours.length === 0)
      return { state: 'done', detail: "Okta's To App settings are as before the migration; no group push mapping of this migration is active" };
    return {
      state: 'pending',
      detail: `${differ && differ.length ? `To App ${differ.join(', ')} differ from before the migration` : 'To App settings as before'}${ours.length ? `; ${ours.length} group push mapping(s) made by this migration are active` : ''}`,
      changes: [
        ...(differ && differ.length ? [`PUT features/USER_PROVISIONING: ${differ.map((k) => `${k} ${want[k] ? 'ENABLED' : 'DISABLED'}`).join(', ')}`] : []),
        ...ours.map((m) => `PATCH group-push/mappings/${m.id}: INACTIVE (the group stays in Zscaler)`),
      ],
    };
  },
  async apply(run): Promise<StepOutputs> {
    const { ctx } = run;
    const snap = run.snapshot?.oktaProvisioning as SnapshotFeature | null | undefined;
    const before = (run.snapshot?.oktaGroupPush as Array<{ id: string }> | undefined) ?? [];
    const app = await appOf(ctx);
    const okta = oktaOf(ctx);
    if (await okta.getProvisioningFeature(app.id)) await okta.setProvisioningFeature(app.id, snap ?? { create: false, update: false, deactivate: false });
    const inactivated: string[] = [];
    for (const m of await okta.listGroupPushMappings(app.id)) {
      if (m.status === 'ACTIVE' && !before.some((b) => b.id === m.id)) {
        await okta.setGroupPushMappingStatus(app.id, m.id, 'INACTIVE');
        inactivated.push(m.id);
      }
    }
    return { restoredAt: new Date().toISOString(), inactivatedMappings: inactivated };
  },
};

const oktaReachable: PreflightCheck<MigrationContext> = {
  id: 'okta-api',
  title: 'The Okta credentials can read the Zscaler app and its provisioning',
  async run(ctx) {
    const app = await appOf(ctx);
    if (!byApi(ctx)) {
      return {
        ok: true,
        detail: `Okta app "${labelOf(app)}" (${app.name}, id ${app.id}): its provisioning is configured by the operator in the Admin Console`,
      };
    }
    const okta = oktaOf(ctx);
    const conn = await okta.getConnection(app.id);
    const f = featuresOn(await okta.getProvisioningFeature(app.id));
    return {
      ok: true,
      detail: `Zscaler 2.0 app "${labelOf(app)}" (id ${app.id}); provisioning connection ${conn.status}${conn.baseUrl ? ` to ${conn.baseUrl}` : ''}; Create Users ${f.create ? 'on' : 'off'}`,
    };
  },
};

export const oktaProvisioner: IdpProvisioner = {
  kind: KIND,
  label: 'Okta',
  preflight: [oktaReachable],
  async snapshot(ctx): Promise<Record<string, JsonValue>> {
    const app = await appOf(ctx);
    if (!byApi(ctx)) return { oktaApp: { id: app.id, name: app.name, label: labelOf(app), byApi: false } };
    const okta = oktaOf(ctx);
    const conn = await okta.getConnection(app.id);
    const feature = await okta.getProvisioningFeature(app.id);
    const mappings = await okta.listGroupPushMappings(app.id);
    return {
      oktaApp: { id: app.id, name: app.name, label: labelOf(app), byApi: true },
      oktaConnection: { status: conn.status, baseUrl: conn.baseUrl ?? null },
      // null: no provisioning feature yet (never configured): rollback leaves every capability off.
      oktaProvisioning: feature ? { ...featuresOn(feature) } : null,
      oktaGroupPush: mappings.map((m) => ({ id: m.id, sourceGroupId: m.sourceGroupId, status: m.status })),
    };
  },
  steps: { setCredentials: credentials, start, initialCycle, beforeParity: [unpushed], pause, restore },
  async provisioningNow(ctx) {
    if (!byApi(ctx)) return undefined;
    const app = await appOf(ctx);
    const okta = oktaOf(ctx);
    const conn = await okta.getConnection(app.id);
    if (conn.status !== 'ENABLED') return undefined;
    const f = featuresOn(await okta.getProvisioningFeature(app.id));
    return f.create
      ? `Okta app "${labelOf(app)}" is already provisioning (connection enabled${conn.baseUrl ? ` to ${conn.baseUrl}` : ''}, Create Users on)`
      : undefined;
  },
  async testConnection() {
    // Okta's only connection test is the activation itself (a write that also saves a token): never run it here.
    return { is: 'unknown', detail: 'Okta offers no read-only Test API Credentials call' };
  },
  async explainMissing(run) {
    try {
      const app = await appOf(run.ctx);
      const users = await oktaOf(run.ctx).listAppUsers(app.id);
      const skipped = notPushed(users).map(loginOf);
      const failed = users.filter((u) => u.syncState === 'ERROR').map(loginOf);
      const parts: string[] = [];
      if (skipped.length)
        parts.push(
          `${skipped.length} user(s) are assigned to "${labelOf(app)}" in Okta but were never pushed (assigned before provisioning was enabled: Assignments > Provision User): ${names(skipped)}.`,
        );
      if (failed.length) parts.push(`${failed.length} user(s) failed to push in Okta (Assignments tab shows why): ${names(failed)}.`);
      return parts.length ? ` ${parts.join(' ')}` : '';
    } catch (err) {
      void firstLine(err);
      return '';
    }
  },
};
