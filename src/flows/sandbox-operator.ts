import { UserError } from '../engine/errors.js';
import type { Operator, OperatorTask } from '../engine/operator.js';
import type { SandboxPortalClient } from '../clients/sandbox-portal.js';
import type { Output } from '../ui/output.js';

/**
 * The scripted operator: performs console-only tasks by "clicking" the sandbox portal, so
 * `migrate demo`, rehearsals and tests run unattended. It prints what a person would do.
 */
export class SandboxOperator implements Operator {
  constructor(
    private readonly portal: SandboxPortalClient,
    private readonly out: Output,
  ) {}

  async perform(task: OperatorTask): Promise<Record<string, string>> {
    this.out.info(this.out.color.magenta(`  [scripted operator] ${task.title}`));
    const answers = await this.act(task);
    // A script does not retype: a definite refusal of what it "pasted" stops the run.
    const verdict = task.accept ? await task.accept(answers) : true;
    if (verdict !== true) throw new UserError(`scripted operator, "${task.title}": ${verdict}`);
    return answers;
  }

  private async act(task: OperatorTask): Promise<Record<string, string>> {
    const idpName = task.params?.idpName;
    const idp = async () => {
      if (!idpName) throw new Error(`task ${task.action} names no IdP`);
      return this.portal.idpByName(idpName);
    };
    switch (task.action) {
      case 'zia.syncNow':
        await this.portal.syncNow();
        return {};
      case 'zia.enableScim': {
        const { id } = await idp();
        const { baseUrl, bearerToken } = await this.portal.enableScim(id);
        await this.portal.setSamlAutoProvisioning(id, false);
        return { baseUrl, token: bearerToken };
      }
      case 'zia.generateScimToken': {
        const i = await idp();
        if (!i.scimEnabled) {
          const { baseUrl, bearerToken } = await this.portal.enableScim(i.id);
          return { baseUrl, token: bearerToken };
        }
        const token = await this.portal.generateToken(i.id);
        return { baseUrl: i.baseUrl ?? task.params?.baseUrl ?? '', token };
      }
      case 'zia.disableScim': {
        const { id } = await idp();
        await this.portal.disableScim(id);
        return {};
      }
      default:
        throw new Error(`the scripted operator does not know the task ${task.action}`);
    }
  }
}
