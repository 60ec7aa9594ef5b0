import { OperatorNeeded, UserError } from '../../engine/errors.js';
import type { Flow, PreflightCheck, Step, StepRun } from '../../engine/step.js';
import type { MigrationContext } from '../../flows/context.js';
import { directoryScope } from '../../flows/parity-check.js';
import { forwardLifecycle, perIdp } from '../../flows/lifecycle.js';
import { deprovisionGuardStep, recordCompletionStep, verifyParityStep } from '../../flows/steps/outcome.js';
import type { IdpProvisioner } from '../../idps/provisioner.js';
import type { ProductFlows } from '../product.js';
import { readZpaIdp, zpaIdpLabel, zpaOf } from './client.js';
import { zpaOktaPitfallStep } from './okta-pitfall.js';
import { zpaRollbackFlowFor } from './rollback.js';
import { enableScimSyncInstructions, obtainZpaScimCredentials, onTokenReplaced } from './scim.js';

/**
 * ZPA: SCIM Sync on one ZPA IdP, provisioned by the IdP, a soak, then SCIM Attributes for Policy, as
 * the vendor documents it (https://help.zscaler.com/zpa/enabling-scim-identity-management, GUIDE;
 * docs/design/zpa-flow.md). ZPA has no API that changes an IdP (docs/vendor-facts.md Y4): every ZPA
 * change is an operator step, verified by reading the IdP. The IdP's part comes from its provisioner.
 * Step ids are stored in state files: never rename one.
 */
const GUIDE = 'ZPA "Enabling SCIM for Identity Management"';
const HOUR = 3_600_000;

export const ZPA_ENABLE_STEP = 'zpa-enable-scim-sync';
export const ZPA_SOAK_STEP = 'zpa-soak-gate';
export const ZPA_POLICY_STEP = 'zpa-scim-policy';

const idpNameOf = (ctx: MigrationContext, fallback: string) => zpaOf(ctx.config).idpName ?? fallback;
const iso = (ms: number) => new Date(ms).toISOString();

// ---------------------------------------------------------------------------------------------
// Preflight

const zpaIdpUsable: PreflightCheck<MigrationContext> = {
  id: 'zpa-idp',
  title: 'ZPA: the IdP exists, is enabled and used for user single sign-on; SCIM as this migration left it',
  async run(ctx) {
    const { idp } = await readZpaIdp(ctx);
    const name = `ZPA IdP "${idp.name}" (id ${idp.id})`;
    if (!idp.enabled) return { ok: false, detail: `${name} is disabled`, fix: 'Enable the IdP in IdP Configuration, or configure the IdP users sign in with.' };
    if (!idp.ssoType.includes('USER')) {
      return {
        ok: false,
        detail: `${name} is used for ${idp.ssoType.join(', ') || 'no'} single sign-on, not for users`,
        fix: 'SCIM Sync provisions users: configure the IdP whose single sign-on is for users (Single Sign-On: User).',
      };
    }
    const recorded = ctx.migrationRecorded;
    if (idp.enableScimBasedPolicy && !recorded) {
      return {
        ok: false,
        detail: `${name} already has "SCIM Attributes for Policy" on, and this state file records no migration of it`,
        fix: 'This IdP is already past the procedure: nothing to migrate. If its state file was lost, run with --adopt only after checking it by hand.',
      };
    }
    if (idp.scimEnabled && !recorded && !ctx.adoptObservedState) {
      return {
        ok: false,
        detail: `${name} already has SCIM Sync on, and this state file records no migration of it`,
        fix: "Another run (or a person) enabled it: use that run's state file, or --adopt to take the IdP on as it is.",
      };
    }
    return {
      ok: true,
      detail: `${name}: enabled, user single sign-on, SCIM Sync ${idp.scimEnabled ? 'on (this migration)' : 'off'}, SCIM Attributes for Policy ${idp.enableScimBasedPolicy ? 'on' : 'off'}`,
    };
  },
};

const directoryInScope: PreflightCheck<MigrationContext> = {
  id: 'directory-reachable',
  title: 'Directory reachable; the scope returns users',
  async run(ctx) {
    const n = await ctx.directory().countUsers(directoryScope(ctx));
    if (n === 0) {
      return {
        ok: false,
        detail: `the directory scope returns no users (base ${ctx.config.directory.baseDn})`,
        fix: 'Check directory.baseDn, userFilter and groupDn: parity compares ZPA with this scope.',
      };
    }
    return { ok: true, detail: `${n} users in scope under ${ctx.config.directory.baseDn}` };
  },
};

// ---------------------------------------------------------------------------------------------
// Forward steps

function snapshotStep(idp: IdpProvisioner): Step<MigrationContext> {
  return {
    id: 'snapshot',
    title: 'Snapshot the ZPA IdP and the IdP settings this migration changes',
    doc: `${GUIDE} (rollback needs the starting point)`,
    kind: 'automated',
    async observe(run) {
      return run.snapshot
        ? { state: 'done', detail: `snapshot taken (${Object.keys(run.snapshot).join(', ')})` }
        : { state: 'pending', detail: 'no snapshot yet', changes: [`record the ZPA IdP's SCIM settings and what ${idp.label} holds now into the checkpoint`] };
    },
    async apply(run) {
      const { ctx } = run;
      const { idp: z } = await readZpaIdp(ctx);
      const idpState = await idp.snapshot(ctx);
      await run.saveSnapshot({
        zpaIdp: {
          id: z.id,
          name: z.name,
          scimEnabled: z.scimEnabled,
          scimSharedSecretExists: z.scimSharedSecretExists,
          enableScimBasedPolicy: z.enableScimBasedPolicy,
          disableSamlBasedPolicy: z.disableSamlBasedPolicy,
          reauthOnUserUpdate: z.reauthOnUserUpdate,
          modifiedTime: z.modifiedTime ?? null,
        },
        ...idpState,
      });
    },
  };
}

/** Step 2 of the design note: SCIM Sync on and a token, by the operator; verified on the IdP and against the SCIM endpoint. */
const enableScimSync: Step<MigrationContext> = {
  id: ZPA_ENABLE_STEP,
  title: 'Enable SCIM Sync on the ZPA IdP and generate its token',
  doc: GUIDE,
  kind: 'operator',
  guide: (ctx) => ({
    instructions: [
      ...enableScimSyncInstructions(idpNameOf(ctx, zpaIdpLabel(ctx))),
      'Give migrate the token at its prompt, or unattended as scim.tokenEnv or scim.tokenFile (never stored).',
    ],
    verifiedBy: 'the IdP read through the ZPA API (scimEnabled and scimSharedSecretExists true), and the token accepted by its SCIM Service Provider Endpoint',
  }),
  async observe(run) {
    const { ctx } = run;
    const { idp } = await readZpaIdp(ctx);
    const recorded = run.previous?.baseUrl;
    if (idp.scimEnabled && idp.scimSharedSecretExists && typeof recorded === 'string') {
      return { state: 'done', detail: `SCIM Sync on since ${String(run.previous?.scimSyncObservedAt)}; endpoint ${recorded} (the token is never kept)` };
    }
    return {
      state: 'pending',
      detail: idp.scimEnabled ? 'SCIM Sync is on, but this migration has not recorded it yet' : `SCIM Sync is off on ZPA IdP "${idp.name}"`,
      changes: ['operator: IdP Configuration > Edit → Enabled for SCIM Sync, Generate New Token (copied at once), Save'],
    };
  },
  async apply(run) {
    const { ctx } = run;
    const creds = await obtainZpaScimCredentials(ctx, '', false);
    const { idp, at } = await readZpaIdp(ctx);
    if (!idp.scimEnabled || !idp.scimSharedSecretExists) {
      throw new UserError(
        `ZPA IdP "${idp.name}" does not show SCIM Sync on with a token (scimEnabled ${idp.scimEnabled}, scimSharedSecretExists ${idp.scimSharedSecretExists})`,
        {
          hint: 'Save the IdP after turning on Enabled for SCIM Sync and generating the token, then run again.',
        },
      );
    }
    // The soak starts when SCIM Sync is seen on, on ZPA's clock: the time of its answer (the gate reads
    // the same clock later). modifiedTime, the save, is kept as evidence.
    const observed = at;
    const hours = zpaOf(ctx.config).soak.hours;
    return { baseUrl: creds.baseUrl, scimSyncObservedAt: iso(observed), modifiedTime: idp.modifiedTime ?? null, soakUntil: iso(observed + hours * HOUR) };
  },
};

/** When the soak gate opens: SCIM Sync's observed start plus soak.hours, on ZPA's clock. */
function soakWindow(run: StepRun<MigrationContext>): { from: number; until: number; hours: number } | undefined {
  const since = run.outputsOf(ZPA_ENABLE_STEP)?.scimSyncObservedAt;
  if (typeof since !== 'string') return undefined;
  const hours = zpaOf(run.ctx.config).soak.hours;
  const from = Date.parse(since);
  return { from, until: from + hours * HOUR, hours };
}

/** Step 7: refused until the soak has passed and parity is clean (Y14); a later run continues from here. */
const soakGate: Step<MigrationContext> = {
  id: ZPA_SOAK_STEP,
  title: 'Soak gate: SCIM Sync has run for soak.hours and parity is clean',
  doc: `${GUIDE} ("wait a minimum of 48 hours, or up to a week, before enabling SCIM policies")`,
  kind: 'automated',
  after: ['verify-parity'],
  guide: (ctx) => {
    const s = zpaOf(ctx.config).soak;
    return {
      wait: {
        for: 'SCIM Sync to run for soak.hours after it was turned on, with parity clean',
        expected: `${s.hours} hours${s.override ? ` (below the vendor's 48, overridden: ${s.override.reason})` : ''}`,
        limit: 'none: the run stops (exit 3) and a later run continues from here',
      },
    };
  },
  async observe(run) {
    if (typeof run.previous?.openedAt === 'string') return { state: 'done', detail: `soak passed; gate opened at ${run.previous.openedAt}` };
    const w = soakWindow(run);
    if (!w) return { state: 'pending', detail: 'opens soak.hours after SCIM Sync is turned on (not yet)', changes: ['wait for the soak, then check parity'] };
    const { at } = await readZpaIdp(run.ctx);
    const parity = run.statusOf('verify-parity') === 'succeeded';
    const open = at >= w.until && parity;
    const facts = { soakUntil: iso(w.until), zpaTime: iso(at), parityClean: parity };
    return open
      ? {
          state: 'pending',
          detail: `soak of ${w.hours} h passed at ${iso(w.until)} and parity is clean: the gate opens`,
          changes: ['record the gate as open'],
          facts,
          volatileFacts: ['zpaTime'],
        }
      : {
          state: 'pending',
          detail: `SCIM Attributes for Policy allowed after ${iso(w.until)} (${w.hours} h after SCIM Sync began at ${iso(w.from)})${parity ? '' : ', and only with parity clean'}; ZPA's time now ${iso(at)}`,
          changes: [`wait until ${iso(w.until)}: the run stops here (exit 3) and a later run of the same command continues`],
          facts,
          volatileFacts: ['zpaTime'],
        };
  },
  async apply(run) {
    const w = soakWindow(run);
    if (!w) throw new UserError(`the soak gate needs the time SCIM Sync began (step ${ZPA_ENABLE_STEP}), which this state file does not record`);
    const { at } = await readZpaIdp(run.ctx);
    if (run.statusOf('verify-parity') !== 'succeeded')
      throw new OperatorNeeded('the soak gate opens only on clean parity', 'Fix the parity findings, then run ad-to-scim again.');
    if (at < w.until) {
      const left = Math.ceil((w.until - at) / HOUR);
      throw new OperatorNeeded(
        `soak gate: SCIM Attributes for Policy is allowed after ${iso(w.until)} (${w.hours} h after SCIM Sync began at ${iso(w.from)}; about ${left} h to go on ZPA's clock)`,
        'Nothing was changed. Run the same command again after that time: it continues from the soak gate (`migrate status` shows when it opens).',
      );
    }
    return {
      openedAt: iso(at),
      soakUntil: iso(w.until),
      soakHours: w.hours,
      ...(zpaOf(run.ctx.config).soak.override ? { override: zpaOf(run.ctx.config).soak.override!.reason } : {}),
    };
  },
};

export const REAUTH_REMINDER =
  'SCIM criteria apply to existing users only after they re-authenticate: until then ZPA evaluates their policies without the SCIM attributes (https://help.zscaler.com/zpa/enabling-scim-identity-management). Plan a sign-out, or wait for their sessions to expire, before relying on SCIM-based access policies.';

function policyInstructions(idpName: string, enabled: boolean): string[] {
  return [
    'In the ZPA Admin Portal, go to Administration > Identity > Private Access > IdP Configuration.',
    `Click the Edit icon of the IdP "${idpName}".`,
    enabled
      ? 'Turn on "SCIM Attributes for Policy".'
      : 'Turn off "SCIM Attributes for Policy" (access policies that use SCIM attributes or SCIM groups stop matching).',
    'Click Save.',
  ];
}

/** Step 8: SCIM Attributes for Policy on (operator), verified by enableScimBasedPolicy; then the re-authentication reminder. */
const scimPolicy: Step<MigrationContext> = {
  id: ZPA_POLICY_STEP,
  title: 'Enable "SCIM Attributes for Policy" on the ZPA IdP',
  doc: GUIDE,
  kind: 'operator',
  after: [ZPA_SOAK_STEP],
  guide: (ctx) => ({
    instructions: policyInstructions(idpNameOf(ctx, zpaIdpLabel(ctx)), true),
    verifiedBy: 'the IdP read through the ZPA API: enableScimBasedPolicy true',
  }),
  async observe(run) {
    const { idp } = await readZpaIdp(run.ctx);
    return idp.enableScimBasedPolicy
      ? { state: 'done', detail: `SCIM Attributes for Policy is on for ZPA IdP "${idp.name}"` }
      : {
          state: 'pending',
          detail: 'SCIM Attributes for Policy is off',
          changes: ['operator: IdP Configuration > Edit → SCIM Attributes for Policy on, Save'],
        };
  },
  async apply(run) {
    const { ctx } = run;
    const { idp } = await readZpaIdp(ctx);
    await ctx.operator.perform({
      action: 'zpa.setScimPolicy',
      idpName: idp.name,
      idpId: idp.id,
      enabled: true,
      title: `Enable "SCIM Attributes for Policy" on ZPA IdP "${idp.name}"`,
      instructions: policyInstructions(idp.name, true),
      inputs: [],
    });
    ctx.out.warn(REAUTH_REMINDER);
    return { enabledAt: new Date().toISOString() };
  },
};

/**
 * The IdP's "give it the SCIM endpoint and token" step, run again whenever this run has to replace the
 * token the IdP holds. ZPA shows a token once and migrate keeps none (docs/vendor-facts.md Y4), so a
 * resumed run that needs the token (to watch the initial cycle through ZPA's SCIM service, for a pilot)
 * generates a new one, and the new one stops the IdP's. Whatever the IdP, its own steps give it the new
 * one (an API call for Entra and PingFederate, the operator for manual and Okta), verified as that step
 * verifies, then start its provisioning again if it had been started: pushes refused in between may
 * have stopped it (Entra quarantines the job until it is started). A run that needs no token (Entra's
 * cycle is watched through Graph) generates none, and the IdP keeps the one it has.
 */
function regivenAReplacedToken(idp: IdpProvisioner): Step<MigrationContext> {
  const { setCredentials: step, start } = idp.steps;
  return {
    ...step,
    after: [...(step.after ?? []), ZPA_ENABLE_STEP],
    async observe(run) {
      const seen = await step.observe(run);
      // Done in an earlier run: the IdP holds that run's token. Known to this run only, in memory.
      if (seen.state === 'done' && !run.dryRun) {
        onTokenReplaced(run.ctx, async () => {
          const { ctx } = run;
          ctx.out.info(`the new ZPA SCIM token stops the one ${idp.label} holds: "${step.title}" runs again to give it the new one`);
          const outputs = await step.apply(run);
          const check = step.verify ? await step.verify(run, outputs ?? undefined) : await step.observe(run);
          if (check.state !== 'done') {
            throw new UserError(`${idp.label} was to be given the new ZPA SCIM token, but "${step.title}" is not done: ${check.detail}`, {
              hint: `Give ${idp.label} the token ZPA's Generate New Token showed last, then run the same command again.`,
            });
          }
          if (run.statusOf(start.id) === 'pending') return;
          ctx.out.info(`"${start.title}" runs again: pushes refused before ${idp.label} had the new token may have stopped its provisioning`);
          await start.apply({ ...run, previous: run.outputsOf(start.id), startedAt: undefined });
        });
      }
      return seen;
    },
  };
}

function forwardFlow(idp: IdpProvisioner): Flow<MigrationContext> {
  return {
    id: 'ad-to-scim',
    title: `ZPA: SCIM Sync on the IdP, provisioned from ${idp.label}; soak; SCIM Attributes for Policy`,
    doc: 'help.zscaler.com/zpa/enabling-scim-identity-management',
    preflight: [zpaIdpUsable, directoryInScope, ...idp.preflight],
    closingAdvice: [REAUTH_REMINDER, 'Manage users and groups in the IdP from now on: it provisions ZPA through SCIM.'],
    steps: [
      snapshotStep(idp),
      enableScimSync,
      regivenAReplacedToken(idp),
      // Users disabled in the directory arrive in ZPA as active=false; a first cycle deletes nothing.
      deprovisionGuardStep(idp, {
        title: 'Guard: users the first cycle would push as disabled',
        doc: `${GUIDE} (scoping)`,
        disabledMeans: 'would be pushed to ZPA as disabled',
      }),
      ...(idp.steps.beforeStart ?? []),
      idp.steps.start,
      idp.steps.initialCycle,
      // Okta's pitfall on ZPA is checked by parity against ZPA itself (okta-pitfall.ts): that step takes
      // the place of Okta's own check, which reads Okta's app users for a status that is unconfirmed (K8).
      ...(idp.kind === 'okta' ? [zpaOktaPitfallStep(idp.steps.initialCycle.id)] : (idp.steps.beforeParity ?? [])),
      verifyParityStep(idp, {
        title: "Verify users match: the directory and ZPA's SCIM users and groups",
        doc: `${GUIDE} (before SCIM policies: the users and groups ZPA holds)`,
        reads: 'read the directory and ZPA SCIM users',
        // A token already in memory is used; none is generated only for parity, since a new one would
        // stop the IdP's own (it holds the previous one): parity then reads ZPA's admin API without it.
        credentials: async (ctx) => (ctx.scimCredentials?.accepted ? ctx.scimCredentials : undefined),
        reportName: 'parity-zpa',
        after: 'The soak gate opens only on clean parity.',
      }),
      soakGate,
      scimPolicy,
      recordCompletionStep(GUIDE),
    ],
    ...forwardLifecycle,
  };
}

const forwardFor = perIdp(forwardFlow);

/** The ZPA flows with this IdP's steps (one Flow object per IdP). */
export function zpaFlowsFor(idp: IdpProvisioner): ProductFlows {
  return { 'ad-to-scim': forwardFor(idp), rollback: zpaRollbackFlowFor(idp) };
}
