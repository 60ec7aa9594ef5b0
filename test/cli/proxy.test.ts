import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli } from './cli.js';

/**
 * Behind a corporate proxy (issue 18): the HTTP clients honour HTTP_PROXY/HTTPS_PROXY and NO_PROXY
 * as the environment sets them (axios reads them; https targets are tunnelled with CONNECT). A real
 * forward proxy on loopback sees every API call of a dry-run, and the run still plans correctly.
 */

interface Seen {
  method: string;
  url: string;
}

/** A minimal forward proxy: absolute-form requests are relayed; what it relayed is recorded. */
async function startProxy(): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '' });
    const target = new URL(req.url ?? '');
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('migrate behind an HTTP proxy', () => {
  let sandbox: Sandbox;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  afterEach(async () => {
    await sandbox?.stop();
    await new Promise((r) => proxy?.server.close(r));
  });

  it('sends every API call through HTTP_PROXY, and none when NO_PROXY names the host', async () => {
    sandbox = await startSandbox({ users: 20, speed: 500, port: 0, seed: 5 });
    proxy = await startProxy();
    const dir = await mkdtemp(join(tmpdir(), 'migrate-proxy-'));
    const config = await sandbox.writeConfig(dir);
    const args = ['ad-to-scim', '--dry-run', '--json', '--config', config, '--state', join(dir, 'state.json')];

    const through = await runCli(args, { env: { HTTP_PROXY: proxy.url, http_proxy: proxy.url, NO_PROXY: '', no_proxy: '' } });
    expect(through.code).toBe(0);
    expect(JSON.parse(through.stdout).plan.preflight.length).toBeGreaterThan(0);
    const hosts = new Set(proxy.seen.map((s) => new URL(s.url).origin));
    // The ZIA admin API and Graph (and Entra's token endpoint, on the same listener) went through the proxy.
    expect(hosts.has(new URL(sandbox.endpoints.ziaBaseUrl).origin)).toBe(true);
    expect(hosts.has(new URL(sandbox.endpoints.graphUrl).origin)).toBe(true);
    expect(proxy.seen.some((s) => s.url.includes('/authSettings'))).toBe(true);

    proxy.seen.length = 0;
    const direct = await runCli(args, { env: { HTTP_PROXY: proxy.url, http_proxy: proxy.url, NO_PROXY: '127.0.0.1', no_proxy: '127.0.0.1' } });
    expect(direct.code).toBe(0);
    expect(proxy.seen).toEqual([]);
  });
});
