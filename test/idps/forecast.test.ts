import { evaluate, ExpressionSyntaxError, parseExpression, unsupportedFunctions, type EvaluationSource } from '../../src/idps/entra/mapping-expression.js';
import { computeForecast, forecastFacts, MAX_GROUPS_PER_USER, type EntraCandidate, type UserRule } from '../../src/idps/entra/forecast.js';

const user: Record<string, string | string[] | null> = {
  userPrincipalName: 'Jane.Doe@Example.test',
  mail: 'jdoe@example.test',
  givenName: 'Jane',
  surname: 'Doe',
  department: null,
  proxyAddresses: ['SMTP:jane@example.test', 'smtp:jd@example.test'],
};
const src = (roles: string[] = ['User']): EvaluationSource => ({ attribute: (n) => (n in user ? user[n] : undefined), appRoles: roles });
const run = (text: string, roles?: string[]) => evaluate(parseExpression(text), src(roles));

describe("Entra's mapping expressions", () => {
  it('a direct attribute, a string constant and an empty attribute', () => {
    expect(run('[userPrincipalName]')).toEqual({ value: 'Jane.Doe@Example.test' });
    expect(run('"a \\"quoted\\" \\\\ value"')).toEqual({ value: 'a "quoted" \\ value' });
    expect(run('[department]')).toEqual({ value: null });
  });

  it('Append puts the suffix after the source', () => {
    expect(run('Append([givenName], ".x")')).toEqual({ value: 'Jane.x' });
    expect(run('Append([department], ".x")')).toEqual({ cannot: expect.stringContaining('Append of an empty source') });
  });

  it('Join separates every value, each value of a multi-valued source too', () => {
    expect(run('Join(" ", [givenName], [surname])')).toEqual({ value: 'Jane Doe' });
    expect(run('Join(",", [proxyAddresses])')).toEqual({ value: 'SMTP:jane@example.test,smtp:jd@example.test' });
  });

  it('ToLower, with and without a culture', () => {
    expect(run('ToLower([userPrincipalName])')).toEqual({ value: 'jane.doe@example.test' });
    expect(run('ToLower([userPrincipalName], )')).toEqual({ value: 'jane.doe@example.test' });
    expect(run('ToLower("I", "tr-TR")')).toEqual({ value: 'ı' });
  });

  it('Replace: oldValue with replacementValue, oldValue in a template, a regex with a replacement', () => {
    expect(run('Replace([userPrincipalName], "@Example.test", , , "@corp.test", , )')).toEqual({ value: 'Jane.Doe@corp.test' });
    expect(run('Replace([givenName], "NAME", , , , , "user-NAME-x")')).toEqual({ value: 'user-Jane-x' });
    expect(run('Replace([userPrincipalName], , "@.*$", , "@new.test", , )')).toEqual({ value: 'Jane.Doe@new.test' });
    expect(run('Replace([department], "a", , , "b", , )')).toEqual({ value: null });
    expect(run('Replace([mail], , "(?<u>.*)@", "u", "x", , )')).toEqual({ cannot: expect.stringContaining('regexGroupName') });
  });

  it('SingleAppRoleAssignment gives the one role; several roles cannot be forecast', () => {
    expect(run('SingleAppRoleAssignment([appRoleAssignments])')).toEqual({ value: 'User' });
    expect(run('SingleAppRoleAssignment([appRoleAssignments])', [])).toEqual({ value: null });
    expect(run('SingleAppRoleAssignment([appRoleAssignments])', ['User', 'Admin'])).toEqual({ cannot: expect.stringContaining('several app roles') });
  });

  it('nests functions', () => {
    expect(run('ToLower(Join("@", Replace([userPrincipalName], "@Example.test", , , "", , ), "example.test"), )')).toEqual({ value: 'jane.doe@example.test' });
    expect(run('Append(ToLower(Join(".", [givenName], [surname])), "@example.test")')).toEqual({ value: 'jane.doe@example.test' });
  });

  it('any other function, or an attribute the tool did not read, is "cannot forecast", never a guess', () => {
    expect(run('Switch([department], "x", "a", "y")')).toEqual({ cannot: 'Switch' });
    expect(run('ToLower(IIF([department], "a", "b"))')).toEqual({ cannot: 'IIF' });
    expect(run('Append([employeeId], "x")')).toEqual({ cannot: expect.stringContaining('[employeeId]') });
    expect(run('toLower([mail])')).toEqual({ cannot: 'toLower' }); // names are case-sensitive
    expect(unsupportedFunctions(parseExpression('Join("", Coalesce([mail], [userPrincipalName]), SelectUniqueValue([mail]))'))).toEqual([
      'Coalesce',
      'SelectUniqueValue',
    ]);
  });

  it('refuses what does not parse, saying where', () => {
    for (const bad of ['ToLower([mail]', 'Join("a" [mail])', '[mail', '"open', 'ToLower', '[mail] [upn]', '']) {
      expect(() => parseExpression(bad)).toThrow(ExpressionSyntaxError);
    }
  });
});

const upnRule = (expression = '[userPrincipalName]'): UserRule => ({
  matching: { target: 'userName', expression },
  userName: { target: 'userName', expression },
  externalId: { target: 'externalId', expression: '[objectId]' },
  scope: null,
});
const candidate = (n: number, over: Partial<EntraCandidate> = {}): EntraCandidate => {
  const upn = `u${n}@example.test`;
  return {
    id: `e${n}`,
    userPrincipalName: upn,
    mail: upn,
    attributes: { userPrincipalName: upn, mail: upn, department: n % 2 ? 'Sales' : 'IT' },
    appRoles: ['User'],
    groups: 1,
    ...over,
  };
};
const domains = { list: ['example.test'], source: 'zia' as const };

describe('the forecast', () => {
  it('adopts case-insensitively, counts duplicates, new users, out-of-scope and orphaned ZIA users', () => {
    const zia = [
      { id: 1, login: 'U1@Example.test' },
      { id: 2, login: 'u2@example.test' },
      { id: 3, login: 'u3@example.test' },
      { id: 4, login: 'u4@example.test' },
    ];
    const users = [
      candidate(1),
      candidate(2, { attributes: { userPrincipalName: 'u2@example.test', mail: 'other2@example.test' }, mail: 'other2@example.test' }),
      candidate(3, { unassigned: 'Default Access' }),
      candidate(5),
    ];
    const f = computeForecast({ rule: upnRule('[mail]'), users, zia, domains });
    expect([...f.users.values()].map((u) => u.outcome.kind)).toEqual(['adopted', 'duplicate', 'out-of-scope', 'created']);
    expect(f.orphaned.map((z) => z.id)).toEqual([2, 3, 4]);
    const facts = forecastFacts(f) as { counts: Record<string, number>; examples: Record<string, string[]> };
    expect(facts.counts).toMatchObject({ inScope: 3, adopted: 1, duplicates: 1, created: 1, outOfScope: 1, ziaWithoutCounterpart: 3, unregisteredDomain: 0 });
    expect(facts.examples.duplicates).toEqual(['u2@example.test → other2@example.test, but ZIA has u2@example.test (ZIA user 2)']);
  });

  it('lists userNames in a domain not registered with the tenant, and users in more than 128 groups', () => {
    const users = [candidate(1, { groups: MAX_GROUPS_PER_USER + 1 }), candidate(2), candidate(3, { groups: MAX_GROUPS_PER_USER })];
    const f = computeForecast({
      rule: upnRule('Replace([userPrincipalName], "@example.test", , , "@elsewhere.test", , )'),
      users,
      zia: [],
      domains,
    });
    const facts = forecastFacts(f) as { counts: Record<string, number>; examples: Record<string, string[]> };
    expect(facts.counts.unregisteredDomain).toBe(3);
    expect(facts.examples.unregisteredDomain![0]).toBe('u1@example.test (elsewhere.test)');
    expect(facts.counts.overGroupLimit).toBe(1);
    expect(facts.examples.overGroupLimit).toEqual([`u1@example.test (${MAX_GROUPS_PER_USER + 1} groups)`]);
  });

  it('applies the scoping filter (groups OR, clauses AND); an unknown operator cannot be forecast', () => {
    const zia = [1, 2].map((n) => ({ id: n, login: `u${n}@example.test` }));
    const scope = { groups: [{ clauses: [{ operatorName: 'EQUALS', sourceOperandName: 'department', targetOperand: { values: ['Sales'] } }] }] };
    const f = computeForecast({ rule: { ...upnRule(), scope }, users: [candidate(1), candidate(2)], zia, domains });
    expect([...f.users.values()].map((u) => u.outcome.kind)).toEqual(['adopted', 'out-of-scope']);
    const odd = { groups: [{ clauses: [{ operatorName: 'Greater_Than', sourceOperandName: 'department', targetOperand: { values: ['A'] } }] }] };
    const g = computeForecast({ rule: { ...upnRule(), scope: odd }, users: [candidate(1)], zia, domains });
    expect([...g.users.values()][0]!.outcome).toEqual({ kind: 'cannot', reason: 'scoping filter operator Greater_Than' });
  });

  it('a mapping it cannot evaluate makes every user in scope "cannot forecast", with the function named', () => {
    const f = computeForecast({ rule: upnRule('Switch([department], [mail], "IT", [userPrincipalName])'), users: [candidate(1)], zia: [], domains });
    expect([...f.users.values()][0]!.outcome).toEqual({ kind: 'cannot', reason: 'Switch' });
    const g = computeForecast({ rule: upnRule('ToLower([mail]'), users: [candidate(1)], zia: [], domains });
    expect([...g.users.values()][0]!.outcome).toMatchObject({ kind: 'cannot', reason: expect.stringContaining('does not parse') });
  });
});
