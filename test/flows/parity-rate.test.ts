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

/** The migrated state, as a completed Entra initial cycle leaves it (cf. bench/sandbox-child.mjs). */
function migrate(sb: Sandbox): { baseUrl: string; token: string } {
  const { tenant, entra } = sb.world;
  const idpId = sb.credentials.zia.idpId;
  const { kerberosPwd: _k, lastSyncStartTime: _s, lastSyncEndTime: _e, ...settings } = tenant.getAuthSettings();
  tenant.putAuthSettings({ ...settings, directorySyncMigrateToScimEnabled: true });
  tenant.activate();
  const { baseUrl, bearerToken } = sb.portal.setScim(idpId, true);
  const assigned = new Set(entra.assignments.map((a) => a.principalId));
  const zid = new Map<string, number>();
  for (const u of entra.users) {
    if (!assigned.has(u.id)) continue;
    const r = tenant.scimCreateUser(idpId, {
      userName: u.userPrincipalName,
      externalId: u.id,
      active: u.accountEnabled,
      displayName: u.displayName,
      givenName: u.givenName,
      familyName: u.surname,
      ...(u.mail ? { mail: u.mail } : {}),
      ...(u.department ? { department: u.department } : {}),
    });
    zid.set(u.id, r.user.id);
  }
  for (const g of entra.groups) {
    if (!assigned.has(g.id)) continue;
    const members = g.memberIds.map((id) => zid.get(id)).filter((id): id is number => id !== undefined);
    tenant.scimCreateGroup(idpId, { displayName: g.displayName, externalId: g.id, members });
  }
  return { baseUrl: baseUrl as string, token: bearerToken as string };
}

describe('verify reads at the documented rate limits', () => {
  let sb: Sandbox;
  let ctx: MigrationContext;
  beforeAll(async () => {
    sb = await startSandbox({ users: 5_000, speed: 1, hourlyCaps: false, port: 0, seed: 3 });
    const scim = migrate(sb);
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
  }, 20_000);
});
