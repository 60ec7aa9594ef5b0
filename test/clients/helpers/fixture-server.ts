import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * A tiny real HTTP server on 127.0.0.1:0 that replays recorded vendor shapes from fixtures/.
 * It is a test double at the edge we cannot reach (the real ZIA, SCIM and Graph services);
 * each test's handler cites the doc section whose shape it serves.
 */

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  time: number;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Sent verbatim instead of JSON (non-JSON vendor bodies). */
  raw?: string;
  headers?: Record<string, string | string[]>;
  /** Destroy the socket without answering (network error). */
  destroy?: boolean;
  /** Wait this long before answering (timeouts). */
  delayMs?: number;
  /** Announce the whole body's Content-Length, send only this many bytes, then drop the connection. */
  truncateAt?: number;
}

export type Handler = (req: Recorded) => Reply | Promise<Reply>;

export interface FixtureServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<FixtureServer> {
  const requests: Recorded[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const rec: Recorded = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        time: Date.now(),
      };
      requests.push(rec);
      void Promise.resolve(handler(rec)).then((reply) => {
        const send = () => {
          if (reply.destroy) {
            req.socket.destroy();
            return;
          }
          const headers: Record<string, string | string[]> = { ...(reply.headers ?? {}) };
          let payload = '';
          if (reply.raw !== undefined) payload = reply.raw;
          else if (reply.body !== undefined) {
            payload = JSON.stringify(reply.body);
            headers['content-type'] ??= 'application/json';
          }
          if (reply.truncateAt !== undefined) {
            const bytes = Buffer.from(payload);
            res.writeHead(reply.status, { ...headers, 'content-length': String(bytes.length) });
            res.write(bytes.subarray(0, reply.truncateAt), () => req.socket.destroy());
            return;
          }
          res.writeHead(reply.status, headers);
          res.end(payload);
        };
        if (reply.delayMs) {
          const t = setTimeout(() => {
            timers.delete(t);
            if (!res.destroyed) send();
          }, reply.delayMs);
          timers.add(t);
        } else send();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Reads fixtures/<rel> as JSON (a fresh copy each time). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are untyped JSON that tests index freely
export function fixture<T = any>(rel: string): T {
  return JSON.parse(readFileSync(join(process.cwd(), 'fixtures', rel), 'utf8')) as T;
}

/**
 * A server-side limiter like the vendor's: at most `max` requests per `windowMs` in any
 * sliding window; anything over gets 429. Used to prove our client never trips it.
 */
export function slidingWindowGuard(max: number, windowMs: number): () => boolean {
  const starts: number[] = [];
  return () => {
    const now = Date.now();
    while (starts.length && (starts[0] ?? 0) + windowMs <= now) starts.shift();
    if (starts.length >= max) return false;
    starts.push(now);
    return true;
  };
}

/** Collects an async generator of pages. */
export async function collect<T>(gen: AsyncGenerator<T[]>): Promise<T[][]> {
  const pages: T[][] = [];
  for await (const p of gen) pages.push(p);
  return pages;
}
