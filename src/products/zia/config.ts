import { z } from 'zod';
import { oneApiAuth, secretRef, webUrl } from '../../config/fields.js';
import { UserError } from '../../engine/errors.js';

/** The `zia` section: the ZIA tenant and the IdP whose SCIM provisioning the migration enables. */

const password = secretRef('password');
const apiKey = secretRef('apiKey');

const ziaLegacyAuth = z
  .object({
    kind: z.literal('legacy'),
    username: z.string().min(1),
    ...password.shape,
    ...apiKey.shape,
  })
  .passthrough()
  .superRefine((v, ctx) => {
    password.check(v, ctx);
    apiKey.check(v, ctx);
  });

/** A ZIdentity OneAPI client with ZIA access. */
const ziaOneApiAuth = z.object(oneApiAuth.shape).passthrough().superRefine(oneApiAuth.check);

export const ziaConfigSchema = z
  .object({
    /** Cloud name (zscaler, zscalerone, zscalertwo, zscalerthree, zscloud, zscalerbeta, zscalergov, zscalerten, zspreview). */
    cloud: z.string().min(1).optional(),
    /** Overrides the base URL derived from the cloud, API path included (legacy: https://zsapi.<cloud>.net/api/v1; OneAPI: https://api.zsapi.net/zia/api/v1). */
    baseUrl: webUrl('the ZIA API base URL').optional(),
    auth: z.discriminatedUnion('kind', [ziaLegacyAuth, ziaOneApiAuth]),
    /** Name of the ZIA identity provider whose SCIM provisioning the migration enables. */
    idpName: z.string().min(1),
    /** Organization (company) ID, Administration > Company Profile. Identifies the tenant in the state file. */
    orgId: z.string().min(1),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (!v.cloud && !v.baseUrl) {
      ctx.addIssue({ code: 'custom', path: ['cloud'], message: 'give the ZIA cloud name (for example zscalerthree) or baseUrl' });
    }
  });

export type ZiaConfig = z.output<typeof ziaConfigSchema>;

/**
 * The `zia` section of a configuration whose product is ZIA. ZIA's steps, clients and commands
 * (`migrate verify`) read it through here; given another product's configuration they stop with
 * a sentence, before any system is contacted.
 */
export function ziaOf(config: { product: string; zia?: ZiaConfig | undefined }): ZiaConfig {
  if (!config.zia) {
    throw new UserError(
      `this works on ZIA (product: zia), but the configuration's product is ${config.product}, which has no zia section: nothing was read or changed`,
      {
        hint: `This version of migrate has no ${config.product.toUpperCase()} flow or verification yet; use a configuration with product: zia.`,
      },
    );
  }
  return config.zia;
}
