import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { UserError } from './errors.js';
import { containsSecret } from './redact.js';

/**
 * A run's artefact kept beside the state file (a snapshot too large, or too personal, for the
 * checkpoint): written atomically (temp, fsync, rename), mode 0600, its SHA-256 returned for the
 * checkpoint to hold; read back only when the file still has that hash. Product-neutral: the
 * caller chooses the name and the JSON it holds.
 */
export interface SideFileRef {
  file: string;
  sha256: string;
  bytes: number;
}

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

export async function writeSideFile(file: string, data: unknown): Promise<SideFileRef> {
  const text = `${JSON.stringify(data)}\n`;
  // Defence in depth, as for the state file: a registered secret must never reach disk.
  if (containsSecret(text)) throw new Error(`internal error: a secret value was about to be written to ${file}; nothing was written`);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, text, { mode: 0o600, fsync: true });
  return { file, sha256: sha256(text), bytes: Buffer.byteLength(text) };
}

/** The hash of the file as it is now, or undefined when it does not exist. */
export async function sideFileHash(file: string): Promise<string | undefined> {
  try {
    return sha256(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Reads a side file the checkpoint recorded; a missing or changed file is refused, naming it. */
export async function readSideFile(ref: Pick<SideFileRef, 'file' | 'sha256'>): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(ref.file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${ref.file}, which the state file records: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: 'It is kept beside the state file; restore it from a backup of that directory. Nothing was changed.',
    });
  }
  if (sha256(text) !== ref.sha256) {
    throw new UserError(`${ref.file} does not match the hash the state file records (${ref.sha256}): it was edited or damaged`, {
      hint: 'Do not edit it; restore the original from a backup of the state directory. Nothing was changed.',
    });
  }
  return JSON.parse(text) as unknown;
}
