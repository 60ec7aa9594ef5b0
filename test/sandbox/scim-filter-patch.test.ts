import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { FilterError, evaluate, parseFilter } from '../../src/sandbox/scim/filter.js';
import { PatchError, applyPatch, normaliseOps } from '../../src/sandbox/scim/patch.js';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = {
  id: '7',
  externalId: 'AbC',
  userName: 'Jane.Doe@Example.test',
  active: true,
  name: { givenName: 'Jane', familyName: 'Doe' },
  emails: [
    { value: 'jane@example.test', type: 'work', primary: true },
    { value: 'j@home.test', type: 'home' },
  ],
  meta: { lastModified: '2026-01-02T03:04:05.000Z' },
  [ENT]: { department: 'Sales' },
};

describe('SCIM filter (RFC 7644 §3.4.2.2)', () => {
  test.each([
    ['userName eq "jane.doe@example.TEST"', true], // caseExact=false (RFC 7643 §4.1.1)
    ['USERNAME Eq "jane.doe@example.test"', true], // attribute names and operators are case-insensitive
    ['externalId eq "abc"', false], // externalId is caseExact
    ['externalId eq "AbC"', true],
    ['id eq "7"', true],
    ['active eq true', true],
    ['active eq false', false],
    ['emails.value eq "j@home.test"', true],
    ['emails[type eq "work"].value eq "jane@example.test"', true],
    ['emails[type eq "work"].value eq "j@home.test"', false],
    ['meta.lastModified gt "2026-01-01T00:00:00Z"', true],
    ['meta.lastModified gt "2026-02-01T00:00:00Z"', false],
    ['userName sw "jane" and name.familyName co "o"', true],
    ['userName ew "nope" or not (active eq false)', true],
    [`${ENT}:department eq "sales"`, true],
    ['title pr', false],
    ['name.givenName pr', true],
  ])('%s → %s', (f, expected) => {
    expect(evaluate(parseFilter(f), user)).toBe(expected);
  });

  test.each(['userName', 'userName eq', 'userName xx "a"', '(userName eq "a"', 'userName eq "a" junk', 'userName eq unquoted'])('rejects %s', (f) => {
    expect(() => parseFilter(f)).toThrow(FilterError);
  });

  test('string equality never depends on case (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9.]{1,12}@[a-z]{1,8}\.test$/), fc.boolean(), (name, upper) => {
        const doc = { userName: upper ? name.toUpperCase() : name };
        return evaluate(parseFilter(`userName eq "${name}"`), doc);
      }),
    );
  });
});

describe('SCIM PATCH (RFC 7644 §3.5.2) with Entra normalisation', () => {
  const opts = { extensionUrns: [ENT], multiValued: new Set(['emails', 'members']) };

  test('normalises capitalised ops and string booleans for active', () => {
    expect(
      normaliseOps({
        Operations: [
          { op: 'Replace', path: 'active', value: 'False' },
          { op: 'Add', value: { active: 'True' } },
        ],
      }),
    ).toEqual([
      { op: 'replace', path: 'active', value: false },
      { op: 'add', value: { active: true } },
    ]);
    expect(() => normaliseOps({ Operations: [] })).toThrow(PatchError);
    expect(() => normaliseOps({ ops: [] })).toThrow(PatchError);
  });

  test('add appends to multi-valued without duplicates; replace sets; remove by filter and by value list', () => {
    const g = { displayName: 'G', members: [{ value: '1' }] };
    const added = applyPatch(g, normaliseOps({ Operations: [{ op: 'Add', path: 'members', value: [{ value: '1' }, { value: '2' }] }] }), opts);
    expect(added.members).toEqual([{ value: '1' }, { value: '2' }]);
    expect(g.members).toEqual([{ value: '1' }]); // input untouched
    const removed = applyPatch(added, normaliseOps({ Operations: [{ op: 'Remove', path: 'members', value: [{ value: '1' }] }] }), opts);
    expect(removed.members).toEqual([{ value: '2' }]);
    const filtered = applyPatch(added, normaliseOps({ Operations: [{ op: 'remove', path: 'members[value eq "2"]' }] }), opts);
    expect(filtered.members).toEqual([{ value: '1' }]);
    const replaced = applyPatch(added, normaliseOps({ Operations: [{ op: 'replace', path: 'members', value: [{ value: '9' }] }] }), opts);
    expect(replaced.members).toEqual([{ value: '9' }]);
  });

  test('URN paths, sub-attributes, value filters, path-less objects', () => {
    const out = applyPatch(
      user,
      normaliseOps({
        Operations: [
          { op: 'replace', path: `${ENT}:department`, value: 'Legal' },
          { op: 'replace', path: 'name.givenName', value: 'Janet' },
          { op: 'replace', path: 'emails[type eq "work"].value', value: 'new@example.test' },
          { op: 'replace', value: { displayName: 'JD', [ENT]: { department: 'IT' } } },
          { op: 'remove', path: 'externalId' },
        ],
      }),
      opts,
    );
    expect(out[ENT]).toEqual({ department: 'IT' });
    expect(out.name).toEqual({ givenName: 'Janet', familyName: 'Doe' });
    expect((out.emails as { value: string }[])[0]!.value).toBe('new@example.test');
    expect(out.displayName).toBe('JD');
    expect(out).not.toHaveProperty('externalId');
  });

  test('errors: remove without path, replace on a filter with no match', () => {
    expect(() => applyPatch(user, [{ op: 'remove' }], opts)).toThrow(PatchError);
    expect(() => applyPatch(user, [{ op: 'replace', path: 'emails[type eq "fax"].value', value: 'x' }], opts)).toThrow(PatchError);
  });
});
