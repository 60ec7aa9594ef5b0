/**
 * A second client of the sandbox's Graph: Microsoft's own TypeScript SDK (@microsoft/msgraph-sdk, v1.0).
 * Every response the sandbox gives for the calls the product makes must deserialize into the SDK's
 * generated models with the fields the product reads. Kiota's JSON parse node puts any property the
 * model does not know into `additionalData`, so a field the sandbox names differently from Graph
 * shows up there (and as `undefined` on the model): `unknownFields` fails the test on it
 * (docs/vendor-facts.md G17).
 *
 * The SDK's fluent request builders for /servicePrincipals and /auditLogs live in separate packages
 * (@microsoft/msgraph-sdk-serviceprincipals, -auditlogs in the SDK repository) for which npm
 * answers 404 (docs/vendor-facts.md G18), so each call here is a kiota RequestInformation sent
 * through the SDK's GraphRequestAdapter and parsed by the SDK's model factories, which is all the
 * request builders themselves do. Kiota names a Graph property called `error` `errorEscaped` on
 * its TypeScript models.
 */
import {
  AllowedHostsValidator,
  BaseBearerTokenAuthenticationProvider,
  HttpMethod,
  RequestInformation,
  type AccessTokenProvider,
  type Parsable,
  type ParsableFactory,
} from '@microsoft/kiota-abstractions';
import { GraphRequestAdapter } from '@microsoft/msgraph-sdk';
import {
  createAppRoleAssignmentCollectionResponseFromDiscriminatorValue,
  createProvisioningObjectSummaryCollectionResponseFromDiscriminatorValue,
  createServicePrincipalCollectionResponseFromDiscriminatorValue,
  createServicePrincipalFromDiscriminatorValue,
  createSynchronizationJobCollectionResponseFromDiscriminatorValue,
  createSynchronizationJobFromDiscriminatorValue,
  createSynchronizationSchemaFromDiscriminatorValue,
  type AppRoleAssignmentCollectionResponse,
  type ProvisioningObjectSummaryCollectionResponse,
  type ServicePrincipal,
  type ServicePrincipalCollectionResponse,
  type SynchronizationJob,
  type SynchronizationJobCollectionResponse,
  type SynchronizationSchema,
} from '@microsoft/msgraph-sdk/models/index.js';
import { createODataErrorFromDiscriminatorValue, type ODataError } from '@microsoft/msgraph-sdk/models/oDataErrors/index.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';

/** Client-credentials token from the sandbox's Entra token endpoint, as a kiota AccessTokenProvider. */
class SandboxClientCredentials implements AccessTokenProvider {
  private token: string | null = null;
  constructor(private readonly sb: Sandbox) {}
  getAllowedHostsValidator = (): AllowedHostsValidator => new AllowedHostsValidator(new Set(['127.0.0.1']));
  getAuthorizationToken = async (): Promise<string> => {
    if (this.token) return this.token;
    const { tenantId, clientId, clientSecret } = this.sb.credentials.entra;
    const res = await fetch(`${this.sb.endpoints.entraLoginUrl}/${tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope: 'https://graph.microsoft.com/.default',
      }).toString(),
    });
    if (res.status !== 200) throw new Error(`sandbox token endpoint answered HTTP ${res.status}`);
    this.token = ((await res.json()) as { access_token: string }).access_token;
    return this.token;
  };
}

/** Every property a model did not know, by JSON path (OData control annotations excepted). */
function unknownFields(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownFields(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object' || value instanceof Date) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === 'additionalData') {
      for (const extra of Object.keys((v as Record<string, unknown> | undefined) ?? {})) {
        if (!extra.startsWith('@odata.')) out.push(`${path}.${extra}`);
      }
    } else {
      out.push(...unknownFields(v, `${path}.${k}`));
    }
  }
  return out;
}

/** GET through the SDK's request adapter, parsed by the SDK's model factory; unknown fields fail. */
async function sdkGet<T extends Parsable>(
  sb: Sandbox,
  adapter: GraphRequestAdapter,
  path: string,
  factory: ParsableFactory<T>,
  query?: Record<string, string>,
): Promise<T> {
  const ri = new RequestInformation(HttpMethod.GET);
  const url = new URL(`${sb.endpoints.graphUrl}${path}`);
  for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
  ri.URL = url.toString();
  ri.headers.tryAdd('Accept', 'application/json');
  const out = await adapter.send<T>(ri, factory, { XXX: createODataErrorFromDiscriminatorValue });
  if (!out) throw new Error(`GET ${path}: empty body`);
  expect(unknownFields(out)).toEqual([]);
  return out;
}

function sdkAdapter(sb: Sandbox): GraphRequestAdapter {
  const adapter = new GraphRequestAdapter(new BaseBearerTokenAuthenticationProvider(new SandboxClientCredentials(sb)));
  adapter.baseUrl = sb.endpoints.graphUrl;
  return adapter;
}

/** The migration's Entra part over plain HTTP: the app's secrets PUT, then the job started. */
async function configureAndStart(sb: Sandbox, baseAddress: string, secretToken: string): Promise<void> {
  const spPath = `/servicePrincipals/${sb.world.entra.servicePrincipal.id}`;
  const tok = await new SandboxClientCredentials(sb).getAuthorizationToken();
  const g = { authorization: `Bearer ${tok}`, 'content-type': 'application/json' };
  const put = await fetch(`${sb.endpoints.graphUrl}${spPath}/synchronization/secrets`, {
    method: 'PUT',
    headers: g,
    body: JSON.stringify({
      value: [
        { key: 'BaseAddress', value: baseAddress },
        { key: 'SecretToken', value: secretToken },
      ],
    }),
  });
  expect(put.status).toBe(204);
  const start = await fetch(`${sb.endpoints.graphUrl}${spPath}/synchronization/jobs/${encodeURIComponent(sb.world.entra.job.id)}/start`, {
    method: 'POST',
    headers: g,
  });
  expect(start.status).toBe(204);
}

async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 50_000;
  while (Date.now() < deadline && !cond()) await new Promise((r) => setTimeout(r, 100));
  expect(cond()).toBe(true);
}

describe('the sandbox Graph read by @microsoft/msgraph-sdk (v1.0 models)', () => {
  let sb: Sandbox;
  let adapter: GraphRequestAdapter;
  let spPath: string;
  const get = <T extends Parsable>(path: string, factory: ParsableFactory<T>, query?: Record<string, string>): Promise<T> =>
    sdkGet(sb, adapter, path, factory, query);

  beforeAll(async () => {
    sb = await startSandbox({ users: 12, speed: 400, rateLimits: false, seed: 5 });
    adapter = sdkAdapter(sb);
    spPath = `/servicePrincipals/${sb.world.entra.servicePrincipal.id}`;
    // SCIM on at ZIA, then Entra's job configured and run to steady state.
    const ff = sb.fastForwardToMigrated();
    await configureAndStart(sb, ff.baseUrl, ff.token);
    await until(() => !sb.world.entra.job.status.steadyStateLastAchievedTime.startsWith('0001'));
  }, 60_000);

  afterAll(async () => {
    await sb?.stop();
  });

  test('service principal by displayName, by appId filter and by appId key', async () => {
    const { appId, displayName, id } = sb.world.entra.servicePrincipal;
    const byName = await get<ServicePrincipalCollectionResponse>('/servicePrincipals', createServicePrincipalCollectionResponseFromDiscriminatorValue, {
      $filter: `displayName eq '${displayName.replace(/'/g, "''")}'`,
    });
    expect(byName.value?.map((s) => [s.id, s.appId, s.displayName])).toEqual([[id, appId, displayName]]);
    expect(byName.value?.[0]?.appRoles?.length).toBeGreaterThan(0);
    expect(byName.value?.[0]?.appRoles?.every((r) => typeof r.id === 'string' && r.allowedMemberTypes?.includes('User'))).toBe(true);
    expect(byName.value?.[0]?.appRoles?.map((r) => r.value)).toContain('User');
    const byApp = await get<ServicePrincipalCollectionResponse>('/servicePrincipals', createServicePrincipalCollectionResponseFromDiscriminatorValue, {
      $filter: `appId eq '${appId}'`,
    });
    expect(byApp.value?.map((s) => s.id)).toEqual([id]);
    const byKey = await get<ServicePrincipal>(`/servicePrincipals(appId='${appId}')`, createServicePrincipalFromDiscriminatorValue);
    expect([byKey.id, byKey.appId, byKey.accountEnabled, byKey.appRoleAssignmentRequired]).toEqual([id, appId, true, true]);
  });

  test('synchronization jobs and one job: ids, status, schedule, progress, steady state, last execution, settings', async () => {
    const list = await get<SynchronizationJobCollectionResponse>(
      `${spPath}/synchronization/jobs`,
      createSynchronizationJobCollectionResponseFromDiscriminatorValue,
    );
    const want = sb.world.entra.job;
    expect(list.value?.map((j) => [j.id, j.templateId])).toEqual([[want.id, want.templateId]]);
    const job = await get<SynchronizationJob>(`${spPath}/synchronization/jobs/${encodeURIComponent(want.id)}`, createSynchronizationJobFromDiscriminatorValue);
    expect(job.id).toBe(want.id);
    expect(job.status?.code).toBe(want.status.code); // kiota matches enum members exactly: a stray spelling parses as undefined
    expect(job.schedule?.state).toBe(want.schedule.state);
    expect(job.schedule?.interval).toMatchObject({ minutes: 40, hours: 0, days: 0 }); // ISO 8601 PT40M
    expect(job.status?.steadyStateFirstAchievedTime?.toISOString()).toBe(new Date(want.status.steadyStateFirstAchievedTime).toISOString());
    expect(job.status?.steadyStateLastAchievedTime?.toISOString()).toBe(new Date(want.status.steadyStateLastAchievedTime).toISOString());
    expect(job.status?.progress?.length).toBeGreaterThan(0);
    for (const p of job.status?.progress ?? []) {
      expect([typeof p.completedUnits, typeof p.totalUnits, typeof p.units, p.progressObservationDateTime instanceof Date]).toEqual([
        'number',
        'number',
        'string',
        true,
      ]);
    }
    const last = job.status?.lastExecution;
    expect(last?.state).toBe(want.status.lastExecution?.state);
    expect(last?.timeBegan).toBeInstanceOf(Date);
    expect(last?.timeEnded).toBeInstanceOf(Date);
    expect(typeof last?.countExported).toBe('number');
    expect(job.status?.synchronizedEntryCountByType?.every((e) => typeof e.key === 'string' && typeof e.value === 'number')).toBe(true);
    expect(job.synchronizationJobSettings?.map((s) => [s.name, s.value])).toEqual(want.synchronizationJobSettings.map((s) => [s.name, s.value]));
  });

  test("the job's synchronization schema", async () => {
    const schema = await get<SynchronizationSchema>(
      `${spPath}/synchronization/jobs/${encodeURIComponent(sb.world.entra.job.id)}/schema`,
      createSynchronizationSchemaFromDiscriminatorValue,
    );
    expect(schema.id).toBeTruthy();
    const rule = schema.synchronizationRules?.[0];
    expect(rule?.objectMappings?.length).toBeGreaterThan(0);
    for (const m of rule?.objectMappings ?? []) {
      expect([typeof m.sourceObjectName, typeof m.targetObjectName]).toEqual(['string', 'string']);
      expect(m.attributeMappings?.every((a) => typeof a.targetAttributeName === 'string' && a.source !== undefined)).toBe(true);
    }
  });

  test('appRoleAssignedTo: principals assigned to the app', async () => {
    const all: NonNullable<AppRoleAssignmentCollectionResponse['value']> = [];
    let page = await get<AppRoleAssignmentCollectionResponse>(`${spPath}/appRoleAssignedTo`, createAppRoleAssignmentCollectionResponseFromDiscriminatorValue, {
      $top: '5',
    });
    all.push(...(page.value ?? []));
    let pages = 1;
    while (page.odataNextLink) {
      const next = new URL(page.odataNextLink);
      page = await get<AppRoleAssignmentCollectionResponse>(
        next.pathname.replace(/^\/v1\.0/, ''),
        createAppRoleAssignmentCollectionResponseFromDiscriminatorValue,
        Object.fromEntries(next.searchParams),
      );
      all.push(...(page.value ?? []));
      pages += 1;
    }
    expect(pages).toBeGreaterThan(1); // @odata.nextLink is read into the model's odataNextLink
    expect(all.length).toBe(sb.world.entra.assignments.length);
    for (const a of all) {
      expect([typeof a.id, typeof a.appRoleId, typeof a.principalId, typeof a.principalType, a.resourceId]).toEqual([
        'string',
        'string',
        'string',
        'string',
        sb.world.entra.servicePrincipal.id,
      ]);
    }
  });

  test('auditLogs/provisioning for the job', async () => {
    const jobId = sb.world.entra.job.id;
    const page = await get<ProvisioningObjectSummaryCollectionResponse>(
      '/auditLogs/provisioning',
      createProvisioningObjectSummaryCollectionResponseFromDiscriminatorValue,
      {
        $filter: `jobId eq '${jobId}'`,
      },
    );
    expect(page.value?.length).toBeGreaterThan(0);
    for (const e of page.value ?? []) {
      expect(e.jobId).toBe(jobId);
      expect([typeof e.id, typeof e.cycleId, typeof e.changeId, e.activityDateTime instanceof Date]).toEqual(['string', 'string', 'string', true]);
      expect(e.provisioningAction).toBe(sb.world.entra.logs.find((l) => l.id === e.id)?.provisioningAction);
      expect(e.provisioningStatusInfo?.status).toBe(sb.world.entra.logs.find((l) => l.id === e.id)?.provisioningStatusInfo.status);
      expect([typeof e.sourceIdentity?.id, typeof e.targetIdentity?.id, e.servicePrincipal?.id]).toEqual([
        'string',
        'string',
        sb.world.entra.servicePrincipal.id,
      ]);
    }
  });

  test("an error answer deserializes into the SDK's ODataError", async () => {
    const err = await get(`${spPath}/synchronization/jobs/no-such-job`, createSynchronizationJobFromDiscriminatorValue).then(
      () => null,
      (e: unknown) => e as ODataError,
    );
    expect(err?.responseStatusCode).toBe(404);
    expect(err?.errorEscaped?.code).toBe('Request_ResourceNotFound');
    expect(err?.errorEscaped?.message).toContain('no-such-job');
  });
});

describe('a quarantined job read by @microsoft/msgraph-sdk', () => {
  let sb: Sandbox;

  beforeAll(async () => {
    sb = await startSandbox({ users: 6, speed: 400, rateLimits: false, seed: 6 });
    const ff = sb.fastForwardToMigrated();
    await configureAndStart(sb, ff.baseUrl, 'not-the-scim-token'); // SCIM answers 401: Entra quarantines the job
    await until(() => sb.world.entra.job.status.code === 'Quarantine' && sb.world.entra.job.status.lastExecution?.error !== null);
  }, 60_000);

  afterAll(async () => {
    await sb?.stop();
  });

  test('status.quarantine and lastExecution.error', async () => {
    const want = sb.world.entra.job;
    const job = await sdkGet<SynchronizationJob>(
      sb,
      sdkAdapter(sb),
      `/servicePrincipals/${sb.world.entra.servicePrincipal.id}/synchronization/jobs/${encodeURIComponent(want.id)}`,
      createSynchronizationJobFromDiscriminatorValue,
    );
    expect(job.status?.code).toBe('Quarantine');
    const q = job.status?.quarantine;
    expect(q?.reason).toBe(want.status.quarantine?.reason);
    expect([q?.currentBegan instanceof Date, q?.nextAttempt instanceof Date, q?.seriesBegan instanceof Date, q?.seriesCount]).toEqual([true, true, true, 1]);
    expect([q?.errorEscaped?.code, typeof q?.errorEscaped?.message, q?.errorEscaped?.tenantActionable]).toEqual([
      want.status.quarantine?.error.code,
      'string',
      true,
    ]);
    expect(job.status?.lastExecution?.state).toBe('Failed');
    expect(job.status?.lastExecution?.errorEscaped?.code).toBe(want.status.lastExecution?.error?.code);
    expect(job.status?.countSuccessiveCompleteFailures).toBeGreaterThan(0);
  });
});
