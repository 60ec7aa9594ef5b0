/** The LDAP server over the shared seed generator's directory (not only our own fixture). */
import { Client } from 'ldapts';
import { startLdapServer } from '../../src/sandbox/ldap/server.js';
import { generateDirectory } from '../../src/sandbox/world/seed.js';

it('serves every seeded user and group, paged', async () => {
  const directory = generateDirectory({ users: 1200, seed: 7 });
  const server = await startLdapServer({ directory });
  const client = new Client({ url: server.url });
  try {
    await client.bind(directory.bindDn, directory.bindPassword);
    const users = await client.search(directory.baseDn, {
      filter: '(&(objectCategory=person)(objectClass=user))',
      attributes: ['objectGUID', 'userPrincipalName'],
      explicitBufferAttributes: ['objectGUID'],
      paged: { pageSize: 500 },
    });
    expect(users.searchEntries).toHaveLength(directory.users.length);
    const byUpn = new Map(directory.users.map((u) => [u.userPrincipalName, u]));
    for (const e of users.searchEntries) {
      expect((e.objectGUID as Buffer).equals(byUpn.get(e.userPrincipalName as string)!.objectGUID)).toBe(true);
    }
    const groups = await client.search(directory.baseDn, { filter: '(objectClass=group)', attributes: ['cn'] });
    expect(groups.searchEntries).toHaveLength(directory.groups.length);
  } finally {
    await client.unbind();
    await server.stop();
  }
});
