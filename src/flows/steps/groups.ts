import { UserError } from '../../engine/errors.js';
import type { JsonValue } from '../../engine/json.js';
import type { Observation, Step, StepOutputs } from '../../engine/step.js';
import type { IdpGroupsInScope, IdpProvisioner } from '../../idps/provisioner.js';
import type { MigrationContext } from '../context.js';

/**
 * Issue 17, part 1b: groups and departments keep their identity. ZIA's URL filtering, firewall and SSL
 * rules name groups and departments by id; if SCIM creates a second "Finance" beside the one
 * directory sync made, every rule on the old one silently stops matching.
 *
 * - `groups-snapshot` (after Sync Now, before the flip): records every ZIA group and department
 *   (id, name, member count) and forecasts, for each group name and department value the IdP would
 *   send, whether it takes the existing ZIA object over or makes another. Whether ZIA SCIM takes
 *   over a same-named directory group is not documented (docs/vendor-facts.md, "Groups and
 *   departments"): the forecast assumes `guards.groupAdoption` and says so. A forecast twin blocks.
 * - `groups-verify` (after the initial cycle, before parity): every id of the snapshot still exists
 *   with at least its members, and no same-named twin appeared.
 */

const DOC = 'ZIA "Understanding SCIM" (SCIM updates users\' groups and departments; policies name them by id)';

type Kind = 'group' | 'department';
/** [id, name, members] */
type Entry = [number, string, number];

interface ZiaNow {
  groups: Entry[];
  departments: Entry[];
}

async function readZia(ctx: MigrationContext): Promise<ZiaNow> {
  const zia = ctx.zia();
  const groupMembers = new Map<number, number>();
  const deptMembers = new Map<number, number>();
  for await (const page of zia.listUsers({ stripUnknown: true })) {
    for (const u of page) {
      if (u.deleted) continue;
      for (const g of u.groups ?? []) groupMembers.set(g.id, (groupMembers.get(g.id) ?? 0) + 1);
      if (u.department) deptMembers.set(u.department.id, (deptMembers.get(u.department.id) ?? 0) + 1);
    }
  }
  const groups: Entry[] = [];
  for await (const page of zia.listGroups()) for (const g of page) groups.push([g.id, g.name, groupMembers.get(g.id) ?? 0]);
  const departments: Entry[] = [];
  for await (const page of zia.listDepartments()) for (const d of page) if (!d.deleted) departments.push([d.id, d.name, deptMembers.get(d.id) ?? 0]);
  return { groups, departments };
}

function byName(entries: Entry[]): Map<string, Entry[]> {
  const out = new Map<string, Entry[]>();
  for (const e of entries) {
    const key = e[1].trim().toLowerCase();
    const list = out.get(key);
    if (list) list.push(e);
    else out.set(key, [e]);
  }
  return out;
}

const label = (kind: Kind, e: Entry) => `${kind} ${e[0]} '${e[1]}'`;

/** The policy impact of losing a group or department, in the words the plan and the error use. */
function policyImpact(kind: Kind, e: Entry, tense: 'would' | 'now'): string {
  return `URL filtering, firewall and SSL rules that name ${label(kind, e)} ${tense === 'would' ? 'would stop matching' : 'no longer match its users'}`;
}

type GroupAdoption = 'by-name' | 'new-group';

interface Forecast {
  takeOver: number;
  created: number;
  /** Blocking: a same-named ZIA object would get a twin. */
  twins: string[];
  /** What could not be forecast, and why. */
  unknown?: string;
}

/** For each name the IdP sends: take-over, a new object (no ZIA object of that name), or a twin. */
function forecast(kind: Kind, sent: string[], zia: Entry[], reading: GroupAdoption): Forecast {
  const index = byName(zia);
  const seen = new Set<string>();
  const f: Forecast = { takeOver: 0, created: 0, twins: [] };
  for (const name of sent) {
    const key = name.trim().toLowerCase();
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    const same = index.get(key) ?? [];
    if (same.length === 0) f.created += 1;
    else if (same.length > 1)
      f.twins.push(
        `ZIA already holds ${same.length} ${kind}s named '${name}' (${same.map((e) => e[0]).join(', ')}): which one SCIM takes over is not known; ${same.map((e) => policyImpact(kind, e, 'would')).join('; ')}`,
      );
    else if (reading === 'new-group')
      f.twins.push(`'${name}' would be created a second time beside ${label(kind, same[0]!)}: ${policyImpact(kind, same[0]!, 'would')}`);
    else f.takeOver += 1;
  }
  return f;
}

function sentence(kind: Kind, f: Forecast): string {
  if (f.unknown) return `${kind}s: cannot forecast (${f.unknown})`;
  return `${kind}s: ${f.takeOver} taken over, ${f.created} new, ${f.twins.length} twin(s)`;
}

function summaryFacts(f: Forecast): JsonValue {
  return f.unknown ? { cannotForecast: f.unknown } : { takeOver: f.takeOver, created: f.created, twins: f.twins.length, twinExamples: f.twins.slice(0, 10) };
}

/** Up to five findings, one a line (an error line is bounded), and how many more. */
function lines(findings: string[]): string {
  const shown = findings.slice(0, 5).map((f) => `\n  - ${f}`);
  return shown.join('') + (findings.length > 5 ? `\n  - … ${findings.length - 5} more` : '');
}

const NOT_FORECAST = 'not forecast; verified after the cycle';

async function forecastAll(ctx: MigrationContext, idp: IdpProvisioner, zia: ZiaNow) {
  const reading = ctx.config.guards.groupAdoption;
  const scope: IdpGroupsInScope | undefined = idp.groupsInScope ? await idp.groupsInScope(ctx) : undefined;
  const groups: Forecast = !scope
    ? { takeOver: 0, created: 0, twins: [], unknown: `${idp.label}: ${NOT_FORECAST}` }
    : 'cannotForecast' in scope.groups
      ? { takeOver: 0, created: 0, twins: [], unknown: `${scope.groups.cannotForecast}; ${NOT_FORECAST}` }
      : forecast('group', scope.groups.names, zia.groups, reading);
  const departments: Forecast = !scope
    ? { takeOver: 0, created: 0, twins: [], unknown: `${idp.label}: ${NOT_FORECAST}` }
    : 'cannotForecast' in scope.departments
      ? { takeOver: 0, created: 0, twins: [], unknown: `${scope.departments.cannotForecast}; ${NOT_FORECAST}` }
      : forecast('department', scope.departments.values, zia.departments, reading);
  return { reading, groups, departments, twins: [...groups.twins, ...departments.twins] };
}

const ASSUMES = (reading: GroupAdoption) =>
  reading === 'by-name'
    ? 'assumes ZIA SCIM takes over a same-named group (guards.groupAdoption by-name; Zscaler does not document it)'
    : 'assumes ZIA SCIM creates a second group beside a same-named one (guards.groupAdoption new-group)';

/** Before the flip: snapshot every ZIA group and department, forecast what the IdP's push does to them. */
export function groupsSnapshotStep(idp: IdpProvisioner): Step<MigrationContext> {
  return {
    id: 'groups-snapshot',
    title: 'Snapshot ZIA groups and departments; forecast take-over or twins',
    doc: DOC,
    kind: 'automated',
    guide: (ctx) => ({
      guard: `a group or department ${idp.label} would push that ZIA would create a second time beside the one directory sync made (${ASSUMES(ctx.config.guards.groupAdoption)})`,
    }),
    async observe(run) {
      const prev = run.previous;
      if (prev?.groups && prev.departments) {
        const g = (prev.groups as JsonValue[]).length;
        const d = (prev.departments as JsonValue[]).length;
        return { state: 'done', detail: `snapshot of ${g} group(s) and ${d} department(s) recorded at ${String(prev.takenAt)}` };
      }
      const zia = await readZia(run.ctx);
      const f = await forecastAll(run.ctx, idp, zia);
      const detail = `ZIA holds ${zia.groups.length} group(s) and ${zia.departments.length} department(s); ${sentence('group', f.groups)}; ${sentence('department', f.departments)} (${ASSUMES(f.reading)})`;
      const facts = {
        ziaGroups: zia.groups.length,
        ziaDepartments: zia.departments.length,
        assumedReading: f.reading,
        groups: summaryFacts(f.groups),
        departments: summaryFacts(f.departments),
      };
      if (f.twins.length > 0) {
        return {
          state: 'blocked',
          detail: `${f.twins.length} twin(s) forecast, so the flip would break policies (${detail}). Make ${idp.label} send the name ZIA already has (its group displayName mapping, the department attribute), or rename the ZIA side, then re-run:${lines(f.twins)}`,
          facts,
        };
      }
      return {
        state: 'pending',
        detail,
        facts,
        changes: [`record the ${zia.groups.length} group(s) and ${zia.departments.length} department(s) (id, name, members) into the checkpoint`],
      };
    },
    async apply(run) {
      const zia = await readZia(run.ctx);
      const f = await forecastAll(run.ctx, idp, zia);
      if (f.twins.length > 0) throw new UserError(`groups and departments: ${f.twins.join('; ')}`);
      return {
        takenAt: new Date().toISOString(),
        assumedReading: f.reading,
        groups: zia.groups,
        departments: zia.departments,
      } satisfies StepOutputs;
    },
  };
}

function asEntries(v: JsonValue | undefined): Entry[] {
  return Array.isArray(v) ? (v as Entry[]) : [];
}

/**
 * A snapshot against ZIA now. Blocking: an id gone, or a same-named twin beside it. Reported only:
 * fewer members than before the flip (users the IdP does not push lose the membership once SCIM
 * manages the group; parity names those users).
 */
function compare(kind: Kind, before: Entry[], now: Entry[]): { blocking: string[]; fewerMembers: string[] } {
  const blocking: string[] = [];
  const fewerMembers: string[] = [];
  const nowById = new Map(now.map((e) => [e[0], e]));
  const nowByName = byName(now);
  const known = new Set(before.map((e) => e[0]));
  for (const old of before) {
    const cur = nowById.get(old[0]);
    const twins = (nowByName.get(old[1].trim().toLowerCase()) ?? []).filter((e) => !known.has(e[0]));
    if (!cur) {
      blocking.push(
        `${label(kind, old)} is gone${twins.length ? ` (${twins.map((t) => t[0]).join(', ')} in its place)` : ''}: ${policyImpact(kind, old, 'now')}`,
      );
    } else if (twins.length > 0) {
      blocking.push(
        `${label(kind, old)} has a same-named twin ${twins.map((t) => `${t[0]} (${t[2]} member(s))`).join(', ')}: ${policyImpact(kind, old, 'now')} that moved to the twin`,
      );
    } else if (cur[2] < old[2]) {
      fewerMembers.push(`${label(kind, old)} has ${cur[2]} member(s), ${old[2]} before the flip`);
    }
  }
  return { blocking, fewerMembers };
}

/** After the initial cycle: every snapshot id still there with its members, and no twin. */
export function groupsVerifyStep(): Step<MigrationContext> {
  return {
    id: 'groups-verify',
    title: 'Verify groups and departments kept their ids, members, and have no twins',
    doc: DOC,
    kind: 'automated',
    async observe(run): Promise<Observation> {
      if (run.previous?.ok === true) return { state: 'done', detail: `verified at ${String(run.previous.verifiedAt)}` };
      // The same words whether the snapshot is recorded yet or not, so a saved plan still matches after it is.
      return {
        state: 'pending',
        detail: 'not verified yet',
        changes: ['compare the groups and departments snapshot taken before the flip with ZIA now: the same ids, members not fewer, no same-named twin'],
      };
    },
    async apply(run) {
      const snap = run.outputsOf('groups-snapshot');
      const now = await readZia(run.ctx);
      const groups = compare('group', asEntries(snap?.groups), now.groups);
      const departments = compare('department', asEntries(snap?.departments), now.departments);
      const findings = groups.blocking.length + departments.blocking.length;
      const fewer = [...groups.fewerMembers, ...departments.fewerMembers];
      if (findings > 0) {
        throw new UserError(
          `${findings} group/department finding(s) after the initial cycle (${groups.blocking.length} group(s), ${departments.blocking.length} department(s)):${lines(groups.blocking)}${lines(departments.blocking)}`,
          {
            hint: 'Point the policies at the surviving ids, or merge the twin back (delete the SCIM-made twin and make the IdP send the existing name), then run ad-to-scim again to re-verify.',
          },
        );
      }
      if (fewer.length > 0) {
        run.ctx.out.warn(
          `${fewer.length} group(s)/department(s) kept their ids but have fewer members than before the flip (users the IdP does not push lose the membership once SCIM manages the group; parity names them):${lines(fewer)}`,
        );
      }
      return {
        ok: true,
        verifiedAt: new Date().toISOString(),
        groups: asEntries(snap?.groups).length,
        departments: asEntries(snap?.departments).length,
        fewerMembers: fewer.slice(0, 20),
      };
    },
  };
}
