/**
 * Fault injection on the simulated Entra ID service (issue 3): rules for the servers `graph`
 * (Microsoft Graph, /v1.0) and `login` (the token endpoint) reach it through the shared sandbox
 * HTTP layer, the real Graph client observes them, and the request log names the two systems
 * exactly as the fault grammar does.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { createGraphClient, type GraphClient } from '../../src/clients/graph.js';
import { ApiError } from '../../src/clients/http.js';
import { startEntraService, type SandboxEntraService } from '../../src/sandbox/entra/index.js';
import { FaultInjector, FaultSpecError, parseFaultSpec, SANDBOX_SERVERS } from '../../src/sandbox/http/faults.js';
import { RequestLog } from '../../src/sandbox/http/log.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { generateDirectory } from '../../src/sandbox/world/seed.js';

const directory = generateDirectory({ users: 8, seed: 5 });

let entra: SandboxEntraService | undefined;
let sandbox: Sandbox | undefined;
afterEach(async () => {
  await entra?.stop();
  await sandbox?.stop();
  entra = undefined;
  sandbox = undefined;
});

/** The Entra service alone, with a request log and the given fault spec. */
async function startEntra(spec: string): Promise<{ entra: SandboxEntraService; log: RequestLog }> {
  const log = new RequestLog();
  entra = await startEntraService({
    directory,
    speed: 1000,
    rateLimits: false,
    faults: new FaultInjector(parseFaultSpec(spec), 9),
    recordRequest: (e) => log.record(e),
  });
  return { entra, log };
}

/** The product's Graph client with short retry delays; retries=2 means up to 3 attempts. */
function client(e: SandboxEntraService, tuning: { retries?: number; maxRetryWaitMs?: number } = {}): GraphClient {
  return createGraphClient({
    loginUrl: e.loginUrl,
    graphUrl: e.graphUrl,
    tenantId: e.credentials.tenantId,
    clientId: e.credentials.clientId,
    clientSecret: e.credentials.clientSecret,
    tuning: {
      retries: tuning.retries ?? 2,
      retryBaseDelayMs: 5,
      timeoutMs: 5_000,
      ...(tuning.maxRetryWaitMs === undefined ? {} : { maxRetryWaitMs: tuning.maxRetryWaitMs }),
    },
  });
}

async function tokenRequest(e: SandboxEntraService): Promise<Response> {
  return fetch(`${e.loginUrl}/${e.credentials.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: e.credentials.clientId,
      client_secret: e.credentials.clientSecret,
      scope: 'https://graph.microsoft.com/.default',
    }),
  });
}

async function caught(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('graph rules', () => {
  test('graph:GET:/servicePrincipals:500:1 — the Graph client retries, then fails with the injected 500', async () => {
    const { entra: e, log } = await startEntra('graph:GET:/servicePrincipals:500:1');
    const err = await caught(client(e).findServicePrincipal({ displayName: e.credentials.servicePrincipalDisplayName }));
    expect(err.system).toBe('graph');
    expect(err.status).toBe(500);
    expect(err.code).toBe('generalException'); // the Graph error envelope, decoded by the client
    expect(err.attempts).toBe(3);
    // The sandbox saw one token request and exactly 1 + 2 retries of the Graph call, all faulted.
    const seen = log.list().map((r) => [r.server, r.method, r.path.split('?')[0], r.status]);
    expect(seen).toEqual([
      ['login', 'POST', `/${e.credentials.tenantId}/oauth2/v2.0/token`, 200],
      ['graph', 'GET', '/v1.0/servicePrincipals', 500],
      ['graph', 'GET', '/v1.0/servicePrincipals', 500],
      ['graph', 'GET', '/v1.0/servicePrincipals', 500],
    ]);
  });

  test('the rule is scoped by method and path prefix', async () => {
    const { entra: e, log } = await startEntra('graph:GET:/servicePrincipals:500:1');
    const c = client(e, { retries: 0 });
    // A prefix also covers the paths below it…
    expect((await caught(c.getSynchronizationJob(e.credentials.servicePrincipalId))).status).toBe(500);
    // …but not other paths, and not other methods on the same path.
    const pages: unknown[] = [];
    for await (const page of c.listProvisioningLogs(e.state.job.id)) pages.push(...page);
    expect(pages).toEqual([]); // answered (no job has run yet), not faulted
    const { access_token } = (await (await tokenRequest(e)).json()) as { access_token: string };
    const put = await fetch(`${e.graphUrl}/servicePrincipals/${e.credentials.servicePrincipalId}/synchronization/secrets`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: [{ key: 'BaseAddress', value: 'http://127.0.0.1:9/scim' }] }),
    });
    expect(put.status).toBe(204);
    expect(log.list().map((r) => `${r.server} ${r.method} ${r.status}`)).toEqual([
      'login POST 200',
      'graph GET 500',
      'graph GET 200',
      'login POST 200',
      'graph PUT 204',
    ]);
  });

  test('a graph rule leaves the token endpoint alone, and * hits both', async () => {
    const { entra: e } = await startEntra('graph:*:*:503');
    const tok = await tokenRequest(e);
    expect(tok.status).toBe(200);
    const { access_token } = (await tok.json()) as { access_token: string };
    const g = await fetch(`${e.graphUrl}/servicePrincipals`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(g.status).toBe(503);
    expect(await g.json()).toMatchObject({
      error: { code: 'serviceNotAvailable', message: expect.any(String), innerError: { 'request-id': expect.any(String) } },
    });
    await entra!.stop();
    entra = undefined;

    const { entra: all } = await startEntra('*:*:*:502');
    const t2 = await tokenRequest(all);
    expect(t2.status).toBe(502);
    await t2.arrayBuffer();
    const g2 = await fetch(`${all.graphUrl}/servicePrincipals`);
    expect(g2.status).toBe(502);
    await g2.arrayBuffer();
  });

  test('reset and truncate reach Graph: the client sees no (complete) answer', async () => {
    const { entra: e } = await startEntra('graph:GET:/servicePrincipals:reset');
    const err = await caught(client(e, { retries: 1 }).findServicePrincipal({ id: e.credentials.servicePrincipalId }));
    expect(err.status).toBe(0);
    expect(err.attempts).toBe(2);
    await entra!.stop();
    entra = undefined;

    const { entra: t } = await startEntra('graph:GET:/servicePrincipals:truncate');
    const err2 = await caught(client(t, { retries: 0 }).findServicePrincipal({ id: t.credentials.servicePrincipalId }));
    expect(err2.system).toBe('graph');
  });
});

describe('login rules', () => {
  test('login:POST:*:429:1 — the token endpoint answers 429 with Retry-After in the AADSTS shape', async () => {
    const { entra: e, log } = await startEntra('login:POST:*:429:1');
    const res = await tokenRequest(e);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable', error_description: expect.any(String), trace_id: expect.any(String) });
    expect(log.list()).toEqual([expect.objectContaining({ server: 'login', method: 'POST', status: 429 })]);
    expect(log.stats().rateLimited).toBe(1);
  });

  test('the Graph client reports the 429 as a login failure with the wait the server asked for', async () => {
    const { entra: e, log } = await startEntra('login:POST:*:429:1');
    // maxRetryWaitMs below Retry-After (1 s): the client gives up at once instead of sleeping.
    const err = await caught(client(e, { maxRetryWaitMs: 10 }).getSynchronizationJob(e.credentials.servicePrincipalId));
    expect(err.system).toBe('login');
    expect(err.status).toBe(429);
    expect(err.retryAfterSeconds).toBe(1);
    expect(log.list().filter((r) => r.server === 'graph')).toEqual([]); // never got as far as Graph
  });

  test('login prefixes match without the tenant segment', async () => {
    const { entra: e } = await startEntra('login:POST:/oauth2/v2.0/token:500');
    const res = await tokenRequest(e);
    expect(res.status).toBe(500);
    await res.arrayBuffer();
  });
});

describe('latency', () => {
  test('graph latency delays the real answer', async () => {
    const { entra: e } = await startEntra('graph:GET:/servicePrincipals:latency=150');
    const c = client(e, { retries: 0 });
    const t0 = Date.now();
    const sp = await c.findServicePrincipal({ id: e.credentials.servicePrincipalId });
    const took = Date.now() - t0;
    expect(sp.id).toBe(e.credentials.servicePrincipalId); // the real answer, only later
    expect(took).toBeGreaterThanOrEqual(145);
  });

  test('login latency delays the token', async () => {
    const { entra: e } = await startEntra('login:*:*:latency=120');
    const t0 = Date.now();
    const res = await tokenRequest(e);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(115);
  });
});

describe('startSandbox wiring and server names', () => {
  test('--faults for graph reach the sandbox Entra service; the log uses the grammar names', async () => {
    sandbox = await startSandbox({ users: 10, rateLimits: false, faults: 'graph:GET:/servicePrincipals:500:1' });
    const c = createGraphClient({
      loginUrl: sandbox.endpoints.entraLoginUrl,
      graphUrl: sandbox.endpoints.graphUrl,
      tenantId: sandbox.credentials.entra.tenantId,
      clientId: sandbox.credentials.entra.clientId,
      clientSecret: sandbox.credentials.entra.clientSecret,
      tuning: { retries: 1, retryBaseDelayMs: 5 },
    });
    const err = await caught(c.findServicePrincipal({ displayName: sandbox.credentials.entra.servicePrincipalDisplayName }));
    expect(err.status).toBe(500);
    const entries = sandbox.requests();
    expect(entries.filter((r) => r.server === 'graph').map((r) => r.status)).toEqual([500, 500]);
    expect(entries.filter((r) => r.server === 'login').map((r) => r.status)).toEqual([200]);
    for (const r of entries) expect(SANDBOX_SERVERS).toContain(r.server);
  });

  test('an unknown server is an error naming the valid ones', async () => {
    expect(() => parseFaultSpec('moon:*:*:429')).toThrow('unknown server "moon" (use zia, scim, graph, login, zpa, zpa-scim, insync, okta, pingfederate, *)');
    expect(() => parseFaultSpec('entra-graph:GET:*:500')).toThrow(FaultSpecError);
    expect(() => parseFaultSpec('entra-graph:GET:*:500')).toThrow(
      /use zia, scim, graph, login, zpa, zpa-scim, insync, okta, pingfederate, \*; Entra ID is two servers: login .* and graph/,
    );
    await expect(startSandbox({ users: 5, faults: 'entra-login:POST:*:429' })).rejects.toThrow(FaultSpecError);
  });
});
