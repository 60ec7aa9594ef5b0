import { parseAnyConfig, parseConfig } from '../../src/config/load.js';
import { UserError } from '../../src/engine/errors.js';
import { targetOf } from '../../src/flows/context.js';
import { flowFor } from '../../src/flows/for-config.js';
import { ziaOf } from '../../src/products/zia/config.js';
import { recordedScimEndpoint } from '../../src/idps/provisioner.js';
import type { StepRun } from '../../src/engine/step.js';
import type { MigrationContext } from '../../src/flows/context.js';
import type { Config } from '../../src/config/schema.js';

const rest = `
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

const ziaSection = `
zia:
  cloud: zscalerthree
  orgId: "24326813"
  idpName: Entra ID
  auth: { kind: legacy, username: admin@example.com, passwordEnv: ZIA_PASSWORD, apiKeyEnv: ZIA_API_KEY }
`;

const zpaSection = (extra = '') => `
zpa:
  cloud: PRODUCTION
  customerId: "216196257331281920"
  idpId: "216196257331281921"
  idpName: Entra ID (ZPA)
  auth: { kind: legacy, clientId: abc, clientSecretEnv: ZPA_CLIENT_SECRET }
${extra}`;

const parse = (text: string) => parseConfig(text, 'm.yaml');

describe('product: the target product as a plug-in (src/products/)', () => {
  it('reads a configuration without product (written before ZPA) as ZIA, with the same tenant identity as before', () => {
    const c = parse(`version: 1\n${ziaSection}${rest}`);
    expect(c.product).toBe('zia');
    // State files written by earlier versions hold this exact target: it must not change.
    expect(targetOf(c)).toEqual({ system: 'zia', id: 'zia:zscalerthree:24326813', label: 'ZIA org 24326813 on zscalerthree (IdP "Entra ID")' });
  });

  it('takes product: zpa with a zpa section; the tenant identity holds the cloud, the customer id and the IdP', () => {
    const c = parse(`version: 1\nproduct: zpa\n${zpaSection()}${rest}`);
    expect(c.product).toBe('zpa');
    expect(c.zpa?.soak.hours).toBe(48);
    expect(targetOf(c)).toEqual({
      system: 'zpa',
      id: 'zpa:PRODUCTION:216196257331281920:216196257331281921',
      label: 'ZPA customer 216196257331281920 on PRODUCTION (IdP "Entra ID (ZPA)")',
    });
    // Another IdP of the same tenant is another migration (SCIM Sync is per IdP).
    const other = parse(`version: 1\nproduct: zpa\n${zpaSection().replace('"216196257331281921"', '"216196257331281922"')}${rest}`);
    expect(targetOf(other).id).not.toBe(targetOf(c).id);
  });

  it("requires the product's own section and refuses another product's, naming the fix", () => {
    expect(() => parse(`version: 1\nproduct: zpa\n${ziaSection}${rest}`)).toThrow(/m\.yaml: zpa: product is zpa: give the zpa section/);
    expect(() => parse(`version: 1\nproduct: zpa\n${ziaSection}${rest}`)).toThrow(/zia: the zia section is for product: zia, but product is zpa/);
    expect(() => parse(`version: 1\n${ziaSection}${zpaSection()}${rest}`)).toThrow(/zpa: the zpa section is for product: zpa, but product is zia/);
    expect(() => parse(`version: 1\n${rest}`)).toThrow(/zia: the zia section is required \(or set product: zpa with a zpa section\)/);
    expect(() => parse(`version: 1\nproduct: zdx\n${ziaSection}${rest}`)).toThrow(/product must be one of zia, zpa, insync, got "zdx"/);
  });

  it('reads product: insync with its own keys, and refuses a zia section (or a missing insync section) with a sentence naming the fix', () => {
    const insync = 'insync:\n  cloud: global\n  clientId: abc\n  secretKeyEnv: K\n  keepExistingMappings: true\n';
    expect(parseAnyConfig(`version: 1\nproduct: insync\n${insync}`, 'm.yaml')).toMatchObject({ product: 'insync', insync: { clientId: 'abc' } });
    expect(() => parseAnyConfig(`version: 1\nproduct: insync\n${insync}${ziaSection}`, 'm.yaml')).toThrow(
      /m\.yaml: zia: the zia section is for product: zia, but product is insync: remove the section, or set product: zia/,
    );
    expect(() => parseAnyConfig(`version: 1\nproduct: insync\n${ziaSection}`, 'm.yaml')).toThrow(/m\.yaml: insync: product is insync: give the insync section/);
    expect(() => parseAnyConfig(`version: 1\n${ziaSection}${insync}${rest}`, 'm.yaml')).toThrow(
      /insync: the insync section is for product: insync, but product is zia: remove the section, or set product: insync/,
    );
    // A ZIA command (migrate verify, init) given an inSync configuration says which commands take it.
    expect(() => parse(`version: 1\nproduct: insync\n${insync}`)).toThrow(/configures product insync \(Druva inSync\), which this command does not handle/);
  });

  it('refuses an 18-digit id written as a number (its last digits are already lost) and asks for quotes', () => {
    const text = `version: 1\nproduct: zpa\n${zpaSection().replace('customerId: "216196257331281920"', 'customerId: 216196257331281920')}${rest}`;
    expect(() => parse(text)).toThrow(/zpa\.customerId: zpa\.customerId must be written in quotes/);
  });

  it('refuses a soak under the vendor minimum of 48 hours unless an override gives a reason', () => {
    expect(() => parse(`version: 1\nproduct: zpa\n${zpaSection('  soak: { hours: 24 }')}${rest}`)).toThrow(
      /zpa\.soak\.hours: 24 is below the vendor's minimum of 48 hours .*give soak\.override\.reason/,
    );
    const c = parse(`version: 1\nproduct: zpa\n${zpaSection('  soak: { hours: 24, override: { reason: "lab tenant, no policies use SCIM yet" } }')}${rest}`);
    expect(c.zpa?.soak).toEqual({ hours: 24, override: { reason: 'lab tenant, no policies use SCIM yet' } });
    expect(parse(`version: 1\nproduct: zpa\n${zpaSection('  soak: { hours: 168 }')}${rest}`).zpa?.soak.hours).toBe(168);
  });

  it("gives ZIA's flows for a ZIA configuration, by product", async () => {
    const c = parse(`version: 1\n${ziaSection}${rest}`);
    expect((await flowFor('ad-to-scim', c)).id).toBe('ad-to-scim');
    expect((await flowFor('rollback', c)).id).toBe('rollback');
  });

  it("gives ZPA's own flows for a ZPA configuration (src/products/zpa/), with the IdP's steps", async () => {
    const c = parse(`version: 1\nproduct: zpa\n${zpaSection()}${rest}`);
    const forward = await flowFor('ad-to-scim', c);
    expect(forward.title).toMatch(/^ZPA: /);
    expect(forward.steps.map((s) => s.id)).toEqual(expect.arrayContaining(['zpa-enable-scim-sync', 'zpa-soak-gate', 'zpa-scim-policy']));
    expect((await flowFor('rollback', c)).steps.map((s) => s.id)[0]).toBe('zpa-scim-policy-off');
  });

  it("stops ZIA's commands (migrate verify) on a ZPA configuration with a sentence, not a crash", () => {
    const c = parse(`version: 1\nproduct: zpa\n${zpaSection()}${rest}`);
    expect(() => ziaOf(c)).toThrow(UserError);
    expect(() => ziaOf(c)).toThrow(
      /works on ZIA \(product: zia\), but the configuration's product is zpa, which has no zia section: nothing was read or changed/,
    );
  });

  it("gives the IdP plug-ins the SCIM endpoint recorded by the configured product's own step", () => {
    const outputs: Record<string, { baseUrl: string }> = {
      'enable-scim-on-idp': { baseUrl: 'https://scim.zscalerthree.net/24326813/7/scim' },
      'zpa-enable-scim-sync': { baseUrl: 'https://scim1.private.zscaler.com/scim/1/216196257331281921/v2' },
    };
    const runOf = (config: Config) => ({ ctx: { config }, outputsOf: (id: string) => outputs[id] }) as unknown as StepRun<MigrationContext>;
    expect(recordedScimEndpoint(runOf(parse(`version: 1\n${ziaSection}${rest}`)))).toBe(outputs['enable-scim-on-idp']!.baseUrl);
    expect(recordedScimEndpoint(runOf(parse(`version: 1\nproduct: zpa\n${zpaSection()}${rest}`)))).toBe(outputs['zpa-enable-scim-sync']!.baseUrl);
  });
});
