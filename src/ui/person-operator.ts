import type { Operator, OperatorTask } from '../engine/operator.js';
import { OperatorNeeded, UserError } from '../engine/errors.js';
import { registerSecret } from '../engine/redact.js';
import type { Output } from './output.js';
import type { Prompter } from './prompts.js';

/**
 * A person carries out console-only steps: the exact instructions are printed, then the
 * person confirms and types (or pastes) what the step needs; a task the flow can observe by
 * itself (Sync Now) asks nothing and the run continues once the change is seen. Unattended, the run stops with
 * exit code 3 and the instructions; the flow's observation picks the work up on the rerun.
 */
const MAX_TRIES = 3;

export class PersonOperator implements Operator {
  constructor(
    private readonly out: Output,
    private readonly prompter: Prompter,
  ) {}

  async perform(task: OperatorTask): Promise<Record<string, string>> {
    const { color } = this.out;
    this.out.info('');
    this.out.info(color.magenta.bold(`Operator step: ${task.title}`));
    task.instructions.forEach((line, i) => this.out.info(`  ${i + 1}. ${line}`));
    if (!this.prompter.canPrompt) {
      const unattended = (task.inputs ?? []).map((i) => i.unattended);
      throw new OperatorNeeded(
        `operator step "${task.title}" needs a person: do it in the admin console as shown, then run the same command again`,
        unattended.length > 0 ? `For unattended runs supply: ${unattended.join('; ')}` : 'The rerun verifies the step by observation and continues.',
      );
    }
    if (task.observedBy && !task.inputs?.length) {
      // Nothing to type: the flow sees the change itself and continues.
      this.out.info(
        color.dim(
          `  Watching ${task.observedBy}: migrate continues by itself once it sees the change; nothing to type here (Ctrl-C stops; a rerun continues).`,
        ),
      );
      return {};
    }
    const answers: Record<string, string> = {};
    // Answers the real system refuses definitely (a wrong URL, a refused token) are asked again,
    // with what was wrong; a few tries, then the run stops with the last reason.
    for (let attempt = 1; ; attempt++) {
      for (const field of task.inputs ?? []) {
        const value = field.secret
          ? await this.prompter.secret(field.label, field.unattended)
          : await this.prompter.text(field.label, field.unattended, field.validate);
        if (field.secret) registerSecret(value);
        answers[field.name] = value;
      }
      const verdict = task.accept ? await task.accept(answers) : true;
      if (verdict === true) break;
      this.out.warn(verdict);
      if (attempt >= MAX_TRIES) throw new UserError(`operator step "${task.title}": ${verdict}`, { hint: 'Run the same command again to retry.' });
      this.out.info(color.magenta(`Try again (${attempt + 1} of ${MAX_TRIES}):`));
    }
    if (!task.inputs?.length) {
      const ok = await this.prompter.confirm(`Done: ${task.title}?`, 'rerun after doing it');
      if (!ok) throw new OperatorNeeded(`operator step "${task.title}" was not confirmed`, 'Run again when it is done.');
    }
    return answers;
  }
}
