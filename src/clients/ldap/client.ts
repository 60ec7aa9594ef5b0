import { Client, ResultCodeError } from 'ldapts';
import { UserError } from '../../engine/errors.js';
import { BUFFER_ATTRIBUTES, CORE_ATTRIBUTES, type DirectoryEntry, type RawEntry, toDirectoryEntry } from './entry.js';
import { describeLdapError, type Operation } from './errors.js';
import { buildScopeFilter } from './filter.js';
import { type ConnectionPlan, type DirectoryClientOptions, planConnection, tlsOptionsFor } from './options.js';

/** Which users: the base DN, the user filter, and optionally nested membership of a group. */
export interface DirectoryScope {
  baseDn: string;
  userFilter: string;
  groupDn?: string;
  /** Extra attributes to read (the mapping's source attributes); returned in entry.attributes. */
  attributes: string[];
}

export interface DirectoryClient {
  /** Pages of users in scope; throws (never ends early) on a truncated or failed search. */
  streamUsers(scope: DirectoryScope): AsyncGenerator<DirectoryEntry[]>;
  /** Every `member` value of a group, read with explicit ranges (member;range=0-1499, 1500-*, …). */
  getGroupMembers(groupDn: string): Promise<string[]>;
  /** Number of users in scope (same paged search, no attributes). */
  countUsers(scope: Omit<DirectoryScope, 'attributes'> & { attributes?: string[] }): Promise<number>;
  /**
   * Whether an entry with this DN exists: a base-scope read of the DN itself, no attributes.
   * noSuchObject (32) is "no"; any other failure throws. Used to explain an empty scope.
   */
  entryExists(dn: string): Promise<boolean>;
  close(): Promise<void>;
}

/** AD's MaxValRange default (2003+): the window asked for in ranged retrieval. */
const RANGE_STEP = 1500;
/** Bound on ranged-retrieval rounds: 1500 × 100 000 values is far beyond any real group. */
const MAX_RANGE_ROUNDS = 100_000;

export function createDirectoryClient(options: DirectoryClientOptions): DirectoryClient {
  const plan = planConnection(options);
  // Kept in this closure only, for bind and for scrubbing messages; never logged.
  const password = options.password;
  return new LdapDirectoryClient(plan, password);
}

class LdapDirectoryClient implements DirectoryClient {
  private client: Client | undefined;
  private ready: Promise<Client> | undefined;
  private closed = false;

  constructor(
    private readonly plan: ConnectionPlan,
    private readonly password: string,
  ) {}

  private fail(err: unknown, operation: Operation, baseDn?: string): UserError {
    return describeLdapError(err, { plan: this.plan, operation, secret: this.password, baseDn });
  }

  /** Connects, upgrades (StartTLS) and binds once; a failure is reported and retried on next use. */
  private connect(): Promise<Client> {
    if (this.closed) return Promise.reject(new UserError('the directory client is closed'));
    this.ready ??= this.open().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  private async open(): Promise<Client> {
    const { plan } = this;
    // ldapts switches to implicit TLS whenever tlsOptions are set, even on ldap:// (docs/vendor-facts.md
    // F36), so TLS options go to the constructor only for ldaps:// and to startTLS() otherwise.
    const client = new Client({
      url: plan.url,
      connectTimeout: plan.connectTimeoutMs,
      // Per-request guard against a hung server: the server time limit plus a margin.
      ...(plan.timeLimitSeconds > 0 ? { timeout: (plan.timeLimitSeconds + 60) * 1000 } : {}),
      ...(plan.transport === 'ldaps' ? { tlsOptions: tlsOptionsFor(plan) } : {}),
    });
    this.client = client;
    let step: Operation = 'connect';
    try {
      if (plan.transport === 'starttls') {
        step = 'starttls';
        await client.startTLS(tlsOptionsFor(plan));
      }
      step = 'bind';
      await client.bind(plan.bindDn, this.password);
      return client;
    } catch (err) {
      await client.unbind().catch(() => undefined);
      this.client = undefined;
      throw this.fail(err, step);
    }
  }

  async *streamUsers(scope: DirectoryScope): AsyncGenerator<DirectoryEntry[]> {
    const requested = [...scope.attributes];
    const attributes = unique([...CORE_ATTRIBUTES, ...requested]);
    for await (const page of this.pages(scope, attributes)) {
      yield page.map((raw) => toDirectoryEntry(raw, requested));
    }
  }

  async countUsers(scope: Omit<DirectoryScope, 'attributes'>): Promise<number> {
    let count = 0;
    // '1.1' asks for no attributes (RFC 4511 §4.5.1.8): only DNs cross the wire.
    for await (const page of this.pages(scope, ['1.1'])) count += page.length;
    return count;
  }

  async entryExists(dn: string): Promise<boolean> {
    const client = await this.connect();
    try {
      const result = await client.search(dn, {
        scope: 'base',
        filter: '(objectClass=*)',
        attributes: ['1.1'],
        sizeLimit: 0,
        timeLimit: this.plan.timeLimitSeconds,
      });
      return result.searchEntries.length > 0;
    } catch (err) {
      // RFC 4511 noSuchObject: the DN names no entry (AD: 0000208D NameErr ... NO_OBJECT).
      if (err instanceof ResultCodeError && err.code === 32) return false;
      throw this.fail(err, 'search', dn);
    }
  }

  /**
   * The paged search under every read: paged results control, NO client sizeLimit (ldapts treats
   * a server sizeLimitExceeded as success when one is set, docs/vendor-facts.md F35, so partial results
   * would look complete), a deliberate timeLimit (ldapts defaults to 10 s), subtree scope.
   */
  private async *pages(scope: Omit<DirectoryScope, 'attributes'>, attributes: string[]): AsyncGenerator<RawEntry[]> {
    const filter = buildScopeFilter(scope.userFilter, scope.groupDn);
    const client = await this.connect();
    const pages = client.searchPaginated(scope.baseDn, {
      scope: 'sub',
      filter,
      attributes,
      explicitBufferAttributes: BUFFER_ATTRIBUTES,
      paged: { pageSize: this.plan.pageSize },
      sizeLimit: 0,
      timeLimit: this.plan.timeLimitSeconds,
    });
    // Known limit [unconfirmed against Windows AD]: ldapts 8.2 ends paging when a page carries no
    // entries even if the server sent a cookie (Client._sendSearch); AD is not documented to send
    // empty intermediate pages for a plain paged search.
    while (true) {
      let next: IteratorResult<{ searchEntries: unknown[] }>;
      try {
        next = await pages.next();
      } catch (err) {
        throw this.fail(err, 'search', scope.baseDn);
      }
      if (next.done) return;
      yield next.value.searchEntries as RawEntry[];
    }
  }

  async getGroupMembers(groupDn: string): Promise<string[]> {
    const client = await this.connect();
    const members: string[] = [];
    let start = 0;
    for (let round = 0; round < MAX_RANGE_ROUNDS; round += 1) {
      const asked = `member;range=${start}-${start + RANGE_STEP - 1}`;
      let entries: RawEntry[];
      try {
        const result = await client.search(groupDn, {
          scope: 'base',
          filter: '(objectClass=*)',
          attributes: [asked],
          sizeLimit: 0,
          timeLimit: this.plan.timeLimitSeconds,
        });
        entries = result.searchEntries as RawEntry[];
      } catch (err) {
        throw this.fail(err, 'search', groupDn);
      }
      const entry = entries[0];
      if (entry === undefined) throw new UserError(`group ${groupDn} was not returned by ${this.plan.url}`);
      const got = pickRange(entry);
      if (got === undefined) {
        // No ranged key with values: either the group is empty or the server returned the whole
        // list as plain `member` (Samba does for any size, docs/vendor-facts.md F41).
        if (start === 0) return plainMembers(entry);
        throw new UserError(`ranged retrieval of ${groupDn} on ${this.plan.url} stopped after ${members.length} values without the "*" terminator`, {
          hint: 'the group changed during the read or the server broke the range protocol; run again',
        });
      }
      if (got.low !== start) {
        throw new UserError(`ranged retrieval of ${groupDn}: asked for values from ${start}, server answered from ${got.low}`);
      }
      members.push(...got.values);
      if (got.high === '*') return members;
      start = got.high + 1;
    }
    throw new UserError(`ranged retrieval of ${groupDn} did not finish within ${MAX_RANGE_ROUNDS} rounds`);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    this.ready = undefined;
    if (client) await client.unbind().catch(() => undefined);
  }
}

function unique(names: string[]): string[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const k = n.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The `member;range=<low>-<high|*>` key that carries values. ldapts also returns the requested key
 * as an empty array next to the server's real key (docs/vendor-facts.md F38), so pick by values.
 */
function pickRange(entry: RawEntry): { low: number; high: number | '*'; values: string[] } | undefined {
  for (const [key, value] of Object.entries(entry)) {
    const m = /^member;range=(\d+)-(\d+|\*)$/i.exec(key);
    if (!m) continue;
    const values = (Array.isArray(value) ? value : [value]).map(String);
    if (values.length === 0) continue;
    return { low: Number(m[1]), high: m[2] === '*' ? '*' : Number(m[2]), values };
  }
  return undefined;
}

function plainMembers(entry: RawEntry): string[] {
  for (const [key, value] of Object.entries(entry)) {
    if (key.toLowerCase() === 'member') return (Array.isArray(value) ? value : [value]).map(String);
  }
  return [];
}
