import { parseConfig } from '../../src/config/load.js';

const minimal = `
version: 1
zia:
  cloud: zscalerthree
  orgId: "24326813"
  idpName: Entra ID
  auth: { kind: legacy, username: admin@example.com, passwordEnv: ZIA_PASSWORD, apiKeyEnv: ZIA_API_KEY }
idp:
  tenantId: contoso.onmicrosoft.com
  clientId: 00000000-0000-0000-0000-000000000001
  clientSecretEnv: GRAPH_CLIENT_SECRET
  servicePrincipal: { displayName: Zscaler Three }
directory:
  url: ldaps://dc1.example.com
  bindDn: CN=svc-migrate,OU=Service,DC=example,DC=com
  passwordFile: /run/secrets/ldap
  baseDn: DC=example,DC=com
`;

describe('configuration', () => {
  it('accepts a minimal file and fills defaults', () => {
    const c = parseConfig(minimal, 'migrate.yaml');
    expect(c.directory.mapping.userName).toBe('userPrincipalName');
    expect(c.guards.maxDeletions).toBe(0);
    expect(c.operator.kind).toBe('person');
    expect(c.idp.graphUrl).toBe('https://graph.microsoft.com/v1.0');
  });

  it('refuses an inline secret and names the field and the fix', () => {
    const text = minimal.replace('passwordEnv: ZIA_PASSWORD', 'password: hunter2');
    expect(() => parseConfig(text, 'migrate.yaml')).toThrow(/migrate\.yaml: zia\.auth\.password: inline secrets are not accepted/);
    try {
      parseConfig(text, 'migrate.yaml');
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('hunter2');
    }
  });

  it('fills an attribute mapping given in part, and refuses an empty attribute name by its path', () => {
    const partial = parseConfig(`${minimal}  mapping: { userName: sAMAccountName }\n`, 'migrate.yaml');
    expect(partial.directory.mapping).toEqual({ userName: 'sAMAccountName', email: 'mail', displayName: 'displayName', department: 'department' });
    expect(() => parseConfig(`${minimal}  mapping: { email: "" }\n`, 'm.yaml')).toThrow(/m\.yaml: directory\.mapping\.email: /);
  });

  it('reports syntax errors with the file name', () => {
    expect(() => parseConfig('version: [1', 'bad.yaml')).toThrow(/bad\.yaml is not valid YAML/);
  });

  it('reports a wrong type with its path', () => {
    const text = minimal.replace('url: ldaps://dc1.example.com', 'url: https://dc1.example.com');
    expect(() => parseConfig(text, 'c.yaml')).toThrow(/c\.yaml: directory\.url: must be an ldap:\/\/ or ldaps:\/\/ URL/);
  });
});
