import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { createZiaClient } from '../../src/clients/zia.js';
import { configSchema } from '../../src/config/schema.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { obfuscateApiKey } from '../../src/sandbox/zia/auth.js';
import { call } from './core-helpers.js';

describe('startSandbox', () => {
  let a: Sandbox;
  let b: Sandbox;
  let dir = '';

  beforeAll(async () => {
    a = await startSandbox({ users: 1000, seed: 3, speed: 200, rateLimits: true }); // start time: bench/seed.mjs
    b = await startSandbox({ users: 20, seed: 4 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'sbx-'));
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('1000 users start; two sandboxes run at once on different ports', async () => {
    expect(a.world.directory.users).toHaveLength(1000);
    expect(a.endpoints.ziaBaseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    expect(a.endpoints.ziaOneApiBaseUrl).toMatch(/\/zia\/api\/v1$/);
    expect(a.endpoints.portalUrl).toMatch(/\/portal$/);
    expect(a.endpoints.ldapUrl).toMatch(/^ldap:\/\/127\.0\.0\.1:\d+$/);
    const portsA = Object.values(a.endpoints).map((u) => new URL(u).port);
    const portsB = Object.values(b.endpoints).map((u) => new URL(u).port);
    expect(portsA.filter((p) => portsB.includes(p))).toEqual([]);
    expect((await call(`${a.endpoints.portalUrl}/idps`)).status).toBe(200);
    expect((await call(`${b.endpoints.portalUrl}/idps`)).status).toBe(200);
    expect(a.world.tenant.users.size).toBe(1000);
    expect(b.world.tenant.users.size).toBe(20);
  });

  test('config() is valid against the configuration schema and env() holds its secrets', () => {
    const cfg = a.config();
    const parsed = configSchema.safeParse(cfg);
    expect(parsed.success ? 'ok' : parsed.error.issues).toBe('ok');
    expect(cfg).toMatchObject({
      operator: { kind: 'sandbox', portalUrl: a.endpoints.portalUrl },
      directory: { startTls: false, insecure: true, url: a.endpoints.ldapUrl, passwordEnv: 'MIGRATE_SANDBOX_LDAP_PASSWORD' },
      zia: { auth: { passwordEnv: 'MIGRATE_SANDBOX_ZIA_PASSWORD', apiKeyEnv: 'MIGRATE_SANDBOX_ZIA_API_KEY' } },
      idp: { clientSecretEnv: 'MIGRATE_SANDBOX_GRAPH_SECRET' },
    });
    expect(JSON.stringify(cfg)).not.toContain(a.credentials.zia.password);
    expect(a.env()).toEqual({
      MIGRATE_SANDBOX_ZIA_PASSWORD: a.credentials.zia.password,
      MIGRATE_SANDBOX_ZIA_API_KEY: a.credentials.zia.apiKey,
      MIGRATE_SANDBOX_GRAPH_SECRET: a.credentials.entra.clientSecret,
      MIGRATE_SANDBOX_LDAP_PASSWORD: a.credentials.ldap.password,
    });
  });

  test('writeConfig writes a commented YAML with …File references to 0600 secret files', async () => {
    const file = await a.writeConfig(dir);
    const text = await readFile(file, 'utf8');
    expect(text.startsWith('#')).toBe(true);
    expect(text).not.toContain(a.credentials.zia.password);
    expect(text).not.toContain(a.credentials.zia.apiKey);
    const cfg = YAML.parse(text);
    expect(configSchema.safeParse(cfg).success).toBe(true);
    const pwFile = cfg.zia.auth.passwordFile as string;
    expect(await readFile(pwFile, 'utf8')).toBe(a.credentials.zia.password);
    expect((await stat(pwFile)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(pwFile))).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  test('writeConfig writes the OneAPI client id and secret too, so an outside OneAPI client can rehearse; stop() removes the secret files', async () => {
    const sb = await startSandbox({ users: 5, seed: 5 });
    const own = await mkdtemp(path.join(os.tmpdir(), 'sbx-oneapi-'));
    try {
      const file = await sb.writeConfig(own);
      const secrets = path.join(own, 'secrets');
      const id = await readFile(path.join(secrets, 'oneapi-client-id'), 'utf8');
      const secret = await readFile(path.join(secrets, 'oneapi-client-secret'), 'utf8');
      expect(id).toBe(sb.credentials.zia.oneApiClientId);
      expect(secret).toBe(sb.credentials.zia.oneApiClientSecret);
      expect((await stat(path.join(secrets, 'oneapi-client-secret'))).mode & 0o777).toBe(0o600);
      const text = await readFile(file, 'utf8');
      expect(text).toContain(sb.endpoints.zidentityTokenUrl);
      expect(text).not.toContain(secret);
      // The product's own OneAPI client, from the files alone.
      const zia = createZiaClient({
        baseUrl: sb.endpoints.ziaOneApiBaseUrl,
        auth: { kind: 'oneapi', tokenUrl: sb.endpoints.zidentityTokenUrl, clientId: id, clientSecret: secret },
        rateLimits: false,
      });
      expect((await zia.getAuthSettings()).orgAuthType).toBe('MICROSOFT_ACTIVE_DIR');
    } finally {
      await sb.stop();
    }
    expect(await readdir(path.join(own, 'secrets'))).toEqual([]);
    await rm(own, { recursive: true, force: true });
  });

  test('Entra requests land in the shared log; logins and tokens are not mutations', async () => {
    b.resetLog();
    const tok = await call(`${b.endpoints.entraLoginUrl}/${b.credentials.entra.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: b.credentials.entra.clientId,
        client_secret: b.credentials.entra.clientSecret,
        scope: 'https://graph.microsoft.com/.default',
      }).toString(),
    });
    expect(tok.status).toBe(200);
    const sp = await call(
      `${b.endpoints.graphUrl}/servicePrincipals?$filter=${encodeURIComponent(`displayName eq '${b.credentials.entra.servicePrincipalDisplayName}'`)}`,
      {
        headers: { authorization: `Bearer ${tok.body.access_token}` },
      },
    );
    expect(sp.status).toBe(200);
    expect(b.stats()).toEqual({ requests: 2, mutations: 0, rateLimited: 0 });
    expect(b.requests().map((r) => r.method)).toEqual(['POST', 'GET']);
    expect(JSON.stringify(b.requests())).not.toContain(b.credentials.entra.clientSecret);
  });

  test('the documented migration end to end: Entra provisions into ZIA SCIM and adopts the synced users', async () => {
    const sb = a;
    const zia = sb.endpoints.ziaBaseUrl;
    // Step 2 of the migration guide (docs/vendor-facts.md F16): Sync Now.
    expect((await call(`${sb.endpoints.portalUrl}/syncNow`, { method: 'POST' })).status).toBe(200);
    // Step 4: directorySyncMigrateToScimEnabled via read-modify-write + activate.
    const ts = String(Date.now());
    const li = await fetch(`${zia}/authenticatedSession`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        apiKey: obfuscateApiKey(sb.credentials.zia.apiKey, ts),
        username: sb.credentials.zia.username,
        password: sb.credentials.zia.password,
        timestamp: ts,
      }),
    });
    const cookie = /JSESSIONID=[^;]+/.exec(li.headers.get('set-cookie') ?? '')![0];
    const settings = (await call(`${zia}/authSettings`, { headers: { cookie } })).body;
    expect(
      (await call(`${zia}/authSettings`, { method: 'PUT', headers: { cookie }, json: { ...settings, directorySyncMigrateToScimEnabled: true } })).status,
    ).toBe(200);
    expect((await call(`${zia}/status/activate`, { method: 'POST', headers: { cookie }, json: {} })).body).toEqual({ status: 'ACTIVE' });
    // Steps 5–6: Enable SCIM on the IdP (portal), SAML auto-provisioning off.
    const en = sb.portal.setScim(sb.credentials.zia.idpId, true);
    sb.portal.setSamlAutoProvisioning(sb.credentials.zia.idpId, false);
    expect(en.baseUrl).toBe(`${sb.endpoints.scimServerUrl}/${sb.credentials.zia.orgId}/${sb.credentials.zia.idpId}/scim`);
    // Step 7: configure SCIM in Entra and start the job.
    const tok = (
      await call(`${sb.endpoints.entraLoginUrl}/${sb.credentials.entra.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: sb.credentials.entra.clientId,
          client_secret: sb.credentials.entra.clientSecret,
          scope: 'https://graph.microsoft.com/.default',
        }).toString(),
      })
    ).body.access_token as string;
    const g = { authorization: `Bearer ${tok}` };
    const spId = sb.world.entra.servicePrincipal.id;
    const jobs = (await call(`${sb.endpoints.graphUrl}/servicePrincipals/${spId}/synchronization/jobs`, { headers: g })).body.value;
    const jobId = jobs[0].id as string;
    const put = await call(`${sb.endpoints.graphUrl}/servicePrincipals/${spId}/synchronization/secrets`, {
      method: 'PUT',
      headers: g,
      json: {
        value: [
          { key: 'BaseAddress', value: en.baseUrl },
          { key: 'SecretToken', value: en.bearerToken },
        ],
      },
    });
    expect(put.status).toBe(204);
    expect((await call(`${sb.endpoints.graphUrl}/servicePrincipals/${spId}/synchronization/jobs/${jobId}/start`, { method: 'POST', headers: g })).status).toBe(
      204,
    );
    const before = sb.world.tenant.users.size;
    const idpId = sb.credentials.zia.idpId;
    // A bound for a hung engine only: the loop ends as soon as the cycle is done (about 5 s idle, 55 s seen on a loaded 2-core CI).
    const deadline = Date.now() + 240_000;
    const takenOver = () => sb.world.tenant.scimUserIds(idpId).filter((id) => sb.world.tenant.users.get(id)?.scim?.idpId === idpId).length;
    while (Date.now() < deadline && takenOver() < before + 1) await new Promise((r) => setTimeout(r, 200));
    // Every synced user was taken over (same ids, externalId set), plus Entra's cloud-only user is new: no duplicates.
    const synced = [...sb.world.tenant.users.values()].filter((u) => u.source === 'directory');
    expect(synced.length).toBe(before);
    expect(synced.every((u) => u.scim?.idpId === idpId && u.scim.created === false && typeof u.scim.externalId === 'string')).toBe(true);
    expect(sb.world.tenant.scimUserIds(idpId).length).toBe(before + 1);
    const names = [...sb.world.tenant.users.values()].map((u) => u.userName.toLowerCase());
    expect(new Set(names).size).toBe(names.length);
    // The request log shows Entra's documented order: lookup by userName, then PATCH the match;
    // the only user POST is the cloud-only user's.
    const scimUsers = sb.requests().filter((r) => r.server === 'scim' && /\/Users(\?|\/|$)/.test(r.path));
    const one = synced[0]!;
    const lookupAt = scimUsers.findIndex((r) => r.method === 'GET' && decodeURIComponent(r.path).includes(`userName eq "${one.userName}"`));
    const patchAt = scimUsers.findIndex((r) => r.method === 'PATCH' && r.path.endsWith(`/Users/${sb.world.tenant.scimUserId(one.id)}`));
    expect(lookupAt).toBeGreaterThanOrEqual(0);
    expect(patchAt).toBeGreaterThan(lookupAt);
    expect(scimUsers.filter((r) => r.method === 'PATCH').length).toBeGreaterThanOrEqual(before);
    expect(scimUsers.filter((r) => r.method === 'POST' && r.status === 201)).toHaveLength(1);
    expect(scimUsers.filter((r) => r.status === 409)).toHaveLength(0);
    expect(sb.stats().mutations).toBeGreaterThan(1000);
    await call(`${sb.endpoints.graphUrl}/servicePrincipals/${spId}/synchronization/jobs/${jobId}/pause`, { method: 'POST', headers: g });
  }, 300_000);
});
