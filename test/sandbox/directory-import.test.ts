import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startLdapServer } from '../../src/sandbox/ldap/server.js';
import { importDirectory } from '../../src/sandbox/world/ldap-import.js';
import { generateDirectory } from '../../src/sandbox/world/seed.js';
import { startSandbox } from '../../src/sandbox/index.js';

/** `--directory ldap://…`: read over real LDAP (ldapts) from the sandbox's own LDAP server as a stand-in DC. */
describe('importDirectory', () => {
  const source = generateDirectory({ users: 120, seed: 12 });
  let ldap: Awaited<ReturnType<typeof startLdapServer>>;
  beforeAll(async () => {
    ldap = await startLdapServer({ directory: source });
  });
  afterAll(async () => {
    await ldap.stop();
  });

  test('reads users and groups with their AD attributes', async () => {
    const d = await importDirectory({ url: ldap.url, bindDn: source.bindDn, password: source.bindPassword, baseDn: source.baseDn });
    expect(d.users).toHaveLength(120);
    expect(d.groups.length).toBe(source.groups.length);
    const want = source.users[7]!;
    const got = d.users.find((u) => u.userPrincipalName === want.userPrincipalName)!;
    expect(got.objectGUID.equals(want.objectGUID)).toBe(true);
    expect(got.userAccountControl).toBe(want.userAccountControl);
    expect(got.mail).toBe(want.mail);
    expect(d.domain).toBe('example.test');
  });

  test('a wrong password fails with an error, and startSandbox uses the real directory', async () => {
    await expect(importDirectory({ url: ldap.url, bindDn: source.bindDn, password: 'wrong', baseDn: source.baseDn })).rejects.toThrow();
    const sb = await startSandbox({ directoryUrl: ldap.url, directoryBindDn: source.bindDn, directoryPassword: source.bindPassword, directoryBaseDn: source.baseDn });
    try {
      expect(sb.endpoints.ldapUrl).toBe(ldap.url);
      expect(sb.world.tenant.users.size).toBe(120);
    } finally {
      await sb.stop();
    }
  });
});
