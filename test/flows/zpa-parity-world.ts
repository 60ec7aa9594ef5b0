import { Writable } from 'node:stream';
import { configSchema, type Config } from '../../src/config/schema.js';
import { createSandboxPortalClient } from '../../src/clients/sandbox-portal.js';
import { createSandboxZpaPortalClient } from '../../src/clients/sandbox-zpa-portal.js';
import { createMigrationContext, type MigrationContext, type ScimCredentials } from '../../src/flows/context.js';
import { SandboxOperator } from '../../src/flows/sandbox-operator.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { createOutput } from '../../src/ui/output.js';

/**
 * A product: zpa configuration against the simulated ZPA, with SCIM Sync on, a token generated
 * and one complete IdP cycle played into the ZPA SCIM service (`provisionFromDirectory`).
 */

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
/** Enabled people only: the simulated IdP cycle pushes no disabled account. */
const ENABLED_ONLY = '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))';

export interface ZpaParityWorld {
  /** The configuration as parsed, and as the raw document a file would hold. */
  raw: Record<string, unknown>;
  env: Record<string, string>;
  sandbox: Sandbox;
  config: Config;
  scim: ScimCredentials;
  idpId: string;
  /** A read-only context of this configuration, or of `other` (a variant of it). */
  ctx(other?: Config): MigrationContext;
  close(): Promise<void>;
}

export async function startZpaParityWorld(filter: 'supported' | 'ignored' | 'refused' = 'supported', idpKind?: 'okta'): Promise<ZpaParityWorld> {
  const sandbox = await startSandbox({
    users: 60,
    speed: 500,
    port: 0,
    seed: 7,
    zpa: true,
    variants: { 'zpa-scim-filter': filter },
    ...(idpKind ? { idp: idpKind } : {}),
  });
  const z = sandbox.zpa!;
  const raw = sandbox.config() as Record<string, unknown>;
  delete raw.zia;
  raw.product = 'zpa';
  raw.zpa = {
    baseUrl: z.endpoints.adminUrl,
    customerId: z.credentials.customerId,
    idpId: z.credentials.idpId,
    auth: { kind: 'legacy', clientId: z.credentials.clientId, clientSecretEnv: 'ZPA_CLIENT_SECRET' },
  };
  raw.directory = { ...(raw.directory as Record<string, unknown>), userFilter: ENABLED_ONLY };
  raw.parity = { key: 'userName', secondaryKey: 'email', thresholds: { missing: 0, extra: 0, duplicates: 0, drift: 0 } };
  const config = configSchema.parse(raw);
  const env = { ...sandbox.env(), ZPA_CLIENT_SECRET: z.credentials.clientSecret };
  // The operator's part: SCIM Sync on, a token generated (shown once), then one IdP cycle.
  const portal = createSandboxZpaPortalClient({ portalUrl: z.endpoints.portalUrl });
  await portal.setScimSync(z.credentials.idpId, true);
  const t = await portal.generateToken(z.credentials.idpId);
  z.provisionFromDirectory();
  const out = createOutput({ quiet: true, stdout: sink(), stderr: sink() });
  const contexts: MigrationContext[] = [];
  return {
    raw,
    env,
    sandbox,
    config,
    scim: { baseUrl: t.scimServiceProviderEndpoint, token: t.bearerToken },
    idpId: z.credentials.idpId,
    ctx(other) {
      const c = createMigrationContext({
        config: other ?? config,
        readOnly: true,
        out,
        operator: new SandboxOperator(createSandboxPortalClient({ portalUrl: sandbox.endpoints.portalUrl }), out),
        env,
        rateLimits: false,
      });
      contexts.push(c);
      return c;
    },
    async close() {
      for (const c of contexts) await c.close();
      await sandbox.stop();
    },
  };
}
