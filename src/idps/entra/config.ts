import { z } from 'zod';
import { secretRef, webUrl } from '../../config/fields.js';

const clientSecret = secretRef('clientSecret');

const servicePrincipalRef = z
  .object({
    id: z.string().min(1).optional(),
    appId: z.string().min(1).optional(),
    displayName: z.string().min(1).optional(),
  })
  .strict()
  .refine((v) => Boolean(v.id || v.appId || v.displayName), {
    message: 'name the Zscaler enterprise app by id (object id), appId or displayName',
  });

/** provisionOnDemand is paced at 5 requests per 10 s: a pilot is a handful of users, not a wave. */
const MAX_PILOT = 50;
const upn = z
  .string()
  .min(1)
  .refine((v) => /^[^@\s]+@[^@\s]+$/.test(v), { message: 'must be a userPrincipalName (user@domain)' });

/**
 * Pilot users (issue 17, section 2): provisioned on demand and verified as adopted before the job starts.
 * Named (`users`), or a reproducible sample of N users in the directory scope (`sample`, `seed`):
 * see src/idps/entra/pilot.ts for how the sample is chosen.
 */
const pilotSchema = z.union([
  z.object({ users: z.array(upn).min(1).max(MAX_PILOT, `at most ${MAX_PILOT} pilot users (provisionOnDemand allows 5 requests per 10 seconds)`) }).strict(),
  z
    .object({
      sample: z.number().int().min(1).max(MAX_PILOT, `at most ${MAX_PILOT} pilot users (provisionOnDemand allows 5 requests per 10 seconds)`),
      /** Changes which users the sample picks; the same seed and scope pick the same users. */
      seed: z.string().min(1).default('pilot'),
    })
    .strict(),
]);

/** `idp` with `kind: entra` (or no kind: configurations written before other IdPs existed). */
export const entraConfigSchema = z
  .object({
    kind: z.literal('entra'),
    tenantId: z.string().min(1),
    clientId: z.string().min(1),
    ...clientSecret.shape,
    servicePrincipal: servicePrincipalRef,
    /** Defaults to https://login.microsoftonline.com; the sandbox sets its own. */
    loginUrl: webUrl('the Entra login URL').default('https://login.microsoftonline.com'),
    /** Defaults to https://graph.microsoft.com/v1.0; the sandbox sets its own. */
    graphUrl: webUrl('the Graph URL').default('https://graph.microsoft.com/v1.0'),
    /** How long to wait for the initial provisioning cycle before stopping (the run can be resumed). */
    initialCycleTimeoutMinutes: z.number().positive().default(240),
    /** Users provisioned on demand and verified before Start; absent: no pilot. */
    pilot: pilotSchema.optional(),
  })
  .strict()
  .superRefine((v, ctx) => clientSecret.check(v, ctx));
