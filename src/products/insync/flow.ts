import { join } from 'node:path';
import { closeRun, type UnsealedState } from '../../engine/checkpoint.js';
import { UserError } from '../../engine/errors.js';
import type { JsonValue } from '../../engine/json.js';
import { readSideFile, sideFileHash, writeSideFile } from '../../engine/side-file.js';
import type { Flow, Observation, PreflightCheck, Step, StepRun } from '../../engine/step.js';
import type { InsyncContext, Method } from './context.js';
import { buildSwitchReport, writeSwitchReport, type SwitchReport } from './report.js';
import {
  compareDevices,
  compareUsers,
  devicesWithoutBackupSince,
  listFindings,
  readDevices,
  readTenant,
  snapshotFileSchema,
  totalBytes,
  type SnapshotFile,
  type SwitchFinding,
  type TenantReading,
} from './snapshot.js';

/**
 * `migrate provisioning-switch --product insync --to azure-ad|scim` and its rollback: Druva inSync's
 * change of the user provisioning method (docs/vendor-facts.md D15–D20, "inSync flow"). No API
 * changes the method or the mappings (D16): the switch and the mapping are operator steps; the tool
 * snapshots before, and proves afterwards that no user, device, backup byte or backup schedule was lost.
 *
 * Step ids are stored in state files: never rename them.
 */
export const SWITCH_FLOW_ID = 'insync-provisioning-switch';
export const ROLLBACK_FLOW_ID = 'insync-rollback';

const DOC = 'Druva inSync: Change user provisioning from SCIM to Azure AD (and the reverse article)';
const other = (m: Method): Method => (m === 'SCIM' ? 'Azure AD' : 'SCIM');
/** The console's label for the method in the Change User Deployment method dialog (D17). */
const consoleLabel = (m: Method) => (m === 'Azure AD' ? 'Azure' : 'SCIM');

/** What the checkpoint keeps about the snapshot (the side file holds the users and devices). */
interface SnapshotRecord {
  file: string;
  sha256: string;
  takenAt: string;
  method: Method;
  users: number;
  devices: number;
  backupBytes: number;
}

function snapshotRecord(run: StepRun<InsyncContext>): SnapshotRecord | undefined {
  const s = run.snapshot?.insync as Record<string, JsonValue> | undefined;
  if (!s || typeof s.file !== 'string' || typeof s.sha256 !== 'string') return undefined;
  return s as unknown as SnapshotRecord;
}

async function loadSnapshot(run: StepRun<InsyncContext>): Promise<SnapshotFile | undefined> {
  const rec = snapshotRecord(run);
  if (!rec) return undefined;
  const parsed = snapshotFileSchema.safeParse(await readSideFile(rec));
  if (!parsed.success) throw new UserError(`${rec.file} is not an inSync snapshot: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** Which way a flow switches: the forward run's `to`, or back to the method the snapshot found. */
interface Direction {
  flowId: string;
  /** The method to switch to, given the checkpoint (rollback: the snapshot's method). */
  to(run: StepRun<InsyncContext> | undefined): Method | undefined;
  /** Whether this flow has a switch to make at all (a rollback of a run that never switched has none). */
  switchNeeded(run: StepRun<InsyncContext>): boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

function snapshotStep(to: Method): Step<InsyncContext> {
  const from = other(to);
  return {
    id: 'snapshot',
    title: 'Snapshot every user, device, backup size and last backup',
    doc: `${DOC}, before the change`,
    kind: 'automated',
    guide: () => ({ verifiedBy: 'the snapshot file beside the state file (mode 0600) and its SHA-256 in the checkpoint' }),
    async observe(run) {
      const rec = snapshotRecord(run);
      if (rec) {
        const hash = await sideFileHash(rec.file);
        if (hash === rec.sha256)
          return {
            state: 'done',
            detail: `taken ${rec.takenAt}: ${rec.users} users, ${rec.devices} devices, ${rec.backupBytes} backup bytes (${rec.file})`,
            facts: { users: rec.users, devices: rec.devices, backupBytes: rec.backupBytes },
          };
        return {
          state: 'drifted',
          detail: `the snapshot ${rec.file} ${hash === undefined ? 'is missing' : 'was changed'} (the checkpoint records ${rec.sha256})`,
        };
      }
      return {
        state: 'pending',
        detail: 'no snapshot yet',
        changes: [
          `read every user, device and last successful backup; write them to ${join(run.ctx.stateDir, `insync-snapshot-run${run.ctx.runNumber}.json`)}`,
        ],
      };
    },
    async apply(run) {
      const { ctx } = run;
      const reading = await readTenant(ctx.insync());
      const takenAt = iso(await ctx.now());
      const file = join(ctx.stateDir, `insync-snapshot-run${ctx.runNumber}.json`);
      const data: SnapshotFile = { kind: 'insync-provisioning-snapshot', takenAt, method: from, ...reading };
      const ref = await writeSideFile(file, data);
      const record: SnapshotRecord = {
        file: ref.file,
        sha256: ref.sha256,
        takenAt,
        method: from,
        users: reading.users.length,
        devices: reading.devices.length,
        backupBytes: totalBytes(reading),
      };
      await run.saveSnapshot({ insync: record as unknown as Record<string, JsonValue> });
      return { users: record.users, devices: record.devices };
    },
  };
}

/** An operator step whose outcome no API shows: done once its attestation is recorded. */
function attested(run: StepRun<InsyncContext>, key: string, what: string, pending: string[]): Observation {
  const at = run.previous?.[key];
  return typeof at === 'string'
    ? { state: 'done', detail: `${what} (attested by the operator ${at})` }
    : { state: 'pending', detail: 'not done yet', changes: pending };
}

function switchStep(dir: Direction): Step<InsyncContext> {
  const instructions = (ctx: InsyncContext, to: Method | undefined) => {
    const target = to ?? '<the other method>';
    const from = to ? other(to) : '<the current method>';
    const keep = ctx.config.insync.keepExistingMappings;
    return [
      `Druva Cloud Platform Console → inSync → Users → Deployment tab (newer consoles: User Provisioning). The summary must show ${from}; if it already shows ${target}, change nothing and confirm.`,
      `On the summary, ⋮ → Change User Deployment method → ${to ? consoleLabel(to) : target} → Save.`,
      keep
        ? `Tick "Keep existing ${from} mappings" (configured insync.keepExistingMappings: true).`
        : `Leave "Keep existing ${from} mappings" unticked (insync.keepExistingMappings: false): the ${from} mappings and settings are deleted.`,
      'Confirm. Every existing user moves to Manual provisioning mode.',
    ];
  };
  return {
    id: 'switch-method',
    title: 'Change the user provisioning method',
    doc: `${DOC}: Change User Deployment method, Confirm`,
    kind: 'operator',
    after: dir.flowId === SWITCH_FLOW_ID ? ['snapshot'] : [],
    guide: (ctx) => ({ instructions: instructions(ctx, dir.to(undefined)), verifiedBy: 'the users, devices and backups compared with the snapshot' }),
    async observe(run) {
      if (!dir.switchNeeded(run)) return { state: 'done', detail: 'the forward run never reached the switch: nothing to switch back' };
      const to = dir.to(run);
      return attested(run, 'switchedAt', `switched to ${to}`, [`operator: switch user provisioning to ${to ?? 'the other method'} in the inSync console`]);
    },
    async apply(run) {
      const { ctx } = run;
      const to = dir.to(run);
      if (!to) throw new UserError('no snapshot records the method to switch from; run the snapshot step first');
      // Tenant time before the switch: every device must back up after it.
      const switchedAt = iso(await ctx.now());
      if (ctx.attested.has('switch-method')) return { switchedAt, to, keepExistingMappings: ctx.config.insync.keepExistingMappings, attestedBy: '--attest' };
      await ctx.operator.perform({
        action: 'insync.switchMethod',
        from: other(to),
        to,
        keepExistingMappings: ctx.config.insync.keepExistingMappings,
        title: `Change inSync user provisioning from ${other(to)} to ${to}`,
        instructions: instructions(ctx, to),
      });
      return { switchedAt, to, keepExistingMappings: ctx.config.insync.keepExistingMappings, attestedBy: 'operator' };
    },
  };
}

/** The most used value, for a mapping's default profile or storage. */
function mostUsed(values: (number | undefined)[]): number | undefined {
  const n = new Map<number, number>();
  for (const v of values) if (v !== undefined) n.set(v, (n.get(v) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0];
}

function mappingStep(dir: Direction): Step<InsyncContext> {
  const instructions = (to: Method | undefined, name: string, profileID: number | string, storageID: number | string) =>
    to === 'SCIM'
      ? [
          "inSync → Users → User Provisioning → ⋮ → New Token (valid 365 days, shown once): paste it into the IdP's SCIM application and test its connection.",
          `Create a SCIM mapping "${name}" (profile ${profileID}, storage ${storageID}), and prioritise the mappings.`,
        ]
      : [
          'A Microsoft 365 Global Administrator authorises inSync in Microsoft 365 (the consent prompt of the Azure AD integration).',
          `inSync → Users → Deployment → Create Azure AD mapping "${name}" (profile ${profileID}, storage ${storageID}) → Save; prioritise the mappings.`,
        ];
  return {
    id: 'create-mapping',
    title: "Create the new method's mapping",
    doc: `${DOC}: Create Azure AD mapping / SCIM token and mapping`,
    kind: 'operator',
    after: ['switch-method'],
    guide: (ctx) => ({
      instructions: instructions(
        dir.to(undefined),
        ctx.config.insync.mapping.name,
        ctx.config.insync.mapping.profileID ?? '(most used)',
        ctx.config.insync.mapping.storageID ?? '(most used)',
      ),
      verifiedBy: 'attested by the operator (no API lists mappings)',
    }),
    async observe(run) {
      if (!dir.switchNeeded(run)) return { state: 'done', detail: 'no switch: no mapping to create' };
      return attested(run, 'createdAt', `mapping "${run.ctx.config.insync.mapping.name}" created`, ['operator: create the mapping in the inSync console']);
    },
    async apply(run) {
      const { ctx } = run;
      const to = dir.to(run)!;
      const snap = await loadSnapshot(run);
      const m = ctx.config.insync.mapping;
      const profileID = m.profileID ?? mostUsed(snap?.users.map((u) => u.profileID) ?? []) ?? 1;
      const storageID = m.storageID ?? mostUsed(snap?.users.map((u) => u.storageID) ?? []) ?? 1;
      if (ctx.attested.has('create-mapping')) return { createdAt: iso(await ctx.now()), mapping: m.name, attestedBy: '--attest' };
      await ctx.operator.perform({
        action: 'insync.createMapping',
        method: to,
        name: m.name,
        profileID,
        storageID,
        title: to === 'SCIM' ? 'Generate the SCIM token and create a SCIM mapping' : 'Grant the Microsoft 365 consent and create an Azure AD mapping',
        instructions: instructions(to, m.name, profileID, storageID),
      });
      return { createdAt: iso(await ctx.now()), mapping: m.name, attestedBy: 'operator' };
    },
  };
}

/** A verification step: compares the tenant now with the snapshot; a finding stops the run (exit 1) with the names. */
function verifyStep(
  dir: Direction,
  id: string,
  title: string,
  compare: (snap: SnapshotFile, run: StepRun<InsyncContext>) => Promise<{ findings: SwitchFinding[]; ok: string; after: TenantReading }>,
): Step<InsyncContext> {
  return {
    id,
    title,
    doc: `${DOC}: verify nothing was lost`,
    kind: 'automated',
    after: ['switch-method'],
    async observe(run) {
      const snap = await loadSnapshot(run);
      if (!snap) return { state: 'pending', detail: 'compares the tenant with the snapshot once it is taken' };
      const { findings, ok, after } = await compare(snap, run);
      if (findings.length === 0) return { state: 'done', detail: ok };
      // In memory only (observe writes nothing): the command writes it beside the state for the change ticket.
      run.ctx.lastReport = await reportOf(dir, run, snap, after, [...compareUsers(snap, after), ...compareDevices(snap, after)]);
      return { state: 'drifted', detail: `${findings.length} finding(s): ${listFindings(findings)}`, facts: { findings: findings.length } };
    },
    async apply() {
      // Nothing to change: a pending verification is one without a snapshot, which the snapshot step takes.
    },
  };
}

async function reportOf(
  dir: Direction,
  run: StepRun<InsyncContext>,
  snap: SnapshotFile,
  after: TenantReading,
  findings: SwitchFinding[],
): Promise<SwitchReport> {
  const to = dir.to(run) ?? snap.method;
  return buildSwitchReport({
    flow: dir.flowId,
    from: other(to),
    to,
    keepExistingMappings: run.ctx.config.insync.keepExistingMappings,
    attested: typeof run.outputsOf('attest-manual-mode')?.attestedAt === 'string',
    before: snap,
    after,
    findings,
    generatedAt: iso(await run.ctx.now()),
  });
}

function backupsStep(dir: Direction): Step<InsyncContext> {
  const look = async (run: StepRun<InsyncContext>): Promise<Observation> => {
    const switched = run.outputsOf('switch-method')?.switchedAt;
    if (!dir.switchNeeded(run) || typeof switched !== 'string') {
      return dir.switchNeeded(run) ? { state: 'pending', detail: 'waits for backups after the switch' } : { state: 'done', detail: 'no switch' };
    }
    const snap = await loadSnapshot(run);
    if (!snap) return { state: 'blocked', detail: 'no snapshot recorded' };
    const after = await readDevices(run.ctx.insync());
    const waiting = devicesWithoutBackupSince(snap, after, Date.parse(switched));
    if (waiting.length === 0) return { state: 'done', detail: `every device of an active user has backed up since the switch (${switched})` };
    const hours = run.ctx.config.insync.backupWindowHours;
    const now = await run.ctx.now();
    if (now > Date.parse(switched) + hours * 3_600_000) {
      return { state: 'drifted', detail: `${waiting.length} device(s) without a backup ${hours} h after the switch: ${listFindings(waiting)}` };
    }
    return { state: 'pending', detail: `${waiting.length} device(s) have not backed up since the switch yet (waiting up to ${hours} h of tenant time)` };
  };
  return {
    id: 'verify-backups-arriving',
    title: 'Verify that backups still arrive',
    doc: `${DOC}: "inSync performs backups according to the profile settings"`,
    kind: 'automated',
    after: ['switch-method'],
    guide: (ctx) => ({
      wait: { for: 'a successful backup of every device of an active user after the switch', limit: `${ctx.config.insync.backupWindowHours} h` },
    }),
    observe: look,
    async apply(run) {
      for (;;) {
        const o = await look(run);
        if (o.state === 'done') return;
        if (o.state !== 'pending') throw new UserError(o.detail, { hint: 'Check those devices in the inSync console (Devices), and their profile schedule.' });
        await run.ctx.pause();
      }
    },
  };
}

function attestStep(dir: Direction): Step<InsyncContext> {
  return {
    id: 'attest-manual-mode',
    title: 'Attest that existing users moved to manual provisioning mode',
    doc: `${DOC}: "All existing users will be moved to manual provisioning mode"`,
    kind: 'operator',
    after: ['switch-method'],
    guide: () => ({
      instructions: ['inSync → Users: every existing user shows Manual provisioning mode (no API field shows it).'],
      verifiedBy: 'attested, not observed: the report says so',
    }),
    async observe(run) {
      if (!dir.switchNeeded(run)) return { state: 'done', detail: 'no switch' };
      return attested(run, 'attestedAt', 'existing users in manual mode', ['operator: confirm that the users show Manual provisioning mode']);
    },
    async apply(run) {
      const users = snapshotRecord(run)?.users ?? 0;
      if (run.ctx.attested.has('attest-manual-mode')) return { attestedAt: iso(await run.ctx.now()), attestedBy: '--attest' };
      await run.ctx.operator.perform({
        action: 'insync.attestManualMode',
        users,
        title: 'Confirm that existing users are in Manual provisioning mode',
        instructions: [`inSync → Users: the ${users} existing users show Manual provisioning mode (the API cannot show it, so you attest it).`],
      });
      return { attestedAt: iso(await run.ctx.now()), attestedBy: 'operator' };
    },
  };
}

function reportStep(dir: Direction): Step<InsyncContext> {
  return {
    id: 'report',
    title: 'Write the before/after report',
    doc: `${DOC}: verification`,
    kind: 'automated',
    after: ['switch-method'],
    async observe(run) {
      const dirOut = run.previous?.reportDir;
      return typeof dirOut === 'string' ? { state: 'done', detail: `written to ${dirOut}` } : { state: 'pending', detail: 'written after the verification' };
    },
    async apply(run) {
      const { ctx } = run;
      const snap = await loadSnapshot(run);
      if (!snap) throw new UserError('no snapshot recorded: nothing to compare');
      const after = await readTenant(ctx.insync());
      const switched = run.outputsOf('switch-method')?.switchedAt;
      const findings = [
        ...compareUsers(snap, after),
        ...compareDevices(snap, after),
        ...(typeof switched === 'string' ? devicesWithoutBackupSince(snap, after, Date.parse(switched)) : []),
      ];
      const report = await reportOf(dir, run, snap, after, findings);
      ctx.lastReport = report;
      const out = join(ctx.reportDir ?? join(ctx.stateDir, 'reports'), `${dir.flowId}-run${ctx.runNumber}`);
      await writeSwitchReport(report, out);
      return { reportDir: out, findings: findings.length };
    },
  };
}

function steps(dir: Direction, forward: Method | undefined): Step<InsyncContext>[] {
  return [
    ...(forward ? [snapshotStep(forward)] : []),
    switchStep(dir),
    mappingStep(dir),
    verifyStep(dir, 'verify-users', 'Verify the same users: none lost or newly preserved; same email, profile and storage', async (snap, run) => {
      const after = await readTenant(run.ctx.insync());
      return { findings: compareUsers(snap, after), ok: `all ${snap.users.length} users of the snapshot, unchanged`, after };
    }),
    verifyStep(dir, 'verify-devices', 'Verify every device and its backup bytes', async (snap, run) => {
      const after = await readTenant(run.ctx.insync());
      return {
        findings: compareDevices(snap, after),
        ok: `all ${snap.devices.length} devices listed; no backup bytes lost (${totalBytes(after)} bytes now)`,
        after,
      };
    }),
    backupsStep(dir),
    attestStep(dir),
    reportStep(dir),
  ];
}

function preflight(describeTo: (ctx: InsyncContext) => Method | undefined, rollback: boolean): PreflightCheck<InsyncContext>[] {
  return [
    {
      id: 'insync-credential',
      title: 'The inSync API credential works and can read profiles and storages',
      async run(ctx) {
        const [profiles, storages] = await Promise.all([ctx.insync().listProfiles(), ctx.insync().listStorages()]);
        return { ok: true, detail: `${profiles.length} profile(s), ${storages.length} storage(s) readable` };
      },
    },
    {
      id: 'insync-current-method',
      title: 'The current provisioning method',
      async run(ctx) {
        const to = describeTo(ctx);
        const users = await ctx.insync().listUsers();
        const ldap = users.filter((u) => u.ldapGUID !== undefined).length;
        return {
          ok: true,
          detail:
            `no API field shows the method (D15): the switch step asks you to confirm the console shows ${to ? other(to) : 'the method the run started from'}; ` +
            `${users.length} users, ${ldap} of them imported from AD/LDAP (ldapGUID)`,
        };
      },
    },
    {
      id: 'insync-keep-choice',
      title: '"Keep existing … mappings"',
      async run(ctx) {
        const to = describeTo(ctx);
        const from = to ? other(to) : 'current';
        const keep = ctx.config.insync.keepExistingMappings;
        const impact = keep
          ? `kept: the ${from} mappings and settings stay; existing users still move to Manual mode`
          : `not kept: the ${from} mappings and settings are deleted, and existing users move to Manual mode`;
        const back = rollback
          ? 'mappings and settings deleted by the forward switch (without "keep") are NOT restored by switching back: recreate them (and, back on SCIM, put a new token into the IdP)'
          : 'a rollback (switch back) does not restore deleted mappings or settings';
        return keep ? { ok: true, detail: `${impact}; ${back}` } : { ok: false, severity: 'warning', detail: `${impact}; ${back}` };
      },
    },
  ];
}

const nextSteps = (to: Method, keep: boolean): string[] => [
  ...(to === 'Azure AD'
    ? [
        'Create and prioritise Azure AD mappings for all users (Users → Deployment): existing users are in Manual mode and are not mapped automatically.',
        'New Azure AD users are provisioned by those mappings from now on.',
      ]
    : [
        "Put the new SCIM token into the IdP's SCIM application and test its connection (the token is valid 365 days).",
        'Create and prioritise SCIM mappings; existing users stay in Manual mode until an IdP push maps them.',
      ]),
  ...(keep ? [] : [`The ${other(to)} mappings and settings were deleted with the switch; switching back does not restore them.`]),
  'Keep the before/after report with the change ticket.',
];

/** The forward flow for `--to`. */
export function provisioningSwitchFlow(to: Method, keepExistingMappings: boolean): Flow<InsyncContext> {
  const dir: Direction = { flowId: SWITCH_FLOW_ID, to: () => to, switchNeeded: () => true };
  return {
    id: SWITCH_FLOW_ID,
    title: `inSync: switch user provisioning to ${to}`,
    doc: DOC,
    preflight: preflight(() => to, false),
    steps: steps(dir, to),
    closingAdvice: nextSteps(to, keepExistingMappings),
  };
}

/** The reverse switch, to the method the snapshot found, verified against the same snapshot. */
export function insyncRollbackFlow(): Flow<InsyncContext> {
  const dir: Direction = {
    flowId: ROLLBACK_FLOW_ID,
    to: (run) => {
      const m = run ? snapshotRecord(run)?.method : undefined;
      return m;
    },
    switchNeeded: (run) => run.statusOf(`${SWITCH_FLOW_ID}:switch-method`) !== 'pending',
  };
  return {
    id: ROLLBACK_FLOW_ID,
    title: 'inSync: switch user provisioning back',
    doc: DOC,
    preflight: preflight(() => undefined, true),
    steps: steps(dir, undefined),
    precondition: (state) =>
      state?.flows[SWITCH_FLOW_ID] && state.snapshot
        ? undefined
        : 'no inSync provisioning switch with a snapshot is recorded in this state file: there is nothing to roll back',
    alreadyDone: (state) => {
      const last = state?.history?.at(-1);
      return state && Object.keys(state.flows).length === 0 && last?.outcome === 'rolled back'
        ? `the switch was already rolled back at ${last.closedAt}; nothing to do`
        : undefined;
    },
    onComplete: (state: UnsealedState) => closeRun(state, 'rolled back'),
    closingAdvice: [
      'Mappings and settings deleted by the forward switch (without "keep") were not restored: recreate and prioritise them.',
      "Back on SCIM: the new token must be in the IdP's SCIM application.",
      'Keep the before/after report with the change ticket.',
    ],
  };
}
