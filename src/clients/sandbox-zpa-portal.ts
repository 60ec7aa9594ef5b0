import { z } from 'zod';
import { createHttpClient, type AuditSink } from './http.js';

/**
 * The sandbox's stand-in for the ZPA admin console: the IdP settings with no public API
 * (docs/vendor-facts.md Y4): SCIM Sync on/off, Generate New Token (shown once), SCIM Attributes
 * for Policy on/off. Only the ZPA simulation serves these endpoints; a real tenant never sees this client.
 */
const idpSchema = z.object({
  id: z.string(),
  name: z.string(),
  scimEnabled: z.boolean(),
  scimSharedSecretExists: z.boolean(),
  enableScimBasedPolicy: z.boolean(),
  scimServiceProviderEndpoint: z.string().url(),
});
const tokenSchema = z.object({ bearerToken: z.string().min(16), scimServiceProviderEndpoint: z.string().url() });
const emptySchema = z.object({}).passthrough();

export type SandboxZpaPortalIdp = z.infer<typeof idpSchema>;

export interface SandboxZpaPortalClient {
  idps(): Promise<SandboxZpaPortalIdp[]>;
  idpByName(name: string): Promise<SandboxZpaPortalIdp>;
  setScimSync(idpId: string, enabled: boolean): Promise<void>;
  /** The new token, which the console shows once; the previous one stops working. */
  generateToken(idpId: string): Promise<{ bearerToken: string; scimServiceProviderEndpoint: string }>;
  setScimPolicy(idpId: string, enabled: boolean): Promise<void>;
}

export function createSandboxZpaPortalClient(opts: { portalUrl: string; readOnly?: boolean; audit?: AuditSink }): SandboxZpaPortalClient {
  const http = createHttpClient({ system: 'zpa', baseURL: opts.portalUrl, readOnly: opts.readOnly ?? false, audit: opts.audit, retries: 2 });
  const idps = () => http.get('/idps', z.array(idpSchema));
  return {
    idps,
    async idpByName(name) {
      const all = await idps();
      const found = all.find((i) => i.name === name);
      if (!found) throw new Error(`the ZPA sandbox has no IdP named "${name}" (it has: ${all.map((i) => i.name).join(', ')})`);
      return found;
    },
    async setScimSync(idpId, enabled) {
      await http.post(`/idps/${idpId}/scimSync`, { enabled }, emptySchema, { idempotent: true }); // setting a state twice is harmless
    },
    async generateToken(idpId) {
      const r = await http.post(`/idps/${idpId}/generateToken`, {}, tokenSchema);
      http.addSecret(r.bearerToken);
      return r;
    },
    async setScimPolicy(idpId, enabled) {
      await http.post(`/idps/${idpId}/scimPolicy`, { enabled }, emptySchema, { idempotent: true });
    },
  };
}
