import { parseConfig } from '../../src/config/load.js';
import YAML from 'yaml';

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
    expect(c.idp.kind).toBe('entra'); // an idp section without kind is Entra's
    expect(c.idp.kind === 'entra' && c.idp.graphUrl).toBe('https://graph.microsoft.com/v1.0');
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

describe('idp.kind: each IdP its own section, composed by the registry', () => {
  const withIdp = (idp: string) => minimal.replace(/\nidp:\n(?: {2}.*\n)+/, `\nidp:\n${idp}`);
  const message = (text: string): string => {
    try {
      parseConfig(text, 'c.yaml');
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('the configuration was accepted');
  };

  it('kind: manual needs no IdP credential and fills its defaults', () => {
    const c = parseConfig(withIdp('  kind: manual\n  name: Google Workspace\n'), 'c.yaml');
    expect(c.idp).toEqual({ kind: 'manual', name: 'Google Workspace', appName: 'the Zscaler app', initialCycleTimeoutMinutes: 240 });
  });

  it('an unknown kind is refused with the kinds there are, at idp.kind and its line', () => {
    expect(message(withIdp('  kind: onelogin\n'))).toMatch(/c\.yaml: idp\.kind: must be one of entra, .*manual.*, got "onelogin" \(line \d+\)/);
  });

  it("a key of another kind's section is refused with the keys of the kind given", () => {
    const m = message(withIdp('  kind: manual\n  tenantId: contoso.onmicrosoft.com\n'));
    expect(m).toMatch(/idp\.tenantId: unknown key \(line \d+\); known here: kind, name, appName, initialCycleTimeoutMinutes/);
  });

  it('idp.pilot (Entra): named userPrincipalNames or a sample with a default seed; anything else is refused by its path', () => {
    const entra = '  tenantId: t\n  clientId: c\n  clientSecretEnv: S\n  servicePrincipal: { displayName: Zscaler Three }\n';
    const named = parseConfig(withIdp(`${entra}  pilot: { users: [jane.doe@example.com] }\n`), 'c.yaml');
    expect(named.idp.kind === 'entra' && named.idp.pilot).toEqual({ users: ['jane.doe@example.com'] });
    const sample = parseConfig(withIdp(`${entra}  pilot: { sample: 3 }\n`), 'c.yaml');
    expect(sample.idp.kind === 'entra' && sample.idp.pilot).toEqual({ sample: 3, seed: 'pilot' });
    expect(message(withIdp(`${entra}  pilot: { users: [jane.doe] }\n`))).toMatch(/idp\.pilot\.users\.0: must be a userPrincipalName \(user@domain\)/);
    expect(message(withIdp(`${entra}  pilot: { sample: 51 }\n`))).toMatch(
      /idp\.pilot\.sample: at most 50 pilot users \(provisionOnDemand allows 5 requests per 10 seconds\)/,
    );
    expect(message(withIdp(`${entra}  pilot: { users: [a@example.com], sample: 2 }\n`))).toMatch(/idp\.pilot/);
  });

  it('kind: entra still needs its Graph credentials', () => {
    expect(message(withIdp('  kind: entra\n  tenantId: contoso.onmicrosoft.com\n'))).toMatch(/idp\.clientId: required/);
  });
});

describe('URL and DN fields are refused unless they can only mean what they should', () => {
  const withField = (from: string, to: string) => {
    expect(minimal).toContain(from);
    return minimal.replace(from, to);
  };
  const message = (text: string): string => {
    try {
      parseConfig(text, 'c.yaml');
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('the configuration was accepted');
  };

  it.each([
    ['zia.baseUrl', 'ftp://zsapi.zscalerthree.net/api/v1'],
    ['zia.baseUrl', 'javascript:alert(1)'],
    ['zia.baseUrl', 'http://zsapi.zscalerthree.net/api/v1'],
    ['zia.baseUrl', 'https://admin:hunter22@zsapi.zscalerthree.net/api/v1'],
    ['idp.loginUrl', 'http://login.microsoftonline.com'],
    ['idp.graphUrl', 'file:///etc/passwd'],
    ['scim.baseUrl', 'ftp://zscalerthree.net/scim/1/2'],
    ['operator.portalUrl', 'javascript:void(0)'],
    ['zia.auth.tokenUrl', 'http://acme.zslogin.net/oauth2/v1/token'],
  ])('%s = %s is refused, naming the field and what is accepted', (field, url) => {
    let text = minimal;
    if (field === 'zia.baseUrl') text = withField('  cloud: zscalerthree\n', `  baseUrl: ${JSON.stringify(url)}\n`);
    if (field === 'idp.loginUrl') text = `${minimal.replace('  servicePrincipal:', `  loginUrl: ${JSON.stringify(url)}\n  servicePrincipal:`)}`;
    if (field === 'idp.graphUrl') text = `${minimal.replace('  servicePrincipal:', `  graphUrl: ${JSON.stringify(url)}\n  servicePrincipal:`)}`;
    if (field === 'scim.baseUrl') text = `${minimal}scim: { baseUrl: ${JSON.stringify(url)} }\n`;
    if (field === 'operator.portalUrl') text = `${minimal}operator: { kind: sandbox, portalUrl: ${JSON.stringify(url)} }\n`;
    if (field === 'zia.auth.tokenUrl') {
      text = withField(
        'auth: { kind: legacy, username: admin@example.com, passwordEnv: ZIA_PASSWORD, apiKeyEnv: ZIA_API_KEY }',
        `auth: { kind: oneapi, clientId: abc, clientSecretEnv: S, tokenUrl: ${JSON.stringify(url)} }`,
      );
    }
    const m = message(text);
    expect(m).toContain(`c.yaml: ${field}: `);
    expect(m).toMatch(/https:\/\/|user name or password/);
    expect(m).not.toContain('hunter22');
  });

  it('accepts https anywhere and http only for a loopback host (the sandbox)', () => {
    for (const host of ['127.0.0.1:8080', '127.45.0.2', 'localhost:3000', '[::1]:9000']) {
      const c = parseConfig(withField('  cloud: zscalerthree\n', `  baseUrl: http://${host}/api/v1\n`), 'c.yaml');
      expect(c.zia!.baseUrl).toBe(`http://${host}/api/v1`);
    }
    expect(parseConfig(withField('  cloud: zscalerthree\n', '  baseUrl: https://zsapi.zscalerthree.net/api/v1\n'), 'c.yaml').zia!.baseUrl).toContain(
      'https://',
    );
    expect(message(withField('  cloud: zscalerthree\n', '  baseUrl: http://127.0.0.1.example.com/api/v1\n'))).toContain('c.yaml: zia.baseUrl: ');
  });

  it.each(['https://dc1.example.com', 'ftp://dc1.example.com', 'ldaps://dc1.example.com/DC=example,DC=com', 'ldap:///'])(
    'directory.url %s is refused',
    (url) => {
      const m = message(withField('url: ldaps://dc1.example.com', `url: ${JSON.stringify(url)}`));
      expect(m).toMatch(/c\.yaml: directory\.url: must (be an ldap:\/\/ or ldaps:\/\/ URL|be only ldaps:\/\/host|name the domain controller)/);
    },
  );

  it.each([
    ['baseDn: DC=example,DC=com', 'baseDn: example.com', 'directory.baseDn', 'expected "=" after example'],
    ['baseDn: DC=example,DC=com', 'baseDn: "OU=Staff DC=example,DC=com"', 'directory.baseDn', 'an unescaped "=" inside the value of OU'],
    ['baseDn: DC=example,DC=com', 'baseDn: "OU=Staff,,DC=com"', 'directory.baseDn', 'expected an attribute type'],
    ['baseDn: DC=example,DC=com', 'baseDn: "OU=Staff,DC=example,"', 'directory.baseDn', 'the text ends there'],
    ['baseDn: DC=example,DC=com', 'baseDn: "OU=Staff;DC=example"', 'directory.baseDn', '";" is not a separator'],
    ['baseDn: DC=example,DC=com', 'baseDn: "CN=a\\\\qb,DC=x"', 'directory.baseDn', 'after "\\"'],
    ['baseDn: DC=example,DC=com', 'baseDn: DC=example,DC=com\n  groupDn: Zscaler Users', 'directory.groupDn', 'expected "=" after Zscaler'],
    ['bindDn: CN=svc-migrate,OU=Service,DC=example,DC=com', 'bindDn: svc-migrate', 'directory.bindDn', 'give a DN'],
    ['bindDn: CN=svc-migrate,OU=Service,DC=example,DC=com', 'bindDn: "CN=svc,OU=Service,DC=example,,DC=com"', 'directory.bindDn', 'expected an attribute type'],
  ])('%s → %s is refused at %s', (from, to, field, what) => {
    const m = message(withField(from, to));
    expect(m).toContain(`c.yaml: ${field}: `);
    expect(m).toContain(what);
    expect(m).toContain(field === 'directory.bindDn' ? 'CN=svc-migrate,OU=Service Accounts,DC=example,DC=com' : 'OU=Staff,DC=example,DC=com');
  });

  it('accepts the DNs Active Directory writes, and the other bind names it accepts', () => {
    const dns = [
      'OU=Staff,DC=example,DC=com',
      'OU=Staff, DC=example, DC=com',
      'CN=Doe\\, Jane,OU=Users,DC=example,DC=com',
      'CN=R\\C3\\A9my,OU=Users,DC=example,DC=com',
      'CN=a\\=b+UID=7,DC=x',
      'CN=\\#hash,DC=x',
      '1.3.6.1.4.1.1466.0=#04024869,DC=example',
      'CN=Zscaler Users,OU=Groups,DC=example,DC=com',
    ];
    for (const dn of dns) {
      const c = parseConfig(withField('baseDn: DC=example,DC=com', `baseDn: ${JSON.stringify(dn)}\n  groupDn: ${JSON.stringify(dn)}`), 'c.yaml');
      expect(c.directory.baseDn).toBe(dn);
    }
    for (const bind of ['svc-migrate@example.com', 'EXAMPLE\\svc-migrate', 'CN=svc\\, migrate,DC=example,DC=com']) {
      expect(parseConfig(withField('bindDn: CN=svc-migrate,OU=Service,DC=example,DC=com', `bindDn: ${JSON.stringify(bind)}`), 'c.yaml').directory.bindDn).toBe(
        bind,
      );
    }
  });
});

describe('a huge value in the configuration is not echoed in full', () => {
  it('an unknown 200 KB key and a 200 KB URL are cut in the message', () => {
    // Each case names its cause in the first line of the message.
    const huge = 'k'.repeat(200_000);
    const cases = [
      minimal.replace('  idpName: Entra ID\n', `  idpName: Entra ID\n  ? ${huge}\n  : 1\n`), // an explicit key: YAML caps implicit ones at 1024
      minimal.replace('  cloud: zscalerthree\n', `  baseUrl: ftp://${huge}.example.com/\n`),
    ];
    for (const text of cases) {
      let message = '';
      try {
        parseConfig(text, 'c.yaml');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^c\.yaml/);
      expect(message.length).toBeLessThan(2_000);
      expect(message).toMatch(/… \(\d+ more characters\)/);
    }
  });
});

describe('configuration errors say what was meant, what is missing, and on which line', () => {
  const message = (text: string, source = 'm.yaml'): string => {
    try {
      parseConfig(text, source);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('accepted');
  };
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  it('a mistyped key: the closest known key at that path, and the line of the key', () => {
    const text = minimal.replace('  orgId: "24326813"', '  orgid: "24326813"');
    const m = message(text);
    expect(m).toContain(`m.yaml: zia.orgid: unknown key (line ${lineOf(text, 'orgid')}); did you mean "orgId"? (it is required)`);
    expect(m).not.toContain('zia.orgId: required'); // said once, on the typo's line
    const guards = `${minimal}guards: { maxDeletion: 3 }\n`;
    expect(message(guards)).toContain(`m.yaml: guards.maxDeletion: unknown key (line ${lineOf(guards, 'maxDeletion')}); did you mean "maxDeletions"?`);
    const top = minimal.replace('directory:', 'directroy:');
    expect(message(top)).toContain(`m.yaml: directroy: unknown key (line ${lineOf(top, 'directroy')}); did you mean "directory"? (it is required)`);
  });

  it('a key that is nothing like a known one lists the keys known there', () => {
    const text = minimal.replace('  servicePrincipal:', '  colour: blue\n  servicePrincipal:');
    expect(message(text)).toMatch(
      new RegExp(`m\\.yaml: idp\\.colour: unknown key \\(line ${lineOf(text, 'colour')}\\); known here: kind, tenantId, clientId, .*servicePrincipal`),
    );
  });

  it('a missing key is "required", with the block it is missing from and that block\'s line', () => {
    const text = minimal.replace('  idpName: Entra ID\n', '');
    expect(message(text)).toContain(`m.yaml: zia.idpName: required (a string), missing from "zia" (line ${lineOf(text, 'zia:')})`);
    // In a block that lets other keys through (the auth block), a misspelling is named from the required key.
    const auth = minimal.replace('username: admin@example.com', 'usernme: admin@example.com');
    expect(message(auth)).toContain(
      `m.yaml: zia.auth.username: required (a string), missing from "zia.auth" (line ${lineOf(auth, 'auth:')}); "usernme" (line ${lineOf(auth, 'usernme')}) looks like a misspelling of it`,
    );
  });

  it('other errors carry the line of their key; JSON files too', () => {
    const text = minimal.replace('url: ldaps://dc1.example.com', 'url: https://dc1.example.com');
    expect(message(text, 'c.yaml')).toMatch(
      new RegExp(`c\\.yaml: directory\\.url: must be an ldap:// or ldaps:// URL.*\\(line ${lineOf(text, 'url: https')}\\)`),
    );
    const json = JSON.stringify({ ...YAML.parse(minimal), operater: { kind: 'person' } }, null, 2);
    expect(message(json, 'm.json')).toContain(`m.json: operater: unknown key (line ${lineOf(json, '"operater"')}); did you mean "operator"?`);
  });
});
