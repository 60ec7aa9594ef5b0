import { afterAll, describe, expect, jest, test } from '@jest/globals';
import { Command } from 'commander';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../src/engine/errors.js';
import { registerSandboxCommand, sandboxOptionsFrom } from '../../src/cli/commands/sandbox.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('migrate sandbox', () => {
  test('--json prints one object with every endpoint and the config path, then stops cleanly', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sbx-cli-'));
    dirs.push(dir);
    let stopped: (() => void) | undefined;
    let endpointsSeen: Record<string, string> = {};
    const program = new Command('migrate').exitOverride();
    registerSandboxCommand(program, {
      waitForStop: async () => {
        // While "running": the endpoints answer.
        const res = await fetch(`${endpointsSeen.portalUrl}/idps`);
        expect(res.status).toBe(200);
        stopped?.();
        return 'SIGTERM';
      },
    });
    const chunks: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((c: string | Uint8Array) => {
      chunks.push(String(c));
      try {
        endpointsSeen = JSON.parse(chunks.join('')).endpoints;
      } catch {
        /* partial */
      }
      return true;
    }) as typeof process.stdout.write);
    const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation((() => true) as typeof process.stderr.write);
    try {
      await program.parseAsync(['node', 'migrate', 'sandbox', '--users', '25', '--state-dir', dir, '--json']);
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
    }
    const out = JSON.parse(chunks.join(''));
    expect(Object.keys(out.endpoints).sort()).toEqual(
      ['controlUrl', 'entraLoginUrl', 'graphUrl', 'ldapUrl', 'portalUrl', 'scimServerUrl', 'ziaBaseUrl', 'ziaOneApiBaseUrl', 'zidentityTokenUrl'].sort(),
    );
    expect(out.configPath).toBe(path.join(dir, 'migrate.sandbox.yaml'));
    expect(out.oneApi).toEqual({
      tokenUrl: out.endpoints.zidentityTokenUrl,
      baseUrl: out.endpoints.ziaOneApiBaseUrl,
      clientIdFile: path.join(dir, 'secrets', 'oneapi-client-id'),
      clientSecretFile: path.join(dir, 'secrets', 'oneapi-client-secret'),
    });
    expect(out.users).toBe(25);
    expect(await readFile(out.configPath, 'utf8')).toContain('operator:');
    // Stopped: the ports no longer answer, and the throwaway secret files are gone.
    await expect(fetch(`${out.endpoints.portalUrl}/idps`)).rejects.toThrow();
    expect(await readdir(path.join(dir, 'secrets'))).toEqual([]);
  });

  test('flag validation names the flag; --directory needs the password from the environment', () => {
    const base = { port: '0', users: '10', speed: '1', stateDir: '.' };
    expect(() => sandboxOptionsFrom({ ...base, speed: '0' })).toThrow(/--speed/);
    expect(() => sandboxOptionsFrom({ ...base, users: '-1' })).toThrow(/--users/);
    expect(() => sandboxOptionsFrom({ ...base, faults: 'zia:*:*:boom' })).toThrow(/--faults/);
    expect(() => sandboxOptionsFrom({ ...base, operator: 'robot' })).toThrow(/--operator must be auto or person/);
    expect(() => sandboxOptionsFrom({ ...base, directory: 'http://x' })).toThrow(UserError);
    expect(() => sandboxOptionsFrom({ ...base, directory: 'ldap://dc', directoryBindDn: 'CN=a' }, {})).toThrow(/MIGRATE_SANDBOX_DIRECTORY_PASSWORD/);
    expect(sandboxOptionsFrom({ ...base, directory: 'ldap://dc', directoryBindDn: 'CN=a' }, { MIGRATE_SANDBOX_DIRECTORY_PASSWORD: 'p' })).toMatchObject({
      directoryUrl: 'ldap://dc',
      directoryBindDn: 'CN=a',
      directoryPassword: 'p',
      users: 10,
      rateLimits: true,
    });
    // The scope and the CA reach the sandbox (which writes them into the config).
    const scoped = {
      ...base,
      directory: 'ldaps://dc',
      directoryBindDn: 'CN=a',
      directoryCa: 'ca.pem',
      directoryGroupDn: 'CN=Zscaler Users,DC=x',
      directoryUserFilter: '(objectClass=user)',
    };
    expect(sandboxOptionsFrom(scoped, { MIGRATE_SANDBOX_DIRECTORY_PASSWORD: 'p' })).toMatchObject({
      directoryCaFile: 'ca.pem',
      directoryGroupDn: 'CN=Zscaler Users,DC=x',
      directoryUserFilter: '(objectClass=user)',
    });
    expect(() => sandboxOptionsFrom({ ...base, directoryGroupDn: 'CN=g' })).toThrow(/need --directory/);
  });

  test('--variant is passed through, and an unknown name or reading is refused with the valid ones', () => {
    const base = { port: '0', users: '10', speed: '1', stateDir: '/tmp/x' };
    expect(sandboxOptionsFrom({ ...base, variant: 'scim-page-cap=100,idp-edit-pending=yes' })).toMatchObject({
      variants: 'scim-page-cap=100,idp-edit-pending=yes',
    });
    expect(() => sandboxOptionsFrom({ ...base, variant: 'scim-page-cap=7' })).toThrow('--variant: variant scim-page-cap has no reading "7"; valid: 1000, 100');
    expect(() => sandboxOptionsFrom({ ...base, variant: 'pagecap=100' })).toThrow(
      /--variant: unknown variant "pagecap"; valid variants: .*idp-edit-pending=no\|yes/,
    );
  });
});
