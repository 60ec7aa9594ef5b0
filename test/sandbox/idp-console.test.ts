import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { configSchema } from '../../src/config/schema.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { call } from './core-helpers.js';

/** The IdP's console in the sandbox (POST /portal/idp-console), played by the configured IdP's simulation. */
describe('startSandbox({ idp: "manual" })', () => {
  let sb: Sandbox;
  let dir = '';
  const consoleUrl = () => `${sb.endpoints.portalUrl}/idp-console`;

  beforeAll(async () => {
    sb = await startSandbox({ users: 12, seed: 5, speed: 500, idp: 'manual' });
    dir = await mkdtemp(path.join(os.tmpdir(), 'sbx-idp-'));
  });
  afterAll(async () => {
    await sb?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('its config names idp.kind manual and holds no IdP secret; both forms validate', async () => {
    expect(configSchema.parse(sb.config()).idp.kind).toBe('manual');
    const file = await sb.writeConfig(dir);
    expect(file.endsWith('migrate.sandbox.yaml')).toBe(true);
    expect(await readdir(path.join(dir, 'secrets'))).not.toContain('graph-client-secret');
    expect(sb.idp.kind).toBe('manual');
  });

  test('refuses a body that is no console action, saying what is wrong', async () => {
    const r = await call(consoleUrl(), { method: 'POST', json: { action: 'idp.reboot', idp: 'manual' } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/action/);
  });

  test("Base URL + token, then Start: the simulated IdP's job runs with them; Pause stops it", async () => {
    const { tenant } = sb.world;
    // The flow's first writes: directory sync off for the repository, activated; then Edit IdP → Enable SCIM.
    tenant.putAuthSettings({ ...tenant.getAuthSettings(), directorySyncMigrateToScimEnabled: true });
    tenant.activate();
    const enabled = await call(`${sb.endpoints.portalUrl}/idps/${sb.credentials.zia.idpId}/scim`, { method: 'POST', json: { enabled: true } });
    expect(enabled.status).toBe(200);
    const { baseUrl, bearerToken } = enabled.body as { baseUrl: string; bearerToken: string };
    expect(
      (await call(consoleUrl(), { method: 'POST', json: { action: 'idp.setCredentials', idp: 'manual', baseUrl, token: bearerToken, scope: 'assigned' } }))
        .status,
    ).toBe(200);
    expect(sb.world.entra.secrets.find((x) => x.key === 'BaseAddress')?.value).toBe(baseUrl);
    expect((await call(consoleUrl(), { method: 'POST', json: { action: 'idp.start', idp: 'manual' } })).status).toBe(200);
    expect(sb.world.entra.job.schedule.state).toBe('Active');
    expect((await call(consoleUrl(), { method: 'POST', json: { action: 'idp.pause', idp: 'manual' } })).status).toBe(200);
    expect(sb.world.entra.job.schedule.state).toBe('Paused');
  });

  test('an action this console does not offer is refused with 400 and the reason', async () => {
    const r = await call(consoleUrl(), { method: 'POST', json: { action: 'idp.provisionUsers', idp: 'manual', users: ['a@example.com'] } });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/next cycle/);
  });
});
