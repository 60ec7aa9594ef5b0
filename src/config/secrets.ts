import { readFileSync, statSync } from 'node:fs';
import { UserError } from '../engine/errors.js';
import { registerSecret } from '../engine/redact.js';

/**
 * Resolves a secret reference (`<name>Env` or `<name>File`) to its value, in memory only.
 * The value is registered for redaction at once. Errors name the reference, never the value.
 */
export function resolveSecret(section: Record<string, unknown>, name: string, where: string, env: NodeJS.ProcessEnv = process.env): string {
  const envName = section[`${name}Env`];
  const fileName = section[`${name}File`];
  if (typeof envName === 'string') {
    const value = env[envName];
    if (value === undefined || value === '') {
      throw new UserError(`${where}.${name}Env names the environment variable ${envName}, which is not set`, {
        hint: `Export ${envName} in the shell that runs migrate (or use ${name}File).`,
      });
    }
    registerSecret(value);
    return value;
  }
  if (typeof fileName === 'string') {
    let value: string;
    try {
      value = readFileSync(fileName, 'utf8').trim();
    } catch (err) {
      throw new UserError(`${where}.${name}File: cannot read ${fileName}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        hint: 'Check the path and that this user can read it.',
      });
    }
    if (value === '') throw new UserError(`${where}.${name}File: ${fileName} is empty`);
    const loose = secretFilePermissionWarning(fileName);
    if (loose) process.stderr.write(`migrate: warning: ${where}.${name}File: ${loose}\n`);
    registerSecret(value);
    return value;
  }
  throw new UserError(`${where}: no ${name} given`, { hint: `Set ${where}.${name}Env or ${where}.${name}File.` });
}

/** Same, but undefined when neither reference is present. */
export function resolveOptionalSecret(section: Record<string, unknown>, name: string, where: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (section[`${name}Env`] === undefined && section[`${name}File`] === undefined) return undefined;
  return resolveSecret(section, name, where, env);
}

/** Warns (returns a message) when a secret file can be read by group or others. */
export function secretFilePermissionWarning(path: string): string | undefined {
  try {
    const mode = statSync(path).mode & 0o077;
    return mode === 0 ? undefined : `${path} is readable by other users (mode ${(statSync(path).mode & 0o777).toString(8)}); chmod 600 it`;
  } catch {
    return undefined;
  }
}
