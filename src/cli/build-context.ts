import type { Command } from 'commander';
import { resolve } from 'node:path';
import { FileCheckpointStore, type CheckpointStore } from '../engine/checkpoint.js';
import { ReadOnlyViolation } from '../engine/errors.js';
import { createOutput, type Output } from '../ui/output.js';
import { createPrompter, type Prompter } from '../ui/prompts.js';
import { commonOptions, type CommonOptions } from './context.js';

export interface CliContext {
  opts: CommonOptions;
  out: Output;
  prompter: Prompter;
  /** The checkpoint store; a dry-run gets a read-only view that never writes. */
  store: CheckpointStore;
  statePath: string;
}

/** Reads the real file; any attempt to write is a bug during a dry-run and throws. */
class ReadOnlyStore implements CheckpointStore {
  constructor(private readonly file: FileCheckpointStore) {}
  describe(): string {
    return this.file.describe();
  }
  load() {
    return this.file.load();
  }
  async save(): Promise<never> {
    throw new ReadOnlyViolation(`write the state file ${this.file.describe()}`);
  }
}

export function buildContext(cmd: Command): CliContext {
  const opts = commonOptions(cmd);
  const out = createOutput({ json: opts.json, color: opts.color });
  const statePath = resolve(opts.state);
  const file = new FileCheckpointStore(statePath);
  return {
    opts,
    out,
    prompter: createPrompter({ yes: opts.yes }),
    store: opts.dryRun ? new ReadOnlyStore(file) : file,
    statePath,
  };
}
