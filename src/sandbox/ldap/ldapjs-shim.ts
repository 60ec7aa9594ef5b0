/**
 * The one place that loads ldapjs. ldapjs is decommissioned (docs/vendor-facts.md F39); its 3.0.7
 * server is used only as the wire layer of the sandbox LDAP server (src/sandbox/ldap/),
 * never by product code.
 *
 * ldapjs ships no usable types for its v3 server (the @types package describes v2), so the
 * few pieces we touch are declared here as narrow interfaces.
 *
 * One repair is applied: ldapjs's SearchRequest parser turns the BER filter into a string and
 * parses that string again; the round trip mangles values (e.g. "é" arrives as "Ã©",
 * substring pieces stay hex-escaped). We keep the filter object decoded straight from BER
 * instead, so escaped `*()\` and non-ASCII values reach the evaluator intact. The string form
 * is never built: for a binary value (an objectGUID such as `\41\c6`, a UTF-8 lead byte with no
 * continuation) @ldapjs/filter's escaper throws, and the throw dropped the connection.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

const requireHere = createRequire(import.meta.url);
// Resolve the @ldapjs/* helpers next to ldapjs itself so we patch the very instances it uses.
const requireFromLdapjs = createRequire(requireHere.resolve('ldapjs'));

export interface LdapFilterNode {
  readonly type: string;
  readonly attribute?: string;
  readonly value?: string | Buffer;
  readonly filters?: LdapFilterNode[];
  readonly filter?: LdapFilterNode;
  readonly initial?: string;
  readonly any?: string[];
  readonly final?: string;
  readonly matchType?: string;
  readonly matchingRule?: string;
  readonly matchValue?: string;
  readonly dnAttributes?: boolean;
  toBer?(): { buffer: Buffer };
}

export interface LdapControl {
  readonly type: string;
  readonly criticality?: boolean;
  readonly value?: unknown;
}

export interface LdapConnection extends Socket {
  parser: { prependListener(event: 'message', fn: (req: LdapRequestBase) => void): void };
}

export interface LdapRequestBase {
  readonly protocolOp: number;
  readonly messageId: number;
  readonly controls: LdapControl[];
  connection: LdapConnection;
  readonly name?: unknown;
}

export interface LdapBindRequest extends LdapRequestBase {
  readonly dn: { toString(): string };
  readonly credentials: string;
  readonly authentication?: string;
}

export interface LdapExtendedRequest extends LdapRequestBase {
  readonly requestName: string;
}

export interface LdapExtendedResponse extends LdapResponse {
  responseName?: string;
  responseValue?: string;
}

export interface LdapSearchRequest extends LdapRequestBase {
  readonly baseObject: { toString(): string };
  readonly scope: number;
  readonly sizeLimit: number;
  readonly attributes: string[];
  readonly filter: LdapFilterNode;
}

export interface LdapAttribute {
  readonly type: string;
}

export interface LdapSearchEntry {
  readonly messageId: number;
}

export interface LdapResponse {
  end(status?: number): void;
  errorMessage?: string;
  matchedDN?: string;
}

export interface LdapSearchResponse extends LdapResponse {
  send(entry: LdapSearchEntry): void;
  createSearchEntry(obj: { objectName: string; attributes: LdapAttribute[] }): LdapSearchEntry;
  addControl(control: LdapControl): void;
  readonly connection: Socket;
}

type Next = (err?: Error) => void;

export interface LdapServer {
  newConnection(conn: Socket): void;
  bind(base: string, handler: (req: LdapBindRequest, res: LdapResponse, next: Next) => void): void;
  search(base: string, handler: (req: LdapSearchRequest, res: LdapSearchResponse, next: Next) => void): void;
  exop(oid: string, handler: (req: LdapExtendedRequest, res: LdapExtendedResponse, next: Next) => void): void;
  listen(port: number, host: string, cb: () => void): void;
  close(cb?: (err?: Error) => void): void;
  address(): { port: number; address: string };
  on(event: 'error' | 'clientError', fn: (err: Error) => void): void;
}

type LdapErrorCtor = new (message?: string) => Error & { code: number };

interface LdapjsModule {
  createServer(options: { connectionRouter?: (conn: Socket) => void; log?: unknown; certificate?: string | Buffer; key?: string | Buffer }): LdapServer;
  Attribute: new (opts: { type: string; values: Array<string | Buffer> }) => LdapAttribute;
  PagedResultsControl: new (opts: { value: { size: number; cookie: Buffer } }) => LdapControl;
  InvalidCredentialsError: LdapErrorCtor;
  OperationsError: LdapErrorCtor;
  NoSuchObjectError: LdapErrorCtor;
  UnwillingToPerformError: LdapErrorCtor;
  ProtocolError: LdapErrorCtor;
}

interface PojoParser {
  parseToPojo(ber: unknown): { filter: unknown } & Record<string, unknown>;
}

export const ldapjs = requireHere('ldapjs') as LdapjsModule;

/** ldapjs protocol op numbers we route on. */
export const LDAP_REQ_BIND = 0x60;

let patched = false;

/**
 * ldapjs stringifies every request for its debug log, eagerly. A filter's toString throws on a
 * binary assertion value (see the file comment), so give every node one that cannot throw.
 */
function safeToString(node: unknown, seen = new Set<unknown>()): void {
  // `filter` on a leaf is a deprecated getter returning the node itself: guard the walk.
  if (!node || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  const n = node as LdapFilterNode & { toString(): string };
  const original = Object.getPrototypeOf(n) as { toString(): string };
  Object.defineProperty(n, 'toString', {
    configurable: true,
    value: () => {
      try {
        return original.toString.call(n);
      } catch {
        return `(${n.attribute ?? '?'}=<binary value>)`;
      }
    },
  });
  for (const child of n.filters ?? []) safeToString(child, seen);
  safeToString(n.filter, seen);
}

/** Idempotent: keep BER-decoded filter objects on search requests (see file comment). */
export function repairSearchFilterParsing(): void {
  if (patched) return;
  const filterModule = requireFromLdapjs('@ldapjs/filter') as { parseBer(ber: unknown): unknown };
  const messages = requireFromLdapjs('@ldapjs/messages') as { SearchRequest: PojoParser };
  const originalParseBer = filterModule.parseBer.bind(filterModule);
  let lastParsed: unknown;
  // parseToPojo calls `filter.parseBer(...)` through the module object, synchronously, once
  // per request: record that object, then hand it to the SearchRequest constructor (which
  // accepts a filter object as well as a string).
  // The stand-in answers the one call parseToPojo makes on the result (toString); the real filter
  // object replaces it in the pojo below.
  const standIn = { toString: () => '(objectClass=*)' };
  filterModule.parseBer = (ber: unknown): unknown => {
    lastParsed = originalParseBer(ber);
    return standIn;
  };
  const originalParseToPojo = messages.SearchRequest.parseToPojo.bind(messages.SearchRequest);
  messages.SearchRequest.parseToPojo = (ber: unknown) => {
    lastParsed = undefined;
    const pojo = originalParseToPojo(ber);
    if (lastParsed !== undefined) {
      safeToString(lastParsed);
      pojo.filter = lastParsed;
    }
    lastParsed = undefined;
    return pojo;
  };
  patched = true;
}
