import { SANDBOX_IN_SCOPE_GROUP } from '../../src/sandbox/index.js';
import { DirectoryScopeError, runParity } from '../../src/flows/parity-check.js';
import { directoryReachable } from '../../src/flows/preflight.js';
import { ParitySourceError } from '../../src/parity/index.js';
import { startHarness, type Harness } from './harness.js';

/**
 * The directory scope as a careful administrator mistypes it: a verification or a preflight
 * never turns a scope problem into "missing"/"extra" users. It stops, names the scope
 * (baseDn, userFilter, groupDn) and says what it found wrong, with read-only directory reads.
 */
const BASE = 'DC=example,DC=test';
const groupDn = (cn: string) => `CN=${cn},OU=Groups,OU=Corp,${BASE}`;
const MISTYPED = groupDn('Zscaler Userz');

function withDirectory(over: Record<string, unknown>) {
  return (c: Record<string, unknown>) => {
    c.directory = { ...(c.directory as Record<string, unknown>), ...over };
  };
}

describe('a mistyped directory.groupDn', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ users: 60, tweak: withDirectory({ groupDn: MISTYPED }) });
  });
  afterAll(async () => h?.close());

  it('verify stops with an error naming the scope and the group that does not exist, not "every user extra"', async () => {
    const err = await runParity(h.ctx({ readOnly: true }), {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DirectoryScopeError);
    const msg = (err as Error).message;
    expect(msg).toContain('the directory scope returned no users (ZIA holds');
    expect(msg).toContain(`directory.groupDn ${JSON.stringify(MISTYPED)} was not found in the directory`);
    expect(msg).toContain(`directory.baseDn ${JSON.stringify(BASE)}`);
    expect(msg).toContain('directory.userFilter');
    expect(msg).toContain('nothing was compared');
    expect((err as DirectoryScopeError).exitCode).toBe(1);
  });

  it('preflight blocks with the same diagnosis', async () => {
    const r = await directoryReachable.run(h.ctx({ readOnly: true }));
    expect(r.ok).toBe(false);
    expect(r.severity ?? 'error').toBe('error');
    expect(r.detail).toContain('the directory scope returned no users');
    expect(r.detail).toContain(`${JSON.stringify(MISTYPED)} was not found in the directory`);
    expect(r.fix).toContain('directory.groupDn');
  });
});

describe('a scope far smaller than ZIA', () => {
  let h: Harness;
  // One department's group: it exists, but holds about a twelfth of the users ZIA has.
  const sales = groupDn('GG-Dept-Sales');
  beforeAll(async () => {
    h = await startHarness({ users: 60, tweak: withDirectory({ groupDn: sales }) });
  });
  afterAll(async () => h?.close());

  it('is refused below guards.minScopePercent, saying the group exists and how many users the scope holds without it', async () => {
    const err = await runParity(h.ctx({ readOnly: true }), {}).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(DirectoryScopeError);
    expect(err!.message).toMatch(/the directory scope returned \d+ users, \d+\.\d% of the 6\d users ZIA holds \(under guards\.minScopePercent, 50%\)/);
    expect(err!.message).toContain('the group exists; without directory.groupDn the scope holds 60 users');
    const pre = await directoryReachable.run(h.ctx({ readOnly: true }));
    expect(pre.ok).toBe(false);
    expect(pre.detail).toContain('the group exists');
  });

  it('passes when the administrator says the scope really is that small (minScopePercent 0)', async () => {
    const ctx = h.ctx({ readOnly: true });
    ctx.config = { ...ctx.config, guards: { ...ctx.config.guards, minScopePercent: 0 } };
    const run = await runParity(ctx, {});
    expect(run.report.summary.counts.directory.records).toBeGreaterThan(0);
    expect(run.report.summary.extra.users).toBeGreaterThan(30);
    expect((await directoryReachable.run(ctx)).ok).toBe(true);
  });
});

describe('a correct scope, and a directory read that fails', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ users: 60, tweak: withDirectory({ groupDn: groupDn(SANDBOX_IN_SCOPE_GROUP) }) });
  });
  afterAll(async () => h?.close());

  it('the real group passes preflight and verify', async () => {
    const pre = await directoryReachable.run(h.ctx({ readOnly: true }));
    expect(pre).toMatchObject({ ok: true });
    expect(pre.detail).toMatch(/^60 users in scope under DC=example,DC=test \(ZIA holds 6\d\)$/);
    const run = await runParity(h.ctx({ readOnly: true }), {});
    expect(run.report.summary.counts.directory.records).toBe(60);
  });

  it('a baseDn that does not exist aborts the comparison naming the directory, never as missing users', async () => {
    const ctx = h.ctx({ readOnly: true });
    ctx.config = { ...ctx.config, directory: { ...ctx.config.directory, baseDn: `OU=Nowhere,${BASE}` } };
    const err = await runParity(ctx, {}).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(ParitySourceError);
    expect(err!.message).toContain('reading the directory failed');
    expect(err!.message).toContain(`OU=Nowhere,${BASE} does not exist`);
  });
});
