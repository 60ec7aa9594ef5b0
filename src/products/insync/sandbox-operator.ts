import { UserError } from '../../engine/errors.js';
import type { SandboxInsyncPortalClient } from '../../clients/sandbox-insync-portal.js';
import type { Output } from '../../ui/output.js';
import type { InsyncOperator, InsyncTask } from './context.js';

/**
 * The scripted operator of the inSync flows: clicks the simulated console (the sandbox's /portal)
 * so `migrate demo --product insync` and the tests run unattended. It reads the console before it
 * clicks, so a task repeated after a crash does not press Confirm twice.
 */
export class InsyncSandboxOperator implements InsyncOperator {
  constructor(
    private readonly portal: SandboxInsyncPortalClient,
    private readonly out: Output,
  ) {}

  async perform(task: InsyncTask): Promise<Record<string, string>> {
    this.out.info(this.out.color.magenta(`  [scripted operator] ${task.title}`));
    switch (task.action) {
      case 'insync.switchMethod': {
        const d = await this.portal.deployment();
        if (d.method === task.to) return {};
        if (d.method !== task.from) throw new UserError(`scripted operator: the console shows ${d.method}, not ${task.from}`);
        await this.portal.changeDeploymentMethod(task.to, task.keepExistingMappings);
        return {};
      }
      case 'insync.createMapping': {
        const d = await this.portal.deployment();
        if (d.mappings.some((m) => m.kind === task.method && m.name === task.name)) return {};
        if (task.method === 'Azure AD' && !d.azureAdConsent) await this.portal.grantAzureAdConsent();
        // The token would go into the IdP's SCIM application; the sandbox has no IdP behind inSync, and it is never returned.
        if (task.method === 'SCIM' && !d.scimTokenActive) await this.portal.generateScimToken();
        await this.portal.createMapping(task.method, { name: task.name, profileID: task.profileID, storageID: task.storageID });
        return {};
      }
      case 'insync.attestManualMode': {
        const modes = await this.portal.userModes();
        const notManual = modes.filter((m) => m.mode !== 'Manual');
        // The script attests only what its console shows.
        if (notManual.length > 0) throw new UserError(`scripted operator: ${notManual.length} user(s) are not in Manual mode (e.g. ${notManual[0]!.emailID})`);
        return {};
      }
    }
  }
}
