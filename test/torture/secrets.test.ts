import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { startSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { runCli, tempDir, type CliRun } from './support.js';

/**
 * Issue 13, secrets: every credential of a rehearsal (ZIA password and API key, the Graph client
 * secret, the LDAP bind password, each SCIM bearer token issued) is looked for, raw and in every
 * encoding a careless log line would use, in everything the runs leave: stdout, stderr, the state
 * file and its backup, the audit log, the parity reports and the JUnit file. Zero hits.
 */

function encodings(secret: string): Record<string, string> {
  return {
    raw: secret,
    base64: Buffer.from(secret).toString('base64').replace(/=+$/, ''),
    base64url: Buffer.from(secret).toString('base64url'),
    url: encodeURIComponent(secret),
    json: JSON.stringify(secret).slice(1, -1),
  };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('torture: no secret in any artifact', () => {
  let sandbox: Sandbox;
  afterAll(async () => sandbox?.stop());

  it('forward, verify with reports and JUnit, rollback, and a faulted run leak no credential in any form', async () => {
    sandbox = await startSandbox({ users: 30, speed: 2000, port: 0, seed: 21 });
    const dir = await tempDir('migrate-secrets-');
    const config = await sandbox.writeConfig(dir);
    const state = join(dir, 'state.json');
    const audit = join(dir, 'audit.jsonl');
    const reports = join(dir, 'verify-report');
    const junit = join(dir, 'verify.xml');
    const idp = () => [...sandbox.world.tenant.idps.values()].find((i) => i.name === sandbox.credentials.zia.idpName)!;
    const tokens = new Set<string>();
    const noteToken = () => {
      const t = idp().bearerToken;
      if (t) tokens.add(t);
    };

    const runs: [string, CliRun][] = [];
    const run = async (label: string, args: string[], env: Record<string, string> = {}) => {
      const r = await runCli(args, { env, cwd: dir });
      runs.push([label, r]);
      noteToken();
      return r;
    };
    const common = ['--config', config, '--state', state];

    expect((await run('forward', ['ad-to-scim', '--yes', '--audit-log', audit, ...common])).code).toBe(0);

    // verify reads SCIM: its token comes from a file the configuration names, as an administrator would set it.
    const tokenFile = join(dir, 'secrets', 'scim-token');
    await writeFile(tokenFile, idp().bearerToken!, { mode: 0o600 });
    const verifyConfig = join(dir, 'migrate.verify.yaml');
    const doc = YAML.parse(await readFile(config, 'utf8')) as Record<string, Record<string, unknown>>;
    doc.scim = { ...doc.scim, baseUrl: `${sandbox.endpoints.scimServerUrl}/${sandbox.credentials.zia.orgId}/${idp().id}/scim`, tokenFile };
    await writeFile(verifyConfig, YAML.stringify(doc), { mode: 0o600 });
    const v = await run('verify', ['verify', '--report', reports, '--junit', junit, '--json', '--config', verifyConfig, '--state', state]);
    expect([0, 1]).toContain(v.code); // parity within thresholds or not: either way a report, never a secret
    expect(existsSync(junit)).toBe(true);
    expect(filesUnder(reports).length).toBeGreaterThan(0);

    expect((await run('rollback', ['rollback', '--yes', '--audit-log', audit, ...common])).code).toBe(0);

    // A faulted forward run (fails or not), then the same without faults to completion.
    sandbox.setFaults('zia:*:*:500:0.3,scim:*:*:503:0.3,graph:*:*:reset:0.2,login:*:*:truncate:0.3');
    await run('faulted forward', ['ad-to-scim', '--yes', '--audit-log', audit, ...common]);
    sandbox.setFaults('');
    let last: CliRun | undefined;
    for (let i = 0; i < 3 && last?.code !== 0; i += 1) last = await run(`forward rerun ${i + 1}`, ['ad-to-scim', '--yes', '--audit-log', audit, ...common]);
    // A wrong password on the way in: the error names the failure, never the value tried.
    const wrong = `Wr0ng-${sandbox.credentials.zia.password.split('').reverse().join('')}`;
    await writeFile(join(dir, 'secrets', 'zia-password'), wrong);
    await run('wrong password', ['status', ...common]);
    await run('wrong password verify', ['verify', '--directory-only', '--config', config, '--state', state]);

    const c = sandbox.credentials;
    const secrets: Record<string, string> = {
      'ZIA password': c.zia.password,
      'ZIA wrong password': wrong,
      'ZIA API key': c.zia.apiKey,
      'Graph client secret': c.entra.clientSecret,
      'LDAP bind password': c.ldap.password,
      ...Object.fromEntries([...tokens].map((t, i) => [`SCIM bearer token #${i + 1}`, t])),
    };
    // Distinctive: long enough that a hit is a leak, not a coincidence.
    for (const [name, s] of Object.entries(secrets)) expect({ name, long: s.length >= 12 }).toEqual({ name, long: true });
    expect(tokens.size).toBeGreaterThanOrEqual(2); // the forward and the faulted run each enabled SCIM

    const artifacts: [string, string][] = [
      ...runs.flatMap(([label, r]): [string, string][] => [
        [`${label}: stdout`, r.stdout],
        [`${label}: stderr`, r.stderr],
      ]),
      ...[state, `${state}.bak`, audit, junit, ...filesUnder(reports), ...filesUnder(join(dir, 'reports'))]
        .filter((p) => existsSync(p))
        .map((p): [string, string] => [p, readFileSync(p, 'latin1')]),
    ];
    expect(artifacts.some(([p]) => p === audit)).toBe(true);
    expect(artifacts.some(([p]) => p === `${state}.bak`)).toBe(true);
    const hits: string[] = [];
    for (const [where, text] of artifacts) {
      for (const [name, secret] of Object.entries(secrets)) {
        for (const [form, value] of Object.entries(encodings(secret))) if (text.includes(value)) hits.push(`${name} (${form}) in ${where}`);
      }
    }
    process.stdout.write(`torture secrets: ${Object.keys(secrets).length} secrets × 5 encodings in ${artifacts.length} artifacts: ${hits.length} found\n`);
    expect(hits).toEqual([]);
  }, 600_000);
});
