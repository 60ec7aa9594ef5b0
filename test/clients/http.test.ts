import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ReadOnlyViolation } from '../../src/engine/errors.js';
import { createJsonlAudit, type AuditEntry } from '../../src/clients/audit.js';
import { ApiError, SchemaError, createHttpClient, parseVendorError, retryAfterMs } from '../../src/clients/http.js';
import { createLimiter } from '../../src/clients/rate-limit.js';
import { startServer, type FixtureServer, type Handler } from './helpers/fixture-server.js';

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(h: Handler) {
  server = await startServer(h);
  return server;
}

const fast = { retryBaseDelayMs: 5, retries: 2 };
const Obj = z.object({ ok: z.boolean() });

describe('retryAfterMs', () => {
  it('reads the header in seconds, the ZPA "13s" form, an HTTP date, the ZIA body form and x-ratelimit-reset', () => {
    expect(retryAfterMs({ 'retry-after': '1' }, undefined)).toBe(1000);
    expect(retryAfterMs({ 'retry-after': '13s' }, undefined)).toBe(13000); // ZPA, docs/vendor-facts.md F23
    expect(retryAfterMs({}, '{"message":"Rate Limit (1/SECOND) exceeded","Retry-After":"1 seconds"}')).toBe(1000); // ZIA, F21
    expect(retryAfterMs({}, { 'Retry-After': '2 seconds' })).toBe(2000);
    expect(retryAfterMs({ 'x-ratelimit-reset': '3' }, undefined)).toBe(3000); // F20
    // The clock is fixed so the figure is exact on a busy machine (an HTTP date has whole seconds).
    jest.useFakeTimers({ now: Date.parse('2026-12-01T12:00:00Z'), doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'] });
    try {
      expect(retryAfterMs({ 'retry-after': 'Tue, 01 Dec 2026 12:00:05 GMT' }, undefined)).toBe(5000);
      expect(retryAfterMs({ 'retry-after': 'Tue, 01 Dec 2026 11:59:00 GMT' }, undefined)).toBe(0); // a date in the past: no wait
    } finally {
      jest.useRealTimers();
    }
    expect(retryAfterMs({}, { message: 'x' })).toBeUndefined();
  });
});

describe('parseVendorError', () => {
  it('decodes ZIA, ZPA, Graph, SCIM and OAuth error bodies', () => {
    expect(parseVendorError({ code: 'INVALID_INPUT_ARGUMENT', message: 'name cannot be null' })).toEqual({
      code: 'INVALID_INPUT_ARGUMENT',
      message: 'name cannot be null',
    });
    expect(parseVendorError({ id: 'resource.not.found', reason: 'gone' })).toEqual({ code: 'resource.not.found', message: 'gone' });
    expect(parseVendorError({ error: { code: 'BadRequest', message: 'nope' } })).toEqual({ code: 'BadRequest', message: 'nope' });
    expect(parseVendorError({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness', detail: 'dup' })).toEqual({
      code: 'uniqueness',
      message: 'dup',
    });
    expect(parseVendorError({ error: 'invalid_client', error_description: 'bad secret' })).toEqual({ code: 'invalid_client', message: 'bad secret' });
    expect(parseVendorError('only through Zscaler OneAPI').code).toBe('ONLY_ONEAPI_SUPPORTED');
  });
});

describe('createHttpClient', () => {
  it('retries 5xx then succeeds, and never retries 400, 401, 403 or 404', async () => {
    let n = 0;
    const s = await serve((r) => {
      if (r.path === '/flaky') return ++n < 3 ? { status: 503, body: { code: 'UNAVAILABLE' } } : { status: 200, body: { ok: true } };
      return { status: Number(r.path.slice(1)), body: { code: 'NOPE', message: 'refused' } };
    });
    const http = createHttpClient({ system: 'zia', baseURL: s.url, ...fast });
    await expect(http.get('/flaky', Obj)).resolves.toEqual({ ok: true });
    expect(n).toBe(3);
    for (const status of [400, 401, 403, 404]) {
      const before = s.requests.length;
      const err = await http.get(`/${status}`, Obj).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(status);
      expect((err as ApiError).code).toBe('NOPE');
      expect(s.requests.length - before).toBe(1);
    }
  });

  it('retries POST only when the caller marks it idempotent', async () => {
    const s = await serve(() => ({ status: 500, body: { code: 'UNEXPECTED_ERROR', message: 'Failed during enter Org barrier' } }));
    const http = createHttpClient({ system: 'zia', baseURL: s.url, ...fast });
    const err = (await http.post('/things', { a: 1 }, Obj).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(s.requests.length).toBe(1);
    expect(err.message).toContain('UNEXPECTED_ERROR');
    await http.post('/things', { a: 1 }, Obj, { idempotent: true }).catch(() => undefined);
    expect(s.requests.length).toBe(1 + 3);
  });

  it('retries a POST refused with 429 (the server did not process it), after its Retry-After', async () => {
    let n = 0;
    const s = await serve(() => (++n === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: {} } : { status: 200, body: { ok: true } }));
    const http = createHttpClient({ system: 'zia', baseURL: s.url, ...fast });
    await expect(http.post('/syncNow', {}, Obj)).resolves.toEqual({ ok: true });
    expect(s.requests.length).toBe(2);
  });

  it('honours a 429 Retry-After header', async () => {
    let n = 0;
    const s = await serve(() => (++n === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: {} } : { status: 200, body: { ok: true } }));
    const http = createHttpClient({ system: 'graph', baseURL: s.url, ...fast });
    await http.get('/x', Obj);
    const gap = s.requests[1]!.time - s.requests[0]!.time;
    expect(gap).toBeGreaterThanOrEqual(950);
  });

  it('does not wait for a Retry-After beyond the cap and says how long the server asked for', async () => {
    const s = await serve(() => ({ status: 429, headers: { 'retry-after': '3600' }, body: { message: 'hourly limit' } }));
    const http = createHttpClient({ system: 'zia', baseURL: s.url, ...fast, maxRetryWaitMs: 10_000 });
    const err = (await http.get('/x', Obj).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(429);
    expect(err.retryAfterSeconds).toBe(3600);
    expect(err.hint).toContain('3600');
    expect(s.requests.length).toBe(1);
  });

  it('a body cut off mid-stream is a transport error: retried, and named as such (not "HTTP 200")', async () => {
    let n = 0;
    const srv = createServer((_req, res) => {
      n += 1;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
      res.write('{"ok": tr');
      setTimeout(() => res.destroy(), 5);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
      const http = createHttpClient({ system: 'zia', baseURL: url, ...fast });
      const err = (await http.get('/x', Obj).catch((e: unknown) => e)) as ApiError;
      expect(err).toBeInstanceOf(ApiError);
      expect(n).toBe(3); // the first try and two retries
      expect(err.status).toBe(0);
      expect(err.message).toContain('truncated or malformed response body');
      expect(err.message).not.toContain('HTTP 200');
    } finally {
      srv.close();
    }
  });

  it('retries network errors and timeouts on GET', async () => {
    let n = 0;
    const s = await serve(() => {
      n++;
      if (n === 1) return { status: 200, destroy: true };
      if (n === 2) return { status: 200, body: { ok: true }, delayMs: 400 };
      return { status: 200, body: { ok: true } };
    });
    const http = createHttpClient({ system: 'scim', baseURL: s.url, ...fast, timeoutMs: 150 });
    await expect(http.get('/x', Obj)).resolves.toEqual({ ok: true });
    expect(n).toBe(3);
  });

  it('reports an unreachable host as status 0 with what to check', async () => {
    const s = await serve(() => ({ status: 200 }));
    const url = s.url;
    await s.close();
    server = undefined;
    const http = createHttpClient({ system: 'graph', baseURL: url, retries: 1, retryBaseDelayMs: 5 });
    const err = (await http.get('/x', Obj).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(0);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.hint).toMatch(/URL/);
  });

  it('a body cut short of its Content-Length is a transport error, retried like a reset, named as such', async () => {
    let n = 0;
    const big = { ok: true, pad: 'x'.repeat(5000) };
    const s = await serve(() => (++n < 3 ? { status: 200, body: big, truncateAt: 40 } : { status: 200, body: big }));
    const http = createHttpClient({ system: 'zia', baseURL: `${s.url}/api/v1`, ...fast });
    await expect(http.get('/users?search=secret-query', Obj)).resolves.toEqual({ ok: true });
    expect(n).toBe(3);

    n = -100; // always cut
    const err = (await http.get('/users?search=secret-query', Obj).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe(`ZIA admin API GET /users failed after 3 attempts: truncated or malformed response body from GET ${s.url}/api/v1/users`);
    expect(err.message).not.toContain('HTTP 200');
    expect(err.hint).toMatch(/cut short/);
  });

  it('a JSON body that does not parse is retried the same way; an HTML page is a wrong URL, not retried', async () => {
    let n = 0;
    const s = await serve((r) => {
      n++;
      if (r.path === '/html') return { status: 200, raw: '<html>sign in</html>', headers: { 'content-type': 'text/html' } };
      return n < 3 ? { status: 200, raw: '{"ok": tr', headers: { 'content-type': 'application/json' } } : { status: 200, body: { ok: true } };
    });
    const http = createHttpClient({ system: 'scim', baseURL: s.url, ...fast });
    await expect(http.get('/x', Obj)).resolves.toEqual({ ok: true });
    expect(n).toBe(3);
    n = 0;
    const err = (await http.get('/html', Obj).catch((e: unknown) => e)) as SchemaError;
    expect(err).toBeInstanceOf(SchemaError);
    expect(err.message).toContain('the body is not JSON (Content-Type text/html)');
    expect(n).toBe(1);
  });

  it('a host name that does not resolve fails at once, naming the host', async () => {
    const audit: AuditEntry[] = [];
    // RFC 6761: .invalid never resolves. A resolver that does not answer (EAI_AGAIN) gets one more try.
    const http = createHttpClient({
      system: 'zia',
      baseURL: 'https://zsapi.no-such-cloud.invalid/api/v1',
      retries: 4,
      retryBaseDelayMs: 5,
      audit: (e) => audit.push(e),
    });
    const err = (await http.get('/status', Obj).catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toMatch(/cannot resolve the host name zsapi\.no-such-cloud\.invalid \((ENOTFOUND|EAI_AGAIN)\)/);
    expect(err.hint).toContain('zsapi.no-such-cloud.invalid');
    expect(audit.length).toBe(err.message.includes('ENOTFOUND') ? 1 : 2);
    expect(err.attempts).toBe(audit.length);
  });

  it('cuts any huge value a server echoes (error code, message, plain-text body, a key in a zod path)', async () => {
    const huge = 'A'.repeat(200_000);
    const s = await serve((r) => {
      if (r.path === '/json') return { status: 400, body: { code: huge, message: `bad ${'word '.repeat(40_000)}` } };
      if (r.path === '/text') return { status: 500, raw: huge, headers: { 'content-type': 'text/plain' } };
      return { status: 200, body: { [huge]: 'not a number' } };
    });
    const http = createHttpClient({ system: 'graph', baseURL: s.url, retries: 0 });
    for (const path of ['/json', '/text', '/shape']) {
      const err = (await http.get(path, z.record(z.string(), z.number())).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message.length).toBeLessThan(1_500);
      expect(err.message).toMatch(/… \(\d+ more characters\)/);
    }
  });

  it('names the system, path and zod issue path when a response has the wrong shape', async () => {
    const s = await serve(() => ({ status: 200, body: { items: [{ id: 'not-a-number' }] } }));
    const http = createHttpClient({ system: 'zia', baseURL: s.url });
    const err = (await http
      .get('/users?search=secret-query', z.object({ items: z.array(z.object({ id: z.number() })) }))
      .catch((e: unknown) => e)) as SchemaError;
    expect(err).toBeInstanceOf(SchemaError);
    expect(err.message).toContain('ZIA admin API GET /users');
    expect(err.message).toContain('items.0.id');
    expect(err.message).not.toContain('secret-query');
  });

  it('refuses mutating calls in read-only mode before anything leaves, except auth calls', async () => {
    const s = await serve(() => ({ status: 200, body: { ok: true } }));
    const http = createHttpClient({ system: 'zia', baseURL: s.url, readOnly: true });
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      await expect(http.request(m, '/authSettings', Obj, { body: {} })).rejects.toBeInstanceOf(ReadOnlyViolation);
    }
    expect(s.requests.length).toBe(0);
    await http.get('/x', Obj);
    await http.post('/authenticatedSession', {}, Obj, { auth: true });
    expect(s.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
  });

  it('scrubs secrets from errors and writes audit lines without bodies, headers or queries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrate-audit-'));
    try {
      const auditPath = join(dir, 'sub', 'audit.jsonl');
      const s = await serve((r) =>
        r.path === '/ok'
          ? { status: 200, body: { ok: true } }
          : { status: 400, body: { code: 'INVALID_INPUT_ARGUMENT', message: `bad password hunter2-SECRET and token ${r.headers.authorization}` } },
      );
      const http = createHttpClient({ system: 'scim', baseURL: s.url, redact: ['hunter2-SECRET'], audit: createJsonlAudit(auditPath) });
      http.addSecret('runtime-token-XYZ');
      await http.get('/ok', Obj, { query: { filter: 'userName eq "private@example.com"' } });
      const err = (await http.get('/bad', Obj, { headers: { Authorization: 'Bearer runtime-token-XYZ' } }).catch((e: unknown) => e)) as ApiError;
      expect(err.message).toContain('INVALID_INPUT_ARGUMENT');
      expect(err.message).not.toContain('hunter2');
      expect(err.message).not.toContain('runtime-token-XYZ');
      expect(JSON.stringify(err)).not.toContain('runtime-token-XYZ');
      const text = readFileSync(auditPath, 'utf8');
      const lines = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as AuditEntry);
      expect(lines).toHaveLength(2);
      expect(lines[0]).toEqual({
        time: expect.any(String),
        system: 'scim',
        method: 'GET',
        path: '/ok',
        status: 200,
        durationMs: expect.any(Number),
        attempt: 1,
      });
      expect(lines[1]).toMatchObject({ path: '/bad', status: 400, attempt: 1 });
      expect(text).not.toContain('private@example.com');
      expect(text).not.toContain('runtime-token');
      expect(text).not.toContain('hunter2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('audits each retry as its own attempt', async () => {
    let n = 0;
    const s = await serve(() => (++n === 1 ? { status: 502 } : { status: 200, body: { ok: true } }));
    const entries: AuditEntry[] = [];
    const http = createHttpClient({ system: 'graph', baseURL: s.url, ...fast, audit: (e) => entries.push(e) });
    await http.get('/x', Obj);
    expect(entries.map((e) => [e.status, e.attempt])).toEqual([
      [502, 1],
      [200, 2],
    ]);
  });
});

describe('createLimiter', () => {
  it('never admits more than the limit inside any window', async () => {
    const limiter = createLimiter([
      { methods: ['GET'], perSecond: 3 },
      { methods: ['POST'], pathPrefix: '/a', perSecond: 1 },
    ]);
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 7 }, () => limiter.acquire('GET', '/x').then(() => starts.push(Date.now()))));
    for (let i = 3; i < starts.length; i++) expect(starts[i]! - starts[i - 3]!).toBeGreaterThanOrEqual(1000);
    // Non-matching calls pass straight through: admitted before any timer could fire (no wait at all).
    const admitted = Promise.all([limiter.acquire('POST', '/b'), limiter.acquire('POST', '/b'), limiter.acquire('DELETE', '/a')]).then(() => 'admitted');
    expect(await Promise.race([admitted, new Promise((r) => setImmediate(() => r('waited')))])).toBe('admitted');
  });
});
