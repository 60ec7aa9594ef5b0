import { UserError } from '../engine/errors.js';

/** The exit code of a run stopped by Ctrl-C / SIGINT: 128 + 2, as a shell reports a process killed by it. */
export const EXIT_INTERRUPTED = 130;
export const INTERRUPTED_MESSAGE = 'interrupted; state saved; rerun to continue';

/**
 * Ctrl-C at a prompt. Not an error of migrate: the state file holds what the last completed write
 * recorded (writes are atomic), and a rerun observes every step again and continues.
 */
export class Interrupted extends UserError {
  constructor() {
    super(INTERRUPTED_MESSAGE, { exitCode: EXIT_INTERRUPTED });
    this.name = 'Interrupted';
  }
}

let announced = false;

/** Prints the interruption line once, whichever of the prompt or the signal handler gets there first. */
export function announceInterrupted(stderr: NodeJS.WritableStream = process.stderr): void {
  if (announced) return;
  announced = true;
  stderr.write(`\nmigrate: ${INTERRUPTED_MESSAGE}\n`);
}

/**
 * While a run may write (the lock is held), SIGINT (Ctrl-C outside a prompt) prints the
 * interruption line, runs `cleanup` (releasing the lock) and exits 130; a second SIGINT exits at
 * once. Returns the function that removes the handler again. Every state write is atomic, so
 * stopping between two of them leaves the file as the last one wrote it.
 */
export function exitOnInterrupt(cleanup: () => Promise<void>, stderr: NodeJS.WritableStream = process.stderr): () => void {
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(EXIT_INTERRUPTED);
    interrupted = true;
    announceInterrupted(stderr);
    void cleanup()
      .catch(() => undefined)
      .finally(() => process.exit(EXIT_INTERRUPTED));
  };
  process.on('SIGINT', onSigint);
  return () => {
    process.off('SIGINT', onSigint);
  };
}
