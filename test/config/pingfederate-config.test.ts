import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/config/load.js';

/**
 * idp.kind pingfederate (src/idps/pingfederate/config.ts): the README's example validates as written,
 * and each mistake is refused at its key with the fix, never echoing a secret.
 */
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = README.slice(README.indexOf('### PingFederate (`idp.kind: pingfederate`)'));
const readmeIdp = /```yaml\n(idp:\n[\s\S]*?)```/.exec(section)![1]!;

const withIdp = (idp: string) => `
version: 1
zia:
  cloud: zscalerthree
  orgId: "24326813"
  idpName: PingFederate
  auth: { kind: legacy, username: admin@example.com, passwordEnv: ZIA_PASSWORD, apiKeyEnv: ZIA_API_KEY }
${idp}
directory:
  url: ldaps://dc1.example.com
  bindDn: CN=svc-migrate,OU=Service,DC=example,DC=com
  passwordFile: /run/secrets/ldap
  baseDn: DC=example,DC=com
`;

const pf = (auth: string, extra = '') => `idp:
  kind: pingfederate
  adminUrl: https://pf.example.com:9999/pf-admin-api/v1
  auth: ${auth}
  connection: { name: Zscaler ZIA }${extra}`;

describe('idp.kind pingfederate', () => {
  it("the README's example is valid as written, with defaults filled", () => {
    const c = parseConfig(withIdp(readmeIdp), 'migrate.yaml');
    expect(c.idp).toEqual({
      kind: 'pingfederate',
      adminUrl: 'https://pf.example.com:9999/pf-admin-api/v1',
      auth: { kind: 'basic', username: 'migrate-admin', passwordEnv: 'PF_ADMIN_PASSWORD' },
      connection: { name: 'Zscaler ZIA' },
      initialCycleTimeoutMinutes: 240,
    });
  });

  it('accepts OAuth client credentials, explicit setting names and a channel', () => {
    const c = parseConfig(
      withIdp(
        pf(
          '{ kind: oauth, tokenUrl: "https://pf.example.com:9031/as/token.oauth2", clientId: migrate, clientSecretFile: /run/secrets/pf }',
          '\n  channel: AD users\n  targetSettings: { baseUrl: SCIM_URL, token: ACCESS_TOKEN }',
        ),
      ),
      'migrate.yaml',
    );
    expect(c.idp.kind === 'pingfederate' && c.idp.auth.kind).toBe('oauth');
    expect(c.idp.kind === 'pingfederate' && c.idp.targetSettings).toEqual({ baseUrl: 'SCIM_URL', token: 'ACCESS_TOKEN' });
  });

  it.each([
    [
      'an inline password',
      pf('{ kind: basic, username: a, password: Sup3rSecret! }'),
      /idp\.auth\.password: unknown key \(line \d+\); did you mean "passwordEnv"\?[\s\S]*secrets are never written inline/,
      'Sup3rSecret!',
    ],
    ['no password reference', pf('{ kind: basic, username: a }'), /idp\.auth\.passwordEnv: the password is required/, undefined],
    ['an unknown auth kind', pf('{ kind: saml, username: a, passwordEnv: X }'), /idp\.auth.*"basic".*"oauth"/, undefined],
    [
      'a plain-http admin API off loopback',
      pf('{ kind: basic, username: a, passwordEnv: X }').replace('https://pf.example.com', 'http://pf.example.com'),
      /idp\.adminUrl: the PingFederate admin API URL must use https:\/\//,
      undefined,
    ],
    [
      'a connection named by nothing',
      pf('{ kind: basic, username: a, passwordEnv: X }').replace('connection: { name: Zscaler ZIA }', 'connection: {}'),
      /idp\.connection: name the SP connection by id or by name/,
      undefined,
    ],
    ['a key of another IdP', `${pf('{ kind: basic, username: a, passwordEnv: X }')}\n  tenantId: contoso`, /idp.*tenantId/, undefined],
  ])('refuses %s at its key', (_what, idp, message, secret) => {
    let err: Error | undefined;
    try {
      parseConfig(withIdp(idp), 'migrate.yaml');
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(message);
    if (secret) expect(err?.message).not.toContain(secret);
  });
});
