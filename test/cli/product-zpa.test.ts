import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli.js';

/**
 * A configuration with product: zpa runs the ZPA flow (src/products/zpa/). The hosts below do not
 * resolve: every command stops with a sentence (exit 1) before it writes anything, and leaves no state file.
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

describe('product: zpa against unreachable systems', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'migrate-zpa-'));
    file = join(dir, 'migrate.yaml');
    await writeFile(file, config);
  });

  it.each([
    [['ad-to-scim', '--dry-run'], /the plan is blocked by: ZPA: the IdP exists[^\n]*Nothing was written/],
    [['ad-to-scim', '--yes'], /preflight failed[^\n]*nothing was changed/],
    [['rollback', '--yes'], /nothing to roll back: this state file records no ad-to-scim run/],
  ])('migrate %j: exit 1 with a sentence, no state file', async (args, message) => {
    const state = join(dir, 'state', 'state.json');
    const r = await runCli([...args, '--config', file, '--state', state], { env: { ZPA_CLIENT_SECRET: 'x', LDAP_PASSWORD: 'y' } });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(1);
    expect(existsSync(state)).toBe(false);
  });
});
