/**
 * The adoption forecast (issue 17, part 1), read-only, before "Disable Directory Sync & Enable SCIM
 * Provisioning": for every user in Entra's scope, the userName (the matching attribute) and externalId
 * Entra would send, from the Zscaler app's own attribute mappings, compared with the login names
 * directory sync gave the ZIA users. A user whose userName matches no ZIA login while the same person
 * is in ZIA under another name would be created a second time; over `guards.maxForecastDuplicates`
 * the flip is blocked. Facts: docs/vendor-facts.md, section "Adoption forecast".
 */
import { UserError } from '../../engine/errors.js';
import type { JsonValue } from '../../engine/json.js';
import type { Observation, Step } from '../../engine/step.js';
import type { GraphUser, ScopingFilter, SyncSchema } from '../../clients/graph.js';
import type { MigrationContext } from '../../flows/context.js';
import { evaluate, ExpressionSyntaxError, parseExpression, type AttributeValue, type Expr } from './mapping-expression.js';
import { findJob, graphOf } from './provisioner.js';

/** Zscaler's limit on the groups of one user ("Understanding SCIM"). */
export const MAX_GROUPS_PER_USER = 128;
const EXAMPLES = 5;

/** A user mapping as the schema holds it: the expression text Entra applies to one SCIM attribute. */
interface MappingRule {
  target: string;
  expression: string;
}

/** What the forecast needs of the app's user rule. */
export interface UserRule {
  /** The matching attribute (lowest positive matchingPriority) and its mapping. */
  matching: MappingRule | undefined;
  userName: MappingRule | undefined;
  externalId: MappingRule | undefined;
  scope: ScopingFilter | null;
}

/** One Entra user as the forecast sees it. */
export interface EntraCandidate {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  attributes: Record<string, unknown>;
  /** Why the user is outside "Sync only assigned users and groups", or undefined when assigned (directly or by a group). */
  unassigned?: 'not assigned' | 'Default Access';
  appRoles: string[];
  /** Assigned groups the user is a direct member of (the groups Entra would push them into). */
  groups: number;
}

export interface ZiaLogin {
  id: number;
  login: string;
}

export type UserOutcome =
  | { kind: 'adopted'; userName: string; externalId: string | null; ziaId: number }
  | { kind: 'duplicate'; userName: string; externalId: string | null; existing: ZiaLogin }
  | { kind: 'created'; userName: string; externalId: string | null }
  | { kind: 'no-userName' }
  | { kind: 'cannot'; reason: string }
  | { kind: 'out-of-scope'; reason: string; existing: ZiaLogin | undefined };

export interface ForecastResult {
  /** Entra object id → what the first cycle would do with that user. */
  users: Map<string, { user: EntraCandidate; outcome: UserOutcome; unregisteredDomain: string | undefined; overGroupLimit: boolean }>;
  /** ZIA users no in-scope Entra user would be matched to. */
  orphaned: ZiaLogin[];
  domains: { list: string[]; source: 'zia' | 'inferred'; note?: string };
  rule: UserRule;
}

const lower = (s: string) => s.toLowerCase();
const domainOf = (login: string): string | undefined => {
  const at = login.lastIndexOf('@');
  return at > 0 ? login.slice(at + 1).toLowerCase() : undefined;
};

/** The user rule of the job's schema: the enabled object mapping from Entra users to SCIM users. */
export function userRuleOf(schema: SyncSchema): UserRule {
  const mappings = schema.synchronizationRules.flatMap((r) => r.objectMappings ?? []);
  const users = mappings.find((m) => m.enabled !== false && /^user$/i.test(m.sourceObjectName ?? '') && /user/i.test(m.targetObjectName ?? ''));
  const attrs = users?.attributeMappings ?? [];
  const rule = (a: (typeof attrs)[number] | undefined): MappingRule | undefined => {
    if (!a) return undefined;
    const expression = a.source?.expression ?? (a.source?.name ? `[${a.source.name}]` : undefined);
    return expression === undefined ? undefined : { target: a.targetAttributeName, expression };
  };
  const matching = [...attrs].filter((a) => (a.matchingPriority ?? 0) > 0).sort((a, b) => (a.matchingPriority ?? 0) - (b.matchingPriority ?? 0))[0];
  return {
    matching: rule(matching),
    userName: rule(attrs.find((a) => a.targetAttributeName === 'userName')),
    externalId: rule(attrs.find((a) => a.targetAttributeName === 'externalId')),
    scope: users?.scope ?? null,
  };
}

function attributeOf(user: EntraCandidate, name: string): AttributeValue {
  if (name === 'objectId') return user.id;
  if (!(name in user.attributes)) return undefined;
  const v = user.attributes[name];
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(String);
  return String(v);
}

/**
 * A scoping filter: groups are alternatives (OR), the clauses of a group all hold (AND); the operators
 * known here are evaluated, any other makes the user "cannot forecast".
 */
function inFilterScope(user: EntraCandidate, scope: ScopingFilter | null): true | false | { cannot: string } {
  const groups = scope?.groups ?? [];
  if (groups.length === 0) return true;
  let cannot: string | undefined;
  for (const g of groups) {
    let all = true;
    for (const c of g.clauses ?? []) {
      const v = attributeOf(user, c.sourceOperandName);
      if (v === undefined) return { cannot: `scoping filter on [${c.sourceOperandName}] (not read by this tool)` };
      const value = Array.isArray(v) ? (v[0] ?? null) : v;
      const target = c.targetOperand?.values ?? [];
      const op = c.operatorName.toUpperCase().replace(/[\s_]/g, '');
      let ok: boolean;
      if (op === 'EQUALS') ok = value !== null && target.includes(value);
      else if (op === 'NOTEQUALS') ok = value === null || !target.includes(value);
      else if (op === 'ISNULL') ok = value === null;
      else if (op === 'ISNOTNULL') ok = value !== null;
      else if (op === 'ISTRUE') ok = lower(value ?? '') === 'true';
      else if (op === 'ISFALSE') ok = lower(value ?? '') === 'false';
      else {
        cannot = `scoping filter operator ${c.operatorName}`;
        ok = false;
      }
      if (!ok) all = false;
    }
    if (all && cannot === undefined) return true;
  }
  return cannot === undefined ? false : { cannot };
}

/** The forecast from what was read: pure, so it is tested without any server. */
export function computeForecast(input: { rule: UserRule; users: EntraCandidate[]; zia: ZiaLogin[]; domains: ForecastResult['domains'] }): ForecastResult {
  const { rule } = input;
  const byLogin = new Map<string, ZiaLogin>();
  for (const z of input.zia) byLogin.set(lower(z.login), z);
  const registered = new Set(input.domains.list.map(lower));
  const parsed = (m: MappingRule | undefined): Expr | { cannot: string } | undefined => {
    if (!m) return undefined;
    try {
      return parseExpression(m.expression);
    } catch (err) {
      if (err instanceof ExpressionSyntaxError) return { cannot: `the mapping of ${m.target} "${m.expression}" does not parse (${err.message})` };
      throw err;
    }
  };
  const userNameExpr =
    rule.matching && rule.matching.target !== 'userName'
      ? { cannot: `matching on ${rule.matching.target} (this tool forecasts matching on userName)` }
      : (parsed(rule.userName) ?? { cannot: 'the user rule maps nothing to userName' });
  const externalIdExpr = parsed(rule.externalId);
  const adoptedIds = new Set<number>();
  const users: ForecastResult['users'] = new Map();
  for (const user of input.users) {
    const counterpart = byLogin.get(lower(user.userPrincipalName)) ?? (user.mail ? byLogin.get(lower(user.mail)) : undefined);
    const scoped = user.unassigned ? false : inFilterScope(user, rule.scope);
    let outcome: UserOutcome;
    if (user.unassigned || scoped === false) {
      outcome = { kind: 'out-of-scope', reason: user.unassigned ?? 'outside the scoping filter', existing: counterpart };
    } else if (scoped !== true) {
      outcome = { kind: 'cannot', reason: scoped.cannot };
    } else if ('cannot' in userNameExpr) {
      outcome = { kind: 'cannot', reason: userNameExpr.cannot };
    } else {
      const src = { attribute: (n: string) => attributeOf(user, n), appRoles: user.appRoles };
      const userName = evaluate(userNameExpr, src);
      const externalId = externalIdExpr === undefined ? { value: null } : 'cannot' in externalIdExpr ? externalIdExpr : evaluate(externalIdExpr, src);
      if ('cannot' in userName) outcome = { kind: 'cannot', reason: userName.cannot };
      else if (userName.value === null) outcome = { kind: 'no-userName' };
      else {
        const ext = 'cannot' in externalId ? null : externalId.value;
        const existing = byLogin.get(lower(userName.value));
        if (existing) {
          adoptedIds.add(existing.id);
          outcome = { kind: 'adopted', userName: userName.value, externalId: ext, ziaId: existing.id };
        } else if (counterpart) outcome = { kind: 'duplicate', userName: userName.value, externalId: ext, existing: counterpart };
        else outcome = { kind: 'created', userName: userName.value, externalId: ext };
      }
    }
    const name = 'userName' in outcome ? outcome.userName : undefined;
    const domain = name === undefined ? undefined : domainOf(name);
    const unregisteredDomain = name !== undefined && (domain === undefined || !registered.has(domain)) ? (domain ?? '(none)') : undefined;
    users.set(user.id, { user, outcome, unregisteredDomain, overGroupLimit: outcome.kind !== 'out-of-scope' && user.groups > MAX_GROUPS_PER_USER });
  }
  return { users, orphaned: input.zia.filter((z) => !adoptedIds.has(z.id)), domains: input.domains, rule };
}

const KIND_FACT: Record<UserOutcome['kind'], string> = {
  adopted: 'adopted',
  duplicate: 'duplicates',
  created: 'created',
  'no-userName': 'noUserName',
  cannot: 'cannotForecast',
  'out-of-scope': 'outOfScope',
};

function example(entry: ForecastResult['users'] extends Map<string, infer V> ? V : never): string {
  const { user, outcome } = entry;
  switch (outcome.kind) {
    case 'adopted':
      return `${user.userPrincipalName} → ${outcome.userName} (ZIA user ${outcome.ziaId})`;
    case 'duplicate':
      return `${user.userPrincipalName} → ${outcome.userName}, but ZIA has ${outcome.existing.login} (ZIA user ${outcome.existing.id})`;
    case 'created':
      return `${user.userPrincipalName} → ${outcome.userName} (new)`;
    case 'no-userName':
      return `${user.userPrincipalName} (the userName mapping gives no value)`;
    case 'cannot':
      return `${user.userPrincipalName}: cannot forecast: ${outcome.reason}`;
    case 'out-of-scope':
      return `${user.userPrincipalName} (${outcome.reason}${outcome.existing ? `; ZIA user ${outcome.existing.id}` : ''})`;
  }
}

/** The forecast as plan facts: counts and the first examples of each kind (JSON, runbook, saved plans). */
export function forecastFacts(f: ForecastResult): Record<string, JsonValue> {
  const counts: Record<string, number> = { inScope: 0, adopted: 0, duplicates: 0, created: 0, noUserName: 0, cannotForecast: 0, outOfScope: 0 };
  const examples: Record<string, string[]> = { adopted: [], duplicates: [], created: [], noUserName: [], cannotForecast: [], outOfScope: [] };
  const unregistered: string[] = [];
  const overLimit: string[] = [];
  let unregisteredCount = 0;
  let overLimitCount = 0;
  for (const entry of f.users.values()) {
    const key = KIND_FACT[entry.outcome.kind];
    // Out-of-scope users only matter when ZIA holds them (they will not be pushed, nor matched).
    if (entry.outcome.kind === 'out-of-scope' && !entry.outcome.existing) continue;
    if (entry.outcome.kind !== 'out-of-scope') counts.inScope = (counts.inScope ?? 0) + 1;
    counts[key] = (counts[key] ?? 0) + 1;
    if ((examples[key]?.length ?? 0) < EXAMPLES) examples[key]!.push(example(entry));
    if (entry.unregisteredDomain !== undefined) {
      unregisteredCount++;
      if (unregistered.length < EXAMPLES) unregistered.push(`${entry.user.userPrincipalName} (${entry.unregisteredDomain})`);
    }
    if (entry.overGroupLimit) {
      overLimitCount++;
      if (overLimit.length < EXAMPLES) overLimit.push(`${entry.user.userPrincipalName} (${entry.user.groups} groups)`);
    }
  }
  return {
    mapping: { userName: f.rule.userName?.expression ?? null, externalId: f.rule.externalId?.expression ?? null, matching: f.rule.matching?.target ?? null },
    counts: { ...counts, ziaWithoutCounterpart: f.orphaned.length, unregisteredDomain: unregisteredCount, overGroupLimit: overLimitCount },
    examples: {
      ...examples,
      ziaWithoutCounterpart: f.orphaned.slice(0, EXAMPLES).map((z) => `${z.login} (ZIA user ${z.id})`),
      unregisteredDomain: unregistered,
      overGroupLimit: overLimit,
    },
    registeredDomains: { source: f.domains.source, list: f.domains.list, ...(f.domains.note ? { note: f.domains.note } : {}) },
  };
}

/** What to change in the mapping so the duplicates would be adopted: the attribute that equals ZIA's login names. */
export function mappingAdvice(f: ForecastResult): string {
  let upn = 0;
  let mail = 0;
  let total = 0;
  for (const { user, outcome } of f.users.values()) {
    if (outcome.kind !== 'duplicate') continue;
    total++;
    if (lower(user.userPrincipalName) === lower(outcome.existing.login)) upn++;
    else if (user.mail && lower(user.mail) === lower(outcome.existing.login)) mail++;
  }
  const from = f.rule.userName?.expression ?? '(nothing)';
  if (total > 0 && upn >= mail && upn > 0) {
    return `the matching attribute userName is mapped from ${from}; ZIA login names are the users' UPNs (${upn} of ${total} duplicates): map userName from [userPrincipalName] in Enterprise applications > Zscaler > Provisioning > Mappings > Provision Microsoft Entra ID Users`;
  }
  if (total > 0 && mail > 0) {
    return `the matching attribute userName is mapped from ${from}; ZIA login names are the users' mail addresses (${mail} of ${total} duplicates): map userName from [mail] in Enterprise applications > Zscaler > Provisioning > Mappings > Provision Microsoft Entra ID Users`;
  }
  return `the matching attribute userName is mapped from ${from}; make it give each user the login name directory sync gave them in ZIA (Enterprise applications > Zscaler > Provisioning > Mappings)`;
}

const GRAPH_USER_PROPERTIES = new Set([
  'userPrincipalName',
  'mail',
  'mailNickname',
  'displayName',
  'givenName',
  'surname',
  'department',
  'accountEnabled',
  'employeeId',
  'jobTitle',
  'companyName',
  'country',
  'city',
  'officeLocation',
  'preferredLanguage',
  'userType',
  'onPremisesSamAccountName',
  'onPremisesImmutableId',
  'onPremisesUserPrincipalName',
]);

function attributesIn(e: Expr): string[] {
  if (e.kind === 'attribute') return [e.name];
  if (e.kind === 'call') return e.args.flatMap((a) => (a ? attributesIn(a) : []));
  return [];
}

/** Reads Entra and ZIA and forecasts (read-only). */
export async function forecastAdoption(ctx: MigrationContext): Promise<ForecastResult> {
  const graph = graphOf(ctx);
  const { spId, jobId } = await findJob(ctx);
  const rule = userRuleOf(await graph.getJobSchema(spId, jobId));
  const wanted = new Set(['userPrincipalName', 'mail']);
  for (const m of [rule.userName, rule.externalId, rule.matching]) {
    try {
      if (m) for (const a of attributesIn(parseExpression(m.expression))) if (GRAPH_USER_PROPERTIES.has(a)) wanted.add(a);
    } catch {
      // a mapping that does not parse is reported by computeForecast
    }
  }
  for (const g of rule.scope?.groups ?? [])
    for (const c of g.clauses ?? []) if (GRAPH_USER_PROPERTIES.has(c.sourceOperandName)) wanted.add(c.sourceOperandName);
  const [graphUsers, assignments, roles] = await Promise.all([graph.listUsers([...wanted]), graph.listAssignments(spId), graph.listAppRoles(spId)]);
  // "Sync only assigned users and groups": users assigned with a role, and the direct members of groups so assigned.
  const direct = new Map<string, string[]>();
  const defaultOnly = new Set<string>();
  const groupsOf = new Map<string, number>();
  for (const a of assignments) {
    const type = a.principalType ?? 'User';
    if (type === 'User') {
      if (a.defaultAccess) defaultOnly.add(a.principalId);
      else direct.set(a.principalId, [...(direct.get(a.principalId) ?? []), roles.get(a.appRoleId) ?? a.appRoleId]);
    } else if (type === 'Group' && !a.defaultAccess) {
      for (const id of await graph.listGroupUserIds(a.principalId)) groupsOf.set(id, (groupsOf.get(id) ?? 0) + 1);
    }
  }
  const users: EntraCandidate[] = graphUsers.map((u: GraphUser) => {
    const assigned = direct.has(u.id) || groupsOf.has(u.id);
    const candidate: EntraCandidate = {
      id: u.id,
      userPrincipalName: String(u.userPrincipalName ?? ''),
      mail: typeof u.mail === 'string' && u.mail !== '' ? u.mail : null,
      attributes: u,
      appRoles: direct.get(u.id) ?? [],
      groups: groupsOf.get(u.id) ?? 0,
    };
    if (!assigned) candidate.unassigned = defaultOnly.has(u.id) ? 'Default Access' : 'not assigned';
    return candidate;
  });
  const zia: ZiaLogin[] = [];
  for await (const page of ctx.zia().listUsers({ stripUnknown: true })) for (const u of page) if (!u.deleted) zia.push({ id: u.id, login: u.email });
  const read = await ctx.zia().getOrgDomains();
  const domains: ForecastResult['domains'] =
    read.domains !== null
      ? { list: read.domains, source: 'zia' }
      : {
          list: [...new Set(zia.map((z) => domainOf(z.login)).filter((d): d is string => d !== undefined))].sort(),
          source: 'inferred',
          note: `${read.reason}: inferred from the domains of the ZIA users' login names`,
        };
  return computeForecast({ rule, users, zia, domains });
}

/** The forecast in one paragraph for the plan. */
function describe(facts: Record<string, JsonValue>): string {
  const c = facts.counts as Record<string, number>;
  const ex = facts.examples as Record<string, string[]>;
  const first = (k: string) => (ex[k]?.length ? ` (e.g. ${ex[k]!.slice(0, 2).join('; ')})` : '');
  const parts = [
    `${c.inScope} user(s) in Entra's scope: ${c.adopted} adopted${first('adopted')}`,
    `${c.duplicates} would be created a second time${first('duplicates')}`,
    `${c.created} new${first('created')}`,
  ];
  if (c.noUserName) parts.push(`${c.noUserName} without a userName value${first('noUserName')}`);
  if (c.cannotForecast) parts.push(`${c.cannotForecast} cannot be forecast${first('cannotForecast')}`);
  parts.push(`${c.ziaWithoutCounterpart} ZIA user(s) without an IdP counterpart${first('ziaWithoutCounterpart')}`);
  parts.push(`${c.outOfScope} ZIA user(s) out of Entra's scope${first('outOfScope')}`);
  const d = facts.registeredDomains as { source: string; list: string[] };
  parts.push(
    `${c.unregisteredDomain} userName(s) in a domain not registered with ZIA (${d.source === 'zia' ? 'registered' : 'inferred'}: ${d.list.join(', ') || 'none'})${first('unregisteredDomain')}`,
  );
  parts.push(`${c.overGroupLimit} user(s) in more than ${MAX_GROUPS_PER_USER} groups${first('overGroupLimit')}`);
  return `${parts.join('; ')}.`;
}

/** The forecast step: observes only; over the guard it is blocked, with the examples and what to change. */
export function entraAdoptionForecastStep(doc: string): Step<MigrationContext> {
  return {
    id: 'entra-adoption-forecast',
    title: "Forecast: which ZIA users Entra's provisioning will adopt, and which it would create twice",
    doc,
    kind: 'automated',
    guide: (ctx) => ({
      guard: `more than guards.maxForecastDuplicates (${ctx.config.guards.maxForecastDuplicates}) users whose forecast userName matches no ZIA login name while the same person is in ZIA (they would be created a second time), counting users the tool cannot forecast`,
    }),
    async observe({ ctx }): Promise<Observation> {
      const f = await forecastAdoption(ctx);
      const facts = forecastFacts(f);
      const c = facts.counts as Record<string, number>;
      const max = ctx.config.guards.maxForecastDuplicates;
      const examples = facts.examples as Record<string, string[]>;
      const risky = (c.duplicates ?? 0) + (c.cannotForecast ?? 0);
      if (risky > max) {
        return {
          state: 'blocked',
          // Verdict and remedy first: a long line is cut in error messages, the examples follow on lines of their own.
          detail: [
            `${risky} user(s) would be created a second time or cannot be forecast: over guards.maxForecastDuplicates ${max}. What to change: ${mappingAdvice(f)}.`,
            ...(['duplicates', 'cannotForecast'] as const)
              .filter((k) => (examples[k]?.length ?? 0) > 0)
              .map((k) => `  ${k === 'duplicates' ? 'would be created twice' : 'cannot forecast'}: ${examples[k]!.join('; ')}`),
            `  forecast: ${describe(facts)}`,
          ].join('\n'),
          facts: { forecast: facts },
        };
      }
      return { state: 'done', detail: describe(facts), facts: { forecast: facts } };
    },
    async apply() {
      throw new UserError('the adoption forecast only observes');
    },
  };
}
