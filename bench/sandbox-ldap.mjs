// How fast the sandbox's LDAP server pages a large directory to the real ldapts client.
// Prints figures; asserts nothing (speed is measured here, not in timed tests).
//   npm run build && node bench/sandbox-ldap.mjs [users=100000]
import { Client } from 'ldapts';
import { startLdapServer } from '../dist/sandbox/ldap/server.js';
import { generateDirectory } from '../dist/sandbox/world/seed.js';

const users = Number(process.argv[2] ?? 100_000);
const t0 = performance.now();
const directory = generateDirectory({ users, seed: 1 });
const t1 = performance.now();
const server = await startLdapServer({ directory });
const t2 = performance.now();
const client = new Client({ url: server.url, timeout: 120_000 });
try {
  await client.bind(directory.bindDn, directory.bindPassword);
  const t3 = performance.now();
  const { searchEntries } = await client.search(directory.baseDn, {
    filter: '(&(objectCategory=person)(objectClass=user))',
    attributes: ['objectGUID', 'sAMAccountName', 'userPrincipalName', 'mail', 'displayName', 'department', 'userAccountControl', 'memberOf'],
    explicitBufferAttributes: ['objectGUID'],
    paged: { pageSize: 1000 },
    timeLimit: 0,
  });
  const t4 = performance.now();
  const s = (ms) => (ms / 1000).toFixed(2);
  console.log(
    `users ${users}: generate ${s(t1 - t0)} s, server start ${s(t2 - t1)} s, paged read ${s(t4 - t3)} s ` +
      `(${Math.round(searchEntries.length / ((t4 - t3) / 1000))} entries/s), entries ${searchEntries.length}, ` +
      `peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
  );
} finally {
  await client.unbind();
  await server.stop();
}
