import { z } from 'zod';
import { oneApiAuth, secretRef, webUrl } from '../../config/fields.js';

/**
 * The `zpa` section: the ZPA tenant, the IdP whose SCIM Sync the migration enables, the admin
 * API's credentials (read-only use: ZPA has no API to change an IdP, docs/vendor-facts.md Y4) and
 * the soak before "SCIM Attributes for Policy".
 */

const clientSecret = secretRef('clientSecret');

/**
 * A ZPA id: digits, as a string. Real ids have 18 digits, beyond what a JSON or YAML number holds
 * exactly (docs/vendor-facts.md Y5), so a number is refused rather than used with lost digits.
 */
function zpaId(what: string) {
  return z
    .string({
      error: (iss) =>
        typeof iss.input === 'number'
          ? `${what} must be written in quotes ("216196257331281920"): as a number, an 18-digit id loses its last digits`
          : undefined,
    })
    .regex(/^\d{1,20}$/, `${what} is digits only (Administration > Company in the ZPA console, or the API's answers)`);
}

const zpaLegacyAuth = z
  .object({
    /** API key client: Public API > API Keys in the ZPA console; `POST /signin` (Y1). */
    kind: z.literal('legacy'),
    clientId: z.string().min(1),
    ...clientSecret.shape,
  })
  .strict()
  .superRefine((v, ctx) => clientSecret.check(v, ctx));

/** A ZIdentity API client with ZPA access (Y3). */
const zpaOneApiAuth = z.object(oneApiAuth.shape).strict().superRefine(oneApiAuth.check);

/** The vendor's minimum wait between SCIM Sync and SCIM Attributes for Policy: 48 hours (Y14). */
export const ZPA_MIN_SOAK_HOURS = 48;

const soakSchema = z
  .object({
    /** Hours between SCIM Sync beginning and SCIM Attributes for Policy. Vendor: at least 48, up to a week. */
    hours: z.number().positive().default(ZPA_MIN_SOAK_HOURS),
    /** Needed for hours below 48: why this tenant may enable SCIM policies sooner (recorded with the run). */
    override: z
      .object({ reason: z.string().trim().min(10, 'say why in a sentence (at least 10 characters)') })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.hours < ZPA_MIN_SOAK_HOURS && !v.override) {
      ctx.addIssue({
        code: 'custom',
        path: ['hours'],
        message: `${v.hours} is below the vendor's minimum of ${ZPA_MIN_SOAK_HOURS} hours between SCIM Sync and SCIM Attributes for Policy: give soak.override.reason to go lower, or raise soak.hours`,
      });
    }
  });

export const zpaConfigSchema = z
  .object({
    /** Cloud name: PRODUCTION, ZPATWO, BETA, GOV, GOVUS, PREVIEW (Y2). */
    cloud: z.string().min(1).optional(),
    /** Overrides the API root derived from the cloud (legacy: https://config.private.zscaler.com; OneAPI: https://api.zsapi.net/zpa). */
    baseUrl: webUrl('the ZPA API base URL').optional(),
    /** Customer id: Administration > Company in the ZPA console. Identifies the tenant in the state file. */
    customerId: zpaId('zpa.customerId'),
    /** The IdP to enable SCIM Sync on, by id (preferred: part of the state file's tenant identity) … */
    idpId: zpaId('zpa.idpId').optional(),
    /** … or by name, as IDP Configuration shows it. */
    idpName: z.string().min(1).optional(),
    /** When the API client works inside a microtenant. */
    microtenantId: zpaId('zpa.microtenantId').optional(),
    auth: z.discriminatedUnion('kind', [zpaLegacyAuth, zpaOneApiAuth]),
    soak: soakSchema.default({ hours: ZPA_MIN_SOAK_HOURS }),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (!v.cloud && !v.baseUrl) ctx.addIssue({ code: 'custom', path: ['cloud'], message: 'give the ZPA cloud name (for example PRODUCTION) or baseUrl' });
    if (!v.idpId && !v.idpName) ctx.addIssue({ code: 'custom', path: ['idpId'], message: 'give the IdP to enable SCIM Sync on: idpId (or idpName)' });
  });
