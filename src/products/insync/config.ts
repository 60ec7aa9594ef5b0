import { z } from 'zod';
import { secretRef, webUrl } from '../../config/fields.js';
import type { Target } from '../../engine/checkpoint.js';

/**
 * The configuration of an inSync run (`product: insync`): no `zia`, `directory` or `idp` section.
 * The secret key is a reference (`secretKeyEnv` or `secretKeyFile`), resolved in memory only.
 * Hosts: docs/vendor-facts.md D9.
 */
export const INSYNC_CLOUDS = {
  global: { apiUrl: 'https://apis.druva.com/insync', tokenUrl: 'https://apis.druva.com/token' },
  govcloud: { apiUrl: 'https://govcloudapis.druva.com/insync', tokenUrl: 'https://govcloudapis.druva.com/token' },
} as const;

const secretKey = secretRef('secretKey');

export const insyncSectionSchema = z
  .object({
    /** Druva cloud (global, govcloud); or apiUrl + tokenUrl. */
    cloud: z.enum(['global', 'govcloud']).optional(),
    apiUrl: webUrl('the inSync API URL').optional(),
    tokenUrl: webUrl('the Druva token URL').optional(),
    /** Druva Cloud Settings → API Credentials (D1). */
    clientId: z.string().min(1),
    ...secretKey.shape,
    /**
     * The "Keep existing … mappings" choice the administrator makes in the switch's Confirm dialog
     * (D17): false deletes the current method's mappings and settings, true keeps them. Required:
     * the run states its impact before anything changes.
     */
    keepExistingMappings: z.boolean(),
    /** How long after the switch every device of an active user must have backed up again (default 24 h; the profile schedule decides). */
    backupWindowHours: z
      .number()
      .positive()
      .max(24 * 14)
      .default(24),
    /** Seconds between two looks while the run waits for backups (default 15 minutes; a rehearsal moves the sandbox clock instead). */
    pollSeconds: z.number().int().min(1).max(3600).default(900),
    /** The mapping the operator creates after the switch (name; profile and storage ids default to the tenant's most used). */
    mapping: z
      .object({ name: z.string().min(1).max(100).default('All users'), profileID: z.number().int().optional(), storageID: z.number().int().optional() })
      .strict()
      .default({ name: 'All users' }),
  })
  .strict()
  .superRefine((v, ctx) => {
    secretKey.check(v, ctx);
    if (!v.cloud && !(v.apiUrl && v.tokenUrl)) {
      ctx.addIssue({ code: 'custom', path: ['cloud'], message: 'give the Druva cloud (global or govcloud), or both apiUrl and tokenUrl' });
    }
    if (v.cloud && (v.apiUrl || v.tokenUrl)) {
      ctx.addIssue({ code: 'custom', path: ['apiUrl'], message: 'give either cloud or apiUrl + tokenUrl, not both' });
    }
  });
export type InsyncSection = z.infer<typeof insyncSectionSchema>;

export const insyncOperatorSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('person') }).strict(),
    /** The sandbox's scripted operator: the console buttons (portalUrl) and the simulation's clock (controlUrl). */
    z.object({ kind: z.literal('sandbox'), portalUrl: webUrl('the sandbox portal URL'), controlUrl: webUrl('the sandbox control URL') }).strict(),
  ])
  .default({ kind: 'person' });

/** The configuration's keys beside version, product and the insync section (the registry composes them: src/config/schema.ts). */
export const insyncConfigKeys = {
  operator: insyncOperatorSchema,
  /** Opt-in JSON-lines audit log of every API call (no bodies, no secrets). */
  auditLog: z.string().min(1).optional(),
};

export const insyncConfigSchema = z
  .object({
    version: z.literal(1),
    product: z.literal('insync'),
    insync: insyncSectionSchema,
    ...insyncConfigKeys,
  })
  .strict();
export type InsyncConfig = z.infer<typeof insyncConfigSchema>;

/** The tenant a state file belongs to: `insync:<API host>:<client id>` (unchanged since the first inSync state files). */
export function insyncTargetOf(s: InsyncSection): Target {
  const host = new URL(insyncEndpoints(s).apiUrl).host;
  return { system: 'insync', id: `insync:${host}:${s.clientId}`, label: `Druva inSync on ${host} (API credential ${s.clientId})` };
}

export function insyncEndpoints(c: InsyncSection): { apiUrl: string; tokenUrl: string } {
  if (c.cloud) return INSYNC_CLOUDS[c.cloud];
  return { apiUrl: c.apiUrl!, tokenUrl: c.tokenUrl! };
}
