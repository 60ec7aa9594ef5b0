import { resolveOptionalSecret } from '../../config/secrets.js';
import type { Config } from '../../config/schema.js';
import { UserError } from '../../engine/errors.js';
import { registerSecret } from '../../engine/redact.js';
import { createScimClient } from '../../clients/scim.js';
import type { MigrationContext, ScimCredentials } from '../../flows/context.js';
import { recordedScimBaseUrl, runZiaParity } from '../../flows/parity-check.js';
import { checkBaseUrl, obtainZiaScimCredentials } from '../../flows/steps/scim.js';
import { hostOf, type ScimProductSide, type VerifySurroundings } from '../product.js';
import { ziaOf } from './config.js';

/**
 * The SCIM side needs the Base URL and the bearer token. The Base URL comes from the configuration,
 * else from the state file (recorded when SCIM was enabled on the IdP); the token from
 * scim.tokenEnv/scim.tokenFile. A person at a terminal is asked for what is still missing.
 * Without a terminal verify does not wait for anyone (it is read-only, never exit 3): it stops
 * with exit 1 and says exactly what to supply.
 */
async function verifyCredentials(ctx: MigrationContext, cli: VerifySurroundings): Promise<ScimCredentials> {
  if (ctx.scimCredentials) return ctx.scimCredentials;
  const config = ctx.config;
  let recorded: string | undefined;
  try {
    recorded = recordedScimBaseUrl(await cli.store.load(), ctx);
  } catch (err) {
    cli.out.warn(`the state file could not be read for the recorded SCIM Base URL: ${(err as Error).message}`);
  }
  let baseUrl = config.scim.baseUrl ?? recorded;
  if (!config.scim.baseUrl && recorded) cli.out.info(`SCIM Base URL ${recorded}, as recorded in ${cli.store.describe()} when SCIM was enabled on the IdP`);
  let token = resolveOptionalSecret(config.scim, 'token', 'scim');
  if (baseUrl && token) return { baseUrl, token };

  const missing = [baseUrl ? undefined : 'the SCIM Base URL', token ? undefined : 'the SCIM Bearer Token'].filter(Boolean).join(' and ');
  const supply = [
    token
      ? undefined
      : 'scim.tokenEnv: <VARIABLE> (an environment variable holding the SCIM Bearer Token) or scim.tokenFile: <file> (readable only by you), ' +
        "in the configuration: the token the IdP's provisioning uses. Prefer it to a new one: whether Generate Token in ZIA's Edit IdP " +
        'invalidates the token the IdP holds is not documented, so after generating one, paste it into the IdP too (Entra: Secret Token)',
    baseUrl
      ? config.scim.baseUrl
        ? undefined
        : `scim.baseUrl: ${baseUrl} (as recorded in ${cli.store.describe()}; already used when scim.baseUrl is absent)`
      : 'scim.baseUrl: the Base URL shown in ZIA > Administration > Authentication Settings > Identity Providers > Edit IdP',
    'or run migrate verify --directory-only to compare the directory with ZIA only (no SCIM token needed)',
  ].filter((x): x is string => x !== undefined);
  if (!cli.prompter.canPrompt) {
    throw new UserError(`verify compares SCIM too and needs ${missing}, but cannot ask for it: ${cli.yes ? '--yes was given' : 'stdin is not a terminal'}`, {
      hint: `Supply, then run verify again:\n    - ${supply.join('\n    - ')}`,
    });
  }
  const unattended = supply.join('; ');
  baseUrl ??= await cli.prompter.text('SCIM Base URL', unattended, (v) => checkBaseUrl(v, ziaOf(config).orgId));
  token ??= await cli.prompter.secret('SCIM Bearer Token', unattended);
  registerSecret(token);
  return { baseUrl, token };
}

/** ZIA at run time (ScimProductSide): its SCIM service, the Bearer Token of Edit IdP, parity of AD, ZIA and SCIM. */
export const ziaSide: ScimProductSide = {
  // Called through, not referenced: these modules import the registry too (an import cycle resolves at call time).
  obtainCredentials: (ctx, why, regenerate, knownBaseUrl) => obtainZiaScimCredentials(ctx, why, regenerate, knownBaseUrl),
  scimClient: (creds, d) =>
    createScimClient({ baseUrl: creds.baseUrl, token: creds.token, readOnly: d.readOnly, audit: d.audit, rateLimits: d.rateLimits, pageSize: d.pageSize }),
  tokenDescription: (config: Config) => `the SCIM Bearer Token of ZIA IdP "${ziaOf(config).idpName}", the one copied from Edit IdP`,
  reportTenant(config) {
    const z = ziaOf(config);
    return { product: 'ZIA', cloud: z.cloud ?? hostOf(z.baseUrl), orgId: z.orgId, idpName: z.idpName };
  },
  parity: (ctx, opts) => runZiaParity(ctx, opts),
  verifyCredentials: (ctx, cli) => verifyCredentials(ctx, cli),
};
