import { createHash, randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { UserError } from './errors.js';
import { jsonValueSchema } from './json.js';
import { containsSecret } from './redact.js';
import { TOOL_VERSION } from './version.js';

export const STATE_SCHEMA_VERSION = 1;

export const stepStatusSchema = z.enum(['pending', 'started', 'succeeded', 'failed', 'rolled-back']);
export type StepStatus = z.infer<typeof stepStatusSchema>;

export const stepRecordSchema = z
  .object({
    status: stepStatusSchema,
    attempts: z.number().int().min(0),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    outputs: z.record(z.string(), jsonValueSchema).optional(),
    lastError: z.string().optional(),
  })
  .strict();
export type StepRecord = z.infer<typeof stepRecordSchema>;

export const flowRecordSchema = z
  .object({
    startedAt: z.string(),
    completedAt: z.string().optional(),
    /** The digest of the saved plan (`--plan`) this run applies: a rerun with the same plan resumes it. */
    approvedPlan: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/)
      .optional(),
    steps: z.record(z.string(), stepRecordSchema),
  })
  .strict();
export type FlowRecord = z.infer<typeof flowRecordSchema>;

/** Who the state belongs to: a state file is never replayed against another tenant. */
export const targetSchema = z
  .object({
    system: z.string(),
    /** Stable tenant identity, e.g. "zia:zscalerthree:24326813". */
    id: z.string(),
    /** Human description for messages. */
    label: z.string(),
  })
  .strict();
export type Target = z.infer<typeof targetSchema>;

const snapshotSchema = z.object({ takenAt: z.string(), data: z.record(z.string(), jsonValueSchema) }).strict();

/**
 * A run that ended (a migration rolled back): its step records and snapshot, kept for the record
 * while the next run starts afresh (new snapshot, attempt counters and timestamps).
 */
export const closedRunSchema = z
  .object({
    closedAt: z.string(),
    outcome: z.string(),
    snapshot: snapshotSchema.optional(),
    flows: z.record(z.string(), flowRecordSchema),
  })
  .strict();
export type ClosedRun = z.infer<typeof closedRunSchema>;

export const stateSchema = z
  .object({
    schemaVersion: z.literal(STATE_SCHEMA_VERSION),
    toolVersion: z.string(),
    /** Fixed when the migration starts; identifies this migration across runs. */
    lineage: z.string().uuid(),
    /** Increases on every write. */
    serial: z.number().int().min(1),
    createdAt: z.string(),
    updatedAt: z.string(),
    target: targetSchema,
    /** Settings captured before the first write; rollback restores them. */
    snapshot: snapshotSchema.optional(),
    flows: z.record(z.string(), flowRecordSchema),
    /** Earlier runs of this migration, oldest first; the current run is `flows` + `snapshot`. */
    history: z.array(closedRunSchema).optional(),
    /** sha256 over the canonical JSON of everything else: detects truncation and hand edits. */
    checksum: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  })
  .strict();
export type State = z.infer<typeof stateSchema>;
export type UnsealedState = Omit<State, 'checksum'>;

/** Canonical JSON: keys sorted, so the checksum does not depend on insertion order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function checksumOf(state: UnsealedState): string {
  return `sha256:${createHash('sha256').update(canonical(state)).digest('hex')}`;
}

export function newState(target: Target, now = new Date()): UnsealedState {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    toolVersion: TOOL_VERSION,
    lineage: randomUUID(),
    serial: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    target,
    flows: {},
  };
}

/** The number of the current run (1 for the first), as status and messages show it. */
export function runNumber(state: Pick<UnsealedState, 'history'>): number {
  return (state.history?.length ?? 0) + 1;
}

/**
 * Ends the current run: its flows and snapshot move to the history, so the next run of any flow
 * starts with nothing recorded and takes its own snapshot. Nothing is deleted.
 */
export function closeRun(state: UnsealedState, outcome: string, now = new Date()): void {
  const closed: ClosedRun = { closedAt: now.toISOString(), outcome, flows: state.flows };
  if (state.snapshot) closed.snapshot = state.snapshot;
  state.history = [...(state.history ?? []), closed];
  state.flows = {};
  delete state.snapshot;
}

/**
 * Where checkpoints live. Three functions, like umzug's storage: read what is there,
 * write a new version, and say where it is (for messages).
 */
export interface CheckpointStore {
  load(): Promise<State | undefined>;
  save(state: UnsealedState): Promise<State>;
  describe(): string;
}

/** Parses and checks a state file's text; every failure names the file and what to do. */
export function parseState(text: string, path: string): State {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UserError(`state file ${path} is corrupt or truncated (not valid JSON); it was left untouched`, {
      hint: `Inspect it; the previous version is ${path}.bak. Restore that copy if this one is damaged.`,
    });
  }
  const parsed = stateSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    throw new UserError(`state file ${path} is not a valid migrate state (${issues}); it was left untouched`, {
      hint: `It may belong to another tool version or have been edited. The previous version is ${path}.bak.`,
    });
  }
  const { checksum, ...rest } = parsed.data;
  if (checksumOf(rest) !== checksum) {
    throw new UserError(`state file ${path} does not match its checksum: it was edited or damaged; it was left untouched`, {
      hint: `Do not edit the state file by hand. Restore ${path}.bak if this copy is damaged.`,
    });
  }
  return parsed.data;
}

/** The checkpoint file: atomic replace (temp, fsync, rename), previous version kept as .bak, mode 0600. */
export class FileCheckpointStore implements CheckpointStore {
  constructor(readonly path: string) {}

  describe(): string {
    return this.path;
  }

  async load(): Promise<State | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new UserError(`cannot read state file ${this.path}: ${(err as Error).message}`);
    }
    return parseState(text, this.path);
  }

  async save(state: UnsealedState): Promise<State> {
    const current = await this.load();
    if (current && (current.lineage !== state.lineage || current.serial !== state.serial)) {
      throw new UserError(`state file ${this.path} changed under this run (serial ${current.serial}, expected ${state.serial}); refusing to overwrite`, {
        hint: 'Another migrate process may have run despite the lock. Re-run to re-read the state.',
      });
    }
    const next: UnsealedState = { ...state, serial: state.serial + 1, updatedAt: new Date().toISOString(), toolVersion: TOOL_VERSION };
    const sealed: State = { ...next, checksum: checksumOf(next) };
    const text = `${JSON.stringify(sealed, null, 2)}\n`;
    // Defence in depth: steps only record non-secret outputs, but a mistake must not reach disk.
    if (containsSecret(text)) {
      throw new Error('internal error: a secret value was about to be written to the state file; nothing was written');
    }
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    if (current) await copyFile(this.path, `${this.path}.bak`);
    await writeFileAtomic(this.path, text, { mode: 0o600, fsync: true });
    return sealed;
  }
}

/** Holds state in memory: for --dry-run (nothing may be written) and for tests. */
export class MemoryCheckpointStore implements CheckpointStore {
  private state: State | undefined;
  writes = 0;
  constructor(initial?: State) {
    this.state = initial;
  }
  describe(): string {
    return '(memory)';
  }
  async load(): Promise<State | undefined> {
    return this.state ? structuredClone(this.state) : undefined;
  }
  async save(state: UnsealedState): Promise<State> {
    const next: UnsealedState = { ...state, serial: state.serial + 1, updatedAt: new Date().toISOString() };
    this.state = { ...structuredClone(next), checksum: checksumOf(next) };
    this.writes += 1;
    return structuredClone(this.state);
  }
}
