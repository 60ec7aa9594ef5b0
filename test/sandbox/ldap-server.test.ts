/**
 * The sandbox LDAP server against the real ldapts client: AD behaviours per docs/vendor-facts.md F41, F37, F38
 * (MaxPageSize 1000 + sizeLimitExceeded, MaxValRange 1500, IN_CHAIN, binary objectGUID).
 */
import { Client, EqualityFilter, InvalidCredentialsError } from 'ldapts';
import { startLdapServer, type SandboxLdapServer } from '../../src/sandbox/ldap/server.js';
import { BASE_DN, BIND_DN, BIND_PASSWORD, GROUP_ALL, GROUP_ENG, GROUP_ENG_LEAF, SPECIAL_DISPLAY_NAME, makeDirectory, userDn } from './ldap-fixture.js';

const USERS = 2500;
const directory = makeDirectory({ users: USERS });
const USER_FILTER = '(&(objectCategory=person)(objectClass=user))';

/** RFC 4515 escaping of the metacharacters; non-ASCII goes raw (ldapts encodes UTF-8). */
function escapeFilterValue(v: string): string {
  return v.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

let server: SandboxLdapServer;
const clients: Client[] = [];

async function bound(): Promise<Client> {
  const c = new Client({ url: server.url, timeout: 10_000 });
  clients.push(c);
  await c.bind(BIND_DN, BIND_PASSWORD);
  return c;
}

beforeAll(async () => {
  server = await startLdapServer({ directory });
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.unbind().catch(() => undefined);
});

afterAll(async () => {
  await server.stop();
});

describe('binds', () => {
  it('accepts the service account by DN and by UPN', async () => {
    const a = new Client({ url: server.url });
    clients.push(a);
    await expect(a.bind(BIND_DN, BIND_PASSWORD)).resolves.toBeUndefined();
    const b = new Client({ url: server.url });
    clients.push(b);
    await expect(b.bind('svc@example.test', BIND_PASSWORD)).resolves.toBeUndefined();
    const { searchEntries } = await b.search(BASE_DN, { scope: 'base', attributes: ['objectClass'] });
    expect(searchEntries).toHaveLength(1);
  });

  it('rejects a wrong password with invalidCredentials (49)', async () => {
    const c = new Client({ url: server.url });
    clients.push(c);
    const err = await c.bind(BIND_DN, 'wrong').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidCredentialsError);
    expect((err as InvalidCredentialsError).code).toBe(49);
    const upn = await c.bind('svc@example.test', 'wrong').catch((e: unknown) => e);
    expect((upn as InvalidCredentialsError).code).toBe(49);
    const unknown = await c.bind('nobody@example.test', BIND_PASSWORD).catch((e: unknown) => e);
    expect((unknown as InvalidCredentialsError).code).toBe(49);
  });

  it('refuses an anonymous search like AD (operationsError) but serves the rootDSE', async () => {
    const c = new Client({ url: server.url });
    clients.push(c);
    const err = (await c.search(BASE_DN, { filter: USER_FILTER }).catch((e: unknown) => e)) as { code?: number };
    expect(err.code).toBe(1);
    const { searchEntries } = await c.search('', { scope: 'base', attributes: ['defaultNamingContext'] });
    expect(searchEntries[0]?.defaultNamingContext).toBe(BASE_DN);
  });
});

describe('search', () => {
  it('pages through all 2,500 users with the paged-results control', async () => {
    const c = await bound();
    const { searchEntries } = await c.search(BASE_DN, {
      filter: USER_FILTER,
      attributes: ['sAMAccountName', 'userPrincipalName'],
      paged: { pageSize: 1000 },
    });
    expect(searchEntries).toHaveLength(USERS);
    expect(new Set(searchEntries.map((e) => e.sAMAccountName)).size).toBe(USERS);
  });

  it('caps a page at MaxPageSize 1000 even when the client asks for more', async () => {
    const c = await bound();
    let pages = 0;
    const sizes: number[] = [];
    for await (const page of c.searchPaginated(BASE_DN, {
      filter: USER_FILTER,
      attributes: ['cn'],
      paged: { pageSize: 5000 },
    })) {
      pages++;
      sizes.push(page.searchEntries.length);
    }
    expect(pages).toBe(3);
    expect(sizes).toEqual([1000, 1000, 500]);
  });

  it('stops an unpaged search over 1000 results with sizeLimitExceeded (4)', async () => {
    const c = await bound();
    const err = (await c.search(BASE_DN, { filter: USER_FILTER, attributes: ['cn'] }).catch((e: unknown) => e)) as {
      code?: number;
    };
    expect(err.code).toBe(4);
    // Under the limit it is a normal success.
    const { searchEntries } = await c.search(BASE_DN, { filter: '(sAMAccountName=user00001*)', attributes: ['cn'] });
    expect(searchEntries).toHaveLength(10);
  });

  it('returns objectGUID as the exact 16 raw bytes', async () => {
    const c = await bound();
    const { searchEntries } = await c.search(BASE_DN, {
      filter: '(sAMAccountName=user000042)',
      attributes: ['objectGUID', 'userPrincipalName'],
      explicitBufferAttributes: ['objectGUID'],
    });
    const guid = searchEntries[0]?.objectGUID;
    expect(Buffer.isBuffer(guid)).toBe(true);
    expect((guid as Buffer).equals(directory.users[42]!.objectGUID)).toBe(true);
    expect((guid as Buffer).length).toBe(16);
    // Binary equality lookup with a filter object (docs/vendor-facts.md F37).
    const byGuid = await c.search(BASE_DN, {
      filter: new EqualityFilter({ attribute: 'objectGUID', value: directory.users[7]!.objectGUID }),
      attributes: ['sAMAccountName'],
    });
    expect(byGuid.searchEntries.map((e) => e.sAMAccountName)).toEqual(['user000007']);
  });

  it('matches any 16 binary bytes of objectGUID; a binary value that is not UTF-8 never drops the connection', async () => {
    const c = await bound();
    const notUtf8 = (b: Buffer) => !Buffer.from(b.toString('utf8'), 'utf8').equals(b);
    const users = directory.users.slice(0, 12).filter((u) => notUtf8(u.objectGUID));
    expect(users.length).toBeGreaterThan(3);
    for (const u of users) {
      const r = await c.search(BASE_DN, { filter: new EqualityFilter({ attribute: 'objectGUID', value: u.objectGUID }), attributes: ['userPrincipalName'] });
      expect(r.searchEntries.map((e) => e.userPrincipalName)).toEqual([u.userPrincipalName]);
    }
    // (objectGUID=\41\c6): a UTF-8 lead byte with no continuation. AD answers "no match".
    const partial = await c.search(BASE_DN, { filter: new EqualityFilter({ attribute: 'objectGUID', value: Buffer.from([0x41, 0xc6]) }), attributes: ['cn'] });
    expect(partial.searchEntries).toEqual([]);
    // Inside a composite filter too, and the same connection still answers afterwards.
    const composite = await c.search(BASE_DN, {
      filter: `(&(objectCategory=person)(objectGUID=${[...users[0]!.objectGUID].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('')}))`,
      attributes: ['cn'],
    });
    expect(composite.searchEntries.length).toBeLessThanOrEqual(1); // ldapts re-encodes string escapes; it must not drop the link
    const after = await c.search(BASE_DN, { filter: `(userPrincipalName=${users[1]!.userPrincipalName})`, attributes: ['cn'] });
    expect(after.searchEntries).toHaveLength(1);
  });

  it('answers the Who am I? extended operation (RFC 4532) with the bound DN, empty when anonymous', async () => {
    const c = await bound();
    const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
    expect(who.value).toBe(`dn:${BIND_DN}`);
    const anon = new Client({ url: server.url, timeout: 10_000 });
    clients.push(anon);
    await anon.bind('', '');
    expect((await anon.exop('1.3.6.1.4.1.4203.1.11.3')).value ?? '').toBe('');
    const root = await anon.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['supportedExtension'] });
    expect(root.searchEntries[0]?.supportedExtension).toContain('1.3.6.1.4.1.4203.1.11.3');
  });

  it('answers AD-shaped attributes, case-insensitive names and values', async () => {
    const c = await bound();
    const { searchEntries } = await c.search(BASE_DN, {
      filter: '(SAMACCOUNTNAME=USER000012)',
      attributes: ['objectclass', 'OBJECTCATEGORY', 'mail', 'department', 'memberOf', 'givenName', 'sn', 'displayName'],
    });
    const e = searchEntries[0]!;
    expect(e.dn).toBe(userDn(12));
    expect(e.objectClass).toEqual(['top', 'person', 'organizationalPerson', 'user']);
    expect(e.objectCategory).toBe(`CN=Person,CN=Schema,CN=Configuration,${BASE_DN}`);
    expect(e.memberOf).toBe(GROUP_ALL);
    expect(e.department).toBe('Engineering');
  });

  it("shows a disabled user's userAccountControl (514) and finds it bitwise", async () => {
    const c = await bound();
    const { searchEntries } = await c.search(BASE_DN, {
      filter: '(sAMAccountName=user000009)',
      attributes: ['userAccountControl'],
    });
    expect(searchEntries[0]?.userAccountControl).toBe('514');
    const disabled = await c.search(BASE_DN, {
      filter: '(&(objectCategory=person)(userAccountControl:1.2.840.113556.1.4.803:=2))',
      attributes: ['cn'],
      paged: { pageSize: 500 },
    });
    expect(disabled.searchEntries).toHaveLength(USERS / 10);
  });

  it('evaluates IN_CHAIN over nested groups', async () => {
    const c = await bound();
    const chain = await c.search(BASE_DN, {
      filter: `(&(objectCategory=person)(memberOf:1.2.840.113556.1.4.1941:=${GROUP_ENG}))`,
      attributes: ['sAMAccountName'],
      paged: { pageSize: 500 },
    });
    expect(chain.searchEntries.map((e) => e.sAMAccountName).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `user${String(i).padStart(6, '0')}`));
    // Plain memberOf is direct membership only.
    const direct = await c.search(BASE_DN, { filter: `(&(objectCategory=person)(memberOf=${GROUP_ENG}))`, attributes: ['cn'] });
    expect(direct.searchEntries).toHaveLength(0);
    // Reverse: every group containing user 3, transitively.
    const groups = await c.search(BASE_DN, {
      filter: `(member:1.2.840.113556.1.4.1941:=${userDn(3)})`,
      attributes: ['cn'],
    });
    expect(groups.searchEntries.map((e) => e.cn).sort()).toEqual(['All Staff', 'Eng Platform', 'Eng Platform SRE', 'Engineering']);
  });

  it('ranges member beyond 1500 values like AD (MaxValRange)', async () => {
    const c = await bound();
    const first = await c.search(GROUP_ALL, { scope: 'base', attributes: ['member'] });
    const e1 = first.searchEntries[0]!;
    expect(e1.member).toEqual([]); // not returned plain: the client must range
    const w1 = e1['member;range=0-1499'] as string[];
    expect(w1).toHaveLength(1500);
    const second = await c.search(GROUP_ALL, { scope: 'base', attributes: ['member;range=1500-*'] });
    const w2 = second.searchEntries[0]!['member;range=1500-*'] as string[];
    expect(w2).toHaveLength(USERS - 1500);
    expect(new Set([...w1, ...w2])).toEqual(new Set(directory.users.map((u) => u.dn)));
    // A small group is returned whole.
    const leaf = await c.search(GROUP_ENG_LEAF, { scope: 'base', attributes: ['member'] });
    expect(leaf.searchEntries[0]?.member).toHaveLength(10);
  });

  it('matches escaped *()\\ and non-ASCII filter values', async () => {
    const c = await bound();
    const exact = await c.search(BASE_DN, {
      filter: `(displayName=${escapeFilterValue(SPECIAL_DISPLAY_NAME)})`,
      attributes: ['displayName'],
    });
    expect(exact.searchEntries.map((e) => e.displayName)).toEqual([SPECIAL_DISPLAY_NAME]);
    const sub = await c.search(BASE_DN, { filter: '(displayName=zoë \\28ops\\29*ünïCODE)', attributes: ['cn'] });
    expect(sub.searchEntries).toHaveLength(1);
    const star = await c.search(BASE_DN, { filter: '(displayName=*\\2a\\5c*)', attributes: ['cn'] });
    expect(star.searchEntries).toHaveLength(1);
    const none = await c.search(BASE_DN, { filter: '(displayName=Zoë \\28Ops\\29 \\2a)', attributes: ['cn'] });
    expect(none.searchEntries).toHaveLength(0);
  });

  it('honours base and one-level scopes and reports a missing base as noSuchObject', async () => {
    const c = await bound();
    const one = await c.search(`OU=Groups,${BASE_DN}`, { scope: 'one', filter: '(objectClass=group)', attributes: ['cn'] });
    expect(one.searchEntries).toHaveLength(4);
    const base = await c.search(userDn(1), { scope: 'base', attributes: ['cn'] });
    expect(base.searchEntries[0]?.cn).toBe('User 000001');
    const err = (await c.search(`OU=Nowhere,${BASE_DN}`, { filter: '(cn=*)' }).catch((e: unknown) => e)) as {
      code?: number;
    };
    expect(err.code).toBe(32);
  });
});
