import { confirm, input, password } from '@inquirer/prompts';
import { OperatorNeeded } from '../engine/errors.js';
import { Interrupted } from './interrupt.js';

/**
 * Prompts only when a person can answer: stdin is a terminal and --yes was not given.
 * Otherwise the caller gets an OperatorNeeded error naming the flag or variable that supplies the answer.
 * Ctrl-C at a prompt is an Interrupted error (exit 130), never an unexpected one.
 */
export interface Prompter {
  readonly canPrompt: boolean;
  confirm(message: string, unattended: string): Promise<boolean>;
  text(message: string, unattended: string, validate?: (v: string) => true | string): Promise<string>;
  secret(message: string, unattended: string): Promise<string>;
}

export interface PrompterOptions {
  yes: boolean;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where prompts draw; default: stderr when it is a terminal (human output lives there), else stdout. */
  output?: NodeJS.WritableStream;
}

/** Ctrl-C in a prompt rejects with @inquirer's ExitPromptError ("User force closed the prompt"). */
function interruptible<T>(answer: Promise<T>): Promise<T> {
  return answer.catch((err: unknown) => {
    if ((err as Error)?.name === 'ExitPromptError') throw new Interrupted();
    throw err;
  });
}

export function createPrompter(opts: PrompterOptions): Prompter {
  const stdin = opts.stdin ?? process.stdin;
  const tty = Boolean(stdin.isTTY);
  const canPrompt = tty && !opts.yes;
  const context = () => ({ input: stdin, output: opts.output ?? (process.stderr.isTTY ? process.stderr : process.stdout) });
  const refuse = (message: string, unattended: string): never => {
    const why = opts.yes ? '--yes was given' : 'stdin is not a terminal';
    throw new OperatorNeeded(`cannot ask "${message}": ${why}`, `Supply it unattended: ${unattended}`);
  };
  return {
    canPrompt,
    async confirm(message, unattended) {
      if (!canPrompt) return refuse(message, unattended);
      return interruptible(confirm({ message, default: false }, context()));
    },
    async text(message, unattended, validate) {
      if (!canPrompt) return refuse(message, unattended);
      return interruptible(input({ message, validate: validate ? (v: string) => validate(v.trim()) : undefined }, context())).then((v) => v.trim());
    },
    async secret(message, unattended) {
      if (!canPrompt) return refuse(message, unattended);
      return interruptible(password({ message, mask: '*' }, context())).then((v) => v.trim());
    },
  };
}
