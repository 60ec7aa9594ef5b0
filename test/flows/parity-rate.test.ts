import { Writable } from 'node:stream';
import { configSchema } from '../../src/config/schema.js';
import { createMigrationContext, type MigrationContext } from '../../src/flows/context.js';
import { runParity } from '../../src/flows/parity-check.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { createOutput } from '../../src/ui/output.js';

/**
 * `migrate verify`'s reads at the REAL limits (sandbox speed 1: SCIM 5 req/s, ZIA 2 GET/s) with
 * the client-side limiter on: the probe, /Groups and /Users must share one SCIM limiter (a fresh
 * client per call drew 429s), and ZIA users are read at the documented 10,000 per page.
 */
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

describe('verify reads at the documented rate limits', () => {
  let sb: Sandbox;
  let ctx: MigrationContext;
  beforeAll(async () => {
    sb = await startSandbox({ users: 5_000, speed: 1, hourlyCaps: false, port: 0, seed: 3 });
    const scim = sb.fastForwardToMigrated();
    const config = configSchema.parse({ ...sb.config(), scim: { baseUrl: scim.baseUrl, tokenEnv: 'PARITY_RATE_SCIM_TOKEN', pageSize: 1000 } });
    ctx = createMigrationContext({
      config,
      readOnly: true,
      out: createOutput({ quiet: true, stdout: sink(), stderr: sink() }),
      operator: { perform: () => Promise.reject(new Error('no operator in this test')) },
      env: { ...sb.env(), PARITY_RATE_SCIM_TOKEN: scim.token },
      rateLimits: true,
    });
  });
  afterAll(async () => {
    await ctx?.close();
    await sb?.stop();
  });

  it('probe, /Groups and /Users share one SCIM limiter: zero 429s, ZIA read in one 10,000-user page', async () => {
    const creds = ctx.scimCredentials!;
    expect(ctx.scim(creds)).toBe(ctx.scim(creds));
    sb.resetLog();
    // As `migrate verify` does: probe first, then the parity read (1 + 1 + 5 counted SCIM calls > 5/s).
    await ctx.scim(creds).probe();
    const run = await runParity(ctx, { scim: creds });
    expect(run.report.summary.counts.scim?.records).toBe(5_001);
    expect(run.report.summary.counts.zia.records).toBe(5_001);
    expect(sb.stats().rateLimited).toBe(0);
    const ziaPages = sb.requests().filter((r) => r.server === 'zia' && r.method === 'GET' && r.path.startsWith('/api/v1/users'));
    expect(ziaPages.map((r) => new URL(r.path, 'http://x').searchParams.get('pageSize'))).toEqual(['10000']);
  }, 90_000); // a budget, not a figure: at the real limits this takes ~7 s idle and over 20 s at load 15
});
