import { parseConfig } from '../../src/config/load.js';
import { guardsConfigSchema } from '../../src/config/schema.js';
import { PLACEHOLDER_ANSWERS, renderConfigTemplate, secretVariables, type InitAnswers } from '../../src/config/template.js';

/** The file `migrate init` writes: valid, commented, and its comments in one column. */
const commentColumns = (text: string) =>
  text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l) && l.includes('#') && !l.includes('"(&'))
    .map((l) => l.indexOf('#'));

describe('the configuration template', () => {
  const long: InitAnswers = {
    ...PLACEHOLDER_ANSWERS,
    cloud: 'zscalerbeta',
    idpName: 'Entra ID (production tenant, EMEA and APAC)',
    auth: { kind: 'oneapi', vanityDomain: 'acme', clientId: 'a-rather-long-client-id-0123456789' },
    groupDn: 'CN=Zscaler Users,OU=Groups,DC=example,DC=com',
  };

  it.each([
    ['the example values', PLACEHOLDER_ANSWERS],
    ['long answers and OneAPI', long],
  ])('with %s: every trailing comment starts in the same column, and the file validates', (_name, answers) => {
    const text = renderConfigTemplate(answers, { clouds: ['zscaler', 'zscalerthree'] });
    const columns = commentColumns(text);
    expect(columns.length).toBeGreaterThan(10);
    expect(new Set(columns).size).toBe(1);
    expect(text).not.toContain('\u0000');
    const config = parseConfig(text, 't.yaml');
    expect(config.zia!.auth.kind).toBe(answers.auth.kind);
    // The variables listed for export are exactly the ones the file references.
    const referenced = [...text.matchAll(/^\s*\w+Env: (\w+)/gm)].map((m) => m[1]).sort();
    expect(
      secretVariables(answers.auth)
        .map((v) => v.name)
        .sort(),
    ).toEqual(referenced);
  });

  it('lists the cloud names it is given', () => {
    expect(renderConfigTemplate(PLACEHOLDER_ANSWERS, { clouds: ['zscaler', 'zscalerthree'] })).toMatch(/cloud: "zscalerthree" +# zscaler, zscalerthree\n/);
  });

  it('names every guard the configuration accepts, so an administrator sees each safety limit it can set', () => {
    const text = renderConfigTemplate(PLACEHOLDER_ANSWERS);
    const guards = parseConfig(text, 't.yaml').guards;
    for (const key of Object.keys(guardsConfigSchema.unwrap().shape)) expect(text).toMatch(new RegExp(`^  ${key}: `, 'm'));
    // What the file states is what the defaults are: writing it out changes nothing.
    expect(guards).toEqual(guardsConfigSchema.parse(undefined));
  });

  it('offers the Entra pilot as a commented line that validates once uncommented', () => {
    const text = renderConfigTemplate(PLACEHOLDER_ANSWERS);
    const pilot = /^  # (pilot: .*?)\s+#/m.exec(text);
    expect(pilot).not.toBeNull();
    const config = parseConfig(text.replace(pilot![0], `  ${pilot![1]} #`), 't.yaml');
    expect(config.idp).toMatchObject({ kind: 'entra', pilot: { sample: 5 } });
  });
});
