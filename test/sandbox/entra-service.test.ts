/**
 * The simulated Entra ID / Microsoft Graph service: each Graph call with its documented shape
 * (rows of docs/vendor-facts.md cited per test), and the provisioning engine against a tiny SCIM
 * endpoint stood up here, asserting the Entra-dialect requests it receives (F33).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEntraService, type SandboxEntraService } from '../../src/sandbox/entra/index.js';
import { makeDirectory } from './ldap-fixture.js';

interface Recorded {
  method: string;
  url: string;
  auth: string;
  body: unknown;
}

/** A minimal SCIM 2.0 target: in-memory users/groups, bearer check, request log. */
class TinyScim {
  readonly requests: Recorded[] = [];
  readonly users = new Map<string, Record<string, unknown>>();
  readonly groups = new Map<string, Record<string, unknown>>();
  token = 'scim-token-ok';
  throttleNext = 0;
  /** userName → how many more POSTs of it answer 500 (-1: always). */
  readonly failPosts = new Map<string, number>();
  private server: Server | null = null;
  private nextId = 1;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(([status, body, headers]) => {
        res.writeHead(status, { 'content-type': 'application/scim+json', ...headers });
        res.end(body === null ? undefined : JSON.stringify(body));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/scim`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown, Record<string, string>]> {
    let text = '';
    for await (const c of req) text += String(c);
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    const url = decodeURIComponent(req.url ?? '');
    this.requests.push({ method: req.method ?? '', url, auth: req.headers.authorization ?? '', body });
    if (req.headers.authorization !== `Bearer ${this.token}`) return [401, { detail: 'bad token', status: '401' }, {}];
    if (this.throttleNext > 0) {
      this.throttleNext--;
      return [429, { status: '429' }, { 'retry-after': '0' }];
    }
    const list = (items: Array<Record<string, unknown>>) => ({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: items.length,
      Resources: items,
    });
    const eq = /filter=(\w+) eq "(.*)"$/.exec(url);
    if (req.method === 'GET' && url.startsWith('/scim/Users?')) {
      return [200, list([...this.users.values()].filter((u) => eq && u[eq[1]!] === eq[2])), {}];
    }
    if (req.method === 'GET' && url.startsWith('/scim/Groups?')) {
      return [200, list([...this.groups.values()].filter((g) => eq && g[eq[1]!] === eq[2])), {}];
    }
    const failing = req.method === 'POST' && url === '/scim/Users' ? this.failPosts.get(String(body?.userName)) : undefined;
    if (failing !== undefined && failing !== 0) {
      this.failPosts.set(String(body?.userName), failing - 1);
      return [500, { status: '500', detail: 'simulated target failure' }, {}];
    }
    if (req.method === 'POST' && (url === '/scim/Users' || url === '/scim/Groups')) {
      const id = `id-${this.nextId++}`;
      const resource = { ...body, id };
      (url === '/scim/Users' ? this.users : this.groups).set(id, resource);
      return [201, resource, {}];
    }
    const patch = /^\/scim\/(Users|Groups)\/(.+)$/.exec(url);
    if (req.method === 'PATCH' && patch) {
      const store = patch[1] === 'Users' ? this.users : this.groups;
      const r = store.get(patch[2]!);
      if (!r) return [404, { status: '404' }, {}];
      return patch[1] === 'Users' ? [200, r, {}] : [204, null, {}];
    }
    return [404, { status: '404' }, {}];
  }
}

const directory = makeDirectory({ users: 6, disabled: (i) => i === 2 });
let entra: SandboxEntraService;
let scim: TinyScim;
let token: string;

async function getToken(secret = entra.credentials.clientSecret): Promise<Response> {
  return fetch(`${entra.loginUrl}/${entra.credentials.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: entra.credentials.clientId,
      client_secret: secret,
      scope: 'https://graph.microsoft.com/.default',
    }),
  });
}

async function graph(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${entra.graphUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const spPath = () => `/servicePrincipals/${entra.credentials.servicePrincipalId}`;
const jobPath = () => `${spPath()}/synchronization/jobs/${encodeURIComponent(entra.state.job.id)}`;

async function putSecrets(base: string, secret: string): Promise<Response> {
  return graph('PUT', `${spPath()}/synchronization/secrets`, {
    value: [
      { key: 'BaseAddress', value: base },
      { key: 'SecretToken', value: secret },
      { key: 'SyncAll', value: 'false' },
    ],
  });
}

/** Waits for an observed state; the bound only turns a hang into a clear message before Jest's 60 s test timeout, it measures nothing. */
async function waitFor(cond: () => boolean, ms = 50_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeEach(async () => {
  scim = new TinyScim();
  await scim.start();
  entra = await startEntraService({ directory, speed: 1000, rateLimits: false });
  const res = await getToken();
  token = ((await res.json()) as { access_token: string }).access_token;
});

afterEach(async () => {
  await entra.stop();
  await scim.stop();
});

describe('auth (docs/vendor-facts.md F32, F51)', () => {
  it('issues a bearer token for client credentials', async () => {
    const res = await getToken();
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.token_type).toBe('Bearer');
    expect(typeof body.access_token).toBe('string');
    expect(body.expires_in).toBeGreaterThan(0);
  });

  it('answers a wrong secret with 401 and the AADSTS error shape', async () => {
    const res = await getToken('not-the-secret');
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: string; error_description: string; error_codes: number[] };
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toMatch(/^AADSTS7000215:/);
    expect(body.error_codes).toEqual([7000215]);
  });

  it('refuses Graph calls without a valid bearer (Graph error envelope)', async () => {
    const res = await fetch(`${entra.graphUrl}${spPath()}`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; message: string; innerError: Record<string, string> } };
    expect(body.error.code).toBe('InvalidAuthenticationToken');
    expect(body.error.innerError['request-id']).toBeDefined();
    expect(body.error.innerError.date).toBeDefined();
  });
});

describe('service principal and job (F29, F50)', () => {
  it('finds the Zscaler app by displayName eq, startswith, id and appId', async () => {
    const eq = await graph('GET', `/servicePrincipals?$filter=${encodeURIComponent("displayName eq 'Zscaler Three'")}`);
    const eqBody = (await eq.json()) as { value: Array<{ id: string; appId: string; displayName: string }> };
    expect(eqBody.value).toHaveLength(1);
    expect(eqBody.value[0]!.id).toBe(entra.credentials.servicePrincipalId);
    const sw = await graph('GET', `/servicePrincipals?$filter=${encodeURIComponent("startswith(displayName,'zscaler')")}`);
    expect(((await sw.json()) as { value: unknown[] }).value).toHaveLength(1);
    const none = await graph('GET', `/servicePrincipals?$filter=${encodeURIComponent("displayName eq 'Salesforce'")}`);
    expect(((await none.json()) as { value: unknown[] }).value).toHaveLength(0);
    const byId = await graph('GET', spPath());
    expect(((await byId.json()) as { appId: string }).appId).toBe(entra.credentials.appId);
    const byAppId = await graph('GET', `/servicePrincipals(appId='${entra.credentials.appId}')`);
    expect(((await byAppId.json()) as { id: string }).id).toBe(entra.credentials.servicePrincipalId);
  });

  it('has a Disabled, never-run gallery job from the start', async () => {
    const list = (await (await graph('GET', `${spPath()}/synchronization/jobs`)).json()) as {
      value: Array<{ id: string; templateId: string; schedule: { state: string }; status: { code: string; steadyStateFirstAchievedTime: string } }>;
    };
    expect(list.value).toHaveLength(1);
    const job = list.value[0]!;
    expect(job.id.startsWith(`${job.templateId}.`)).toBe(true);
    expect(job.schedule.state).toBe('Disabled');
    expect(['NotConfigured', 'NotRun']).toContain(job.status.code);
    expect(job.status.steadyStateFirstAchievedTime).toBe('0001-01-01T00:00:00Z');
    const one = await graph('GET', jobPath());
    expect(((await one.json()) as { id: string }).id).toBe(job.id);
    const missing = await graph('GET', `${spPath()}/synchronization/jobs/nope`);
    expect(missing.status).toBe(404);
  });

  it('tenant holds the synced users plus one cloud-only assigned user', () => {
    const { state } = entra;
    expect(state.users).toHaveLength(directory.users.length + 1);
    const synced = state.users.find((u) => u.userPrincipalName === directory.users[2]!.userPrincipalName)!;
    expect(synced.accountEnabled).toBe(false);
    expect(synced.onPremisesImmutableId).toBe(directory.users[2]!.objectGUID.toString('base64'));
    const cloud = state.users.find((u) => u.id === state.cloudOnlyUserId)!;
    expect(cloud.onPremisesImmutableId).toBeNull();
    expect(state.assignments.filter((a) => a.principalType === 'User')).toHaveLength(directory.users.length + 1);
  });
});

describe('secrets (vendor-facts.md: PUT on v1.0, GET on beta only)', () => {
  const betaGet = async () => fetch(`${entra.loginUrl}/beta${spPath()}/synchronization/secrets`, { headers: { authorization: `Bearer ${token}` } });

  it('PUT replaces the whole set (204); v1.0 has no GET (405); beta GET lists the keys with the SecretToken masked', async () => {
    expect((await putSecrets(scim.url, scim.token)).status).toBe(204);
    const v1 = await graph('GET', `${spPath()}/synchronization/secrets`);
    expect(v1.status).toBe(405);
    expect(((await v1.json()) as { error: { code: string } }).error.code).toBe('Request_BadRequest');
    const replace = await graph('PUT', `${spPath()}/synchronization/secrets`, {
      value: [{ key: 'BaseAddress', value: 'https://other.example/scim' }],
    });
    expect(replace.status).toBe(204);
    const got = (await (await betaGet()).json()) as { value: Array<{ key: string; value: string }> };
    expect(got.value).toEqual([{ key: 'BaseAddress', value: 'https://other.example/scim' }]);
    await putSecrets(scim.url, scim.token);
    const again = (await (await betaGet()).json()) as { value: Array<{ key: string; value: string }> };
    expect(again.value.map((s) => s.key).sort()).toEqual(['BaseAddress', 'SecretToken', 'SyncAll']);
    expect(again.value.find((s) => s.key === 'SecretToken')!.value).toBe('*');
    const bad = await graph('PUT', `${spPath()}/synchronization/secrets`, { value: [{ nokey: 1 }] });
    expect(bad.status).toBe(400);
  });

  it('variants: the beta GET may leave secret values out, or be refused', async () => {
    await entra.stop();
    entra = await startEntraService({ directory, speed: 1000, rateLimits: false, betaSecretsRead: 'absent' });
    token = ((await (await getToken()).json()) as { access_token: string }).access_token;
    await putSecrets(scim.url, scim.token);
    const absent = (await (await betaGet()).json()) as { value: Array<{ key: string; value: string | null }> };
    expect(absent.value.find((s) => s.key === 'SecretToken')!.value).toBeNull();
    await entra.stop();
    entra = await startEntraService({ directory, speed: 1000, rateLimits: false, betaSecretsRead: 'refused' });
    token = ((await (await getToken()).json()) as { access_token: string }).access_token;
    expect((await betaGet()).status).toBe(405);
  });
});

describe('validateCredentials (F49)', () => {
  it('calls the SCIM endpoint with the token and a random-GUID userName: 204 on a ListResponse', async () => {
    const res = await graph('POST', `${jobPath()}/validateCredentials`, {
      useSavedCredentials: false,
      credentials: [
        { key: 'BaseAddress', value: scim.url },
        { key: 'SecretToken', value: scim.token },
      ],
    });
    expect(res.status).toBe(204);
    const probe = scim.requests.at(-1)!;
    expect(probe.method).toBe('GET');
    expect(probe.url).toMatch(/^\/scim\/Users\?filter=userName eq "[0-9a-f-]{36}"$/);
    expect(probe.auth).toBe(`Bearer ${scim.token}`);
  });

  it('answers 400 with a Graph error naming the SCIM status when the token is refused', async () => {
    await putSecrets(scim.url, 'wrong-token');
    const res = await graph('POST', `${jobPath()}/validateCredentials`, { useSavedCredentials: true });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.message).toContain('HTTP 401');
    expect(body.error.message).not.toContain('wrong-token');
  });
});

describe('provisioning engine (F30, F31, F33)', () => {
  it('runs an initial cycle in the Entra SCIM dialect and logs each action', async () => {
    // One user already exists at the target, enabled: Entra must PATCH it to "False".
    const disabledUpn = directory.users[2]!.userPrincipalName;
    scim.users.set('pre-1', { id: 'pre-1', userName: disabledUpn, active: true, displayName: 'Old Name', name: { givenName: 'x', familyName: 'y' } });
    scim.throttleNext = 1; // the first SCIM call is throttled with Retry-After
    await putSecrets(scim.url, scim.token);
    expect((await graph('POST', `${jobPath()}/start`)).status).toBe(204);
    await waitFor(() => !entra.state.job.status.steadyStateFirstAchievedTime.startsWith('0001'));

    const job = (await (await graph('GET', jobPath())).json()) as {
      status: {
        code: string;
        lastSuccessfulExecution: { state: string } | null;
        progress: Array<{ completedUnits: number; totalUnits: number; units: string }>;
      };
      schedule: { state: string };
    };
    expect(job.schedule.state).toBe('Active');
    expect(job.status.code).toBe('Active');
    expect(job.status.lastSuccessfulExecution?.state).toBe('Succeeded');
    expect(job.status.progress[0]).toMatchObject({ units: 'Users', completedUnits: 7, totalUnits: 7 });

    const posts = scim.requests.filter((r) => r.method === 'POST' && r.url === '/scim/Users');
    expect(posts).toHaveLength(6); // 5 AD users not yet there + the cloud-only user
    const created = posts[0]!.body as Record<string, unknown>;
    expect(created.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']);
    expect(created).toMatchObject({ active: true, userName: directory.users[0]!.userPrincipalName });
    expect(typeof created.externalId).toBe('string');

    const patch = scim.requests.find((r) => r.method === 'PATCH' && r.url === '/scim/Users/pre-1')!;
    const ops = (patch.body as { Operations: Array<{ op: string; path: string; value: unknown }> }).Operations;
    expect(ops.every((o) => o.op === 'Replace')).toBe(true);
    expect(ops).toContainEqual({ op: 'Replace', path: 'active', value: 'False' });
    expect(ops).toContainEqual({ op: 'Replace', path: 'displayName', value: directory.users[2]!.displayName });

    const groupLookups = scim.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/scim/Groups?'));
    expect(groupLookups[0]!.url).toBe('/scim/Groups?excludedAttributes=members&filter=displayName eq "All Staff"');
    const groupPost = scim.requests.find((r) => r.method === 'POST' && r.url === '/scim/Groups')!;
    expect((groupPost.body as { members: unknown[] }).members).toEqual([]);
    const memberPatch = scim.requests.find((r) => r.method === 'PATCH' && r.url.startsWith('/scim/Groups/'))!;
    const addOp = (memberPatch.body as { Operations: Array<{ op: string; path: string; value: Array<{ value: string }> }> }).Operations[0]!;
    expect(addOp.op).toBe('Add');
    expect(addOp.path).toBe('members');
    expect(addOp.value.length).toBeGreaterThan(0);

    // Provisioning logs, paged with @odata.nextLink.
    const seen: Array<{ provisioningAction: string; provisioningStatusInfo: { status: string } }> = [];
    let next: string | undefined = `${entra.graphUrl}/auditLogs/provisioning?$filter=${encodeURIComponent(`jobId eq '${entra.state.job.id}'`)}&$top=4`;
    let pages = 0;
    while (next && pages < 20) {
      const page = (await (await fetch(next, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        value: typeof seen;
        '@odata.nextLink'?: string;
      };
      seen.push(...page.value);
      next = page['@odata.nextLink'];
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    expect(seen.filter((l) => l.provisioningAction === 'create' && l.provisioningStatusInfo.status === 'success').length).toBeGreaterThanOrEqual(6);
    expect(seen.some((l) => l.provisioningAction === 'update')).toBe(true);
  });

  it("sends the gallery tutorial's attributes (no emails), sets externalId on a matched user, and follows a changed mapping", async () => {
    const matchedUpn = directory.users[1]!.userPrincipalName;
    scim.users.set('pre-2', { id: 'pre-2', userName: matchedUpn, active: true, displayName: 'Old' });
    await putSecrets(scim.url, scim.token);
    await graph('POST', `${jobPath()}/start`);
    await waitFor(() => !entra.state.job.status.steadyStateLastAchievedTime.startsWith('0001'));
    const posts = scim.requests.filter((r) => r.method === 'POST' && r.url === '/scim/Users').map((r) => r.body as Record<string, unknown>);
    const post = posts[0]!;
    const sent = new Set(posts.flatMap((p) => Object.keys(p)));
    expect([...sent].filter((k) => k !== 'schemas' && k !== 'roles' && k !== 'meta').sort()).toEqual(
      ['active', 'displayName', 'externalId', 'name', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'userName'].sort(),
    );
    expect(post.emails).toBeUndefined();
    const matched = entra.state.users.find((u) => u.userPrincipalName === matchedUpn)!;
    const patch = scim.requests.find((r) => r.method === 'PATCH' && r.url === '/scim/Users/pre-2')!;
    expect((patch.body as { Operations: unknown[] }).Operations).toContainEqual({ op: 'Replace', path: 'externalId', value: matched.id });
    expect(JSON.stringify(patch.body)).not.toContain('emails');

    // An admin adds the work email to the mapping: the next cycle sends it.
    await entra.stop();
    entra = await startEntraService({ directory, speed: 1000, rateLimits: false });
    token = ((await (await getToken()).json()) as { access_token: string }).access_token;
    entra.state.userMapping = [...entra.state.userMapping, { source: 'mail', target: 'emails[type eq "work"].value' }];
    scim.users.clear();
    scim.requests.length = 0;
    await putSecrets(scim.url, scim.token);
    await graph('POST', `${jobPath()}/start`);
    await waitFor(() => !entra.state.job.status.steadyStateLastAchievedTime.startsWith('0001'));
    const withMail = scim.requests.find((r) => r.method === 'POST' && r.url === '/scim/Users')!.body as { emails?: Array<{ value: string }> };
    expect(withMail.emails?.[0]?.value).toBe(directory.users[0]!.mail);
  });

  it('quarantines the job when the SCIM endpoint answers 401', async () => {
    await putSecrets(scim.url, 'revoked-token');
    await graph('POST', `${jobPath()}/start`);
    await waitFor(() => entra.state.job.status.code === 'Quarantine');
    const job = (await (await graph('GET', jobPath())).json()) as {
      status: { code: string; quarantine: { reason: string; error: { message: string } } };
    };
    expect(job.status.quarantine.reason).toBe('EncounteredQuarantineException');
    expect(job.status.quarantine.error.message).toContain('401');
    expect(scim.users.size).toBe(0);
  });

  it('pause stops after the current object; start resumes where it stopped', async () => {
    await entra.stop();
    entra = await startEntraService({ directory: makeDirectory({ users: 40 }), speed: 20, rateLimits: false });
    token = ((await (await getToken()).json()) as { access_token: string }).access_token;
    await putSecrets(scim.url, scim.token);
    await graph('POST', `${jobPath()}/start`);
    await waitFor(() => scim.users.size >= 3);
    expect((await graph('POST', `${jobPath()}/pause`)).status).toBe(204);
    await entra.settled(); // the in-flight object is written; after that nothing moves
    const atPause = scim.users.size;
    await new Promise((r) => setTimeout(r, 150));
    expect(scim.users.size).toBe(atPause);
    expect(entra.state.job.status.code).toBe('Paused');
    expect(atPause).toBeLessThan(41);
    await graph('POST', `${jobPath()}/start`);
    await waitFor(() => !entra.state.job.status.steadyStateFirstAchievedTime.startsWith('0001'));
    expect(scim.users.size).toBe(41); // no duplicates, nobody skipped
    expect(scim.requests.some((r) => r.method === 'DELETE')).toBe(false);
  });
});

describe('accidental-deletion threshold (vendor-facts.md "Entra deletion threshold")', () => {
  const settings = (value: number) =>
    JSON.stringify({ Enabled: true, Recipients: 'ops@example.com', DeleteThresholdEnabled: true, DeleteThresholdValue: value });
  const betaGet = async () => fetch(`${entra.loginUrl}/beta${spPath()}/synchronization/secrets`, { headers: { authorization: `Bearer ${token}` } });
  const disablesSent = () =>
    scim.requests.filter((r) => r.method === 'PATCH' && JSON.stringify(r.body).includes('"path":"active","value":"False"')).map((r) => r.url);

  /** Two users the target already holds as active, whose sign-in is then blocked in Entra. */
  function blockTwo(): string[] {
    const users = entra.state.users.filter((u) => u.accountEnabled && u.sourceDn !== null).slice(0, 2);
    for (const u of users) {
      const id = `pre-${u.id}`;
      scim.users.set(id, { id, userName: u.userPrincipalName, active: true });
      u.accountEnabled = false;
    }
    return users.map((u) => u.id);
  }

  it('stores SyncNotificationSettings from the PUT and serves it readable on the beta GET, the token masked', async () => {
    const res = await graph('PUT', `${spPath()}/synchronization/secrets`, {
      value: [
        { key: 'BaseAddress', value: scim.url },
        { key: 'SecretToken', value: scim.token },
        { key: 'SyncNotificationSettings', value: settings(2) },
      ],
    });
    expect(res.status).toBe(204);
    const got = (await (await betaGet()).json()) as { value: Array<{ key: string; value: string }> };
    expect(got.value.find((s) => s.key === 'SyncNotificationSettings')!.value).toBe(settings(2));
    expect(got.value.find((s) => s.key === 'SecretToken')!.value).toBe('*');
  });

  it('holds a cycle whose disables reach the threshold (quarantine TooManyDeletes, logged stagedDelete); ForceDeletes lets them through', async () => {
    const ids = blockTwo();
    await graph('PUT', `${spPath()}/synchronization/secrets`, {
      value: [
        { key: 'BaseAddress', value: scim.url },
        { key: 'SecretToken', value: scim.token },
        { key: 'SyncAll', value: 'false' },
        { key: 'SyncNotificationSettings', value: settings(2) },
      ],
    });
    await graph('POST', `${jobPath()}/start`);
    await waitFor(() => entra.state.job.status.code === 'Quarantine');
    await entra.settled();
    expect(entra.state.job.status.quarantine!.reason).toBe('TooManyDeletes');
    expect(disablesSent()).toEqual([]);
    const staged = entra.state.logs.filter((l) => l.provisioningAction === 'stagedDelete');
    expect(staged.map((l) => l.sourceIdentity.id).sort()).toEqual([...ids].sort());
    // "Allow deletes": restart with resetScope ForceDeletes.
    expect((await graph('POST', `${jobPath()}/restart`, { criteria: { resetScope: 'ForceDeletes' } })).status).toBe(204);
    await waitFor(() => disablesSent().length === 2);
    await waitFor(() => entra.state.job.status.code !== 'Quarantine' && !entra.state.job.status.steadyStateFirstAchievedTime.startsWith('0001'));
    const disabled = entra.state.logs.filter((l) => l.provisioningAction === 'disable' && l.provisioningStatusInfo.status === 'success');
    expect(disabled.map((l) => l.sourceIdentity.id).sort()).toEqual([...ids].sort());
  });

  it('exports disables below the threshold at the end of the cycle', async () => {
    blockTwo();
    await graph('PUT', `${spPath()}/synchronization/secrets`, {
      value: [
        { key: 'BaseAddress', value: scim.url },
        { key: 'SecretToken', value: scim.token },
        { key: 'SyncAll', value: 'false' },
        { key: 'SyncNotificationSettings', value: settings(3) },
      ],
    });
    await graph('POST', `${jobPath()}/start`);
    await waitFor(() => !entra.state.job.status.steadyStateFirstAchievedTime.startsWith('0001'));
    expect(entra.state.job.status.code).not.toBe('Quarantine');
    expect(disablesSent()).toHaveLength(2);
    // Staged, then exported when the cycle ended under the threshold: logged as disables, none held.
    expect(entra.state.logs.filter((l) => l.provisioningAction === 'disable' && l.provisioningStatusInfo.status === 'success')).toHaveLength(2);
    expect(entra.state.logs.some((l) => l.provisioningAction === 'stagedDelete')).toBe(false);
  });
});

describe('scope: SyncAll and app-role assignments (vendor-facts.md G10, G11)', () => {
  const restart = async (o: Parameters<typeof startEntraService>[0]) => {
    await entra.stop();
    entra = await startEntraService(o);
    token = ((await (await getToken()).json()) as { access_token: string }).access_token;
  };
  const provisionWith = async (syncAll: string) => {
    scim.users.clear();
    await graph('PUT', `${spPath()}/synchronization/secrets`, {
      value: [
        { key: 'BaseAddress', value: scim.url },
        { key: 'SecretToken', value: scim.token },
        { key: 'SyncAll', value: syncAll },
      ],
    });
    await graph('POST', `${jobPath()}/restart`, { criteria: { resetScope: 'Full' } });
    await waitFor(
      () => entra.state.job.status.lastExecution?.state === 'Succeeded' && entra.state.job.status.lastExecution.timeEnded !== null && scim.users.size > 0,
    );
    await waitFor(() => entra.state.job.status.progress[0]?.completedUnits === entra.state.job.status.progress[0]?.totalUnits);
    return new Set([...scim.users.values()].map((u) => u.userName as string));
  };

  it('SyncAll "false" provisions assigned users only (Default Access excluded); "true" provisions every user', async () => {
    await restart({ directory, speed: 1000, rateLimits: false, assignments: { unassignedUsers: 1, defaultAccessUsers: 1 } });
    const unassigned = directory.users[5]!.userPrincipalName;
    const defaultAccess = directory.users[4]!.userPrincipalName;
    const assignedOnly = await provisionWith('false');
    expect(assignedOnly.has(unassigned)).toBe(false);
    expect(assignedOnly.has(defaultAccess)).toBe(false);
    expect(assignedOnly.has(directory.users[0]!.userPrincipalName)).toBe(true);
    expect(assignedOnly.size).toBe(directory.users.length + 1 - 2);
    const everyone = await provisionWith('True');
    expect(everyone.has(unassigned)).toBe(true);
    expect(everyone.has(defaultAccess)).toBe(true);
    expect(everyone.size).toBe(directory.users.length + 1);
  });

  it('GET appRoleAssignedTo lists the assignments; Default Access is the all-zero app role id', async () => {
    await restart({ directory, speed: 1000, rateLimits: false, assignments: { unassignedUsers: 1, defaultAccessUsers: 1 } });
    const body = (await (await graph('GET', `${spPath()}/appRoleAssignedTo`)).json()) as {
      value: Array<{ appRoleId: string; principalDisplayName: string; principalType: string; resourceId: string }>;
    };
    expect(body.value.filter((a) => a.principalType === 'User')).toHaveLength(directory.users.length); // one unassigned
    const zero = body.value.filter((a) => a.appRoleId === '00000000-0000-0000-0000-000000000000');
    expect(zero.map((a) => a.principalDisplayName)).toEqual([directory.users[4]!.displayName]);
    expect(body.value.every((a) => a.resourceId === entra.credentials.servicePrincipalId)).toBe(true);
  });
});

describe('documented Graph shapes (vendor-facts.md G12–G14)', () => {
  it("synchronizationJobSettings are keyValuePairs {name, value}; GET …/jobs/{id}/schema is served with the engine's mapping", async () => {
    const job = (await (await graph('GET', jobPath())).json()) as { synchronizationJobSettings: Array<Record<string, string>> };
    expect(job.synchronizationJobSettings.length).toBeGreaterThan(0);
    expect(job.synchronizationJobSettings.every((s) => typeof s.name === 'string' && typeof s.value === 'string' && !('key' in s))).toBe(true);
    const res = await graph('GET', `${jobPath()}/schema`);
    expect(res.status).toBe(200);
    const schema = (await res.json()) as {
      synchronizationRules: Array<{
        objectMappings: Array<{ sourceObjectName: string; attributeMappings: Array<{ targetAttributeName: string; matchingPriority: number }> }>;
      }>;
    };
    const users = schema.synchronizationRules[0]!.objectMappings.find((m) => m.sourceObjectName === 'User')!;
    expect(users.attributeMappings.map((a) => a.targetAttributeName)).toEqual(entra.state.userMapping.map((m) => m.target));
    expect(users.attributeMappings.find((a) => a.matchingPriority === 1)!.targetAttributeName).toBe('userName');
  });

  it('GET /auditLogs/provisioning accepts the documented $filter forms', async () => {
    await putSecrets(scim.url, scim.token);
    await graph('POST', `${jobPath()}/start`);
    await waitFor(() => !entra.state.job.status.steadyStateLastAchievedTime.startsWith('0001'));
    const logs = entra.state.logs;
    const q = async (f: string) => {
      const r = await graph('GET', `/auditLogs/provisioning?$filter=${encodeURIComponent(f)}&$top=1000`);
      return { status: r.status, value: ((await r.json()) as { value?: unknown[] }).value ?? [] };
    };
    expect((await q(`servicePrincipal/id eq '${entra.credentials.servicePrincipalId}'`)).value).toHaveLength(logs.length);
    expect((await q(`jobId eq '${entra.state.job.id}' and activityDateTime gt 2000-01-01T00:00:00Z`)).value).toHaveLength(logs.length);
    expect((await q(`activityDateTime lt 2000-01-01T00:00:00Z`)).value).toHaveLength(0);
    expect((await q(`cycleId eq '${logs[0]!.cycleId}'`)).value).toHaveLength(logs.length);
    expect((await q(`provisioningStatusInfo/status eq 'failure'`)).value).toHaveLength(0);
    expect((await q(`contains(jobId, '${entra.state.job.templateId}')`)).value).toHaveLength(logs.length);
    const bad = await q(`displayName eq 'x'`);
    expect(bad.status).toBe(400);
  });
});

describe('later cycles: escrows, retries, quarantine (vendor-facts.md G15, G16)', () => {
  it('an object that failed is escrowed, the cycle ends with EntryLevelErrors, and the next incremental cycle (40 min / speed) retries it', async () => {
    await entra.stop();
    entra = await startEntraService({ directory, speed: 20_000, rateLimits: false });
    token = ((await (await getToken()).json()) as { access_token: string }).access_token;
    const flaky = directory.users[3]!;
    scim.failPosts.set(flaky.userPrincipalName, 1);
    await putSecrets(scim.url, scim.token);
    await graph('POST', `${jobPath()}/start`);
    await waitFor(() => entra.state.job.status.lastExecution?.state === 'EntryLevelErrors' && entra.state.job.status.lastExecution.timeEnded !== null);
    expect(entra.state.job.status.steadyStateFirstAchievedTime.startsWith('0001')).toBe(true);
    expect(entra.state.job.status.lastExecution!.countEscrowed).toBe(1);
    const failed = entra.state.logs.filter((l) => l.provisioningStatusInfo.status === 'failure');
    expect(failed.map((l) => l.sourceIdentity.displayName)).toEqual([flaky.displayName]);
    // The incremental cycle retries only what is due: the escrowed user and the groups holding it.
    await waitFor(() => !entra.state.job.status.steadyStateLastAchievedTime.startsWith('0001'));
    expect([...scim.users.values()].some((u) => u.userName === flaky.userPrincipalName)).toBe(true);
    expect(entra.state.escrows.size).toBe(0);
    const retry = entra.state.logs.filter((l) => l.cycleId !== failed[0]!.cycleId);
    expect(retry.filter((l) => l.sourceIdentity.identityType === 'User').map((l) => l.sourceIdentity.displayName)).toEqual([flaky.displayName]);
    expect(entra.state.job.status.lastExecution!.state).toBe('Succeeded');
  });

  it('an incremental cycle with more than 40 % failures quarantines the job (EncounteredEscrowProportionThreshold)', async () => {
    await entra.stop();
    entra = await startEntraService({ directory, speed: 20_000, rateLimits: false });
    token = ((await (await getToken()).json()) as { access_token: string }).access_token;
    entra.state.escrowQuarantineMinimum = 1;
    for (const u of directory.users) scim.failPosts.set(u.userPrincipalName, -1);
    await putSecrets(scim.url, scim.token);
    await graph('POST', `${jobPath()}/start`);
    await waitFor(() => entra.state.job.status.code === 'Quarantine');
    expect(entra.state.job.status.quarantine!.reason).toBe('EncounteredEscrowProportionThreshold');
  });
});

describe('request recording', () => {
  it('reports every login and Graph request with its status', async () => {
    await entra.stop();
    const seen: Array<{ server: string; method: string; path: string; status: number }> = [];
    entra = await startEntraService({ directory, speed: 1, rateLimits: false, recordRequest: (e) => seen.push(e) });
    token = ((await (await getToken()).json()) as { access_token: string }).access_token;
    await (await graph('GET', spPath())).arrayBuffer();
    await (await fetch(`${entra.graphUrl}${spPath()}`)).arrayBuffer();
    expect(seen).toEqual([
      { server: 'login', method: 'POST', path: `/${entra.credentials.tenantId}/oauth2/v2.0/token`, status: 200 },
      { server: 'graph', method: 'GET', path: `/v1.0${spPath()}`, status: 200 },
      { server: 'graph', method: 'GET', path: `/v1.0${spPath()}`, status: 401 },
    ]);
  });
});

describe('throttling (F46)', () => {
  it('answers 429 with Retry-After when rate limits are on', async () => {
    await entra.stop();
    entra = await startEntraService({ directory, speed: 1, rateLimits: true });
    token = ((await (await getToken()).json()) as { access_token: string }).access_token;
    const statuses = await Promise.all(Array.from({ length: 70 }, () => graph('GET', spPath())));
    const limited = statuses.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.headers.get('retry-after')).toBe('1');
    await Promise.all(statuses.map((r) => r.arrayBuffer()));
  });
});

describe('provisionOnDemand (vendor-facts.md N1–N6)', () => {
  const ruleOf = async () =>
    ((await (await graph('GET', `${jobPath()}/schema`)).json()) as { synchronizationRules: Array<{ id: string }> }).synchronizationRules[0]!.id;
  const onDemand = async (objectId: string, ruleId?: string) =>
    graph('POST', `${jobPath()}/provisionOnDemand`, {
      parameters: [{ ruleId: ruleId ?? (await ruleOf()), subjects: [{ objectId, objectTypeName: 'User' }] }],
    });
  const parsed = async (res: Response) => {
    const body = (await res.json()) as { key: string; value: string };
    return { key: JSON.parse(body.key) as { result: string; details: Record<string, string> }, value: JSON.parse(body.value) as Record<string, unknown> };
  };
  const userOf = (i: number) => entra.state.users.find((u) => u.userPrincipalName === directory.users[i]!.userPrincipalName)!;

  it('provisions one user now, answers the stringKeyStringValuePair, and leaves the job off; a second call is a RedundantExport skip', async () => {
    await putSecrets(scim.url, scim.token);
    const user = userOf(0);
    const first = await onDemand(user.id);
    expect(first.status).toBe(200);
    const one = await parsed(first);
    expect(one.key).toEqual({ result: 'Success', details: {} });
    const target = (one.value.targetIdentity as { id: string }).id;
    expect(scim.users.get(target)).toMatchObject({ userName: user.userPrincipalName, externalId: user.id });
    expect(one.value).toMatchObject({ action: 'Create', reportableIdentifier: user.userPrincipalName, statusInfo: { status: 'Success' } });
    // The job is not started by it (N5): the schedule and status are what PUT secrets left.
    expect(entra.state.job.schedule.state).toBe('Disabled');
    expect(entra.state.job.status.code).toBe('NotRun');
    expect(entra.state.job.status.lastExecution).toBeNull();
    expect(scim.requests.filter((r) => r.method !== 'GET').map((r) => r.url)).toEqual(['/scim/Users']);
    const again = await parsed(await onDemand(user.id));
    expect(again.key).toEqual({ result: 'Skipped', details: { errorCode: 'RedundantExport', errorMessage: expect.stringMatching(/already match/) } });
    expect(entra.state.logs.filter((l) => l.sourceIdentity.id === user.id).map((l) => l.provisioningStatusInfo.status)).toEqual(['success', 'skipped']);
  });

  it('a chosen user fails with its errorCode before any SCIM request; a user out of scope is skipped; a wrong rule id is a 400', async () => {
    entra.state.userFaults.set(directory.users[1]!.userPrincipalName.toLowerCase(), {
      errorCode: 'SystemForCrossDomainIdentityManagementBadResponse',
      reason: 'refused',
    });
    await putSecrets(scim.url, scim.token);
    const failed = await parsed(await onDemand(userOf(1).id));
    expect(failed.key).toEqual({ result: 'Failure', details: { errorCode: 'SystemForCrossDomainIdentityManagementBadResponse', errorMessage: 'refused' } });
    expect(scim.requests).toEqual([]);
    entra.state.assignments = entra.state.assignments.filter((a) => a.principalId !== userOf(3).id);
    const skipped = await parsed(await onDemand(userOf(3).id));
    expect(skipped.key.result).toBe('Skipped');
    expect(skipped.key.details.errorCode).toBe('NotEffectivelyEntitled');
    expect(scim.requests).toEqual([]);
    const wrong = await onDemand(userOf(0).id, 'not-a-rule');
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: { message: string } }).error.message).toMatch(/ruleId 'not-a-rule' is not a rule of the job's schema/);
  });

  it('GET /users/{userPrincipalName} reads the Entra user; 404 for none', async () => {
    const user = userOf(0);
    const res = await graph('GET', `/users/${encodeURIComponent(user.userPrincipalName.toUpperCase())}`);
    expect(await res.json()).toMatchObject({ id: user.id, userPrincipalName: user.userPrincipalName, accountEnabled: true });
    expect((await graph('GET', '/users/nobody%40example.com')).status).toBe(404);
  });

  it('with rate limits on, a sixth request inside the window (10 s ÷ speed) answers 429 with Retry-After', async () => {
    await entra.stop();
    // speed 0.01: the window is 1 000 s, so six requests always fall inside it.
    entra = await startEntraService({ directory, speed: 0.01, rateLimits: true });
    token = ((await (await getToken()).json()) as { access_token: string }).access_token;
    const rule = await ruleOf();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await onDemand(userOf(0).id, rule)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
