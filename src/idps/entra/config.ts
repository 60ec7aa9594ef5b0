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
  })
  .strict()
  .superRefine((v, ctx) => clientSecret.check(v, ctx));
