import { z } from 'zod';
import { secretRef, webUrl } from '../../config/fields.js';

const apiToken = secretRef('apiToken');
const privateKey = secretRef('privateKey');

/** An SSWS API token (an admin's privileges) or an API Services app with private_key_jwt (docs/vendor-facts.md K1). */
const oktaAuth = z.discriminatedUnion('kind', [
  z
    .object({ kind: z.literal('ssws'), ...apiToken.shape })
    .strict()
    .superRefine((v, ctx) => apiToken.check(v, ctx)),
  z
    .object({
      kind: z.literal('oauth'),
      /** The API Services app's client id (0oa…). */
      clientId: z.string().min(1),
      /** The private key (PEM or private JWK) whose public key is registered on the app. */
      ...privateKey.shape,
      /** The registered key's id (kid); a JWK's own kid is used when absent. */
      keyId: z.string().min(1).optional(),
      /** Default: okta.apps.manage okta.groups.manage. */
      scopes: z
        .array(z.string().regex(/^okta\.[a-zA-Z]+\.[a-z]+$/, 'an Okta scope such as okta.apps.manage'))
        .min(1)
        .optional(),
    })
    .strict()
    .superRefine((v, ctx) => privateKey.check(v, ctx)),
]);

/**
 * The Zscaler app in Okta. `zscaler2` (default): the Zscaler 2.0 OIN app (`zscalerbyz`), whose provisioning
 * connection, features and group push the API sets (K3, K4, K6). `other`: any other app (a custom SAML/SCIM
 * app): its provisioning is configured by the operator in the Admin Console (K12) and read back through the API.
 */
const oktaApp = z
  .object({
    type: z.enum(['zscaler2', 'other']).default('zscaler2'),
    /** The app instance id (0oa…, in the app page's URL); or its label. */
    id: z.string().min(1).optional(),
    label: z.string().min(1).optional(),
  })
  .strict()
  .refine((v) => v.type === 'zscaler2' || Boolean(v.id || v.label), {
    message: 'an app of type "other" is named by its id (Admin Console > Applications > the app: the 0oa… in the URL) or its label',
    path: ['id'],
  });

/** `idp` with `kind: okta`. */
export const oktaConfigSchema = z
  .object({
    kind: z.literal('okta'),
    /** https://<org>.okta.com (or the org's custom domain), no path. */
    orgUrl: webUrl('the Okta org URL').refine((v) => {
      try {
        const u = new URL(v);
        return (u.pathname === '/' || u.pathname === '') && !u.search;
      } catch {
        return true; // webUrl reports it
      }
    }, 'the Okta org URL must have no path, e.g. https://acme.okta.com (not the -admin host, not /api/v1)'),
    auth: oktaAuth,
    app: oktaApp.default({ type: 'zscaler2' }),
    /** Okta groups (by name) pushed to Zscaler with group push mappings; their members must be assigned to the app. */
    pushGroups: z.array(z.string().min(1).max(255)).default([]),
    /** Which form of the SCIM Base URL the Zscaler 2.0 app's connection gets (K3): auto tries the full URL, then /<orgId>/<idpId>/. */
    baseUrlForm: z.enum(['auto', 'full', 'path']).default('auto'),
    /** Requests in flight at once (Okta's concurrent limit is per org and shared, K5). */
    maxConcurrent: z.number().int().min(1).max(20).default(4),
    /** How long to wait for the initial push before stopping (the run can be resumed). */
    initialCycleTimeoutMinutes: z.number().positive().default(240),
  })
  .strict();
