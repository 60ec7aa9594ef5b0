import { startZpaSimulation, type ZpaSimulation } from '../../src/sandbox/zpa/index.js';
import { VariantError } from '../../src/sandbox/variants.js';

/**
 * The ZPA SCIM service simulation over raw HTTP (docs/vendor-facts.md Y13, F27): the endpoint
 * path with the IdP id, the token rules, startIndex/count paging, the three readings of filter
 * support (variant zpa-scim-filter), and the writes an IdP sends.
 */

let sim: ZpaSimulation;
afterEach(async () => {
  await sim?.stop();
});

async function scim(method: string, url: string, token: string | undefined, body?: unknown) {
  const headers: Record<string, string> = { accept: 'application/scim+json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/scim+json';
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

async function ready(variants?: string) {
  sim = await startZpaSimulation({ users: 25, rateLimits: false, ...(variants ? { variants } : {}) });
  const { idpId } = sim.credentials;
  sim.tenant.setScimSync(idpId, true);
  const token = sim.tenant.generateToken(idpId);
  return { idpId, token, base: sim.scimEndpoint(idpId) };
}

describe('ZPA simulation: SCIM service', () => {
  it('the endpoint holds the IdP id; the token works for its IdP only, and only while SCIM Sync is on', async () => {
    const { idpId, token, base } = await ready();
    expect(base).toMatch(new RegExp(`/scim/1/${idpId}/v2$`));
    expect((await scim('GET', `${base}/Users`, token)).status).toBe(200);
    expect((await scim('GET', `${base}/Users`, undefined)).status).toBe(401);
    const other = sim.scimEndpoint(sim.credentials.otherIdpId);
    expect((await scim('GET', `${other}/Users`, token)).status).toBe(401);
    sim.tenant.setScimSync(idpId, false);
    const refused = await scim('GET', `${base}/Users`, token);
    expect(refused.status).toBe(401);
    expect(refused.json!.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  });

  it('creates, reads, patches and deletes a user; active is answered as the string "true"/"false"', async () => {
    const { token, base } = await ready();
    const created = await scim('POST', `${base}/Users`, token, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'ana@example.test',
      active: true,
      name: { givenName: 'Ana' },
    });
    expect(created.status).toBe(201);
    const id = created.json!.id as string;
    expect(created.json!.active).toBe('true');
    expect((await scim('POST', `${base}/Users`, token, { userName: 'ANA@example.test' })).status).toBe(409);
    const patched = await scim('PATCH', `${base}/Users/${id}`, token, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(patched.json!.active).toBe('false');
    expect((await scim('DELETE', `${base}/Users/${id}`, token)).status).toBe(204);
    expect((await scim('GET', `${base}/Users/${id}`, token)).status).toBe(404);
  });

  it('pages by startIndex and count, capped at 100 per page', async () => {
    const { token, base, idpId } = await ready();
    sim.provisionFromDirectory(idpId);
    const total = sim.tenant.store(idpId).users.size;
    const p = await scim('GET', `${base}/Users?startIndex=11&count=5`, token);
    expect(p.json).toMatchObject({ totalResults: total, startIndex: 11, itemsPerPage: 5 });
    const all = await scim('GET', `${base}/Users?startIndex=1&count=1000`, token);
    expect((all.json!.Resources as unknown[]).length).toBe(Math.min(100, total));
  });

  it('groups: members by user id, sortBy displayName descending', async () => {
    const { token, base, idpId } = await ready();
    sim.provisionFromDirectory(idpId);
    const g = await scim('GET', `${base}/Groups?startIndex=1&count=100&sortBy=displayName&sortOrder=descending`, token);
    const names = (g.json!.Resources as Array<{ displayName: string }>).map((x) => x.displayName);
    expect(names).toEqual([...names].sort((a, b) => b.localeCompare(a)));
    const users = new Set(sim.tenant.store(idpId).users.keys());
    const members = (g.json!.Resources as Array<{ members: Array<{ value: string }> }>).flatMap((x) => x.members.map((m) => m.value));
    expect(members.length).toBeGreaterThan(0);
    expect(members.every((m) => users.has(m))).toBe(true);
  });

  it.each([
    ['supported', 200, 1],
    ['ignored', 200, 'all'],
    ['refused', 400, 0],
  ] as const)('zpa-scim-filter=%s: a userName eq filter answers %s with %s user(s)', async (reading, status, count) => {
    const { token, base, idpId } = await ready(`zpa-scim-filter=${reading}`);
    sim.provisionFromDirectory(idpId);
    const one = [...sim.tenant.store(idpId).users.values()][3]!;
    const r = await scim('GET', `${base}/Users?filter=${encodeURIComponent(`userName eq "${String(one.doc.userName)}"`)}`, token);
    expect(r.status).toBe(status);
    if (status === 400) expect(r.json!.scimType).toBe('invalidFilter');
    else expect(r.json!.totalResults).toBe(count === 'all' ? sim.tenant.store(idpId).users.size : count);
  });

  it('the variant is named and checked like the others; the ZIA flow suite does not run it', async () => {
    await expect(startZpaSimulation({ variants: 'zpa-scim-filter=maybe' })).rejects.toThrow(VariantError);
    const { allReadings } = await import('../../src/sandbox/variants.js');
    expect(allReadings('zpa')).toEqual([
      ['zpa-scim-filter', 'supported'],
      ['zpa-scim-filter', 'ignored'],
      ['zpa-scim-filter', 'refused'],
    ]);
    expect(allReadings().some(([name]) => name === 'zpa-scim-filter')).toBe(false);
  });
});
