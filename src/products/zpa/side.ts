import { resolveOptionalSecret } from '../../config/secrets.js';
import { registerSecret } from '../../engine/redact.js';
import { createZpaScimClient } from '../../clients/zpa-scim.js';
import type { MigrationContext, ScimCredentials } from '../../flows/context.js';
import { recordedScimBaseUrl } from '../../flows/parity-check.js';
import { hostOf, type ScimProductSide, type VerifySurroundings } from '../product.js';
import { zpaOf, zpaScimEndpoint } from './client.js';
import { runZpaParity } from './parity.js';
import { obtainZpaScimCredentials, zpaScimReader } from './scim.js';

/**
 * ZPA: the token from scim.tokenEnv/scim.tokenFile, with the endpoint from scim.baseUrl, else the one the
 * forward run recorded, else the one the IdP shows. No token: undefined, and parity reads the names ZPA's
 * admin API shows instead (the report says only names were compared). Never prompts: verify waits for no one.
 */
async function verifyCredentials(ctx: MigrationContext, cli: VerifySurroundings): Promise<ScimCredentials | undefined> {
  const token = resolveOptionalSecret(ctx.config.scim, 'token', 'scim');
  if (!token) {
    cli.out.info(
      "no SCIM token configured (scim.tokenEnv or scim.tokenFile): comparing the userNames and group names ZPA's admin API shows, not full SCIM records",
    );
    return undefined;
  }
  registerSecret(token);
  let recorded: string | undefined;
  try {
    recorded = recordedScimBaseUrl(await cli.store.load(), ctx);
  } catch (err) {
    cli.out.warn(`the state file could not be read for the recorded SCIM Service Provider Endpoint: ${(err as Error).message}`);
  }
  const baseUrl = ctx.config.scim.baseUrl ?? recorded ?? (await zpaScimEndpoint(ctx));
  return { baseUrl, token };
}

/** ZPA at run time (ScimProductSide): its SCIM Service Provider Endpoint, the token of Generate New Token, parity against ZPA. */
export const zpaSide: ScimProductSide = {
  obtainCredentials: (ctx, why, regenerate) => obtainZpaScimCredentials(ctx, why, regenerate),
  scimClient: (creds, d) =>
    zpaScimReader(
      createZpaScimClient({ baseUrl: creds.baseUrl, token: creds.token, readOnly: d.readOnly, audit: d.audit, rateLimits: d.rateLimits, pageSize: d.pageSize }),
      creds.baseUrl,
    ),
  tokenDescription(config) {
    const z = zpaOf(config);
    const name = z.idpName ? `"${z.idpName}"` : `id ${z.idpId ?? ''}`;
    return `the SCIM token of ZPA IdP ${name}, the one Generate New Token showed in IdP Configuration`;
  },
  reportTenant(config) {
    const z = zpaOf(config);
    return { product: 'ZPA', cloud: z.cloud ?? hostOf(z.baseUrl), orgId: z.customerId, idpName: z.idpName ?? z.idpId ?? '' };
  },
  parity: (ctx, opts) => runZpaParity(ctx, opts),
  verifyCredentials: (ctx, cli) => verifyCredentials(ctx, cli),
};
