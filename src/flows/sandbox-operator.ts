import { UserError } from '../engine/errors.js';
import type { SandboxPortalClient } from '../clients/sandbox-portal.js';
import type { SandboxZpaPortalClient } from '../clients/sandbox-zpa-portal.js';
import { unhandled } from '../idps/actions.js';
import type { MigrationOperator, MigrationTask } from './operator-actions.js';
import type { Output } from '../ui/output.js';

/**
 * The scripted operator: performs console-only tasks by "clicking" the sandbox portal, so
 * `migrate demo`, rehearsals and tests run unattended. It prints what a person would do. ZIA's
 * buttons are clicked here; an IdP's console actions go to the sandbox's simulation of that IdP.
 */
export class SandboxOperator implements MigrationOperator {
  constructor(
    private readonly portal: SandboxPortalClient,
    private readonly out: Output,
    /** The ZPA simulation's console, for the `zpa.*` actions (a configuration with product: zpa). */
    private readonly zpaPortal?: SandboxZpaPortalClient,
  ) {}

  private zpa(): SandboxZpaPortalClient {
    if (!this.zpaPortal) throw new UserError('the scripted operator has no ZPA portal: give operator.zpaPortalUrl (the sandbox writes it with product: zpa)');
    return this.zpaPortal;
  }

  async perform(task: MigrationTask): Promise<Record<string, string>> {
    this.out.info(this.out.color.magenta(`  [scripted operator] ${task.title}`));
    const answers = await this.act(task);
    // A script does not retype: a definite refusal of what it "pasted" stops the run.
    const verdict = task.accept ? await task.accept(answers) : true;
    if (verdict !== true) throw new UserError(`scripted operator, "${task.title}": ${verdict}`);
    return answers;
  }

  private async act(task: MigrationTask): Promise<Record<string, string>> {
    switch (task.action) {
      case 'zia.syncNow':
        await this.portal.syncNow();
        return {};
      case 'zia.enableScim': {
        const { id } = await this.portal.idpByName(task.idpName);
        const { baseUrl, bearerToken } = await this.portal.enableScim(id);
        await this.portal.setSamlAutoProvisioning(id, false);
        return { baseUrl, token: bearerToken };
      }
      case 'zia.generateScimToken': {
        const i = await this.portal.idpByName(task.idpName);
        if (!i.scimEnabled) {
          const { baseUrl, bearerToken } = await this.portal.enableScim(i.id);
          return { baseUrl, token: bearerToken };
        }
        const token = await this.portal.generateToken(i.id);
        return { baseUrl: i.baseUrl ?? task.baseUrl ?? '', token };
      }
      case 'zia.disableScim': {
        const { id } = await this.portal.idpByName(task.idpName);
        await this.portal.disableScim(id);
        return {};
      }
      case 'zpa.enableScimSync': {
        // IDP Configuration > Edit: Enabled for SCIM Sync, Generate New Token (copied at once), Save.
        await this.zpa().setScimSync(task.idpId, true);
        const { bearerToken } = await this.zpa().generateToken(task.idpId);
        return { token: bearerToken };
      }
      case 'zpa.generateScimToken': {
        const { bearerToken } = await this.zpa().generateToken(task.idpId);
        return { token: bearerToken };
      }
      case 'zpa.setScimPolicy':
        await this.zpa().setScimPolicy(task.idpId, task.enabled);
        return {};
      case 'zpa.disableScimSync':
        await this.zpa().setScimSync(task.idpId, false);
        return {};
      case 'idp.setCredentials':
        await this.portal.idpConsole({ action: task.action, idp: task.idp, baseUrl: task.baseUrl, token: task.token, scope: task.scope });
        return {};
      case 'idp.start':
      case 'idp.pause':
        await this.portal.idpConsole({ action: task.action, idp: task.idp });
        return {};
      case 'idp.provisionUsers':
        await this.portal.idpConsole({ action: task.action, idp: task.idp, users: task.users });
        return {};
      default:
        return unhandled(task);
    }
  }
}
