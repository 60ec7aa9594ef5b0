// `migrate sandbox --directory ldaps://… --directory-ca … --directory-group-dn …` against the live Samba
// DC: the simulated ZIA directory sync and the simulated Entra assignments hold only the scope, the
// written configuration keeps LDAPS with the CA, and `migrate verify --directory-only` (parity of AD
// and ZIA) finds no out-of-scope user. Counts come from the seed generator's record (expected.json).
import { Writable } from 'node:stream';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { createSandboxPortalClient } from '../../src/clients/sandbox-portal.js';
import { configSchema } from '../../src/config/schema.js';
import { createMigrationContext } from '../../src/flows/context.js';
import { runParity } from '../../src/flows/parity-check.js';
import { SandboxOperator } from '../../src/flows/sandbox-operator.js';
import { assignedUsers } from '../../src/sandbox/entra/index.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { createOutput } from '../../src/ui/output.js';
import { adEnv, describeAd } from './ad-env.js';

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

describeAd('a rehearsal on the live Samba DC scoped by a group', () => {
  const cases = () => {
    const ad = adEnv();
    return [
      { name: 'nested scope group', groupDn: ad.expected.nested.groupDn, users: ad.expected.nested.usersInScope },
      { name: 'group whose CN holds filter metacharacters', groupDn: ad.expected.metacharGroup.dn, users: ad.expected.metacharGroup.usersInScope },
    ];
  };

  it('syncs and assigns only the scope, keeps LDAPS with the CA, and parity has no extra user', async () => {
    const ad = adEnv();
    for (const c of cases()) {
      const sandbox = await startSandbox({
        speed: 500,
        directoryUrl: ad.AD_LDAPS_URL,
        directoryBindDn: ad.AD_BIND_DN,
        directoryPassword: ad.password.trim(),
        directoryBaseDn: ad.expected.baseDn,
        directoryCaFile: ad.AD_CA_FILE,
        directoryUserFilter: ad.expected.userFilter,
        directoryGroupDn: c.groupDn,
      });
      const dir = await mkdtemp(path.join(os.tmpdir(), 'ad-scoped-'));
      try {
        expect({ case: c.name, zia: sandbox.world.tenant.users.size }).toEqual({ case: c.name, zia: c.users });
        const assigned = assignedUsers(sandbox.world.entra).filter((u) => u.id !== sandbox.world.entra.cloudOnlyUserId);
        expect(assigned).toHaveLength(c.users);

        const doc = YAML.parse(await readFile(await sandbox.writeConfig(dir), 'utf8'));
        expect(doc.directory).toMatchObject({ url: ad.AD_LDAPS_URL, caFile: path.resolve(ad.AD_CA_FILE), insecure: false, groupDn: c.groupDn });
        const config = configSchema.parse(doc);
        const out = createOutput({ quiet: true, stdout: sink(), stderr: sink() });
        const operator = new SandboxOperator(createSandboxPortalClient({ portalUrl: sandbox.endpoints.portalUrl }), out);
        const ctx = createMigrationContext({ config, readOnly: true, out, operator, env: sandbox.env(), rateLimits: false });
        try {
          const { report } = await runParity(ctx, {});
          expect(report.summary.counts.directory.records).toBe(c.users);
          expect(report.summary.extra.zia).toBe(0);
          expect(report.summary.missing.zia).toBe(0);
        } finally {
          await ctx.close();
        }
      } finally {
        await sandbox.stop();
        await rm(dir, { recursive: true, force: true });
      }
    }
  }, 180_000);
});
