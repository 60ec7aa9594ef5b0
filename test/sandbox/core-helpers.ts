import { FaultInjector, parseFaultSpec } from '../../src/sandbox/http/faults.js';
import { RequestLog } from '../../src/sandbox/http/log.js';
import { startScimServer } from '../../src/sandbox/scim/server.js';
import { generateDirectory } from '../../src/sandbox/world/seed.js';
import { ZiaTenant } from '../../src/sandbox/world/tenant.js';
import { obfuscateApiKey } from '../../src/sandbox/zia/auth.js';
import { createPortal } from '../../src/sandbox/zia/portal.js';
import { startZiaServer } from '../../src/sandbox/zia/server.js';

/** Starts the ZIA admin server and the SCIM server on ephemeral ports around one tenant (no Entra, no LDAP). */
export async function startCore(
  opts: {
    users?: number;
    rateLimits?: boolean;
    faults?: string;
    speed?: number;
    idleTimeoutMinutes?: number;
    now?: () => number;
    pageCap?: number;
    postAdoptsSynced?: boolean;
    /** Registered domains: SCIM refuses userNames outside them (none given: none refused). */
    domains?: string[];
  } = {},
) {
  const directory = generateDirectory({ users: opts.users ?? 50, seed: 7 });
  const tenant = new ZiaTenant({
    orgId: '24326813',
    idps: [
      { id: 61233, name: 'Entra ID' },
      { id: 61234, name: 'Okta (legacy)' },
    ],
    ...(opts.domains ? { domains: opts.domains } : {}),
  });
  tenant.syncNow(directory);
  const log = new RequestLog();
  const faults = new FaultInjector(parseFaultSpec(opts.faults), 3);
  const rateLimits = opts.rateLimits ?? false;
  const scim = await startScimServer({
    tenant,
    log,
    rateLimits,
    faults,
    speed: opts.speed ?? 1,
    postAdoptsSynced: opts.postAdoptsSynced ?? false,
    ...(opts.pageCap ? { pageCap: opts.pageCap } : {}),
  });
  const portal = createPortal({ tenant, directory: () => directory, scimBaseUrl: (id) => scim.baseUrlFor(id) });
  const credentials = {
    username: 'admin@example.test',
    password: 'pw-Sandbox-1',
    apiKey: 'AbCdEfGhIjKl',
    oneApiClientId: 'cid',
    oneApiClientSecret: 'csecret',
  };
  const zia = await startZiaServer({
    tenant,
    portal,
    credentials,
    log,
    rateLimits,
    faults,
    speed: opts.speed ?? 1,
    idleTimeoutMinutes: opts.idleTimeoutMinutes ?? 5,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return {
    tenant,
    directory,
    log,
    portal,
    credentials,
    zia,
    scim,
    ziaApi: `${zia.url}/api/v1`,
    async stop() {
      await zia.stop();
      await scim.stop();
    },
  };
}

export type Core = Awaited<ReturnType<typeof startCore>>;

export async function login(core: Core, overrides: { apiKey?: string; password?: string } = {}): Promise<{ status: number; cookie?: string; body: unknown }> {
  const ts = String(Date.now());
  const res = await fetch(`${core.ziaApi}/authenticatedSession`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiKey: overrides.apiKey ?? obfuscateApiKey(core.credentials.apiKey, ts),
      username: core.credentials.username,
      password: overrides.password ?? core.credentials.password,
      timestamp: ts,
    }),
  });
  const cookie = /JSESSIONID=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  return { status: res.status, body: await res.json(), ...(cookie ? { cookie: `JSESSIONID=${cookie}` } : {}) };
}

export async function call(url: string, init: { method?: string; headers?: Record<string, string>; json?: unknown; body?: string } = {}) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method: init.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- raw HTTP bodies that tests index freely
  return { status: res.status, headers: res.headers, body: parsed as any };
}
