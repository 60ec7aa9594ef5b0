import { ReadOnlyViolation } from '../../src/engine/errors.js';
import { ApiError, createHttpClient } from '../../src/clients/http.js';
import { ScimProbeError, createScimClient, scimUserDepartment, type ScimClientOptions } from '../../src/clients/scim.js';
import { collect, fixture, slidingWindowGuard, startServer, type FixtureServer, type Recorded, type Reply } from './helpers/fixture-server.js';
import { z } from 'zod';

const TOKEN = 'scim-bearer-token-0123456789';

interface ScimFake {
  server: FixtureServer;
  users: Array<Record<string, unknown>>;
  groups: Array<Record<string, unknown>>;
  override?: (r: Recorded) => Reply | undefined;
}

let fake: ScimFake | undefined;
afterEach(async () => {
  await fake?.server.close();
  fake = undefined;
});

/** A ZIA SCIM server replaying the documented shapes (docs/vendor-facts.md F24–F27) (base …/<orgId>/<idpId>/scim), RFC 7644 ListResponse paging. */
async function startScim(): Promise<ScimFake> {
  const f: ScimFake = { server: undefined as unknown as FixtureServer, users: fixture('scim/users.json'), groups: fixture('scim/groups.json') };
  f.server = await startServer((r) => {
    const o = f.override?.(r);
    if (o) return o;
    const p = r.path.replace(/^\/24326813\/61233\/scim/, '');
    const json = { 'content-type': 'application/scim+json' };
    if (p === '/ServiceProviderConfig') return { status: 200, body: fixture('scim/serviceProviderConfig.json'), headers: json };
    if (r.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: fixture('scim/error-401.json'), headers: json };
    const m = /^\/(Users|Groups)(?:\/(.+))?$/.exec(p);
    if (!m) return { status: 404, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404', detail: 'not found' } };
    const all = m[1] === 'Users' ? f.users : f.groups;
    if (m[2]) {
      const hit = all.find((x) => x.id === decodeURIComponent(m[2]!));
      return hit
        ? { status: 200, body: hit, headers: json }
        : { status: 404, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404', detail: `No user with the id ${m[2]}` } };
    }
    let list = all;
    const filter = r.query.get('filter');
    if (filter) {
      const fm = /^userName eq "(.*)"$/.exec(filter);
      const want = fm ? (JSON.parse(`"${fm[1]}"`) as string).toLowerCase() : '\u0000';
      list = all.filter((u) => String(u.userName).toLowerCase() === want); // case-insensitive, like the server
    }
    const start = Number(r.query.get('startIndex') ?? 1);
    const count = Number(r.query.get('count') ?? 100);
    const slice = list.slice(start - 1, start - 1 + count);
    return {
      status: 200,
      headers: json,
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: list.length,
        itemsPerPage: slice.length,
        startIndex: start,
        Resources: slice,
      },
    };
  });
  fake = f;
  return f;
}

function client(f: ScimFake, extra: Partial<ScimClientOptions> = {}) {
  return createScimClient({
    baseUrl: `${f.server.url}/24326813/61233/scim`,
    token: TOKEN,
    rateLimits: false,
    tuning: { retryBaseDelayMs: 5, retries: 2 },
    ...extra,
  });
}

describe('SCIM client', () => {
  it('probe reads ServiceProviderConfig without auth, then checks the token with a filter that matches nobody', async () => {
    const f = await startScim();
    const res = await client(f).probe();
    expect(res.ok).toBe(true);
    expect(res.serviceProviderConfig.patch?.supported).toBe(true);
    expect(f.server.requests[0]!.headers.authorization).toBeUndefined();
    const check = f.server.requests[1]!;
    expect(check.path).toBe('/24326813/61233/scim/Users');
    expect(check.query.get('filter')).toMatch(/^userName eq "[0-9a-f-]{36}"$/);
    expect(check.query.get('count')).toBe('1');
    expect(check.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('probe tells a wrong Base URL from a refused token, and neither from an unavailable server', async () => {
    const f = await startScim();
    const wrongUrl = createScimClient({ baseUrl: `${f.server.url}/not-scim`, token: TOKEN, rateLimits: false, tuning: { retries: 0 } });
    const urlErr = (await wrongUrl.probe().catch((e: unknown) => e)) as ScimProbeError;
    expect(urlErr).toBeInstanceOf(ScimProbeError);
    expect(urlErr.reason).toBe('wrong-url');
    expect(urlErr.message).toMatch(/is not a SCIM endpoint/);
    f.override = (r) =>
      r.path.endsWith('/ServiceProviderConfig') ? { status: 200, raw: '<html>login</html>', headers: { 'content-type': 'text/html' } } : undefined;
    await expect(client(f).probe()).rejects.toThrow(/not a SCIM endpoint/);
    f.override = undefined;
    const badToken = createScimClient({ baseUrl: `${f.server.url}/24326813/61233/scim`, token: 'wrong-token-value', rateLimits: false });
    const err = (await badToken.probe().catch((e: unknown) => e)) as ScimProbeError;
    expect(err.reason).toBe('token-refused');
    expect(err.message).toMatch(/refused the Bearer Token \(HTTP 401\)/);
    expect(err.hint).toMatch(/\(1\) the Base URL .*\(2\) the token/);
    expect(err.message).not.toContain('wrong-token-value');
    // A server error is no evidence about the URL or the token: it is not a ScimProbeError.
    f.override = (r) => (r.path.endsWith('/Users') ? { status: 503, body: { detail: 'down' } } : undefined);
    const down = await client(f)
      .probe()
      .catch((e: unknown) => e);
    expect(down).not.toBeInstanceOf(ScimProbeError);
    expect((down as Error).message).toMatch(/503/);
    f.override = (r) => (r.path.endsWith('/ServiceProviderConfig') ? { status: 502, body: { detail: 'bad gateway' } } : undefined);
    expect(
      await client(f)
        .probe()
        .catch((e: unknown) => e),
    ).not.toBeInstanceOf(ScimProbeError);
  });

  it('pages users and groups with startIndex/count to totalResults; active strings and department locations are understood', async () => {
    const f = await startScim();
    const scim = client(f, { pageSize: 2 });
    const pages = await collect(scim.listUsers());
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    const users = pages.flat();
    expect(users.map((u) => u.active)).toEqual([true, true, false, false, true]);
    expect(users.map(scimUserDepartment)).toEqual(['R&D', undefined, 'Navy', undefined, undefined]);
    expect((users[2] as Record<string, unknown>).userType).toBe('SomethingNew');
    expect(f.server.requests.map((r) => r.query.get('startIndex'))).toEqual(['1', '3', '5']);
    expect(f.server.requests[0]!.headers.accept).toContain('application/scim+json');
    const groups = (await collect(scim.listGroups())).flat();
    expect(groups.map((g) => g.members?.length ?? 0)).toEqual([2, 1, 0]);
    expect(f.server.requests.at(-1)!.query.get('count')).toBe('2');
  });

  it('uses 100 per page by default', async () => {
    const f = await startScim();
    await collect(client(f).listUsers());
    expect(f.server.requests[0]!.query.get('count')).toBe('100');
  });

  it('a short page before totalResults is an error, never a shorter list', async () => {
    const f = await startScim();
    f.override = (r) => {
      if (!r.path.endsWith('/Users') || r.query.get('startIndex') !== '3') return undefined;
      return {
        status: 200,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 5, itemsPerPage: 1, startIndex: 3, Resources: [f.users[2]] },
      };
    };
    await expect(collect(client(f, { pageSize: 2 }).listUsers())).rejects.toThrow(/short page at startIndex 3/);
    f.override = (r) =>
      r.path.endsWith('/Users') && r.query.get('startIndex') === '3' ? { status: 200, body: { schemas: [], totalResults: 5, Resources: [] } } : undefined;
    await expect(collect(client(f, { pageSize: 2 }).listUsers())).rejects.toThrow(/empty page at startIndex 3/);
  });

  it('totalResults changing mid-read is an error that says so', async () => {
    const f = await startScim();
    f.override = (r) => {
      if (r.path.endsWith('/Users') && r.query.get('startIndex') === '3') f.users.push({ id: '9999', userName: 'new@example.com', active: true });
      return undefined;
    };
    await expect(collect(client(f, { pageSize: 2 }).listUsers())).rejects.toThrow(/totalResults changed mid-read from 5 to 6/);
  });

  it('a failed page (after retries) is an error', async () => {
    const f = await startScim();
    f.override = (r) =>
      r.query.get('startIndex') === '3'
        ? { status: 500, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '500', detail: 'internal' } }
        : undefined;
    await expect(collect(client(f, { pageSize: 2 }).listUsers())).rejects.toMatchObject({ status: 500, vendorMessage: 'internal' });
  });

  it('finds a user by userName case-insensitively and gets one by id (404 → null)', async () => {
    const f = await startScim();
    const scim = client(f);
    expect((await scim.findUserByUserName('ADA@example.COM'))?.id).toBe('9001');
    expect(await scim.findUserByUserName('nobody@example.com')).toBeNull();
    expect(f.server.requests[0]!.query.get('filter')).toBe('userName eq "ADA@example.COM"');
    expect((await scim.getUser('9003'))?.active).toBe(false);
    expect(await scim.getUser('nope')).toBeNull();
  });

  it('retries a 429 with Retry-After and does not retry 400; the SCIM error detail is reported without the token', async () => {
    const f = await startScim();
    let n = 0;
    f.override = (r) => {
      if (r.path.endsWith('/Users/9001') && ++n === 1) return { status: 429, headers: { 'retry-after': '1' }, body: { schemas: [], detail: 'slow down' } };
      if (r.path.endsWith('/Users/bad'))
        return {
          status: 400,
          body: {
            schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
            status: '400',
            scimType: 'invalidValue',
            detail: `bad request with ${r.headers.authorization}`,
          },
        };
      return undefined;
    };
    const scim = client(f);
    expect((await scim.getUser('9001'))?.userName).toBe('Ada@Example.com');
    expect(n).toBe(2);
    const err = (await scim.getUser('bad').catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('invalidValue');
    expect(err.message).not.toContain(TOKEN);
    expect(f.server.requests.filter((r) => r.path.endsWith('/Users/bad'))).toHaveLength(1);
  });

  it('keeps a burst under 5 requests/second (zero 429s from a server enforcing it)', async () => {
    const f = await startScim();
    const guard = slidingWindowGuard(5, 1000); // 5 requests/second, docs/vendor-facts.md F25
    f.override = () => (guard() ? undefined : { status: 429, body: { schemas: [], detail: 'rate limited' } });
    const scim = client(f, { rateLimits: true, tuning: { retries: 0 } });
    await Promise.all(Array.from({ length: 7 }, (_, i) => scim.getUser(`900${(i % 5) + 1}`)));
    expect(f.server.requests).toHaveLength(7);
  });

  it('read-only mode refuses writes through the SCIM layer before they leave', async () => {
    const f = await startScim();
    // The SCIM client itself only reads; the shared layer it is built on refuses writes in read-only mode.
    const http = createHttpClient({ system: 'scim', baseURL: `${f.server.url}/24326813/61233/scim`, readOnly: true });
    await expect(http.post('/Users', { userName: 'x@example.com' }, z.unknown(), { contentType: 'application/scim+json' })).rejects.toBeInstanceOf(
      ReadOnlyViolation,
    );
    await expect(http.patch('/Users/9001', {}, z.unknown())).rejects.toBeInstanceOf(ReadOnlyViolation);
    expect(f.server.requests).toHaveLength(0);
    const scim = client(f, { readOnly: true });
    await scim.probe();
    expect(f.server.requests.every((r) => r.method === 'GET')).toBe(true);
  });
});
