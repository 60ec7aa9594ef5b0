import { confirm, input, password } from '@inquirer/prompts';
import { OperatorNeeded } from '../engine/errors.js';

/**
 * Prompts only when a person can answer: stdin is a terminal and --yes was not given.
 * Otherwise the caller gets an OperatorNeeded error naming the flag or variable that supplies the answer.
 */
export interface Prompter {
  readonly canPrompt: boolean;
  confirm(message: string, unattended: string): Promise<boolean>;
  text(message: string, unattended: string, validate?: (v: string) => true | string): Promise<string>;
  secret(message: string, unattended: string): Promise<string>;
}

export function createPrompter(opts: { yes: boolean; stdin?: { isTTY?: boolean } }): Prompter {
  const tty = Boolean((opts.stdin ?? process.stdin).isTTY);
  const canPrompt = tty && !opts.yes;
  const refuse = (message: string, unattended: string): never => {
    const why = opts.yes ? '--yes was given' : 'stdin is not a terminal';
    throw new OperatorNeeded(`cannot ask "${message}": ${why}`, `Supply it unattended: ${unattended}`);
  };
  return {
    canPrompt,
    async confirm(message, unattended) {
      if (!canPrompt) return refuse(message, unattended);
      return confirm({ message, default: false });
    },
    async text(message, unattended, validate) {
      if (!canPrompt) return refuse(message, unattended);
      return input({ message, validate: validate ? (v: string) => validate(v.trim()) : undefined }).then((v) => v.trim());
    },
    async secret(message, unattended) {
      if (!canPrompt) return refuse(message, unattended);
      return password({ message, mask: '*' }).then((v) => v.trim());
    },
  };
}
