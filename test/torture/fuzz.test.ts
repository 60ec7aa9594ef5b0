import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import YAML from 'yaml';
import { ApiError } from '../../src/clients/http.js';
import { createGraphClient } from '../../src/clients/graph.js';
import { createScimClient } from '../../src/clients/scim.js';
import { createZiaClient } from '../../src/clients/zia.js';
import { parseConfig } from '../../src/config/load.js';
import { checksumOf, FileCheckpointStore, newState, type State, type UnsealedState } from '../../src/engine/checkpoint.js';
import { UserError } from '../../src/engine/errors.js';
import { assertSameTarget } from '../../src/engine/runner.js';
import { startServer, type FixtureServer } from '../clients/helpers/fixture-server.js';
import { hasStackTrace, LONG, runCli, SEED, sha256, tempDir } from './support.js';

/**
 * Issue 13, bad input: generated cases over the configuration, the state file, the API responses
 * each client parses, and a sample of command lines through the built CLI. Every case ends in a
 * known error (a UserError: what the CLI prints as "migrate: error: …" with exit 1 and no stack)
 * that names the field or the file, or in a value the product accepts; the state file never
 * changes. Replay: TORTURE_SEED=<seed>.
 */

const RUNS = LONG ? { config: 3500, yaml: 1500, state: 2500, api: 2500, cli: 40 } : { config: 120, yaml: 60, state: 100, api: 120, cli: 6 };
const counted: Record<string, number> = {};
const count = (k: string) => (counted[k] = (counted[k] ?? 0) + 1);
const params = (numRuns: number) => ({ numRuns, seed: SEED, endOnFailure: true });

afterAll(() => {
  const total = Object.values(counted).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `torture fuzz: ${total} generated cases (${Object.entries(counted)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}); seed ${SEED} (replay: TORTURE_SEED=${SEED})\n`,
  );
});

/** The sandbox's configuration shape, with loopback URLs (nothing is contacted here). */
const BASE_CONFIG = {
  version: 1,
  zia: {
    baseUrl: 'http://127.0.0.1:9/api/v1',
    auth: { kind: 'legacy', username: 'api-admin@example.test', passwordEnv: 'ZIA_PASSWORD', apiKeyEnv: 'ZIA_API_KEY' },
    idpName: 'Entra ID',
    orgId: '24326813',
  },
  scim: {},
  idp: {
    kind: 'entra',
    tenantId: '0f9a8b7c-6d5e-4f3a-2b1c-0d9e8f7a6b5c',
    clientId: '2c0e7a7b-3a4d-4e8e-8f1b-aaaaaaaaaaaa',
    clientSecretEnv: 'GRAPH_SECRET',
    servicePrincipal: { displayName: 'Zscaler Three' },
    loginUrl: 'http://127.0.0.1:9/login',
    graphUrl: 'http://127.0.0.1:9/graph',
  },
  directory: {
    url: 'ldap://127.0.0.1:9',
    bindDn: 'CN=svc,DC=example,DC=test',
    passwordEnv: 'LDAP_PASSWORD',
    startTls: false,
    insecure: true,
    baseDn: 'DC=example,DC=test',
  },
  parity: { key: 'userName', secondaryKey: 'email', thresholds: { missing: 0, extra: 2, duplicates: 0, drift: 0 } },
  guards: { maxDeletions: 0, maxDisablePercent: 15, maxSyncAgeHours: 24 },
  operator: { kind: 'sandbox', portalUrl: 'http://127.0.0.1:9/portal' },
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** Every path in a JSON value (objects, arrays and leaves). */
function pathsOf(v: Json, at: Path = []): Path[] {
  const out: Path[] = at.length ? [at] : [];
  if (Array.isArray(v)) v.slice(0, 3).forEach((x, i) => out.push(...pathsOf(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...at, k]));
  return out;
}

const HUGE = 'x'.repeat(200_000);
/** The values a careless edit, a hostile API or a copy-paste puts where a field should be. */
const badValue = fc.oneof(
  fc.constant(null),
  fc.constant(true),
  fc.integer(),
  fc.double(),
  fc.constant(Number.MAX_SAFE_INTEGER * 1e6),
  fc.constant(''),
  fc.string(),
  fc.constant('UNKNOWN_ENUM_VALUE'),
  fc.constant(HUGE),
  fc.constant('Ünïcødé ✓ 𝕏 用户'),
  fc.constant('*)(uid=*))(|(uid=*'),
  fc.constant('CN=a\\,b+c=<d>;e"f#,DC=x'),
  fc.constant('ftp://127.0.0.1/x'),
  fc.constant('javascript:alert(1)'),
  fc.constant([]),
  fc.constant({}),
  fc.constant([1, 'a', null]),
);

type Mutation = { op: 'delete' } | { op: 'set'; value: Json } | { op: 'unknownKey'; key: string };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ op: 'delete' } as const),
  badValue.map((value) => ({ op: 'set', value: value as Json }) as const),
  fc.constantFrom('colour', 'passwrd', '__proto__x', 'Ünknown').map((key) => ({ op: 'unknownKey', key }) as const),
);

function mutate(root: Json, path: Path, m: Mutation): Json {
  const copy = structuredClone(root);
  let parent: Json = copy;
  for (const seg of path.slice(0, -1)) parent = (parent as Record<string | number, Json>)[seg] as Json;
  const last = path[path.length - 1]!;
  const p = parent as Record<string | number, Json>;
  if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete p[last];
  } else if (m.op === 'set') p[last] = m.value;
  else {
    const target = p[last];
    if (target && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, Json>)[m.key] = 'surprise';
    else p[last] = { [m.key]: 'surprise' };
  }
  return copy;
}

/** A known error: the CLI prints it as one "migrate: error: …" line plus a hint, exit 1. */
function expectKnownError(e: unknown): asserts e is UserError {
  if (!(e instanceof UserError)) throw new Error(`not a UserError (the CLI would print "unexpected error"): ${(e as Error)?.stack ?? e}`);
  if (e.exitCode !== 1) throw new Error(`exit code ${e.exitCode}, expected 1: ${e.message}`);
}

const SOURCE = '/etc/migrate/fuzz.yaml';

describe(`torture: bad input (${LONG ? 'long' : 'short'} variant, seed ${SEED})`, () => {
  it('configuration: every field mutated (from the schema-valid document) fails naming the field, or is a valid value', () => {
    expect(() => parseConfig(YAML.stringify(BASE_CONFIG), SOURCE)).not.toThrow();
    const paths = pathsOf(BASE_CONFIG as Json);
    fc.assert(
      fc.property(fc.constantFrom(...paths), mutation, (path, m) => {
        count('config');
        const doc = mutate(BASE_CONFIG as Json, path, m);
        let err: unknown;
        try {
          parseConfig(YAML.stringify(doc), SOURCE);
          return; // accepted: the value is valid there (e.g. non-ASCII in a display name)
        } catch (e) {
          err = e;
        }
        expectKnownError(err);
        // The message names the file and the field (or the object that holds it).
        const dotted = path.map(String);
        const named =
          dotted.some((_, i) => err.message.includes(`${SOURCE}: ${dotted.slice(0, dotted.length - i).join('.')}`)) ||
          err.message.includes(`${SOURCE}: (top level)`);
        if (!named) throw new Error(`the error does not name ${dotted.join('.')}: ${err.message.slice(0, 500)}`);
        if (err.message.length > 20_000) throw new Error(`the error echoes ${err.message.length} characters`);
      }),
      params(RUNS.config),
    );
  });

  it('configuration: raw YAML mutations (cut, inserted characters, duplicated lines) never crash the loader', () => {
    const text = YAML.stringify(BASE_CONFIG);
    const junk = fc.constantFrom(
      ':',
      ': ',
      '{',
      '}',
      '[',
      ']',
      '&a',
      '*a',
      '!!binary',
      '%YAML 1.1',
      '\t',
      '- ',
      '"',
      "'",
      '#',
      '\u00e9',
      '\ufeff',
      '\u0000',
      '<<: *x',
      '\n  ',
      '? ',
    );
    const op = fc.oneof(
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), s: junk }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('dupline' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 4 }), (ops) => {
        count('yaml');
        let t = text;
        for (const o of ops) {
          const at = o.at % (t.length + 1);
          if (o.kind === 'cut') t = t.slice(0, at) + t.slice(at + o.len);
          else if (o.kind === 'insert') t = t.slice(0, at) + o.s + t.slice(at);
          else if (o.kind === 'truncate') t = t.slice(0, at);
          else {
            const lines = t.split('\n');
            const i = o.at % lines.length;
            lines.splice(i, 0, lines[i]!);
            t = lines.join('\n');
          }
        }
        try {
          parseConfig(t, SOURCE);
        } catch (e) {
          expectKnownError(e);
          if (!e.message.includes(SOURCE)) throw new Error(`the error does not name the file: ${e.message}`);
        }
      }),
      params(RUNS.yaml),
    );
  });

  it('state file: truncation, bit flips, another schema version, another tenant — refused naming the file, never changed', async () => {
    const dir = await tempDir('migrate-fuzz-state-');
    const target = { system: 'zia', id: 'zia:sandbox:24326813', label: 'ZIA org 24326813' };
    const seedStore = new FileCheckpointStore(join(dir, 'seed.json'));
    const s0 = await seedStore.save(newState(target));
    const s1: UnsealedState = {
      ...s0,
      flows: { 'ad-to-scim': { steps: { 'snapshot-settings': { status: 'succeeded', attempts: 1, startedAt: s0.createdAt, finishedAt: s0.createdAt } } } },
    } as unknown as UnsealedState;
    delete (s1 as Partial<State>).checksum;
    const valid = await seedStore.save(s1).catch(() => s0);
    const text = readFileSync(join(dir, 'seed.json'), 'utf8');
    const reseal = (edit: (s: Record<string, unknown>) => void) => {
      const o = JSON.parse(text) as Record<string, unknown>;
      delete o.checksum;
      edit(o);
      return `${JSON.stringify({ ...o, checksum: checksumOf(o as unknown as UnsealedState) }, null, 2)}\n`;
    };
    const file = join(dir, 'state.json');
    const store = new FileCheckpointStore(file);
    const damage = fc.oneof(
      fc.nat().map((n) => ({ name: 'truncated', text: text.slice(0, n % text.length) })),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([n, bit]) => {
        const b = Buffer.from(text, 'utf8');
        b[n % b.length] = b[n % b.length]! ^ (1 << bit);
        return { name: 'bit flip', text: b.toString('latin1') };
      }),
      fc
        .oneof(fc.integer({ min: 2, max: 99 }), fc.constant(0), fc.constant(-1), fc.constant('1'))
        .map((v) => ({ name: 'schema version', text: reseal((o) => (o.version = v)) })),
      fc
        .string({ minLength: 1 })
        .map((id) => ({ name: 'another tenant', text: reseal((o) => ((o.target as Record<string, unknown>).id = `zia:other:${id}`)) })),
      fc.constantFrom('serial', 'lineage', 'target', 'flows', 'createdAt').map((k) => ({ name: `no ${k}`, text: reseal((o) => delete o[k]) })),
    );
    await fc.assert(
      fc.asyncProperty(damage, async (d) => {
        count('state');
        await writeFile(file, d.text);
        const before = await sha256(file);
        let err: unknown;
        try {
          const loaded = await store.load();
          assertSameTarget(loaded, target, file);
          // Accepted: only a change that leaves the same valid state (a flip inside whitespace cannot).
          if (JSON.stringify(loaded) !== JSON.stringify(valid)) throw new Error(`${d.name}: a damaged state file was accepted`);
        } catch (e) {
          err = e;
        }
        if (err) {
          expectKnownError(err);
          if (!err.message.includes(file)) throw new Error(`${d.name}: the error does not name the file: ${err.message}`);
        }
        if ((await sha256(file)) !== before) throw new Error(`${d.name}: the state file changed`);
      }),
      params(RUNS.state),
    );
  });

  describe('API responses: every shape each client parses, mutated', () => {
    let server: FixtureServer;
    const fixture = (p: string) => JSON.parse(readFileSync(new URL(`../../fixtures/${p}`, import.meta.url), 'utf8')) as Json;
    const listResponse = (r: Json[]): Json => ({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: r.length,
      startIndex: 1,
      itemsPerPage: r.length,
      Resources: r,
    });
    /** What the server answers now: per endpoint, the body (mutated for the endpoint under test). */
    let answers: Record<string, Json | string> = {};
    const base: Record<string, Json> = {
      'zia-token': fixture('zia/oneapi-token.json'),
      'zia-authSettings': fixture('zia/authSettings-ad.json'),
      'zia-status': fixture('zia/status-active.json'),
      'zia-activate': fixture('zia/status-active.json'),
      'zia-users': fixture('zia/users.json'),
      'zia-groups': fixture('zia/groups.json'),
      'zia-departments': fixture('zia/departments.json'),
      'scim-spc': fixture('scim/serviceProviderConfig.json'),
      'scim-users': listResponse(fixture('scim/users.json') as Json[]),
      'scim-groups': listResponse(fixture('scim/groups.json') as Json[]),
      'graph-token': fixture('graph/token.json'),
      'graph-sps': fixture('graph/servicePrincipals.json'),
      'graph-jobs': fixture('graph/jobs-active.json'),
      'graph-logs': fixture('graph/provisioning-page2.json'),
      'graph-secrets': fixture('graph/secrets.json'),
      'scim-user': (fixture('scim/users.json') as Json[])[0]!,
    };
    const route = (path: string, query: URLSearchParams): string | undefined => {
      if (path.endsWith('/oauth2/v1/token')) return 'zia-token';
      if (path.endsWith('/oauth2/v2.0/token')) return 'graph-token';
      if (path.startsWith('/zia/api/v1/')) {
        const k = path.slice('/zia/api/v1/'.length);
        if (k === 'status/activate') return 'zia-activate';
        if (k === 'users' || k === 'groups' || k === 'departments') return Number(query.get('page') ?? '1') > 1 ? 'empty-list' : `zia-${k}`;
        return `zia-${k}`;
      }
      if (path === '/scim/ServiceProviderConfig') return 'scim-spc';
      if (path === '/scim/Users' && query.get('filter')) return 'scim-empty';
      if (path.startsWith('/scim/Users/')) return 'scim-user';
      if (path === '/scim/Users') return Number(query.get('startIndex') ?? '1') > 1 ? 'scim-empty' : 'scim-users';
      if (path === '/scim/Groups') return Number(query.get('startIndex') ?? '1') > 1 ? 'scim-empty' : 'scim-groups';
      if (path.startsWith('/graph/servicePrincipals') && path.endsWith('/synchronization/jobs')) return 'graph-jobs';
      if (path.startsWith('/graph/servicePrincipals') && path.endsWith('/synchronization/secrets')) return 'graph-secrets';
      if (path.startsWith('/graph/servicePrincipals')) return 'graph-sps';
      if (path.startsWith('/graph/auditLogs/provisioning')) return 'graph-logs';
      return undefined;
    };
    const tuning = { retries: 0, retryBaseDelayMs: 1, timeoutMs: 5_000 };
    const calls: Record<string, (url: string) => Promise<unknown>> = {
      'zia-token': (url) => zia(url).getAuthSettings(),
      'zia-authSettings': (url) => zia(url).getAuthSettings(),
      'zia-status': (url) => zia(url).getActivationStatus(),
      'zia-activate': (url) => zia(url).activate(),
      'zia-users': (url) => drain(zia(url).listUsers({ stripUnknown: true })),
      'zia-groups': (url) => drain(zia(url).listGroups()),
      'zia-departments': (url) => drain(zia(url).listDepartments()),
      'scim-spc': (url) => scim(url).probe(),
      'scim-users': (url) => drain(scim(url).listUsers({ stripUnknown: true })),
      'scim-groups': (url) => drain(scim(url).listGroups({ stripUnknown: true })),
      'graph-token': (url) => graph(url).findServicePrincipal({ displayName: 'Zscaler Three' }),
      'graph-sps': (url) => graph(url).findServicePrincipal({ displayName: 'Zscaler Three' }),
      'graph-jobs': (url) => graph(url).getSynchronizationJob('6f1c1a5e-0b7e-4c1f-9d0a-111111111111'),
      'graph-logs': (url) => drain(graph(url).listProvisioningLogs('zscalerthree.job')),
      'graph-secrets': (url) => graph(url).getSecretKeys('6f1c1a5e-0b7e-4c1f-9d0a-111111111111'),
      'scim-user': (url) => scim(url).getUser('9001'),
    };
    const zia = (url: string) =>
      createZiaClient({
        baseUrl: `${url}/zia/api/v1`,
        auth: { kind: 'oneapi', tokenUrl: `${url}/oauth2/v1/token`, clientId: 'fuzz-client', clientSecret: 'fuzz-secret-value' },
        rateLimits: false,
        tuning,
      });
    const scim = (url: string) => createScimClient({ baseUrl: `${url}/scim`, token: 'fuzz-scim-token-value', rateLimits: false, tuning });
    const graph = (url: string) =>
      createGraphClient({
        loginUrl: `${url}/login`,
        graphUrl: `${url}/graph`,
        tenantId: 'fuzz-tenant',
        clientId: 'fuzz-client',
        clientSecret: 'fuzz-graph-secret',
        tuning,
      });
    async function drain(g: AsyncGenerator<unknown[]>) {
      for await (const _ of g) void _;
    }

    beforeAll(async () => {
      server = await startServer((r) => {
        const key = route(r.path, r.query);
        if (key === 'empty-list') return { status: 200, body: [] };
        if (key === 'scim-empty')
          return {
            status: 200,
            body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] },
          };
        if (!key) return { status: 404, body: { error: `no route ${r.path}` } };
        const body = answers[key] ?? base[key]!;
        return typeof body === 'string' ? { status: 200, raw: body, headers: { 'content-type': 'application/json' } } : { status: 200, body };
      });
      // Every endpoint parses its unmutated fixture.
      for (const [k, call] of Object.entries(calls)) await expect(call(server.url).then(() => k)).resolves.toBe(k);
    });
    afterAll(async () => server?.close());

    it('a 200 KB value in an answer is cut in the error, not echoed', async () => {
      const sps = structuredClone(base['graph-sps']) as { value: { displayName: string }[] };
      sps.value[0]!.displayName = HUGE;
      answers = { 'graph-sps': sps as unknown as Json };
      try {
        const err = (await calls['graph-sps']!(server.url).catch((e: unknown) => e)) as UserError;
        expect(err).toBeInstanceOf(UserError);
        expect(err.message).toContain('200000 characters');
        expect(err.message.length).toBeLessThan(2_000);
      } finally {
        answers = {};
      }
    });

    it(
      'each client either accepts the value or fails with a known error naming the endpoint, never a crash',
      async () => {
        const endpoints = Object.keys(calls);
        const caseArb = fc.constantFrom(...endpoints).chain((ep) =>
          fc.oneof(
            fc
              .tuple(fc.constantFrom(...pathsOf(base[ep]!)), mutation)
              .map(([path, m]) => ({ ep, body: mutate(base[ep]!, path, m) as Json | string, what: `${m.op} at ${path.join('.')}` })),
            fc.nat().map((n) => {
              const t = JSON.stringify(base[ep]);
              return { ep, body: t.slice(0, n % t.length), what: 'truncated body' };
            }),
            badValue.map((v) => ({ ep, body: v as Json, what: 'the whole body replaced' })),
          ),
        );
        await fc.assert(
          fc.asyncProperty(caseArb, async (c) => {
            count('api');
            answers = { [c.ep]: c.body };
            try {
              let timer: NodeJS.Timeout | undefined;
              const hung = new Promise((_, reject) => {
                timer = setTimeout(() => reject(new Error(`${c.ep}, ${c.what}: no answer after 15 s (the client hangs on this response)`)), 15_000);
              });
              await Promise.race([calls[c.ep]!(server.url), hung]).finally(() => clearTimeout(timer));
            } catch (e) {
              if ((e as Error).message?.includes('the client hangs')) throw e;
              if (!(e instanceof UserError)) throw new Error(`${c.ep}, ${c.what}: not a known error: ${(e as Error)?.stack ?? e}`);
              if (e.message.length > 20_000) throw new Error(`${c.ep}, ${c.what}: the error echoes ${e.message.length} characters`);
              if (!(e instanceof ApiError) && !/ZIA|SCIM|Graph|Entra|token|login|identity|service principal|provisioning|job|Base URL/i.test(e.message)) {
                throw new Error(`${c.ep}, ${c.what}: the error does not say which system: ${e.message.slice(0, 300)}`);
              }
            } finally {
              answers = {};
            }
          }),
          params(RUNS.api),
        );
      },
      LONG ? 1_800_000 : 120_000,
    );
  });

  it(
    'command lines and configurations through the built CLI: exit 1, a message, no stack trace, state unchanged',
    async () => {
      const dir = await tempDir('migrate-fuzz-cli-');
      const state = join(dir, 'state.json');
      const store = new FileCheckpointStore(state);
      await store.save(newState({ system: 'zia', id: 'zia:sandbox:24326813', label: 'ZIA org 24326813' }));
      const good = join(dir, 'good.yaml');
      await writeFile(good, YAML.stringify(BASE_CONFIG));
      const bad = join(dir, 'bad.yaml');
      const before = await sha256(state);
      const commands = ['ad-to-scim', 'rollback', 'verify', 'status', 'unlock', 'init', 'demo'];
      // Each command line is wrong by construction (a valid one would run: `demo` starts a sandbox).
      const bogus = fc.constantFrom('--no-such-flag', '--dry-run=maybe', '--config', '-Z', '--yes --yes=3', '--json=1', '--report');
      const paths = pathsOf(BASE_CONFIG as Json).filter((p) => p.length > 1);
      const arb = fc.oneof(
        fc.tuple(fc.constantFrom(...commands), bogus).map(([c, b]) => ({ args: [c, ...b.split(' ')], config: undefined as Json | undefined })),
        fc.constantFrom('nosuchcommand', 'ad_to_scim', 'rollbak').map((c) => ({ args: [c], config: undefined as Json | undefined })),
        // A configuration file that is not there, for the commands that read one.
        fc.constantFrom('ad-to-scim', 'rollback', 'verify').map((c) => ({
          args: [c, '--dry-run', '--config', join(dir, 'missing', 'x.yaml')].filter((a) => c !== 'verify' || a !== '--dry-run'),
          config: undefined as Json | undefined,
        })),
        fc.tuple(fc.constantFrom('ad-to-scim', 'rollback', 'verify'), fc.constantFrom(...paths), mutation).map(([c, p, m]) => ({
          args: [c, '--dry-run', '--config', bad],
          config: mutate(BASE_CONFIG as Json, p, m),
        })),
      );
      const samples = fc.sample(arb, { numRuns: RUNS.cli, seed: SEED });
      const failures: string[] = [];
      for (const s of samples) {
        count('cli');
        let args = s.args.map((a) => (a === 'verify' && s.config ? a : a));
        if (s.config !== undefined) {
          const text = YAML.stringify(s.config);
          // A mutation the schema accepts is not bad input; only invalid documents are run.
          try {
            parseConfig(text, bad);
            continue;
          } catch {
            await writeFile(bad, text);
          }
          if (args[0] === 'verify') args = ['verify', '--config', bad];
        }
        const r = await runCli([...args, '--state', state], { cwd: dir, timeoutMs: 60_000, env: { MIGRATE_DEBUG: '' } });
        const problems: string[] = [];
        if (r.code !== 1) problems.push(`exit ${r.code}`);
        if (!r.stderr.trim()) problems.push('nothing on stderr');
        if (hasStackTrace(r.stderr) || /unexpected error/.test(r.stderr)) problems.push(`stack trace or unexpected error:\n${r.stderr.slice(0, 800)}`);
        if ((await sha256(state)) !== before) problems.push('the state file changed');
        if (problems.length) failures.push(`migrate ${args.join(' ')}: ${problems.join('; ')}\n${r.stderr.slice(0, 400)}`);
      }
      expect(failures).toEqual([]);
      expect(await readFile(state, 'utf8')).toBeTruthy();
    },
    LONG ? 1_800_000 : 120_000,
  );
});
