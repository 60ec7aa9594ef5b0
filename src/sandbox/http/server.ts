import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultInjector, FaultKind, SandboxServer } from './faults.js';
import type { RequestLog } from './log.js';

/**
 * A tiny request/response layer shared by the simulated services: reads the body, applies
 * injected faults, calls a pure-ish handler, writes the answer and records it in the log.
 * Handlers return values instead of writing to sockets so they stay easy to test and reason about.
 */
export interface SimRequest {
  method: string;
  /** Path without the query string, percent-decoding left to the handler. */
  path: string;
  rawUrl: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** True when the request arrived over TLS (cookies get `Secure` only then). */
  secure?: boolean;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless a string or Buffer. */
  body?: unknown;
  contentType?: string;
}

export type SimHandler = (req: SimRequest) => Promise<SimResponse> | SimResponse;

export interface ServiceOptions {
  /**
   * The system this listener simulates, as named in the request log and the fault grammar. One
   * listener may serve two systems (Entra: `login` and `graph`); then a function of the path.
   */
  name: SandboxServer | ((path: string) => SandboxServer);
  host?: string;
  port?: number;
  handler: SimHandler;
  /** Where each request is recorded (the sandbox RequestLog, or anything with its `record`). */
  log: Pick<RequestLog, 'record'>;
  faults?: FaultInjector;
  /** Path with the service's API prefix removed, for fault prefix matching. */
  stripPrefix?: (path: string, server: SandboxServer) => string;
  /** The body a fault-injected status answer carries (service-specific error shape). */
  faultResponse?: (status: number, server: SandboxServer) => SimResponse;
  maxBodyBytes?: number;
}

export interface RunningService {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const MAX_BODY = 20 * 1024 * 1024;

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function serialise(r: SimResponse): { body: Buffer; contentType: string | undefined } {
  if (r.body === undefined || r.status === 204) return { body: Buffer.alloc(0), contentType: undefined };
  if (Buffer.isBuffer(r.body)) return { body: r.body, contentType: r.contentType ?? 'application/octet-stream' };
  if (typeof r.body === 'string') return { body: Buffer.from(r.body), contentType: r.contentType ?? 'text/plain; charset=utf-8' };
  return { body: Buffer.from(JSON.stringify(r.body)), contentType: r.contentType ?? 'application/json;charset=UTF-8' };
}

export function jsonResponse(status: number, body: unknown, headers?: Record<string, string>): SimResponse {
  return headers ? { status, body, headers } : { status, body };
}

export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const host = opts.host ?? '127.0.0.1';
  const timers = new Set<NodeJS.Timeout>();
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const nameOf = typeof opts.name === 'function' ? opts.name : () => opts.name as SandboxServer;

  const server = http.createServer((req, res) => {
    void (async () => {
      const rawUrl = req.url ?? '/';
      const method = (req.method ?? 'GET').toUpperCase();
      const q = rawUrl.indexOf('?');
      const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
      const name = nameOf(path);
      const record = (status: number) => opts.log.record({ server: name, method, path: rawUrl, status });
      let body: Buffer;
      try {
        body = await readBody(req, opts.maxBodyBytes ?? MAX_BODY);
      } catch {
        record(413);
        if (!res.headersSent) res.writeHead(413).end();
        return;
      }
      const stripped = opts.stripPrefix ? opts.stripPrefix(path, name) : path;
      const fault: FaultKind | undefined = path.startsWith('/_sandbox') ? undefined : opts.faults?.pick(name, method, [stripped, path]);
      if (fault?.kind === 'reset') {
        record(0);
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'timeout') {
        record(0);
        await delay(fault.ms);
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'latency') await delay(fault.ms);
      let out: SimResponse;
      if (fault?.kind === 'status') {
        out = opts.faultResponse
          ? opts.faultResponse(fault.status, name)
          : jsonResponse(fault.status, { code: 'INJECTED_FAULT', message: `injected ${fault.status}` });
        if (fault.status === 429) out.headers = { ...(out.headers ?? {}), 'retry-after': '1' };
      } else {
        try {
          out = await opts.handler({
            method,
            path,
            rawUrl,
            query: new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1)),
            headers: req.headers,
            body,
            secure: (req.socket as { encrypted?: boolean }).encrypted === true,
          });
        } catch (err) {
          // A handler bug: answer like a server error, never with the stack (it could hold data).
          out = jsonResponse(500, { code: 'UNEXPECTED_ERROR', message: `sandbox ${name} failed: ${(err as Error).message}` });
        }
      }
      const { body: payload, contentType } = serialise(out);
      const headers: Record<string, string> = { ...(out.headers ?? {}) };
      if (contentType) headers['content-type'] = contentType;
      headers['content-length'] = String(payload.length);
      record(out.status);
      res.writeHead(out.status, headers);
      if (fault?.kind === 'truncate' && payload.length > 1) {
        // Destroy only once the half body is flushed, so the client really receives it.
        res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => res.socket?.destroy());
        return;
      }
      res.end(payload);
    })();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
