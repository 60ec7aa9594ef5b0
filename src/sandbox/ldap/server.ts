/**
 * The sandbox's Active Directory, served over real LDAP on loopback (ldapjs 3.0.7 server as
 * the wire layer, only here — docs/vendor-facts.md F39).
 *
 * It behaves like Windows AD where Samba does not (docs/vendor-facts.md F41), so a client that would
 * break on real AD breaks here too:
 * - MaxPageSize 1000: pages are capped at 1000; an unpaged search with more than 1000 results
 *   returns the first 1000 and then sizeLimitExceeded (4);
 * - MaxValRange 1500: `member` beyond 1500 values must be fetched with `member;range=…`;
 * - anonymous binds succeed but anonymous searches are refused with operationsError (1) and
 *   AD's 000004DC text; a wrong password gives invalidCredentials (49), "data 52e";
 * - simple bind by DN or by UPN (`svc@domain`), like AD.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { SandboxDirectory } from '../world/directory.js';
import { parseRequested, selectAttributes } from './attributes.js';
import { encodeAttribute, encodeSearchResultEntry } from './ber.js';
import { dnKey, firstRdnValue, isAtOrBelow } from './dn.js';
import { buildStore, type LdapEntry, type LdapStore } from './entries.js';
import { FilterContext, matchesFilter } from './filter.js';
import {
  LDAP_REQ_BIND,
  ldapjs,
  repairSearchFilterParsing,
  type LdapBindRequest,
  type LdapConnection,
  type LdapExtendedRequest,
  type LdapExtendedResponse,
  type LdapRequestBase,
  type LdapSearchRequest,
  type LdapSearchResponse,
} from './ldapjs-shim.js';

export const MAX_PAGE_SIZE = 1000;
export const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';
/** RFC 4532 "Who am I?"; AD lists it in supportedExtension (MS-ADTS 3.1.1.3.4.2). */
export const WHO_AM_I_OID = '1.3.6.1.4.1.4203.1.11.3';

const RESULT_SUCCESS = 0;
const RESULT_OPERATIONS_ERROR = 1;
const RESULT_SIZE_LIMIT_EXCEEDED = 4;
const RESULT_NO_SUCH_OBJECT = 32;
const RESULT_INVALID_CREDENTIALS = 49;

const SCOPE_BASE = 0;
const SCOPE_ONE = 1;

/** AD's own texts, so operator-facing errors in our CLI look like the real thing. */
const MSG_BAD_CREDENTIALS = '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563';
const MSG_BIND_REQUIRED =
  '000004DC: LdapErr: DSID-0C090A5C, comment: In order to perform this operation a successful bind must be completed on the connection., data 0, v4563';

export interface StartLdapServerOptions {
  directory: SandboxDirectory;
  host?: string;
  port?: number;
  /** Serve ldaps:// with this PEM certificate and key (tests of a TLS directory with its CA). */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface SandboxLdapServer {
  url: string;
  stop(): Promise<void>;
}

interface PageState {
  matches: LdapEntry[];
  offset: number;
}

interface ConnState {
  bound: boolean;
  /** The DN the connection is bound as ('' when anonymous). */
  authzDn: string;
  pages: Map<string, PageState>;
}

/** Which bind names (canonical keys or lower-case UPN/NetBIOS forms) map to the service DN. */
function bindAliases(directory: SandboxDirectory): Map<string, string> {
  const aliases = new Map<string, string>();
  const serviceKey = dnKey(directory.bindDn);
  const cn = firstRdnValue(directory.bindDn).toLowerCase();
  aliases.set(`${cn}@${directory.domain.toLowerCase()}`, serviceKey);
  const netbios = directory.domain.split('.')[0]?.toUpperCase() ?? '';
  aliases.set(`${netbios.toLowerCase()}\\${cn}`, serviceKey);
  // If the service account is also a directory user, its real UPN works too.
  const asUser = directory.users.find((u) => dnKey(u.dn) === serviceKey);
  if (asUser) aliases.set(asUser.userPrincipalName.toLowerCase(), serviceKey);
  return aliases;
}

/** Routes the search to its candidate entries by scope. */
function candidates(store: LdapStore, baseKey: string, scope: number): LdapEntry[] {
  const base = store.byKey.get(baseKey);
  if (scope === SCOPE_BASE) return base ? [base] : [];
  if (scope === SCOPE_ONE) return store.entries.filter((e) => e.parentKey === baseKey);
  return store.entries.filter((e) => isAtOrBelow(e.key, baseKey));
}

function rootDse(store: LdapStore): LdapEntry {
  const attrs = new Map<string, { name: string; values: Array<string | Buffer> }>();
  const set = (name: string, values: string[]): void => {
    attrs.set(name.toLowerCase(), { name, values });
  };
  set('defaultNamingContext', [store.baseDn]);
  set('rootDomainNamingContext', [store.baseDn]);
  set('namingContexts', [store.baseDn, `CN=Configuration,${store.baseDn}`]);
  set('supportedControl', [PAGED_RESULTS_OID]);
  set('supportedExtension', [WHO_AM_I_OID]);
  set('supportedLDAPVersion', ['3']);
  set('supportedCapabilities', ['1.2.840.113556.1.4.800']); // LDAP_CAP_ACTIVE_DIRECTORY_OID
  return { dn: '', key: '', parentKey: '', attrs, match: new Map() };
}

export async function startLdapServer(opts: StartLdapServerOptions): Promise<SandboxLdapServer> {
  repairSearchFilterParsing();
  const store = buildStore(opts.directory);
  const serviceKey = dnKey(opts.directory.bindDn);
  const aliases = bindAliases(opts.directory);
  const states = new WeakMap<Socket, ConnState>();
  const sockets = new Set<Socket>();
  const stateOf = (conn: Socket): ConnState => {
    let s = states.get(conn);
    if (!s) {
      s = { bound: false, authzDn: '', pages: new Map() };
      states.set(conn, s);
    }
    return s;
  };

  // `server` is assigned below; the router only runs once the server listens.
  // eslint-disable-next-line prefer-const -- the router that reads it must be defined before createServer
  let server: ReturnType<typeof ldapjs.createServer> | undefined;
  const connectionRouter = (raw: Socket): void => {
    sockets.add(raw);
    raw.on('close', () => {
      sockets.delete(raw);
    });
    raw.on('error', () => {
      /* client went away mid-write; nothing to do */
    });
    (server as NonNullable<typeof server>).newConnection(raw);
    const conn = raw as LdapConnection;
    // ldapjs parses a bind name as a DN before any handler runs, so a UPN bind
    // ("svc@example.test", valid on AD) would fail with invalidDNSyntax. Translate UPN and
    // DOMAIN\user names into the account's DN first; unknown names become a DN that no
    // account has, so they fail with invalidCredentials like on AD.
    conn.parser.prependListener('message', (req: LdapRequestBase) => {
      if (req.protocolOp !== LDAP_REQ_BIND || typeof req.name !== 'string') return;
      const name = req.name;
      if (name === '' || /^[^=]+=/.test(name)) return;
      const target = aliases.get(name.toLowerCase()) ?? 'CN=unknown-principal';
      // BindRequest exposes name/dn as getters over a private field: shadow them on the instance.
      for (const prop of ['name', 'dn', '_dn']) {
        Object.defineProperty(req, prop, { value: target, configurable: true, writable: true });
      }
    });
  };

  server = ldapjs.createServer({ connectionRouter, ...(opts.tls ? { certificate: opts.tls.cert, key: opts.tls.key } : {}) });
  server.on('error', () => {
    /* protocol errors are answered per message by ldapjs; nothing to add */
  });

  server.bind('', (req: LdapBindRequest, res, next) => {
    const state = stateOf(req.connection);
    state.bound = false; // RFC 4511 §4.2.1: a bind (even failed) resets the authorisation
    state.authzDn = '';
    const nameKey = dnKey(req.dn.toString());
    if (nameKey === serviceKey && req.credentials !== '' && req.credentials === opts.directory.bindPassword) {
      state.bound = true;
      state.authzDn = opts.directory.bindDn;
      res.end(RESULT_SUCCESS);
      return;
    }
    if (nameKey === '' && req.credentials === '') {
      res.end(RESULT_SUCCESS); // anonymous bind is allowed on AD; searches are not
      return;
    }
    res.errorMessage = MSG_BAD_CREDENTIALS;
    res.end(RESULT_INVALID_CREDENTIALS);
    void next;
  });

  // RFC 4532: the authorization identity of the connection, "dn:<DN>", or empty when anonymous.
  // (AD's own form for a Windows principal may be "u:DOMAIN\\name": unconfirmed, docs/vendor-facts.md.)
  server.exop(WHO_AM_I_OID, (req: LdapExtendedRequest, res: LdapExtendedResponse) => {
    const state = stateOf(req.connection);
    res.responseValue = state.bound ? `dn:${state.authzDn}` : '';
    res.end(RESULT_SUCCESS);
  });

  server.search('', (req: LdapSearchRequest, res: LdapSearchResponse) => {
    const conn = req.connection;
    const state = stateOf(conn);
    const baseKey = dnKey(req.baseObject.toString());
    const requested = parseRequested(req.attributes);
    // Entries are batched into one socket write per response (1000 writes per page cost more
    // than the encoding); flushed before every res.end so they precede SearchResultDone.
    let pending: Buffer[] = [];
    const send = (entry: LdapEntry): void => {
      const attrs = selectAttributes(entry, requested).map(encodeAttribute);
      pending.push(encodeSearchResultEntry(req.messageId, entry.dn, attrs));
    };
    const flush = (): void => {
      if (pending.length > 0) conn.write(Buffer.concat(pending));
      pending = [];
    };
    const finish = (status: number): void => {
      flush();
      res.end(status);
    };

    // The rootDSE is readable anonymously on AD (clients discover the naming context).
    if (baseKey === '' && req.scope === SCOPE_BASE) {
      send(rootDse(store));
      finish(RESULT_SUCCESS);
      return;
    }
    if (!state.bound) {
      res.errorMessage = MSG_BIND_REQUIRED;
      finish(RESULT_OPERATIONS_ERROR);
      return;
    }
    if (!store.byKey.has(baseKey)) {
      res.errorMessage = `0000208D: NameErr: DSID-0310028D, problem 2001 (NO_OBJECT), data 0, best match of:\n\t'${store.baseDn}'`;
      res.matchedDN = isAtOrBelow(baseKey, store.baseKey) ? store.baseDn : '';
      finish(RESULT_NO_SUCH_OBJECT);
      return;
    }

    const paged = req.controls.find((c) => c.type === PAGED_RESULTS_OID);
    const evaluate = (): LdapEntry[] => {
      const ctx = new FilterContext(store);
      return candidates(store, baseKey, req.scope).filter((e) => matchesFilter(req.filter, e, ctx));
    };

    if (paged) {
      const value = (paged.value ?? {}) as { size?: number; cookie?: Buffer };
      const cookieIn = value.cookie && value.cookie.length > 0 ? value.cookie.toString('hex') : '';
      let page: PageState | undefined;
      if (cookieIn === '') {
        page = { matches: evaluate(), offset: 0 };
      } else {
        page = state.pages.get(cookieIn);
        state.pages.delete(cookieIn);
        if (!page) {
          res.errorMessage = '00002040: SvcErr: DSID-03140594, problem 5012 (DIR_ERROR), data 0 (unknown paged-results cookie)';
          finish(RESULT_OPERATIONS_ERROR);
          return;
        }
      }
      const requestedSize = value.size ?? 0;
      if (requestedSize === 0 && cookieIn !== '') {
        // RFC 2696 §3: size 0 with a cookie abandons the paged search.
        res.addControl(new ldapjs.PagedResultsControl({ value: { size: 0, cookie: Buffer.alloc(0) } }));
        finish(RESULT_SUCCESS);
        return;
      }
      const size = Math.min(requestedSize > 0 ? requestedSize : MAX_PAGE_SIZE, MAX_PAGE_SIZE);
      const end = Math.min(page.offset + size, page.matches.length);
      for (let i = page.offset; i < end; i++) send(page.matches[i] as LdapEntry);
      let cookieOut = Buffer.alloc(0);
      if (end < page.matches.length) {
        cookieOut = randomBytes(12);
        state.pages.set(cookieOut.toString('hex'), { matches: page.matches, offset: end });
      }
      res.addControl(new ldapjs.PagedResultsControl({ value: { size: 0, cookie: cookieOut } }));
      finish(RESULT_SUCCESS);
      return;
    }

    // Unpaged: AD's MaxPageSize also caps a plain search (sizeLimitExceeded after 1000).
    const limit = Math.min(req.sizeLimit > 0 ? req.sizeLimit : MAX_PAGE_SIZE, MAX_PAGE_SIZE);
    const matches = evaluate();
    const count = Math.min(limit, matches.length);
    for (let i = 0; i < count; i++) send(matches[i] as LdapEntry);
    if (matches.length > limit) {
      res.errorMessage = 'Size limit exceeded';
      finish(RESULT_SIZE_LIMIT_EXCEEDED);
      return;
    }
    finish(RESULT_SUCCESS);
  });

  const host = opts.host ?? '127.0.0.1';
  const srv = server;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    srv.on('error', onError);
    srv.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = srv.address();
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `${opts.tls ? 'ldaps' : 'ldap'}://${urlHost}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}
