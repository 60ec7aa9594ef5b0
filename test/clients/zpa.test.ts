import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJsonlAudit } from '../../src/clients/audit.js';
import { ApiError } from '../../src/clients/http.js';
import { createZpaClient, zpaBaseUrlForCloud, type ZpaClientOptions } from '../../src/clients/zpa.js';
import { createZpaScimClient, ZpaScimTokenRefused } from '../../src/clients/zpa-scim.js';
import { UserError } from '../../src/engine/errors.js';
import { startZpaSimulation, type ZpaSimulation } from '../../src/sandbox/zpa/index.js';
import { collect, fixture, startServer, type FixtureServer, type Recorded, type Reply } from './helpers/fixture-server.js';

/**
 * The ZPA admin API client against loopback servers replaying the documented shapes
 * (fixtures/zpa, docs/vendor-facts.md Y1–Y12), and the ZPA SCIM client against the ZPA simulation
 * under each reading of the unpublished filter support (Y13).
 */

const CID = '216196257331285800';
const CLIENT_ID = 'zpa-client-0001';
const CLIENT_SECRET = 'zpa-Secret-Value-0123456789';
const TOKEN = (fixture('zpa/signin.json') as { access_token: string }).access_token;
const MGMT1 = `/mgmtconfig/v1/admin/customers/${CID}`;
const MGMT2 = `/mgmtconfig/v2/admin/customers/${CID}`;
const USERCONFIG = `/userconfig/v1/customers/${CID}`;

interface Fake {
  server: FixtureServer;
  signins: number;
  /** Answers API calls (after the bearer check); undefined = 404. */
  api: (r: Recorded) => Reply | undefined;
}

let fake: Fake | undefined;
afterEach(async () => {
  await fake?.server.close();
  fake = undefined;
});

async function startZpa(api: (r: Recorded) => Reply | undefined, opts: { prefix?: string } = {}): Promise<Fake> {
  const prefix = opts.prefix ?? '';
  const f: Fake = { server: undefined as unknown as FixtureServer, signins: 0, api };
  f.server = await startServer((r) => {
    if (r.path === `${prefix}/signin` || r.path === '/oauth2/v1/token') {
      const form = new URLSearchParams(r.body);
      const legacy = r.path.endsWith('/signin');
      if (!/^application\/x-www-form-urlencoded/.test(String(r.headers['content-type'])))
        return { status: 415, body: { id: 'unsupported.media.type', reason: 'form expected' } };
      if (!legacy && (form.get('grant_type') !== 'client_credentials' || form.get('audience') !== 'https://api.zscaler.com')) {
        return { status: 400, body: { error: 'invalid_request', error_description: 'grant_type and audience' } };
      }
      if (form.get('client_id') !== CLIENT_ID || form.get('client_secret') !== CLIENT_SECRET)
        return { status: 401, body: { id: 'authentication.failed', reason: 'Invalid client' } };
      f.signins++;
      return { status: 200, body: legacy ? fixture('zpa/signin.json') : { access_token: TOKEN, token_type: 'Bearer', expires_in: 3600 } };
    }
    if (r.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { id: 'invalid.token', reason: 'token expired' } };
    if (!r.path.startsWith(prefix)) return { status: 404, body: fixture('zpa/error-not-found.json') };
    return f.api({ ...r, path: r.path.slice(prefix.length) }) ?? { status: 404, body: fixture('zpa/error-not-found.json') };
  });
  fake = f;
  return f;
}

function legacyClient(f: Fake, extra: Partial<ZpaClientOptions> = {}) {
  return createZpaClient({
    baseUrl: f.server.url,
    customerId: CID,
    auth: { kind: 'legacy', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    rateLimits: false,
    tuning: { retries: 2, retryBaseDelayMs: 10, maxRetryWaitMs: 5_000 },
    ...extra,
  });
}

const idpPage = (ids: string[], totalPages: string, totalCount = ids.length * Number(totalPages)) => ({
  totalPages,
  totalCount: String(totalCount),
  list: ids.map((id) => (id.endsWith('25') ? fixture('zpa/idp-scim-on.json') : fixture('zpa/idp-scim-off.json'))),
});

describe('ZPA client: authentication', () => {
  it('legacy: POST /signin with client_id and client_secret form-encoded, then the bearer token; expires_in as a string', async () => {
    const f = await startZpa((r) => (r.path === `${MGMT1}/idp/216196257331285825` ? { status: 200, body: fixture('zpa/idp-scim-on.json') } : undefined));
    const zpa = legacyClient(f);
    const a = await zpa.getIdp('216196257331285825');
    const b = await zpa.getIdp('216196257331285825');
    expect(a?.name).toBe('Entra ID');
    expect(b?.id).toBe('216196257331285825');
    // One sign-in serves both reads: "3600" (a string) was understood as a lifetime.
    expect(f.signins).toBe(1);
    const signin = f.server.requests.find((r) => r.path === '/signin')!;
    expect(signin.method).toBe('POST');
    expect(signin.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(new URLSearchParams(signin.body))).toEqual({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(f.server.requests.filter((r) => r.path.startsWith('/mgmtconfig')).every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('OneAPI: the ZIdentity token (client credentials, audience) and the API under /zpa', async () => {
    const f = await startZpa((r) => (r.path === `${MGMT1}/idp/216196257331285825` ? { status: 200, body: fixture('zpa/idp-scim-on.json') } : undefined), {
      prefix: '/zpa',
    });
    const zpa = createZpaClient({
      baseUrl: `${f.server.url}/zpa`,
      customerId: CID,
      auth: { kind: 'oneapi', tokenUrl: `${f.server.url}/oauth2/v1/token`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      rateLimits: false,
    });
    expect((await zpa.getIdp('216196257331285825'))?.scimEnabled).toBe(true);
    const token = f.server.requests.find((r) => r.path === '/oauth2/v1/token')!;
    expect(Object.fromEntries(new URLSearchParams(token.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      audience: 'https://api.zscaler.com',
    });
    expect(f.server.requests.some((r) => r.path === `/zpa${MGMT1}/idp/216196257331285825`)).toBe(true);
  });

  it('a refused secret fails once with the vendor reason, and is not sent again in the run', async () => {
    const f = await startZpa(() => undefined);
    const zpa = legacyClient(f, { auth: { kind: 'legacy', clientId: CLIENT_ID, clientSecret: 'wrong-secret-value' } });
    const err = await zpa.login().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect((err as ApiError).code).toBe('authentication.failed');
    await expect(zpa.getIdp('1')).rejects.toBe(err);
    expect(f.server.requests.filter((r) => r.path === '/signin')).toHaveLength(1);
    expect((err as Error).message).not.toContain('wrong-secret-value');
  });

  it('a token the API stops taking (401) gets one new sign-in and the call is repeated', async () => {
    let refuseOnce = true;
    const f = await startZpa((r) => {
      if (r.path !== `${MGMT1}/idp/216196257331285825`) return undefined;
      if (refuseOnce) {
        refuseOnce = false;
        return { status: 401, body: { id: 'invalid.token', reason: 'token expired' } };
      }
      return { status: 200, body: fixture('zpa/idp-scim-on.json') };
    });
    const zpa = legacyClient(f);
    expect((await zpa.getIdp('216196257331285825'))?.name).toBe('Entra ID');
    expect(f.signins).toBe(2);
  });

  it('maps cloud names to the documented API roots', () => {
    expect(zpaBaseUrlForCloud('PRODUCTION', 'legacy')).toBe('https://config.private.zscaler.com');
    expect(zpaBaseUrlForCloud('zpatwo', 'legacy')).toBe('https://config.zpatwo.net');
    expect(zpaBaseUrlForCloud('GOVUS', 'legacy')).toBe('https://config.zpagov.us');
    expect(zpaBaseUrlForCloud('production', 'oneapi')).toBe('https://api.zsapi.net/zpa');
    expect(() => zpaBaseUrlForCloud('zscalerthree', 'legacy')).toThrow(/not a ZPA cloud name/);
  });
});

describe('ZPA client: IdP controller', () => {
  it('lists IdPs over every page (v2): page, lowercase pagesize 500, totalPages as a string', async () => {
    const f = await startZpa((r) => {
      if (r.path !== `${MGMT2}/idp`) return undefined;
      const page = Number(r.query.get('page'));
      return { status: 200, body: page === 1 ? idpPage(['216196257331285825'], '2') : idpPage(['216196257331285826'], '2') };
    });
    const pages = await collect(legacyClient(f).listIdps());
    expect(pages.map((p) => p.map((i) => i.name))).toEqual([['Entra ID'], ['Okta']]);
    const lists = f.server.requests.filter((r) => r.path === `${MGMT2}/idp`);
    expect(lists.map((r) => r.query.get('page'))).toEqual(['1', '2']);
    expect(lists.every((r) => r.query.get('pagesize') === '500' && !r.query.has('pageSize'))).toBe(true);
  });

  it('reads string-typed numbers and fields left out when false', async () => {
    const f = await startZpa((r) =>
      r.path === `${MGMT2}/idp` ? { status: 200, body: idpPage(['216196257331285825', '216196257331285826'], '1') } : undefined,
    );
    const [on, off] = (await collect(legacyClient(f).listIdps())).flat();
    // The 18-digit id keeps every digit (as a string); times are epoch seconds as numbers.
    expect(on).toMatchObject({
      id: '216196257331285825',
      scimEnabled: true,
      scimSharedSecretExists: true,
      enableScimBasedPolicy: false,
      enabled: true,
      ssoType: ['USER'],
      modifiedTime: 1767225600,
      autoProvision: '0',
    });
    expect(on!.scimServiceProviderEndpoint).toBe('https://scim1.private.zscaler.com/scim/1/216196257331285825/v2');
    // scimEnabled and scimSharedSecretExists are absent in the answer: false, not undefined.
    expect(off!.scimEnabled).toBe(false);
    expect(off!.scimSharedSecretExists).toBe(false);
  });

  it("getIdp reads v1; ZPA's not-found is null; an invalid argument is an error naming ZPA's id and reason", async () => {
    const f = await startZpa((r) => {
      if (r.path === `${MGMT1}/idp/216196257331285825`) return { status: 200, body: fixture('zpa/idp-scim-on.json') };
      if (r.path === `${MGMT1}/idp/1`) return { status: 400, body: fixture('zpa/error-invalid-argument.json') };
      return undefined;
    });
    const zpa = legacyClient(f);
    expect(await zpa.getIdp('999')).toBeNull();
    const err = await zpa.getIdp('1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('invalid.resource.argument');
    expect((err as Error).message).toContain('One or more input fields idpId are not valid.');
    await expect(zpa.getIdp('../x')).rejects.toThrow(/not a ZPA id/);
  });

  it('findIdpByName compares exact names over the whole list', async () => {
    const f = await startZpa((r) =>
      r.path === `${MGMT2}/idp` ? { status: 200, body: idpPage(['216196257331285825', '216196257331285826'], '1') } : undefined,
    );
    const zpa = legacyClient(f);
    expect((await zpa.findIdpByName('Okta'))?.id).toBe('216196257331285826');
    expect(await zpa.findIdpByName('okta')).toBeNull();
  });

  it('refuses a list whose pages stop before totalPages, or whose totalPages moves', async () => {
    const f = await startZpa((r) => {
      if (r.path !== `${MGMT2}/idp`) return undefined;
      return r.query.get('page') === '1'
        ? { status: 200, body: idpPage(['216196257331285825'], '3') }
        : { status: 200, body: { totalPages: '3', totalCount: '3' } };
    });
    await expect(collect(legacyClient(f).listIdps())).rejects.toThrow(/page 2 of 3 is empty/);
    f.api = (r) =>
      r.path !== `${MGMT2}/idp`
        ? undefined
        : { status: 200, body: idpPage([r.query.get('page') === '1' ? '216196257331285825' : '216196257331285826'], r.query.get('page') === '1' ? '2' : '3') };
    await expect(collect(legacyClient(f).listIdps())).rejects.toThrow(/totalPages changed mid-read from 2 to 3/);
    f.api = (r) => (r.path !== `${MGMT2}/idp` ? undefined : { status: 200, body: idpPage(['216196257331285825'], '1', 5) });
    await expect(collect(legacyClient(f).listIdps())).rejects.toThrow(/read 1 items but the server counted 5/);
  });

  it('an 18-digit id sent as a JSON number (digits already lost) is refused, never used', async () => {
    // The body as the server would write it: the id an unquoted 18-digit number.
    const raw = JSON.stringify({ totalPages: '1', list: [{ ...fixture('zpa/idp-scim-off.json'), id: 'ID' }] }).replace('"ID"', '216196257331285826');
    const f = await startZpa((r) => (r.path === `${MGMT2}/idp` ? { status: 200, raw, headers: { 'content-type': 'application/json' } } : undefined));
    await expect(collect(legacyClient(f).listIdps())).rejects.toThrow(/lost digits/);
  });
});

describe('ZPA client: SCIM data without the SCIM token', () => {
  it('lists SCIM groups per IdP with sortBy/sortOrder and numeric counts', async () => {
    const f = await startZpa((r) => {
      if (r.path !== `${USERCONFIG}/scimgroup/idpId/216196257331285825`) return undefined;
      return { status: 200, body: fixture(r.query.get('page') === '1' ? 'zpa/scimgroups-page1.json' : 'zpa/scimgroups-page2.json') };
    });
    const groups = (await collect(legacyClient(f).listScimGroups('216196257331285825', { sortBy: 'name', sortOrder: 'ASC', pageSize: 2 }))).flat();
    expect(groups.map((g) => [g.id, g.name])).toEqual([
      ['3251059', 'Engineering'],
      ['3251060', 'Finance'],
      ['3251061', 'Sales'],
    ]);
    const q = f.server.requests.filter((r) => r.path.includes('/scimgroup/'))[0]!.query;
    expect([q.get('sortBy'), q.get('sortOrder'), q.get('pagesize')]).toEqual(['name', 'ASC', '2']);
  });

  it('reads attribute headers and values, and the userNames ZPA holds through them', async () => {
    const f = await startZpa((r) => {
      if (r.path === `${MGMT1}/idp/216196257331285825/scimattribute`) return { status: 200, body: fixture('zpa/scimattributes.json') };
      if (r.path === `${USERCONFIG}/scimattribute/idpId/216196257331285825/attributeId/1002`)
        return { status: 200, body: fixture('zpa/scimattribute-values.json') };
      if (r.path === `${USERCONFIG}/scimattribute/idpId/216196257331285825/attributeId/1001`)
        return { status: 200, body: { totalPages: 1, totalCount: 2, list: ['ana@example.com', 'bo@example.com'] } };
      return undefined;
    });
    const zpa = legacyClient(f);
    const attrs = await zpa.listScimAttributes('216196257331285825');
    expect(attrs.map((a) => [a.id, a.name, a.multivalued])).toEqual([
      ['1001', 'userName', false],
      ['1002', 'active', undefined],
    ]);
    expect((await collect(zpa.listScimAttributeValues('216196257331285825', '1002'))).flat()).toEqual(['false', 'true']);
    expect(await zpa.scimUserNames('216196257331285825')).toEqual(['ana@example.com', 'bo@example.com']);
  });
});

describe('ZPA client: rate limits, errors, read-only, audit', () => {
  it('reads ZPA\'s "13s" Retry-After: a wait longer than allowed is reported in seconds, not retried', async () => {
    const f = await startZpa((r) =>
      r.path === `${MGMT1}/idp/216196257331285825`
        ? { status: 429, body: { id: 'too.many.requests', reason: 'Rate limit exceeded' }, headers: { 'retry-after': '13s' } }
        : undefined,
    );
    const err = await legacyClient(f)
      .getIdp('216196257331285825')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect((err as ApiError).retryAfterSeconds).toBe(13);
    expect((err as ApiError).hint).toContain('13 s');
    expect(f.server.requests.filter((r) => r.path.startsWith('/mgmtconfig'))).toHaveLength(1);
  });

  it('a short "1s" Retry-After is waited out and the read succeeds', async () => {
    let first = true;
    const f = await startZpa((r) => {
      if (r.path !== `${MGMT1}/idp/216196257331285825`) return undefined;
      if (first) {
        first = false;
        return { status: 429, body: { id: 'too.many.requests', reason: 'Rate limit exceeded' }, headers: { 'retry-after': '1s' } };
      }
      return { status: 200, body: fixture('zpa/idp-scim-on.json') };
    });
    expect((await legacyClient(f).getIdp('216196257331285825'))?.name).toBe('Entra ID');
    const calls = f.server.requests.filter((r) => r.path.startsWith('/mgmtconfig'));
    expect(calls).toHaveLength(2);
    // The server asked for 1 s: the retry did not come sooner.
    expect(calls[1]!.time - calls[0]!.time).toBeGreaterThanOrEqual(950);
  });

  it('read-only mode still signs in and reads; the audit log has one line per call, without the token or secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zpa-audit-'));
    try {
      const auditPath = join(dir, 'audit.jsonl');
      const f = await startZpa((r) => (r.path === `${MGMT2}/idp` ? { status: 200, body: idpPage(['216196257331285825'], '1') } : undefined));
      const zpa = legacyClient(f, { readOnly: true, audit: createJsonlAudit(auditPath) });
      expect((await collect(zpa.listIdps())).flat()).toHaveLength(1);
      const text = readFileSync(auditPath, 'utf8');
      const lines = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { system: string; method: string; path: string; status: number });
      expect(lines.map((l) => [l.system, l.method, l.path, l.status])).toEqual([
        ['login', 'POST', '', 200],
        ['zpa', 'GET', `${MGMT2}/idp`, 200],
      ]);
      expect(text).not.toContain(CLIENT_SECRET);
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain('pagesize');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stays under 20 GETs per 10 s on its own (the documented limit), so a long read gets no 429', async () => {
    // 25 pages: the 21st request must wait for the window; a server counting 20 per 10 s never refuses.
    const starts: number[] = [];
    const f = await startZpa((r) => {
      if (r.path !== `${MGMT2}/idp`) return undefined;
      const now = Date.now();
      while (starts.length && starts[0]! + 10_000 <= now) starts.shift();
      if (starts.length >= 20) return { status: 429, body: { id: 'too.many.requests', reason: 'over' }, headers: { 'retry-after': '13s' } };
      starts.push(now);
      const page = Number(r.query.get('page'));
      return { status: 200, body: { totalPages: '21', list: [{ ...fixture('zpa/idp-scim-off.json'), id: String(1000 + page), name: `IdP ${page}` }] } };
    });
    const zpa = legacyClient(f, { rateLimits: true, tuning: { retries: 0 } });
    const all = (await collect(zpa.listIdps({ pageSize: 1 }))).flat();
    expect(all).toHaveLength(21);
    expect(f.server.requests.filter((r) => r.path === `${MGMT2}/idp`)).toHaveLength(21);
  }, 30_000);
});

describe('ZPA SCIM client, with and without filter support', () => {
  let sim: ZpaSimulation | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  async function scimFor(filter: 'supported' | 'ignored' | 'refused') {
    sim = await startZpaSimulation({ users: 30, scimFilter: filter, scimPageCap: 10, rateLimits: false });
    const { idpId } = sim.credentials;
    sim.tenant.setScimSync(idpId, true);
    const token = sim.tenant.generateToken(idpId);
    sim.provisionFromDirectory(idpId);
    const client = createZpaScimClient({ baseUrl: sim.scimEndpoint(idpId), token, pageSize: 25, rateLimits: false });
    return { client, sim, idpId };
  }

  it.each(['supported', 'ignored', 'refused'] as const)('filter %s: lists every user and group by startIndex/count, and finds a user', async (mode) => {
    const { client, sim: s, idpId } = await scimFor(mode);
    const users = (await collect(client.listUsers())).flat();
    const expected = s.tenant.store(idpId).users.size;
    expect(users).toHaveLength(expected);
    // The service capped count at 10: the pages are 10 long, read on by startIndex.
    const starts = s.log
      .list()
      .filter((e) => e.path.includes('/v2/Users?') && !e.path.includes('filter'))
      .map((e) => new URLSearchParams(e.path.split('?')[1]).get('startIndex'));
    expect(starts.slice(0, 3)).toEqual(['1', '11', '21']);
    // "active" arrives as the string "true": read as a boolean.
    expect(users.every((u) => u.active === true)).toBe(true);
    expect((await collect(client.listGroups())).flat().length).toBe(s.tenant.store(idpId).groups.size);

    const target = users[users.length - 1]!;
    const found = await client.findUserByUserName(target.userName.toUpperCase());
    expect(found?.id).toBe(target.id);
    expect(await client.findUserByUserName('nobody@example.test')).toBeNull();
    expect(await client.filterSupport()).toBe(mode === 'supported' ? 'supported' : 'unsupported');
    const group = (await collect(client.listGroups())).flat()[0]!;
    expect((await client.findGroupByDisplayName(group.displayName))?.id).toBe(group.id);
  });

  it('a token from before Generate New Token is refused; SCIM Sync off refuses every token', async () => {
    const { client, sim: s, idpId } = await scimFor('supported');
    expect((await client.check()).totalUsers).toBeGreaterThan(0);
    s.tenant.generateToken(idpId);
    const err = await client.check().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZpaScimTokenRefused);
    expect((err as Error).message).toContain('HTTP 401');
    expect((err as ZpaScimTokenRefused).hint).toMatch(/Generate New Token/);
    const fresh = s.tenant.generateToken(idpId);
    s.tenant.setScimSync(idpId, false);
    const c2 = createZpaScimClient({ baseUrl: s.scimEndpoint(idpId), token: fresh, rateLimits: false });
    const off = await c2.check().catch((e: unknown) => e);
    expect(off).toBeInstanceOf(ZpaScimTokenRefused);
    expect(String(off)).not.toContain(fresh);
  });

  it('a list that changes size mid-read is refused, not returned short', async () => {
    const { sim: s, idpId } = await scimFor('supported');
    const token = s.tenant.generateToken(idpId);
    const client = createZpaScimClient({ baseUrl: s.scimEndpoint(idpId), token, pageSize: 10, rateLimits: false });
    const gen = client.listUsers();
    await gen.next();
    s.tenant.createUser(idpId, { userName: 'late.arrival@example.test' });
    await expect(gen.next()).rejects.toThrow(UserError);
  });
});
