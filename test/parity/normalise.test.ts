import {
  DEFAULT_DIRECTORY_MAPPING,
  directoryRecords,
  firstRdnValue,
  fromDirectoryEntry,
  fromScimUser,
  fromZiaUser,
  indexScimGroups,
  ziaRecords,
  type DirectoryEntry,
  type ScimUser,
} from '../../src/parity/index.js';

const entry = (over: Partial<DirectoryEntry> = {}): DirectoryEntry => ({
  dn: 'CN=Doe\\, Jane,OU=Staff,DC=corp,DC=test',
  objectGUID: '0f8fad5b-d9cb-469f-a165-70867728950e',
  userPrincipalName: 'jane.doe@corp.test',
  mail: 'Jane.Doe@mail.corp.test',
  displayName: 'Doe, Jane',
  disabled: false,
  memberOf: ['CN=Doe\\, J Team,OU=Groups,DC=corp,DC=test', 'CN=VPN Users,OU=Groups,DC=corp,DC=test'],
  attributes: { Department: 'Sales', extensionAttribute1: ['jdoe@corp.test', 'second'] },
  ...over,
});

describe('directory entries', () => {
  test('group names are the CN of each memberOf DN, escaped commas and hex escapes included', () => {
    expect(firstRdnValue('CN=Doe\\, J,OU=Groups,DC=corp,DC=test')).toBe('Doe, J');
    expect(firstRdnValue('cn=R\\2BD \\23 1,DC=x')).toBe('R+D # 1');
    expect(firstRdnValue('CN=Caf\\C3\\A9 Staff,DC=x')).toBe('Café Staff');
    expect(firstRdnValue('CN="Quoted, Name",DC=x')).toBe('Quoted, Name');
    expect(firstRdnValue('CN=Trailing  ,DC=x')).toBe('Trailing');
    expect(fromDirectoryEntry(entry(), DEFAULT_DIRECTORY_MAPPING).groups).toEqual(['Doe, J Team', 'VPN Users']);
  });

  test('the mapping picks attributes case-insensitively, falling back to top-level fields', () => {
    const r = fromDirectoryEntry(entry(), DEFAULT_DIRECTORY_MAPPING);
    expect(r).toEqual({
      source: 'directory',
      sourceId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      userName: 'jane.doe@corp.test',
      email: 'Jane.Doe@mail.corp.test',
      displayName: 'Doe, Jane',
      department: 'Sales',
      active: true,
      groups: ['Doe, J Team', 'VPN Users'],
    });
    const custom = fromDirectoryEntry(entry({ disabled: true }), { ...DEFAULT_DIRECTORY_MAPPING, userName: 'EXTENSIONATTRIBUTE1', email: 'userPrincipalName' });
    expect(custom.userName).toBe('jdoe@corp.test');
    expect(custom.email).toBe('jane.doe@corp.test');
    expect(custom.active).toBe(false);
  });

  test('empty values are "not set"', () => {
    const r = fromDirectoryEntry(entry({ mail: '  ', attributes: {} }), DEFAULT_DIRECTORY_MAPPING);
    expect(r.email).toBeUndefined();
    expect(r.department).toBeUndefined();
  });

  test('directoryRecords maps whole pages', async () => {
    async function* src() {
      yield [entry(), entry({ objectGUID: 'g2' })];
    }
    const out = [];
    for await (const p of directoryRecords(src(), DEFAULT_DIRECTORY_MAPPING)) out.push(...p);
    expect(out.map((r) => r.sourceId)).toEqual(['0f8fad5b-d9cb-469f-a165-70867728950e', 'g2']);
  });
});

describe('ZIA users', () => {
  test('email is the login name and feeds userName; active stays unknown', () => {
    const r = fromZiaUser({
      id: 42,
      name: 'Jane Doe',
      email: 'jane.doe@corp.test',
      department: { id: 1, name: 'Sales' },
      groups: [{ id: 2, name: 'VPN Users' }],
    });
    expect(r).toEqual({
      source: 'zia',
      sourceId: '42',
      userName: 'jane.doe@corp.test',
      email: 'jane.doe@corp.test',
      displayName: 'Jane Doe',
      department: 'Sales',
      groups: ['VPN Users'],
    });
    expect(r.active).toBeUndefined();
  });

  test('a group or department sent without a name: the group is named by id (so it shows as drift), the department is unset', () => {
    const r = fromZiaUser({ id: 7, name: 'Jo', email: 'jo@corp.test', department: { id: 3 }, groups: [{ id: 9 }, { id: 2, name: 'VPN Users' }] });
    expect(r.groups).toEqual(['(ZIA group id 9)', 'VPN Users']);
    expect(r.department).toBeUndefined();
  });

  test('deleted users are dropped by ziaRecords', async () => {
    async function* src() {
      yield [
        { id: 1, name: 'A', email: 'a@corp.test' },
        { id: 2, name: 'B', email: 'b@corp.test', deleted: true },
      ];
    }
    const out = [];
    for await (const p of ziaRecords(src())) out.push(...p);
    expect(out.map((r) => r.userName)).toEqual(['a@corp.test']);
  });
});

describe('SCIM users', () => {
  // As the client hands it over: "True"/"false" strings are already booleans (test/clients/scim.test.ts).
  const base: ScimUser = { id: 's1', userName: 'jane.doe@corp.test', displayName: 'Jane Doe' };

  test('active is taken as the client read it; absent is unknown', () => {
    expect(fromScimUser({ ...base, active: false }).active).toBe(false);
    expect(fromScimUser({ ...base, active: true }).active).toBe(true);
    expect(fromScimUser(base).active).toBeUndefined();
  });

  test('a blank top-level department falls back to the enterprise extension', () => {
    const ext = { 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'IT' } };
    expect(fromScimUser({ ...base, department: '  ', ...ext }).department).toBe('IT');
    expect(fromScimUser({ ...base, department: 'Sales', ...ext }).department).toBe('Sales');
  });

  test('primary email first, then work, then the first; department from either place', () => {
    expect(
      fromScimUser({
        ...base,
        emails: [
          { value: 'w@x', type: 'work' },
          { value: 'p@x', primary: true },
        ],
      }).email,
    ).toBe('p@x');
    expect(
      fromScimUser({
        ...base,
        emails: [
          { value: 'h@x', type: 'home' },
          { value: 'w@x', type: 'work' },
        ],
      }).email,
    ).toBe('w@x');
    expect(fromScimUser({ ...base, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'IT' } }).department).toBe('IT');
    expect(fromScimUser({ ...base, department: 'Sales', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'IT' } }).department).toBe(
      'Sales',
    );
  });

  test('groups from the user, resolved through /Groups, or built from /Groups members', () => {
    const idx = indexScimGroups([
      { id: 'g1', displayName: 'VPN Users', members: [{ value: 's1' }, { value: 's2' }] },
      { id: 'g2', displayName: 'Staff', members: [{ value: 's1' }] },
    ]);
    expect(fromScimUser(base, idx).groups).toEqual(['VPN Users', 'Staff']);
    expect(fromScimUser({ ...base, groups: [{ value: 'g2' }, { value: 'g9', display: 'Other' }] }, idx).groups).toEqual(['Staff', 'Other']);
    expect(fromScimUser(base).groups).toEqual([]);
  });
});
