import { ReadOnlyViolation, UserError } from '../../src/engine/errors.js';
import { ApiError } from '../../src/clients/http.js';
import { createGraphClient, describeQuarantine, isInitialCycleComplete, SyncJobSchema, type GraphClientOptions } from '../../src/clients/graph.js';
import { collect, fixture, slidingWindowGuard, startServer, type FixtureServer, type Recorded, type Reply } from './helpers/fixture-server.js';

const SECRET = 'graph-client-secret-~value~';
const TENANT = '11111111-2222-3333-4444-555555555555';
const SP = '6f1c1a5e-0b7e-4c1f-9d0a-111111111111';
const TOKEN = (fixture('graph/token.json') as { access_token: string }).access_token;

interface GraphFake {
  server: FixtureServer;
  tokenCalls: number;
  jobs: unknown[];
  secrets: Array<{ key: string; value: string | null }>;
  sps: unknown[];
  betaRefused?: boolean;
  override?: (r: Recorded) => Reply | undefined;
}

let fake: GraphFake | undefined;
afterEach(async () => {
  await fake?.server.close();
  fake = undefined;
});

/** Login (…/<tenant>/oauth2/v2.0/token, docs/vendor-facts.md F32) and Graph v1.0 (/v1.0/…, F29–F31, F47–F50) on one loopback server. */
async function startGraph(): Promise<GraphFake> {
  const f: GraphFake = {
    server: undefined as unknown as FixtureServer,
    tokenCalls: 0,
    jobs: fixture<{ value: unknown[] }>('graph/jobs-active.json').value,
    secrets: fixture<{ value: Array<{ key: string; value: string | null }> }>('graph/secrets.json').value,
    sps: fixture<{ value: unknown[] }>('graph/servicePrincipals.json').value,
  };
  f.server = await startServer((r) => {
    if (r.path === `/login/${TENANT}/oauth2/v2.0/token`) {
      f.tokenCalls++;
      const form = new URLSearchParams(r.body);
      if (
        form.get('client_secret') !== SECRET ||
        form.get('scope') !== 'https://graph.microsoft.com/.default' ||
        form.get('grant_type') !== 'client_credentials'
      ) {
        return { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } };
      }
      return { status: 200, body: fixture('graph/token.json') };
    }
    const o = f.override?.(r);
    if (o) return o;
    if (r.headers.authorization !== `Bearer ${TOKEN}`)
      return { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } } };
    const p = r.path.replace(/^\/v1\.0/, '');
    const job = `/servicePrincipals/${SP}/synchronization/jobs/${(f.jobs[0] as { id: string } | undefined)?.id ?? 'none'}`;
    if (p === '/servicePrincipals') return { status: 200, body: { value: f.sps } };
    if (p === `/servicePrincipals/${SP}`) return { status: 200, body: f.sps[0] };
    if (p === `/servicePrincipals/${SP}/synchronization/jobs`) return { status: 200, body: { value: f.jobs } };
    if (p === job && r.method === 'GET') return { status: 200, body: f.jobs[0] };
    // The secrets GET is documented on beta only; v1.0 answers 405 (vendor-facts.md).
    if (r.path === `/beta/servicePrincipals/${SP}/synchronization/secrets` && r.method === 'GET') {
      return f.betaRefused
        ? { status: 403, body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges.' } } }
        : { status: 200, body: { value: f.secrets } };
    }
    if (p === `/servicePrincipals/${SP}/synchronization/secrets` && r.method === 'GET')
      return { status: 405, body: { error: { code: 'Request_BadRequest', message: "The requested resource does not support http method 'GET'." } } };
    if (p === `/servicePrincipals/${SP}/synchronization/secrets` && r.method === 'PUT') {
      f.secrets = (JSON.parse(r.body) as { value: GraphFake['secrets'] }).value;
      return { status: 204 };
    }
    if (p.startsWith(job + '/') && r.method === 'POST') return { status: 204 };
    if (p === '/auditLogs/provisioning') {
      if (r.query.get('$skiptoken') === 'page2') return { status: 200, body: fixture('graph/provisioning-page2.json') };
      const page1 = fixture<Record<string, unknown>>('graph/provisioning-page1.json');
      page1['@odata.nextLink'] = `${f.server.url}/v1.0/auditLogs/provisioning?$skiptoken=page2`;
      return { status: 200, body: page1 };
    }
    return { status: 404, body: { error: { code: 'Request_ResourceNotFound', message: `Resource '${p}' does not exist` } } };
  });
  fake = f;
  return f;
}

function client(f: GraphFake, extra: Partial<GraphClientOptions> = {}) {
  return createGraphClient({
    loginUrl: `${f.server.url}/login`,
    graphUrl: `${f.server.url}/v1.0`,
    tenantId: TENANT,
    clientId: 'app-id',
    clientSecret: SECRET,
    tuning: { retryBaseDelayMs: 5, retries: 2 },
    ...extra,
  });
}

const jobId = () => fixture<{ value: Array<{ id: string }> }>('graph/jobs-active.json').value[0]!.id;

describe('Graph client', () => {
  it('gets a token with client credentials once and finds the service principal by displayName, appId or id', async () => {
    const f = await startGraph();
    const g = client(f);
    expect(await g.findServicePrincipal({ displayName: 'Zscaler Three' })).toEqual({
      id: SP,
      appId: '2c0e7a7b-3a4d-4e8e-8f1b-aaaaaaaaaaaa',
      displayName: 'Zscaler Three',
    });
    const q = f.server.requests.find((r) => r.path === '/v1.0/servicePrincipals')!.query;
    expect(q.get('$filter')).toBe("displayName eq 'Zscaler Three'");
    expect(q.get('$select')).toBe('id,appId,displayName');
    expect((await g.findServicePrincipal({ appId: '2c0e7a7b-3a4d-4e8e-8f1b-aaaaaaaaaaaa' })).id).toBe(SP);
    expect((await g.findServicePrincipal({ id: SP })).displayName).toBe('Zscaler Three');
    expect(f.tokenCalls).toBe(1);
  });

  it('insists on exactly one service principal and lists the candidates', async () => {
    const f = await startGraph();
    f.sps.push({ id: 'second-id', appId: 'second-app', displayName: 'Zscaler Three' });
    const g = client(f);
    const err = (await g.findServicePrincipal({ displayName: 'Zscaler Three' }).catch((e: unknown) => e)) as UserError;
    expect(err.message).toMatch(/2 Entra service principals match/);
    expect(err.message).toContain('second-id');
    expect(err.message).toContain(SP);
    f.sps.length = 0;
    await expect(g.findServicePrincipal({ displayName: "O'Brien app" })).rejects.toThrow(/no Entra service principal matches/);
    expect(f.server.requests.at(-1)!.query.get('$filter')).toBe("displayName eq 'O''Brien app'");
    await expect(g.findServicePrincipal({ id: 'missing' })).rejects.toThrow(/no Entra service principal matches id missing/);
  });

  it('reads the one synchronization job; none or two is an error; helpers read its status', async () => {
    const f = await startGraph();
    const g = client(f);
    const job = await g.getSynchronizationJob(SP);
    expect(job.status.code).toBe('Active');
    expect((job.status as Record<string, unknown>).someFutureField).toBe('x');
    expect(isInitialCycleComplete(job)).toBe(true);
    expect(describeQuarantine(job)).toBeNull();
    expect((await g.getJob(SP, job.id)).id).toBe(job.id);
    const notRun = SyncJobSchema.parse(fixture('graph/job-notrun.json'));
    expect(isInitialCycleComplete(notRun)).toBe(false);
    // Steady state reached on 2026-11-20 and last at 02:40 on the 26th: a start after that is not yet served.
    expect(isInitialCycleComplete(job, '2026-11-26T03:00:00Z')).toBe(false);
    expect(isInitialCycleComplete(job, '2026-11-26T02:38:00Z')).toBe(true);
    const ranSince = SyncJobSchema.parse({
      ...job,
      status: {
        ...job.status,
        steadyStateLastAchievedTime: '0001-01-01T00:00:00Z',
        lastExecution: { ...job.status.lastExecution, timeBegan: '2026-11-26T03:01:00Z', timeEnded: '2026-11-26T03:20:00Z' },
      },
    });
    expect(isInitialCycleComplete(ranSince, '2026-11-26T03:00:00Z')).toBe(true);
    const stillRunning = SyncJobSchema.parse({
      ...ranSince,
      status: { ...ranSince.status, lastExecution: { ...ranSince.status.lastExecution, timeEnded: null } },
    });
    expect(isInitialCycleComplete(stillRunning, '2026-11-26T03:00:00Z')).toBe(false);
    const q = describeQuarantine(SyncJobSchema.parse(fixture('graph/job-quarantine.json')));
    expect(q?.reason).toBe('EncounteredQuarantineException');
    expect(q?.meaning).toMatch(/credentials/);
    expect(q?.whatToDo).toMatch(/Test Connection/);
    expect(q?.nextAttempt).toBe('2026-11-26T08:00:00Z');
    f.jobs = [];
    await expect(g.getSynchronizationJob(SP)).rejects.toThrow(/has no provisioning/);
    f.jobs = [
      fixture<{ value: unknown[] }>('graph/jobs-active.json').value[0],
      { ...fixture<{ value: object[] }>('graph/jobs-active.json').value[0], id: 'other.job' },
    ];
    await expect(g.getSynchronizationJob(SP)).rejects.toThrow(/has 2 synchronization jobs/);
  });

  it('reads the secret keys on beta only, never on v1.0; a refused read says why instead of failing', async () => {
    const f = await startGraph();
    const g = client(f);
    expect(await g.getSecretKeys(SP)).toEqual({ keys: ['BaseAddress', 'SecretToken', 'SyncNotificationSettings', 'SyncAll'] });
    f.betaRefused = true;
    const refused = await g.getSecretKeys(SP);
    expect(refused.keys).toBeNull();
    expect(refused.reason).toMatch(/HTTP 403.*v1\.0 documents only PUT/);
    const gets = f.server.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/synchronization/secrets')).map((r) => r.path);
    expect(gets).toEqual([`/beta/servicePrincipals/${SP}/synchronization/secrets`, `/beta/servicePrincipals/${SP}/synchronization/secrets`]);
  });

  it('updateSecrets PUTs the given values plus readable settings; secrets not given are dropped, never re-sent from a read', async () => {
    const f = await startGraph();
    const g = client(f);
    // SecretToken comes back without a value: it is not carried over, and the PUT does not depend on it.
    const res = await g.updateSecrets(SP, { BaseAddress: 'https://scim.zscalerthree.net/1/2/scim', SyncAll: 'false' });
    expect(res).toEqual({ keys: ['BaseAddress', 'SyncAll', 'SyncNotificationSettings'], kept: ['SyncNotificationSettings'], dropped: ['SecretToken'] });
    expect(f.secrets).toEqual([
      { key: 'BaseAddress', value: 'https://scim.zscalerthree.net/1/2/scim' },
      { key: 'SyncAll', value: 'false' },
      { key: 'SyncNotificationSettings', value: '{"Enabled":false,"DeleteThresholdEnabled":false}' },
    ]);
    // A refused read: the PUT still goes out with exactly the given values, and what was lost is unknown.
    f.betaRefused = true;
    const blind = await g.updateSecrets(SP, {
      BaseAddress: 'https://scim.zscalerthree.net/1/2/scim',
      SecretToken: 'new-zscaler-bearer-token-XYZ',
      SyncAll: 'false',
    });
    expect(blind).toEqual({ keys: ['BaseAddress', 'SecretToken', 'SyncAll'], kept: [], dropped: null });
    expect(f.secrets.map((s) => s.key)).toEqual(['BaseAddress', 'SecretToken', 'SyncAll']);
    expect(f.server.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1.0/') && r.path.endsWith('/secrets'))).toHaveLength(0);
  });

  it('validateCredentials: 204 is ok; a Graph error envelope becomes an ApiError without the secret', async () => {
    const f = await startGraph();
    const g = client(f);
    expect(await g.validateCredentials(SP, jobId(), { BaseAddress: 'https://scim.example/1/2/scim', SecretToken: 'candidate-token-1234567' })).toEqual({
      ok: true,
    });
    const sent = JSON.parse(f.server.requests.at(-1)!.body) as { useSavedCredentials: boolean; credentials: unknown[] };
    expect(sent.useSavedCredentials).toBe(false);
    expect(sent.credentials).toEqual([
      { key: 'BaseAddress', value: 'https://scim.example/1/2/scim' },
      { key: 'SecretToken', value: 'candidate-token-1234567' },
    ]);
    f.override = (r) =>
      r.path.endsWith('/validateCredentials')
        ? {
            status: 400,
            body: {
              error: {
                ...fixture<{ error: object }>('graph/error-envelope.json').error,
                message: `Credentials candidate-token-1234567 could not be validated.`,
              },
            },
          }
        : undefined;
    const err = (await g.validateCredentials(SP, jobId(), { SecretToken: 'candidate-token-1234567' }).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.code).toBe('BadRequest');
    expect(err.message).toContain('could not be validated');
    expect(`${err.message} ${JSON.stringify(err)}`).not.toContain('candidate-token-1234567');
    expect(`${err.message} ${JSON.stringify(err)}`).not.toContain(TOKEN);
    expect(f.server.requests.filter((r) => r.path.endsWith('/validateCredentials'))).toHaveLength(2); // 400 not retried
  });

  it('start, pause and restart; restart refuses ConnectorDataStore and None without sending anything', async () => {
    const f = await startGraph();
    const g = client(f);
    await g.startJob(SP, jobId());
    await g.pauseJob(SP, jobId());
    await g.restartJob(SP, jobId(), 'Watermark, Escrows');
    const restart = f.server.requests.at(-1)!;
    expect(restart.path.endsWith('/restart')).toBe(true);
    expect(JSON.parse(restart.body)).toEqual({ criteria: { resetScope: 'Watermark,Escrows' } });
    const count = f.server.requests.length;
    await expect(g.restartJob(SP, jobId(), 'ConnectorDataStore')).rejects.toThrow(/without Microsoft support/);
    await expect(g.restartJob(SP, jobId(), 'Watermark,None')).rejects.toThrow(/DO NOT USE/);
    expect(f.server.requests.length).toBe(count);
  });

  it('lists provisioning logs following @odata.nextLink', async () => {
    const f = await startGraph();
    const g = client(f);
    const pages = await collect(g.listProvisioningLogs('zscalerthree.e4bb', '2026-11-26T00:00:00Z'));
    expect(pages.map((p) => p.map((e) => e.id))).toEqual([['75b5b3a4-0001'], ['75b5b3a4-0002']]);
    expect(pages[1]![0]!.provisioningStatusInfo?.errorInformation?.reason).toContain('409');
    const first = f.server.requests.find((r) => r.path === '/v1.0/auditLogs/provisioning')!;
    expect(first.query.get('$filter')).toBe("jobId eq 'zscalerthree.e4bb' and activityDateTime gt 2026-11-25T23:59:59.999Z");
  });

  it('refuses a nextLink to another host (the token would go with it)', async () => {
    const f = await startGraph();
    f.override = (r) =>
      r.path === '/v1.0/auditLogs/provisioning'
        ? { status: 200, body: { ...fixture<object>('graph/provisioning-page1.json'), '@odata.nextLink': 'https://evil.example/steal' } }
        : undefined;
    await expect(collect(client(f).listProvisioningLogs('j'))).rejects.toThrow(/another host/);
    expect(f.server.requests.some((r) => r.path === '/steal')).toBe(false);
  });

  it('honours Retry-After on 429 and 503, and fetches a new token once on 401', async () => {
    const f = await startGraph();
    let n = 0;
    f.override = (r) => {
      if (!r.path.endsWith('/synchronization/jobs')) return undefined;
      n++;
      if (n === 1) return { status: 429, headers: { 'retry-after': '1' }, body: fixture('graph/error-throttled.json') };
      if (n === 2) return { status: 503, headers: { 'retry-after': '0' }, body: { error: { code: 'serviceNotAvailable', message: 'try later' } } };
      if (n === 3)
        return { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Lifetime validation failed, the token is expired.' } } };
      return undefined;
    };
    const g = client(f);
    expect((await g.getSynchronizationJob(SP)).status.code).toBe('Active');
    expect(n).toBe(4);
    expect(f.tokenCalls).toBe(2);
  });

  it('a refused client secret is reported without the secret', async () => {
    const f = await startGraph();
    const g = client(f, { clientSecret: 'wrong-secret-value-123' });
    const err = (await g.getSynchronizationJob(SP).catch((e: unknown) => e)) as ApiError;
    expect(err.system).toBe('login');
    expect(err.code).toBe('invalid_client');
    expect(err.message).not.toContain('wrong-secret-value-123');
    expect(f.tokenCalls).toBe(1);
  });

  it('read-only mode: token and reads work, every mutation throws before it leaves', async () => {
    const f = await startGraph();
    const g = client(f, { readOnly: true });
    await g.getSynchronizationJob(SP);
    await expect(g.startJob(SP, jobId())).rejects.toBeInstanceOf(ReadOnlyViolation);
    await expect(g.pauseJob(SP, jobId())).rejects.toBeInstanceOf(ReadOnlyViolation);
    await expect(g.restartJob(SP, jobId(), 'Watermark')).rejects.toBeInstanceOf(ReadOnlyViolation);
    await expect(g.validateCredentials(SP, jobId())).rejects.toBeInstanceOf(ReadOnlyViolation);
    await expect(g.updateSecrets(SP, { BaseAddress: 'x', SecretToken: 'y-token-value' })).rejects.toBeInstanceOf(ReadOnlyViolation);
    const mutating = f.server.requests.filter((r) => r.method !== 'GET' && !r.path.endsWith('/oauth2/v2.0/token'));
    expect(mutating).toHaveLength(0);
  });
});

describe('provisionOnDemand (pilot users, issue 17, section 2)', () => {
  const RULE = 'zscalerthree.rule';

  it('posts one User subject with the rule id and parses the key and value, both JSON strings', async () => {
    const f = await startGraph();
    f.override = (r) =>
      r.method === 'POST' && r.path.endsWith('/provisionOnDemand') ? { status: 200, body: fixture('graph/provision-on-demand-skipped.json') } : undefined;
    const result = await client(f).provisionOnDemand(SP, jobId(), RULE, ['62cf7b7a-52be-4a9b-9c69-e5d4a4a14f67']);
    const sent = f.server.requests.find((r) => r.path.endsWith('/provisionOnDemand'))!;
    expect(sent.path).toBe(`/v1.0/servicePrincipals/${SP}/synchronization/jobs/${jobId()}/provisionOnDemand`);
    expect(JSON.parse(sent.body)).toEqual({
      parameters: [{ ruleId: RULE, subjects: [{ objectId: '62cf7b7a-52be-4a9b-9c69-e5d4a4a14f67', objectTypeName: 'User' }] }],
    });
    expect(result).toMatchObject({
      result: 'Skipped',
      errorCode: 'RedundantExport',
      errorMessage: 'The state of the user in both the source and target systems already match.',
      action: 'Other',
      targetId: '52507a19-96ec-4e73-9250-3e65ffd2d926',
      status: 'Skipped',
    });
    expect(result.steps).toHaveLength(4);
    expect(result.steps[3]).toMatch(/^EntrySynchronizationSkip Skipped: The state of the user/);
  });

  it('accepts a value of {} (the documented group example) and refuses a key or value that is not the documented JSON', async () => {
    const f = await startGraph();
    let body: unknown = fixture('graph/provision-on-demand-empty-value.json');
    f.override = (r) => (r.method === 'POST' && r.path.endsWith('/provisionOnDemand') ? { status: 200, body } : undefined);
    const g = client(f);
    expect(await g.provisionOnDemand(SP, jobId(), RULE, ['u1'])).toMatchObject({ result: 'Success', targetId: undefined, steps: [] });
    body = { key: '{"result":', value: '{}' };
    await expect(g.provisionOnDemand(SP, jobId(), RULE, ['u1'])).rejects.toThrow(/provisionOnDemand answered a key that is not JSON: \{"result":/);
    body = { key: '{"details":{}}', value: '{}' };
    await expect(g.provisionOnDemand(SP, jobId(), RULE, ['u1'])).rejects.toThrow(/provisionOnDemand answered a key of an unexpected shape: result/);
    body = { key: '{"result":"Failure"}', value: '{"statusInfo":"not an object"}' };
    await expect(g.provisionOnDemand(SP, jobId(), RULE, ['u1'])).rejects.toThrow(/a value of an unexpected shape: statusInfo/);
    body = { value: '{}' };
    await expect(g.provisionOnDemand(SP, jobId(), RULE, ['u1'])).rejects.toThrow(/no stringKeyStringValuePair/);
  });

  it('paces itself to the documented 5 requests per 10 seconds: six calls never trip a server that allows no more', async () => {
    const f = await startGraph();
    const allow = slidingWindowGuard(5, 10_000);
    const statuses: number[] = [];
    f.override = (r) => {
      if (!(r.method === 'POST' && r.path.endsWith('/provisionOnDemand'))) return undefined;
      const ok = allow();
      statuses.push(ok ? 200 : 429);
      return ok
        ? { status: 200, body: fixture('graph/provision-on-demand-empty-value.json') }
        : { status: 429, headers: { 'retry-after': '1' }, body: fixture('graph/error-throttled.json') };
    };
    const g = client(f);
    for (let i = 0; i < 6; i++) await g.provisionOnDemand(SP, jobId(), RULE, [`u${i}`]);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
  }, 30_000);

  it('is a write: refused in read-only mode before anything is sent', async () => {
    const f = await startGraph();
    await expect(client(f, { readOnly: true }).provisionOnDemand(SP, jobId(), RULE, ['u1'])).rejects.toBeInstanceOf(ReadOnlyViolation);
    expect(f.server.requests.some((r) => r.path.endsWith('/provisionOnDemand'))).toBe(false);
  });
});
