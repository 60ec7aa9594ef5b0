import { z } from 'zod';
import { createHttpClient, type AuditSink } from './http.js';

/**
 * The sandbox's stand-in for the Druva inSync console: the deployment actions that have no
 * public API (docs/vendor-facts.md D16) — Change User Deployment method with or without "Keep
 * existing … mappings", the Microsoft 365 consent, Create Azure AD / SCIM mapping, New Token — and
 * the user list's provisioning-mode column. Only the sandbox serves these endpoints; a real
 * tenant never sees this client. The scripted operator of the `provisioning-switch` flow clicks
 * through it.
 */
const method = z.enum(['SCIM', 'Azure AD']);
const mappingSchema = z.object({ id: z.string(), kind: method, name: z.string(), profileID: z.number(), storageID: z.number() });
const deploymentSchema = z.object({ method, mappings: z.array(mappingSchema), scimTokenActive: z.boolean(), azureAdConsent: z.boolean() });
const switchSchema = z.object({
  from: method,
  to: method,
  keepExistingMappings: z.boolean(),
  usersMovedToManual: z.number(),
  mappingsDeleted: z.number(),
  settingsDeleted: z.array(z.string()),
});
const modesSchema = z.array(z.object({ userID: z.number(), emailID: z.string(), mode: z.enum(['SCIM', 'Azure AD', 'Manual']) }));

export type InsyncDeployment = z.infer<typeof deploymentSchema>;
export type InsyncSwitchResult = z.infer<typeof switchSchema>;

export interface SandboxInsyncPortalClient {
  deployment(): Promise<InsyncDeployment>;
  changeDeploymentMethod(to: 'SCIM' | 'Azure AD', keepExistingMappings: boolean): Promise<InsyncSwitchResult>;
  grantAzureAdConsent(): Promise<void>;
  createMapping(kind: 'SCIM' | 'Azure AD', m: { name: string; profileID: number; storageID: number }): Promise<z.infer<typeof mappingSchema>>;
  generateScimToken(): Promise<string>;
  userModes(): Promise<z.infer<typeof modesSchema>>;
}

export function createSandboxInsyncPortalClient(opts: { portalUrl: string; readOnly?: boolean; audit?: AuditSink }): SandboxInsyncPortalClient {
  const http = createHttpClient({ system: 'insync', baseURL: opts.portalUrl, readOnly: opts.readOnly ?? false, audit: opts.audit, retries: 2 });
  return {
    deployment: () => http.get('/deployment', deploymentSchema),
    // Not idempotent: a second Confirm after a lost answer would be refused as "already <method>".
    changeDeploymentMethod: (to, keepExistingMappings) => http.post('/deployment/method', { method: to, keepExistingMappings }, switchSchema),
    async grantAzureAdConsent() {
      await http.post('/azure-ad/consent', {}, z.object({ azureAdConsent: z.literal(true) }), { idempotent: true });
    },
    createMapping: (kind, m) => http.post(kind === 'SCIM' ? '/scim/mappings' : '/azure-ad/mappings', m, mappingSchema),
    async generateScimToken() {
      const { token } = await http.post('/scim/token', {}, z.object({ token: z.string().min(16) }));
      http.addSecret(token);
      return token;
    },
    userModes: () => http.get('/users', modesSchema),
  };
}

/** The simulation's clock (`<control>/clock`): the scripted run reads tenant time and moves it while it waits for backups. */
export interface SandboxInsyncClock {
  now(): Promise<number>;
  advance(ms: number): Promise<void>;
}

export function createSandboxInsyncClock(opts: { controlUrl: string }): SandboxInsyncClock {
  const http = createHttpClient({ system: 'insync', baseURL: opts.controlUrl, readOnly: false, retries: 2 });
  return {
    now: async () => Date.parse((await http.get('/clock', z.object({ now: z.string() }))).now),
    async advance(ms) {
      await http.post('/clock/advance', { ms }, z.unknown());
    },
  };
}
