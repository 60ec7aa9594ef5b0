import { z } from 'zod';

/**
 * `idp` with `kind: manual`: any IdP, configured by hand. migrate holds no credential of the IdP;
 * every IdP-side step is an operator step, verified only through the ZIA SCIM service.
 */
export const manualConfigSchema = z
  .object({
    kind: z.literal('manual'),
    /** The IdP's name as the instructions show it, e.g. "Google Workspace" or "Entra ID (no API permissions)". */
    name: z.string().min(1).max(100).default('your IdP'),
    /** The Zscaler application in the IdP that pushes SCIM, as the instructions name it. */
    appName: z.string().min(1).max(200).default('the Zscaler app'),
    /** How long to watch the SCIM service for the initial cycle before stopping (the run can be resumed). */
    initialCycleTimeoutMinutes: z.number().positive().default(240),
  })
  .strict();
