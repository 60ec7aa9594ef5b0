import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCloud, checkOrgId } from '../../src/cli/actions/init.js';
import { parseConfig } from '../../src/config/load.js';
import { runCli } from './cli.js';
import { hasScript, runInTerminal } from './terminal.js';

/** `migrate init`: checks each answer as it is given, asks how to sign in, and says what to export. */
describe('migrate init', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'migrate-init-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('knows the cloud names of the ZIA client, suggests the closest, and wants a numeric Company ID', () => {
    expect(checkCloud('zscalerthree')).toBe(true);
    expect(checkCloud(' ZscalerTwo ')).toBe(true);
    expect(checkCloud('zscalerthre')).toMatch(/^"zscalerthre" is not a ZIA cloud name; did you mean zscalerthree\? \(one of zscaler, zscalerone, .*zspreview/);
    expect(checkCloud('https://admin.zscalerthree.net')).toMatch(/is not a ZIA cloud name/);
    expect(checkOrgId('24326813')).toBe(true);
    expect(checkOrgId('acme-corp')).toMatch(/Company ID is a number/);
    expect(checkOrgId('')).toMatch(/Company ID is a number/);
  });

  it('without a terminal: the example template, a warning on stderr, and the exact variables to export on stdout', async () => {
    const file = join(dir, 'yes.yaml');
    const r = await runCli(['init', '--yes', '-o', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: no prompts');
    for (const v of ['ZIA_PASSWORD', 'ZIA_API_KEY', 'GRAPH_CLIENT_SECRET', 'LDAP_PASSWORD']) expect(r.stdout).toContain(`read -rs ${v} `);
    expect(r.stdout).toContain(`migrate ad-to-scim --dry-run --config ${file}`);
    // Every variable the file references is in the list, and nothing else.
    const referenced = [...(await readFile(file, 'utf8')).matchAll(/^\s*\w+Env: (\w+)/gm)].map((m) => m[1]).sort();
    const listed = [...r.stdout.matchAll(/read -rs (\w+) +&&/g)].map((m) => m[1]).sort();
    expect(listed).toEqual(referenced);
  });

  (hasScript ? it : it.skip)('on a terminal: refuses a bad cloud and Company ID, asks legacy or OneAPI, lists the OneAPI variables', async () => {
    const file = join(dir, 'asked.yaml');
    const run = runInTerminal(['init', '-o', file]);
    const answer = async (question: RegExp | string, value: string) => {
      await run.waitFor(question);
      run.type(`${value}\r`);
    };
    await answer('ZIA cloud name', 'zscalerthre');
    await run.waitFor('did you mean zscalerthree?');
    run.type('e\r'); // the field keeps what was typed: now "zscalerthree"
    await answer('ZIA Company ID', 'acme');
    await run.waitFor('the Company ID is a number');
    for (let i = 0; i < 4; i++) run.type('\x7f'); // backspace
    run.type('55512345\r');
    await answer('will receive SCIM', 'Entra ID');
    await run.waitFor('How migrate signs in to the ZIA API');
    run.type('\x1b[B\r'); // arrow down: OneAPI
    await answer('ZIdentity vanity domain', 'acme');
    await answer('ZIdentity API client ID', 'zia-client-1');
    await answer('Entra tenant ID', 'contoso.onmicrosoft.com');
    await answer('Graph app registration client ID', '11111111-2222-3333-4444-555555555555');
    await answer('enterprise app display name', 'Zscaler Three');
    await answer('Domain controller URL', 'ldaps://dc1.contoso.com');
    await answer('LDAP bind account', 'svc-migrate@contoso.com');
    await answer('Base DN', 'OU=Staff,DC=contoso,DC=com');
    expect(await run.exit).toBe(0);
    const screen = run.screen();
    expect(screen).toContain('read -rs ZIA_CLIENT_SECRET');
    expect(screen).not.toContain('read -rs ZIA_PASSWORD');
    const config = parseConfig(await readFile(file, 'utf8'), file);
    expect(config.zia).toMatchObject({ cloud: 'zscalerthree', orgId: '55512345', auth: { kind: 'oneapi', vanityDomain: 'acme', clientId: 'zia-client-1' } });
    expect(config.directory.bindDn).toBe('svc-migrate@contoso.com');
  });
});
