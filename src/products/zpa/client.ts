import type { z } from 'zod';
import { UserError } from '../../engine/errors.js';
import { oneApiTokenUrl } from '../../clients/zia.js';
import { createZpaClient, zpaBaseUrlForCloud, type ZpaClient, type ZpaIdp } from '../../clients/zpa.js';
import { resolveSecret } from '../../config/secrets.js';
import type { MigrationContext } from '../../flows/context.js';
import type { zpaConfigSchema } from './config.js';

export type ZpaConfig = z.output<typeof zpaConfigSchema>;

/** The `zpa` section (the configuration requires it when product is zpa). */
export function zpaOf(config: { product: string; zpa?: ZpaConfig | undefined }): ZpaConfig {
  if (!config.zpa)
    throw new UserError(`this step works on ZPA (product: zpa), but the configuration's product is ${config.product}: nothing was read or changed`);
  return config.zpa;
}

/**
 * The ZPA admin API client of this run, one per run so the flow and parity share its rate limiter.
 * It reads only: ZPA's API changes no IdP (docs/vendor-facts.md Y4).
 */
export function zpaClientOf(ctx: MigrationContext): ZpaClient {
  const z = zpaOf(ctx.config);
  return ctx.client('zpa', (d) => {
    const a = z.auth;
    const clientSecret = resolveSecret(a, 'clientSecret', 'zpa.auth', d.env);
    return createZpaClient({
      baseUrl: z.baseUrl ?? zpaBaseUrlForCloud(z.cloud!, a.kind),
      customerId: z.customerId,
      auth:
        a.kind === 'legacy'
          ? { kind: 'legacy', clientId: a.clientId, clientSecret }
          : { kind: 'oneapi', tokenUrl: a.tokenUrl ?? oneApiTokenUrl(a.vanityDomain!, z.cloud), clientId: a.clientId, clientSecret },
      ...(z.microtenantId ? { microtenantId: z.microtenantId } : {}),
      readOnly: d.readOnly,
      audit: d.audit,
      rateLimits: d.rateLimits,
    });
  });
}

/** The configured IdP's id: zpa.idpId, else the one IdP whose name is exactly zpa.idpName. */
export async function zpaIdpId(ctx: MigrationContext): Promise<string> {
  const z = zpaOf(ctx.config);
  if (z.idpId) return z.idpId;
  const byName = await zpaClientOf(ctx).findIdpByName(z.idpName ?? '');
  if (!byName) {
    throw new UserError(`ZPA has no IdP named "${z.idpName ?? ''}"`, {
      hint: 'Check zpa.idpName against Administration > Identity > Private Access > IDP Configuration (the name is compared exactly), or give zpa.idpId.',
    });
  }
  return byName.id;
}

/** How the configuration names the IdP, for sentences. */
export function zpaIdpLabel(ctx: MigrationContext): string {
  const z = zpaOf(ctx.config);
  return z.idpName ? `"${z.idpName}"` : `id ${z.idpId ?? ''}`;
}

/**
 * The configured IdP as ZPA shows it now, with ZPA's time of the answer (`at`, its HTTP Date; the
 * local clock when ZPA sent none). By id when configured, else by its exact name; none is a UserError.
 */
export async function readZpaIdp(ctx: MigrationContext): Promise<{ idp: ZpaIdp; at: number }> {
  const z = zpaOf(ctx.config);
  const client = zpaClientOf(ctx);
  const id = await zpaIdpId(ctx);
  const { idp, at } = await client.getIdpAt(id);
  if (!idp) {
    throw new UserError(`ZPA has no IdP with id ${id} (customer ${z.customerId})`, {
      hint: 'Check zpa.idpId and zpa.customerId (Administration > Company), and that the API client may read IdPs.',
    });
  }
  return { idp, at: at ?? Date.now() };
}

/** The IdP's SCIM Service Provider Endpoint as ZPA shows it (docs/vendor-facts.md Y8). */
export async function zpaScimEndpoint(ctx: MigrationContext): Promise<string> {
  const { idp } = await readZpaIdp(ctx);
  if (!idp.scimServiceProviderEndpoint) {
    throw new UserError(`the ZPA IdP ${idp.id} shows no SCIM Service Provider Endpoint: SCIM Sync is not enabled on it`, {
      hint: 'enable SCIM Sync on the IdP (IDP Configuration > Edit), or give scim.baseUrl',
    });
  }
  return idp.scimServiceProviderEndpoint;
}
