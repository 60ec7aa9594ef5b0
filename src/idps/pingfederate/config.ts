import { z } from 'zod';
import { secretRef, webUrl } from '../../config/fields.js';

const password = secretRef('password');
const clientSecret = secretRef('clientSecret');

/** Native (HTTP Basic) access, the default of a new PingFederate installation (docs/vendor-facts.md P2). */
const basicAuth = z
  .object({ kind: z.literal('basic'), username: z.string().min(1), ...password.shape })
  .strict()
  .superRefine((v, ctx) => password.check(v, ctx));

/** An OAuth 2.0 client-credentials token from the authorization server the admin API trusts (P2). */
const oauthAuth = z
  .object({
    kind: z.literal('oauth'),
    tokenUrl: webUrl('the OAuth token URL'),
    clientId: z.string().min(1),
    ...clientSecret.shape,
    scope: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((v, ctx) => clientSecret.check(v, ctx));

/**
 * `idp` with `kind: pingfederate`: the SP connection whose outbound provisioning channel pushes
 * users to ZIA's SCIM service, driven through the PingFederate admin API.
 */
export const pingfederateConfigSchema = z
  .object({
    kind: z.literal('pingfederate'),
    /** The admin API base, e.g. https://pf.example.com:9999/pf-admin-api/v1 (docs/vendor-facts.md P1). */
    adminUrl: webUrl('the PingFederate admin API URL'),
    auth: z.discriminatedUnion('kind', [basicAuth, oauthAuth], {
      error: () => 'idp.auth.kind must be "basic" (an administrative account) or "oauth" (a client-credentials client)',
    }),
    /** The SP connection made from the Zscaler provisioner template: by id, or by its exact name. */
    connection: z
      .object({ id: z.string().min(1).optional(), name: z.string().min(1).optional() })
      .strict()
      .refine((v) => Boolean(v.id || v.name), { message: 'name the SP connection by id or by name' }),
    /** The channel to activate when the connection has more than one. */
    channel: z.string().min(1).optional(),
    /**
     * The names of the target settings that hold the SCIM Base URL and the Bearer Token, when they
     * cannot be read from the connection (docs/vendor-facts.md P6: they are not published).
     */
    targetSettings: z
      .object({ baseUrl: z.string().min(1).optional(), token: z.string().min(1).optional() })
      .strict()
      .optional(),
    /** How long to watch the SCIM service for the initial cycle before stopping (the run can be resumed). */
    initialCycleTimeoutMinutes: z.number().positive().default(240),
  })
  .strict();
