import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import YAML from 'yaml';
import { createSandboxPortalClient } from '../../src/clients/sandbox-portal.js';
import { configSchema } from '../../src/config/schema.js';
import { createMigrationContext } from '../../src/flows/context.js';
import { runParity } from '../../src/flows/parity-check.js';
import { SandboxOperator } from '../../src/flows/sandbox-operator.js';
import { assignedUsers } from '../../src/sandbox/entra/index.js';
import { createOutput } from '../../src/ui/output.js';
import { startLdapServer } from '../../src/sandbox/ldap/server.js';
import { importDirectory } from '../../src/sandbox/world/ldap-import.js';
import { generateDirectory } from '../../src/sandbox/world/seed.js';
import { SANDBOX_ENV, startSandbox } from '../../src/sandbox/index.js';

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

/** `--directory ldap://…`: read over real LDAP (ldapts) from the sandbox's own LDAP server as a stand-in DC. */
describe('importDirectory', () => {
  const source = generateDirectory({ users: 120, seed: 12 });
  let ldap: Awaited<ReturnType<typeof startLdapServer>>;
  beforeAll(async () => {
    ldap = await startLdapServer({ directory: source });
  });
  afterAll(async () => {
    await ldap.stop();
  });

  test('reads users and groups with their AD attributes', async () => {
    const d = await importDirectory({ url: ldap.url, bindDn: source.bindDn, password: source.bindPassword, baseDn: source.baseDn });
    expect(d.users).toHaveLength(120);
    expect(d.groups.length).toBe(source.groups.length);
    const want = source.users[7]!;
    const got = d.users.find((u) => u.userPrincipalName === want.userPrincipalName)!;
    expect(got.objectGUID.equals(want.objectGUID)).toBe(true);
    expect(got.userAccountControl).toBe(want.userAccountControl);
    expect(got.mail).toBe(want.mail);
    expect(d.domain).toBe('example.test');
  });

  test('a wrong password fails with an error, and startSandbox uses the real directory', async () => {
    await expect(importDirectory({ url: ldap.url, bindDn: source.bindDn, password: 'wrong', baseDn: source.baseDn })).rejects.toThrow();
    const sb = await startSandbox({
      directoryUrl: ldap.url,
      directoryBindDn: source.bindDn,
      directoryPassword: source.bindPassword,
      directoryBaseDn: source.baseDn,
    });
    try {
      expect(sb.endpoints.ldapUrl).toBe(ldap.url);
      expect(sb.world.tenant.users.size).toBe(120);
    } finally {
      await sb.stop();
    }
  });
});

/**
 * `migrate sandbox --directory ldaps://… --directory-ca … --directory-group-dn … --directory-user-filter …`
 * against a TLS stand-in DC (the sandbox's own LDAP server with a throwaway certificate).
 */
describe('migrate sandbox --directory: TLS, scope and the bind password', () => {
  const source = generateDirectory({ users: 150, seed: 21 });
  const sales = source.groups.find((g) => g.cn === 'GG-Dept-Sales')!;
  const enabledOnly = '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))';
  // The scope, worked out from the generated data (not by any code under test).
  const inScope = source.users.filter((u) => u.memberOf.includes(sales.dn) && (u.userAccountControl & 2) === 0);
  let ldap: Awaited<ReturnType<typeof startLdapServer>>;
  let tmp = '';
  let caFile = '';

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'sbx-dir-'));
    caFile = path.join(tmp, 'dc.pem');
    const keyFile = path.join(tmp, 'dc.key');
    // A self-signed certificate for 127.0.0.1 is its own CA. openssl is part of the test toolchain.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        caFile,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    ldap = await startLdapServer({ directory: source, tls: { cert: await readFile(caFile), key: await readFile(keyFile) } });
  });
  afterAll(async () => {
    await ldap?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('the config keeps TLS with the CA and the scope; ZIA syncs and Entra assigns only the scope; parity finds no extra; no password on disk', async () => {
    expect(ldap.url).toMatch(/^ldaps:\/\//);
    expect(inScope.length).toBeGreaterThan(3);
    expect(inScope.length).toBeLessThan(source.users.length / 2);
    const sb = await startSandbox({
      speed: 100,
      directoryUrl: ldap.url,
      directoryBindDn: source.bindDn,
      directoryPassword: source.bindPassword,
      directoryBaseDn: source.baseDn,
      directoryCaFile: caFile,
      directoryGroupDn: sales.dn,
      directoryUserFilter: enabledOnly,
    });
    const dir = path.join(tmp, 'state');
    try {
      // Simulated ZIA directory sync and Entra app assignments hold exactly the scope.
      const want = inScope.map((u) => u.userPrincipalName.toLowerCase()).sort();
      expect([...sb.world.tenant.users.values()].map((u) => u.userName.toLowerCase()).sort()).toEqual(want);
      const assigned = assignedUsers(sb.world.entra).filter((u) => u.id !== sb.world.entra.cloudOnlyUserId);
      expect(assigned.map((u) => u.userPrincipalName.toLowerCase()).sort()).toEqual(want);

      const file = await sb.writeConfig(dir);
      const text = await readFile(file, 'utf8');
      const doc = YAML.parse(text);
      expect(doc.directory).toMatchObject({
        url: ldap.url,
        caFile,
        insecure: false,
        groupDn: sales.dn,
        userFilter: enabledOnly,
        passwordEnv: SANDBOX_ENV.directoryPassword,
      });
      expect(doc.directory).not.toHaveProperty('passwordFile');
      // The real directory's password is written nowhere.
      for (const f of await readdir(path.join(dir, 'secrets'))) expect(await readFile(path.join(dir, 'secrets', f), 'utf8')).not.toBe(source.bindPassword);
      expect(text).not.toContain(source.bindPassword);

      // The product reads the real directory over TLS with the CA and the scope, and ZIA has no one else.
      const config = configSchema.parse(doc);
      const out = createOutput({ quiet: true, stdout: sink(), stderr: sink() });
      const operator = new SandboxOperator(createSandboxPortalClient({ portalUrl: sb.endpoints.portalUrl }), out);
      const ctx = createMigrationContext({ config, readOnly: true, out, operator, env: sb.env(), rateLimits: false });
      try {
        const { report } = await runParity(ctx, {});
        expect(report.summary.counts.directory.records).toBe(inScope.length);
        expect(report.summary.extra.zia).toBe(0);
        expect(report.summary.missing.zia).toBe(0);
      } finally {
        await ctx.close();
      }
    } finally {
      await sb.stop();
    }
    // Stopping removes the throwaway secret files.
    expect(await readdir(path.join(dir, 'secrets'))).toEqual([]);
  }, 60_000);
});
