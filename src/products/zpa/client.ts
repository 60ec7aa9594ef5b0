import type { z } from 'zod';
import { UserError } from '../../engine/errors.js';
import type { ZpaClient, ZpaIdp } from '../../clients/zpa.js';
import { zpaAdminClient } from '../../flows/parity-check.js';
import type { MigrationContext } from '../../flows/context.js';
import type { zpaConfigSchema } from './config.js';

export type ZpaConfig = z.output<typeof zpaConfigSchema>;

/** The `zpa` section (the configuration requires it when product is zpa). */
export function zpaOf(config: { product: string; zpa?: ZpaConfig | undefined }): ZpaConfig {
  if (!config.zpa)
    throw new UserError(`this step works on ZPA (product: zpa), but the configuration's product is ${config.product}: nothing was read or changed`);
  return config.zpa;
}

/** The ZPA admin API client of this run, shared with parity (one rate limiter per run). */
export function zpaClientOf(ctx: MigrationContext): ZpaClient {
  return zpaAdminClient(ctx);
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
  let id = z.idpId;
  if (!id) {
    const byName = await client.findIdpByName(z.idpName ?? '');
    if (!byName) {
      throw new UserError(`ZPA has no IdP named "${z.idpName ?? ''}"`, {
        hint: 'Check zpa.idpName against Administration > Identity > Private Access > IDP Configuration (the name is compared exactly), or give zpa.idpId.',
      });
    }
    id = byName.id;
  }
  const { idp, at } = await client.getIdpAt(id);
  if (!idp) {
    throw new UserError(`ZPA has no IdP with id ${id} (customer ${z.customerId})`, {
      hint: 'Check zpa.idpId and zpa.customerId (Administration > Company), and that the API client may read IdPs.',
    });
  }
  return { idp, at: at ?? Date.now() };
}
