import { afterEach, describe, expect, test } from '@jest/globals';
import http from 'node:http';
import { FaultInjector, FaultSpecError, parseFaultSpec } from '../../src/sandbox/http/faults.js';
import { call, login, startCore, type Core } from './core-helpers.js';

describe('parseFaultSpec', () => {
  test('parses the documented grammar', () => {
    expect(parseFaultSpec('zia:GET:/users:429:0.2,scim:*:*:500:0.1,graph:*:*:latency=200')).toEqual([
      { server: 'zia', method: 'GET', prefix: '/users', fault: { kind: 'status', status: 429 }, rate: 0.2 },
      { server: 'scim', method: '*', prefix: '*', fault: { kind: 'status', status: 500 }, rate: 0.1 },
      { server: 'graph', method: '*', prefix: '*', fault: { kind: 'latency', ms: 200 }, rate: 1 },
    ]);
    expect(parseFaultSpec('zia:*:*:reset,zia:*:*:timeout=50,zia:*:*:truncate,zia:*:*:5xx').map((r) => r.fault)).toEqual([
      { kind: 'reset' },
      { kind: 'timeout', ms: 50 },
      { kind: 'truncate' },
      { kind: 'status', status: 503 },
    ]);
    expect(parseFaultSpec('')).toEqual([]);
  });

  test.each(['zia:GET:/users', 'moon:*:*:429', 'zia:*:*:explode', 'zia:*:*:429:2', 'zia:*:*:latency'])('rejects "%s" with a message', (spec) => {
    expect(() => parseFaultSpec(spec)).toThrow(FaultSpecError);
  });

  test('draws are deterministic for a seed and follow the rate', () => {
    const rules = parseFaultSpec('zia:GET:/users:429:0.3');
    const run = () => {
      const f = new FaultInjector(rules, 11);
      return Array.from({ length: 1000 }, () => (f.pick('zia', 'GET', ['/users']) ? 1 : 0));
    };
    const a = run();
    expect(run()).toEqual(a);
    const hits = a.reduce<number>((s, x) => s + x, 0);
    expect(hits).toBeGreaterThan(220);
    expect(hits).toBeLessThan(380);
    const f = new FaultInjector(rules, 11);
    expect(f.pick('zia', 'POST', ['/users'])).toBeUndefined();
    expect(f.pick('scim', 'GET', ['/users'])).toBeUndefined();
  });
});

describe('faults on a live server', () => {
  let core: Core | undefined;
  afterEach(async () => {
    await core?.stop();
    core = undefined;
  });

  test('status faults use the service error shape; prefix is matched without /api/v1', async () => {
    core = await startCore({ faults: 'zia:GET:/status:500,zia:GET:/users:429' });
    const { cookie } = await login(core);
    const s = await call(`${core.ziaApi}/status`, { headers: { cookie: cookie! } });
    expect(s.status).toBe(500);
    expect(s.body).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    const u = await call(`${core.ziaApi}/users`, { headers: { cookie: cookie! } });
    expect(u.status).toBe(429);
    expect(u.headers.get('retry-after')).toBe('1');
    expect((await call(`${core.ziaApi}/authSettings`, { headers: { cookie: cookie! } })).status).toBe(200);
  });

  test('reset destroys the socket; truncate sends half a body; latency delays', async () => {
    core = await startCore({ faults: 'zia:GET:/portal/idps:reset,zia:GET:/_x:latency=10,zia:GET:/status:truncate' });
    await expect(fetch(`${core.zia.url}/portal/idps`)).rejects.toThrow();
    const { cookie } = await login(core);
    const body = await new Promise<string>((resolve) => {
      const req = http.get(`${core!.ziaApi}/status`, { headers: { cookie: cookie! } }, (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('error', () => undefined);
        res.on('close', () => resolve(data));
      });
      req.on('error', () => undefined);
    });
    expect(body.length).toBeGreaterThan(0);
    expect(() => JSON.parse(body)).toThrow();
    const t = Date.now();
    await call(`${core.zia.url}/_x`);
    expect(Date.now() - t).toBeGreaterThanOrEqual(9);
  });

  test('timeout holds the request and then drops it', async () => {
    core = await startCore({ faults: 'zia:*:/portal:timeout=100' });
    const t = Date.now();
    await expect(fetch(`${core.zia.url}/portal/idps`)).rejects.toThrow();
    expect(Date.now() - t).toBeGreaterThanOrEqual(90);
  });
});
