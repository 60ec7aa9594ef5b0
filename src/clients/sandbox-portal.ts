import { z } from 'zod';
import { createHttpClient, type AuditSink } from './http.js';
import type { IdpAction } from '../idps/actions.js';

/**
 * The sandbox's stand-in for the ZIA admin console: the buttons that have no public API
 * (Sync Now, Edit IdP → SCIM / SAML auto-provisioning / Generate Token). Only the sandbox
 * serves these endpoints; a real tenant never sees this client.
 */
const idpSchema = z.object({
  id: z.number(),
  name: z.string(),
  scimEnabled: z.boolean(),
  samlAutoProvisioning: z.boolean(),
  /** Shown by Edit IdP while SCIM is enabled. */
  baseUrl: z.string().url().optional(),
});
const syncSchema = z.object({ lastSyncStartTime: z.number(), lastSyncEndTime: z.number() });
const enableSchema = z.object({ baseUrl: z.string().url(), bearerToken: z.string().min(16) });
const tokenSchema = z.object({ bearerToken: z.string().min(16) });
const emptySchema = z.object({}).passthrough();

export interface SandboxPortalClient {
  idpByName(name: string): Promise<z.infer<typeof idpSchema>>;
  syncNow(): Promise<z.infer<typeof syncSchema>>;
  enableScim(idpId: number): Promise<z.infer<typeof enableSchema>>;
  disableScim(idpId: number): Promise<void>;
  generateToken(idpId: number): Promise<string>;
  setSamlAutoProvisioning(idpId: number, enabled: boolean): Promise<void>;
  /**
   * An IdP console action (src/idps/actions.ts), played by the sandbox's simulation of the configured
   * IdP: the sandbox stands in for the IdP's admin console as it does for ZIA's.
   */
  idpConsole(action: IdpAction): Promise<void>;
}

export function createSandboxPortalClient(opts: { portalUrl: string; readOnly?: boolean; audit?: AuditSink }): SandboxPortalClient {
  const http = createHttpClient({ system: 'zia', baseURL: opts.portalUrl, readOnly: opts.readOnly ?? false, audit: opts.audit, retries: 2 });
  return {
    async idpByName(name) {
      const idps = await http.get('/idps', z.array(idpSchema));
      const found = idps.find((i) => i.name === name);
      if (!found) throw new Error(`the sandbox has no IdP named "${name}" (it has: ${idps.map((i) => i.name).join(', ')})`);
      return found;
    },
    syncNow: () => http.post('/syncNow', {}, syncSchema, { idempotent: true }), // a second press starts the same sync
    async enableScim(idpId) {
      const result = await http.post(`/idps/${idpId}/scim`, { enabled: true }, enableSchema);
      http.addSecret(result.bearerToken);
      return result;
    },
    async disableScim(idpId) {
      await http.post(`/idps/${idpId}/scim`, { enabled: false }, emptySchema);
    },
    async generateToken(idpId) {
      const { bearerToken } = await http.post(`/idps/${idpId}/generateToken`, {}, tokenSchema);
      http.addSecret(bearerToken);
      return bearerToken;
    },
    async setSamlAutoProvisioning(idpId, enabled) {
      await http.post(`/idps/${idpId}/samlAutoProvisioning`, { enabled }, emptySchema);
    },
    async idpConsole(action) {
      if (action.action === 'idp.setCredentials') http.addSecret(action.token);
      await http.post('/idp-console', action, emptySchema);
    },
  };
}
