/**
 * Throughput check (brief: 100k users paged at 1000/page to ldapts "well under 20 s").
 * Opt-in because it is heavy for the shared CI cores: SANDBOX_LDAP_PERF=1.
 */
import { Client } from 'ldapts';
import { startLdapServer } from '../../src/sandbox/ldap/server.js';
import { BASE_DN, BIND_DN, BIND_PASSWORD, makeDirectory } from './ldap-fixture.js';

const run = process.env.SANDBOX_LDAP_PERF === '1' ? it : it.skip;

run('pages 100k users to ldapts in well under 20 s', async () => {
  const t0 = Date.now();
  const server = await startLdapServer({ directory: makeDirectory({ users: 100_000 }) });
  const startMs = Date.now() - t0;
  const client = new Client({ url: server.url, timeout: 60_000 });
  try {
    await client.bind(BIND_DN, BIND_PASSWORD);
    const t1 = Date.now();
    const { searchEntries } = await client.search(BASE_DN, {
      filter: '(&(objectCategory=person)(objectClass=user))',
      attributes: ['objectGUID', 'sAMAccountName', 'userPrincipalName', 'mail', 'displayName', 'givenName', 'sn', 'department', 'userAccountControl', 'memberOf'],
      explicitBufferAttributes: ['objectGUID'],
      paged: { pageSize: 1000 },
      timeLimit: 0,
    });
    const searchMs = Date.now() - t1;
    process.stderr.write(`ldap perf: server start ${startMs} ms, 100k paged search ${searchMs} ms\n`);
    expect(searchEntries).toHaveLength(100_000);
    expect(searchMs).toBeLessThan(20_000);
  } finally {
    await client.unbind();
    await server.stop();
  }
}, 120_000);
