// The directory client against real LDAP servers on 127.0.0.1 that need no DC: an ldapjs 3.0.7
// server as a small scripted test double (frozen, never in product code: docs/vendor-facts.md F39), and raw TCP
// servers for network failures. The Samba AD tier (test/ad) covers real AD behaviour.
import { createServer, type Server, type Socket } from 'node:net';
import ldapjs from 'ldapjs';
import { createDirectoryClient, type DirectoryClient, type DirectoryClientOptions } from '../../src/clients/ldap.js';

// @types/ldapjs describes ldapjs 2; this is the slice of the 3.0.7 API the double uses.
type Next = (e?: Error) => void;
interface LdapjsServer {
  bind(base: string, handler: (req: { credentials: string }, res: { end(): void }, next: Next) => void): void;
  search(base: string, handler: (req: SearchReq, res: SearchRes, next: Next) => void): void;
  listen(port: number, host: string, cb: () => void): void;
  address(): { port: number };
  close(cb: () => void): void;
}
const ldap = ldapjs as unknown as {
  createServer(): LdapjsServer;
  Attribute: { fromObject(o: Record<string, unknown>): unknown };
  InvalidCredentialsError: new (message?: string) => Error;
  SizeLimitExceededError: new (message?: string) => Error;
  ProtocolError: new (message?: string) => Error;
};

const PASSWORD = 'Right-Pa55word';
const GUID = Buffer.from('33221100554477668899aabbccddeeff', 'hex');

const opened: DirectoryClient[] = [];

interface Double {
  url: string;
  binds: number;
  close(): Promise<void>;
}

type SearchReq = { dn: { toString(): string }; attributes: string[] };
type SearchRes = { send(entry: object): void; createSearchEntry(o: object): object; end(): void };

/**
 * Sends an entry exactly as given. ldapjs 3.0.7 drops attributes of plain-object entries whose
 * requested names are not lower case (its filter compares a lower-cased name with the request),
 * so build a SearchEntry, which it sends unfiltered.
 */
function sendEntry(res: SearchRes, entry: { dn: string; attributes: Record<string, unknown> }): void {
  res.send(res.createSearchEntry({ objectName: entry.dn, attributes: ldap.Attribute.fromObject(entry.attributes) }));
}

async function startDouble(onSearch: (req: SearchReq, res: SearchRes) => Error | void): Promise<Double> {
  const server = ldap.createServer();
  const state = { binds: 0 };
  server.bind('', (req, res, next) => {
    state.binds += 1;
    if (req.credentials !== PASSWORD) {
      return next(new ldap.InvalidCredentialsError('AcceptSecurityContext error, data 52e, v4563'));
    }
    res.end();
    return next();
  });
  server.search('dc=x', (req, res, next) => {
    const err = onSearch(req, res);
    if (err) return next(err);
    res.end();
    return next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `ldap://127.0.0.1:${port}`,
    get binds() {
      return state.binds;
    },
    // Clients first: a listening server's close() waits for its open connections.
    close: async () => {
      await Promise.all(opened.splice(0).map((c) => c.close()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const user = (cn: string, extra: Record<string, unknown> = {}) => ({
  dn: `cn=${cn},dc=x`,
  attributes: { objectGUID: GUID, sAMAccountName: cn, userAccountControl: '512', ...extra },
});

function client(url: string, over: Partial<DirectoryClientOptions> = {}): DirectoryClient {
  const c = createDirectoryClient({ url, bindDn: 'cn=svc,dc=x', password: PASSWORD, startTls: false, insecure: true, ...over });
  opened.push(c);
  return c;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

async function drain(c: DirectoryClient): Promise<number> {
  let n = 0;
  for await (const page of c.streamUsers({ baseDn: 'dc=x', userFilter: '(objectClass=user)', attributes: [] })) n += page.length;
  return n;
}

async function failure(p: Promise<unknown>): Promise<Error & { hint?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { hint?: string };
  }
  throw new Error('expected a failure');
}

describe('directory client against scripted LDAP servers', () => {
  it('reads entries and validates them', async () => {
    const d = await startDouble((_req, res) => {
      sendEntry(res, user('a'));
      sendEntry(res, user('b', { userAccountControl: '514' }));
    });
    try {
      const pages: { sAMAccountName?: string; disabled: boolean; objectGUID: string }[][] = [];
      for await (const p of client(d.url).streamUsers({ baseDn: 'dc=x', userFilter: '(objectClass=user)', attributes: [] })) pages.push(p);
      expect(pages.flat().map((u) => [u.sAMAccountName, u.disabled, u.objectGUID])).toEqual([
        ['a', false, '00112233-4455-6677-8899-aabbccddeeff'],
        ['b', true, '00112233-4455-6677-8899-aabbccddeeff'],
      ]);
    } finally {
      await d.close();
    }
  });

  it('a wrong password: the message names the bind DN, never the password', async () => {
    const d = await startDouble(() => undefined);
    try {
      const err = await failure(drain(client(d.url, { password: 'Wrong-Pa55word' })));
      expect(err.message).toBe('bind refused for cn=svc,dc=x: wrong password or locked account');
      expect(`${err.message}${err.hint}${String(err.stack)}`).not.toMatch(/Wrong-Pa55word|Right-Pa55word/);
    } finally {
      await d.close();
    }
  });

  it('a server that stops at its size limit makes the read fail instead of looking complete', async () => {
    const d = await startDouble((_req, res) => {
      sendEntry(res, user('a'));
      return new ldap.SizeLimitExceededError('size limit');
    });
    try {
      const err = await failure(drain(client(d.url)));
      expect(err.message).toMatch(/stopped the search at its size limit: the result would be incomplete/);
    } finally {
      await d.close();
    }
  });

  it('a malformed entry fails naming the DN and the attribute', async () => {
    const d = await startDouble((_req, res) => {
      sendEntry(res, user('good'));
      sendEntry(res, user('bad', { objectGUID: Buffer.alloc(8, 0xfe) }));
    });
    try {
      const err = await failure(drain(client(d.url)));
      expect(err.message).toBe('directory entry "cn=bad,dc=x": attribute objectGUID is not 16 bytes');
    } finally {
      await d.close();
    }
  });

  it('StartTLS refused by the server fails before any bind (no plain-text fallback)', async () => {
    const d = await startDouble(() => undefined);
    try {
      const err = await failure(drain(client(d.url, { startTls: true, insecure: false })));
      expect(err.message).toMatch(new RegExp(`LDAP starttls on ${d.url} failed`));
      expect(d.binds).toBe(0);
    } finally {
      await d.close();
    }
  });

  describe('ranged member retrieval', () => {
    const members = Array.from({ length: 3200 }, (_, i) => `cn=user${i},dc=x`);

    it('asks for explicit windows and follows the server to the * terminator', async () => {
      const asked: string[] = [];
      const d = await startDouble((req, res) => {
        const a = req.attributes[0] ?? '';
        asked.push(a);
        const m = /^member;range=(\d+)-(\d+)$/i.exec(a);
        if (!m) return new ldap.ProtocolError(`unexpected attribute ${a}`);
        const low = Number(m[1]);
        const high = Number(m[2]);
        const last = high >= members.length - 1;
        const key = `member;range=${low}-${last ? '*' : high}`;
        sendEntry(res, { dn: req.dn.toString(), attributes: { [key]: members.slice(low, high + 1) } });
      });
      try {
        const got = await client(d.url).getGroupMembers('cn=big,dc=x');
        expect(got).toEqual(members);
        expect(asked).toEqual(['member;range=0-1499', 'member;range=1500-2999', 'member;range=3000-4499']);
      } finally {
        await d.close();
      }
    });

    it('takes a plain member list when the server does not range (Samba)', async () => {
      const d = await startDouble((req, res) => {
        sendEntry(res, { dn: req.dn.toString(), attributes: { member: members.slice(0, 3) } });
      });
      try {
        expect(await client(d.url).getGroupMembers('cn=small,dc=x')).toEqual(members.slice(0, 3));
      } finally {
        await d.close();
      }
    });

    it('fails when the server skips values', async () => {
      const d = await startDouble((req, res) => {
        sendEntry(res, { dn: req.dn.toString(), attributes: { 'member;range=0-1499': members.slice(0, 1500) } });
      });
      try {
        const err = await failure(client(d.url).getGroupMembers('cn=big,dc=x'));
        expect(err.message).toMatch(/asked for values from 1500, server answered from 0/);
      } finally {
        await d.close();
      }
    });
  });
});

describe('network failures', () => {
  async function listen(onConnection: (s: Socket) => void): Promise<{ server: Server; port: number; sockets: Socket[] }> {
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      onConnection(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { server, port: (server.address() as { port: number }).port, sockets };
  }
  async function stop(l: { server: Server; sockets: Socket[] }): Promise<void> {
    for (const s of l.sockets) s.destroy();
    await new Promise<void>((r) => l.server.close(() => r()));
  }

  it('a closed port names the URL and the usual ports', async () => {
    const l = await listen(() => undefined);
    await stop(l); // the port is now closed
    const url = `ldaps://127.0.0.1:${l.port}`;
    const err = await failure(drain(client(url)));
    expect(err.message).toBe(`cannot reach the directory at ${url} (ECONNREFUSED on bind)`);
    expect(err.hint).toMatch(/636 for ldaps:\/\/, 389 for ldap:\/\/.*firewall/);
  });

  it('a server that never answers the TLS handshake hits the connect timeout', async () => {
    const l = await listen(() => undefined);
    try {
      const url = `ldaps://127.0.0.1:${l.port}`;
      // The message says the connect timeout fired (without it the read would hang until the test's own timeout).
      const err = await failure(drain(client(url, { connectTimeoutMs: 300 })));
      expect(err.message).toBe(`cannot reach the directory at ${url}: no connection within the connect timeout`);
    } finally {
      await stop(l);
    }
  });

  it('a server that is not TLS on an ldaps:// URL is reported as a TLS failure naming the caFile setting', async () => {
    const l = await listen((s) => s.end('this is not TLS\n'));
    try {
      const err = await failure(drain(client(`ldaps://127.0.0.1:${l.port}`)));
      expect(err.message).toMatch(/^TLS with ldaps:\/\/127\.0\.0\.1:\d+ failed during bind: .*system CA store \(no caFile given\)/);
    } finally {
      await stop(l);
    }
  });
});
