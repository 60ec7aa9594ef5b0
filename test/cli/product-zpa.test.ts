import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli.js';

/**
 * A configuration with product: zpa is valid, but this version has no ZPA flow: every command
 * that would read or change a tenant stops with a sentence (exit 1), contacts nothing and writes
 * no state file. The hosts below do not resolve: a command that tried to reach them would fail otherwise.
 */
const config = `version: 1
product: zpa
zpa:
  baseUrl: https://zpa.invalid
  customerId: "216196257331281920"
  idpId: "216196257331281921"
  auth: { kind: legacy, clientId: abc, clientSecretEnv: ZPA_CLIENT_SECRET }
idp:
  kind: manual
directory:
  url: ldaps://dc.invalid
  bindDn: CN=svc,DC=example,DC=com
  passwordEnv: LDAP_PASSWORD
  baseDn: DC=example,DC=com
`;

describe('product: zpa in this version', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'migrate-zpa-'));
    file = join(dir, 'migrate.yaml');
    await writeFile(file, config);
  });

  it.each([
    [['ad-to-scim', '--dry-run'], /no ZPA flow yet \(issue 15\): nothing was read or changed/],
    [['ad-to-scim', '--yes'], /no ZPA flow yet \(issue 15\): nothing was read or changed/],
    [['rollback', '--yes'], /no ZPA flow yet \(issue 15\): nothing was read or changed/],
  ])('migrate %j: exit 1 with a sentence, no state file', async (args, message) => {
    const state = join(dir, 'state', 'state.json');
    const r = await runCli([...args, '--config', file, '--state', state], { env: { ZPA_CLIENT_SECRET: 'x', LDAP_PASSWORD: 'y' } });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(1);
    expect(await readdir(dir)).toEqual(['migrate.yaml']);
  });
});
