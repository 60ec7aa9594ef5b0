// The directory client against the live Samba AD DC from scripts/samba-ad/up.sh. Every expected
// number comes from <dir>/expected.json, which the seed generator computed from its own data.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { Client } from 'ldapts';
import {
  createDirectoryClient,
  type DirectoryClient,
  type DirectoryClientOptions,
  type DirectoryEntry,
  equalityFilter,
  isGuidString,
} from '../../src/clients/ldap.js';
import { adEnv, describeAd } from './ad-env.js';

const run = promisify(execFile);
const USER_FILTER = '(&(objectCategory=person)(objectClass=user))';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function collect(client: DirectoryClient, groupDn?: string, userFilter = USER_FILTER, pageSizeSeen?: number[]) {
  const env = adEnv();
  const all: DirectoryEntry[] = [];
  for await (const page of client.streamUsers({
    baseDn: env.AD_BASE_DN,
    userFilter,
    ...(groupDn ? { groupDn } : {}),
    attributes: ['givenName', 'sn', 'mail'],
  })) {
    pageSizeSeen?.push(page.length);
    all.push(...page);
  }
  return all;
}

describeAd('directory client against Samba AD', () => {
  const clients: DirectoryClient[] = [];
  const open = (over: Partial<DirectoryClientOptions> = {}): DirectoryClient => {
    const env = adEnv();
    const c = createDirectoryClient({
      url: env.AD_LDAPS_URL,
      bindDn: env.AD_BIND_UPN,
      password: env.password,
      caFile: env.AD_CA_FILE,
      ...over,
    });
    clients.push(c);
    return c;
  };
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  describe('transport and bind', () => {
    it('LDAPS with CA verification, UPN bind', async () => {
      const env = adEnv();
      expect(await open().countUsers({ baseDn: env.AD_BASE_DN, userFilter: USER_FILTER })).toBe(env.expected.usersInScope);
    });

    it('StartTLS on 389 (the default for ldap://), DN bind', async () => {
      const env = adEnv();
      const c = open({ url: env.AD_URL, bindDn: env.AD_BIND_DN });
      expect(await c.countUsers({ baseDn: env.AD_BASE_DN, userFilter: USER_FILTER })).toBe(env.expected.usersInScope);
    });

    it('DOMAIN\\user bind', async () => {
      const env = adEnv();
      const c = open({ bindDn: env.AD_BIND_NT });
      expect(await c.countUsers({ baseDn: env.AD_BASE_DN, userFilter: USER_FILTER })).toBe(env.expected.usersInScope);
    });

    it('a wrong password is refused with a message that names the account and not the password', async () => {
      const env = adEnv();
      const wrong = `${env.password}-wrong`;
      const c = open({ password: wrong });
      const err = await c.countUsers({ baseDn: env.AD_BASE_DN, userFilter: USER_FILTER }).then(
        () => undefined,
        (e: unknown) => e as Error & { hint?: string },
      );
      expect(err?.message).toContain(`bind refused for ${env.AD_BIND_UPN}: wrong password or locked account`);
      expect(err?.message).toContain('data 52e');
      expect(`${err?.message} ${err?.hint}`).not.toContain(wrong);
      expect(`${err?.message} ${err?.hint}`).not.toContain(env.password);
    });

    it('an unreachable port names the URL and suggests ports and firewall', async () => {
      const env = adEnv();
      const url = `ldaps://127.0.0.1:${await freePort()}`;
      const c = open({ url });
      await expect(c.countUsers({ baseDn: env.AD_BASE_DN, userFilter: USER_FILTER })).rejects.toMatchObject({
        message: expect.stringContaining(`cannot reach the directory at ${url} (ECONNREFUSED`),
        hint: expect.stringMatching(/636.*389.*firewall/),
      });
    });

    it('LDAPS with a CA bundle that did not sign the DC certificate fails naming the caFile', async () => {
      const env = adEnv();
      const caFile = '/etc/ssl/certs/ca-certificates.crt';
      const c = open({ caFile });
      await expect(c.countUsers({ baseDn: env.AD_BASE_DN, userFilter: USER_FILTER })).rejects.toMatchObject({
        message: expect.stringMatching(new RegExp(`TLS with ldaps://127\\.0\\.0\\.1:636 failed.*caFile ${caFile}`)),
      });
    });

    it('StartTLS with an untrusted certificate fails too (no silent plain-text fallback)', async () => {
      const env = adEnv();
      const c = open({ url: env.AD_URL, caFile: '/etc/ssl/certs/ca-certificates.crt' });
      await expect(c.countUsers({ baseDn: env.AD_BASE_DN, userFilter: USER_FILTER })).rejects.toMatchObject({
        message: expect.stringContaining('TLS with ldap://127.0.0.1:389 failed during starttls'),
      });
    });
  });

  describe('reading the scope', () => {
    let users: DirectoryEntry[] = [];
    const pageSizes: number[] = [];
    beforeAll(async () => {
      users = await collect(open({ pageSize: 500 }), undefined, USER_FILTER, pageSizes);
    });

    it('pages through the whole scope: exactly the seeded count, in several pages', () => {
      const { expected } = adEnv();
      expect(expected.usersInScope).toBeGreaterThan(1000); // more than one AD page even at the maximum size
      expect(users).toHaveLength(expected.usersInScope);
      expect(pageSizes.length).toBeGreaterThanOrEqual(Math.ceil(expected.usersInScope / 500));
      expect(Math.max(...pageSizes)).toBeLessThanOrEqual(500);
      expect(new Set(users.map((u) => u.dn)).size).toBe(users.length);
    });

    it('the default page size (1000) also returns everything', async () => {
      const env = adEnv();
      const seen: number[] = [];
      const all = await collect(open(), undefined, USER_FILTER, seen);
      expect(all).toHaveLength(env.expected.usersInScope);
      expect(seen.length).toBeGreaterThan(1);
    });

    it('objectGUID is a canonical, unique GUID string', () => {
      expect(users.every((u) => isGuidString(u.objectGUID))).toBe(true);
      expect(new Set(users.map((u) => u.objectGUID)).size).toBe(users.length);
    });

    it('objectGUID matches what Samba itself prints (ldbsearch) and resolves via <GUID=…>', async () => {
      const env = adEnv();
      const sample = users.find((u) => u.sAMAccountName === env.expected.samples.nonAscii.sAMAccountName);
      expect(sample).toBeDefined();
      const { stdout } = await run('ldbsearch', [
        '-H',
        `${env.AD_DIR}/private/sam.ldb`,
        `--configfile=${env.AD_DIR}/etc/smb.conf`,
        `(sAMAccountName=${sample?.sAMAccountName})`,
        'objectGUID',
      ]);
      const ldbGuid = /^objectGUID: (\S+)$/m.exec(stdout)?.[1];
      expect(ldbGuid).toBe(sample?.objectGUID);
      // The server's own GUID parser (AD extended DN syntax) finds the same entry.
      const raw = new Client({ url: env.AD_LDAPS_URL, tlsOptions: { ca: [readFileSync(env.AD_CA_FILE)] } });
      try {
        await raw.bind(env.AD_BIND_UPN, env.password);
        const { searchEntries } = await raw.search(`<GUID=${sample?.objectGUID}>`, { scope: 'base', attributes: ['sAMAccountName'] });
        expect(searchEntries[0]?.sAMAccountName).toBe(sample?.sAMAccountName);
      } finally {
        await raw.unbind();
      }
    });

    it('decodes userAccountControl: disabled accounts counted as seeded', () => {
      const { expected } = adEnv();
      expect(users.filter((u) => u.disabled)).toHaveLength(expected.disabledInScope);
      expect(users.filter((u) => !u.disabled)).toHaveLength(expected.enabledInScope);
      expect(users.every((u) => typeof u.userAccountControl === 'number')).toBe(true);
    });

    it('users without mail and users whose UPN differs from mail', () => {
      const { expected } = adEnv();
      expect(users.filter((u) => u.mail === undefined)).toHaveLength(expected.withoutMailInScope);
      expect(users.filter((u) => u.mail !== undefined && u.mail !== u.userPrincipalName)).toHaveLength(expected.upnDiffersFromMailInScope);
      const s = expected.samples.upnDiffersFromMail;
      const u = users.find((x) => x.sAMAccountName === s.sAMAccountName);
      expect([u?.userPrincipalName, u?.mail]).toEqual([s.userPrincipalName, s.mail]);
      expect(u?.attributes.mail).toBe(s.mail);
    });

    it('non-ASCII and comma names round-trip', () => {
      const { expected } = adEnv();
      for (const s of [expected.samples.nonAscii, expected.samples.comma, expected.samples.metachar]) {
        const u = users.find((x) => x.sAMAccountName === s.sAMAccountName);
        expect(u?.displayName).toBe(s.displayName);
      }
      const comma = users.find((x) => x.sAMAccountName === expected.samples.comma.sAMAccountName);
      expect(comma?.dn).toMatch(/^CN=[^,]*\\,/);
      // The OU "Zürich Büro" carries non-ASCII in the DN itself.
      expect(users.some((u) => u.dn.includes('OU=Zürich Büro,OU=Corp'))).toBe(true);
    });

    it('memberOf is a list of DNs', () => {
      const { expected } = adEnv();
      expect(users.every((u) => Array.isArray(u.memberOf))).toBe(true);
      expect(users.every((u) => u.memberOf.includes(expected.bigGroup.dn))).toBe(true);
    });
  });

  describe('group scope and membership', () => {
    it('nested membership via IN_CHAIN equals the seeded nested count (base DN still applies)', async () => {
      const env = adEnv();
      const n = await open().countUsers({ baseDn: env.AD_BASE_DN, userFilter: USER_FILTER, groupDn: env.expected.nested.groupDn });
      expect(n).toBe(env.expected.nested.usersInScope);
      expect(n).toBeLessThan(env.expected.nested.usersAnywhere); // out-of-scope members exist and are excluded
    });

    it('ranged member retrieval of the big group returns every value', async () => {
      const env = adEnv();
      const members = await open().getGroupMembers(env.expected.bigGroup.dn);
      expect(env.expected.bigGroup.directMembers).toBeGreaterThan(1500);
      expect(members).toHaveLength(env.expected.bigGroup.directMembers);
      expect(new Set(members).size).toBe(members.length);
    });

    it('a group DN with ( ) * \\ from configuration is escaped in the filter', async () => {
      const env = adEnv();
      const c = open();
      const n = await c.countUsers({ baseDn: env.AD_BASE_DN, userFilter: USER_FILTER, groupDn: env.expected.metacharGroup.dn });
      expect(n).toBe(env.expected.metacharGroup.usersInScope);
      expect(n).toBeGreaterThan(0);
    });

    it('a value with metacharacters matches literally (the * is not a wildcard)', async () => {
      const env = adEnv();
      const s = env.expected.samples.metachar;
      const filter = `(&${USER_FILTER}${equalityFilter('displayName', s.displayName)})`;
      const found = await collect(open(), undefined, filter);
      expect(found.map((u) => u.sAMAccountName)).toEqual([s.sAMAccountName]);
    });

    it('a non-ASCII group DN and a non-ASCII value in a filter work', async () => {
      const env = adEnv();
      const c = open();
      const n = await c.countUsers({ baseDn: env.AD_BASE_DN, userFilter: USER_FILTER, groupDn: env.expected.nonAsciiGroup.dn });
      expect(n).toBe(env.expected.nonAsciiGroup.usersInScope);
      const s = env.expected.samples.nonAscii;
      const found = await collect(
        c,
        undefined,
        `(&${USER_FILTER}${equalityFilter('displayName', s.displayName)}${equalityFilter('sAMAccountName', s.sAMAccountName)})`,
      );
      expect(found).toHaveLength(1);
      expect(found[0]?.displayName).toBe(s.displayName);
    });

    it('a missing base DN is reported as such', async () => {
      const env = adEnv();
      const baseDn = `OU=Nowhere,${env.AD_BASE_DN}`;
      await expect(open().countUsers({ baseDn, userFilter: USER_FILTER })).rejects.toMatchObject({
        message: expect.stringContaining(`the base DN ${baseDn} does not exist`),
      });
    });
  });
});
