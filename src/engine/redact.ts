/**
 * Every secret value the process learns (from an environment variable, a file, a prompt or
 * the scripted operator) is registered here, so that output, error messages, reports and the
 * checkpoint can be scrubbed — and the checkpoint can refuse to write anything that contains one.
 */
const secrets = new Set<string>();

/** Secrets shorter than this are not scrubbed (they would mangle ordinary words); none of ours are. */
const MIN_SECRET_LENGTH = 4;

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

export function forgetSecrets(): void {
  secrets.clear();
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    if (out.includes(s)) out = out.split(s).join('[REDACTED]');
  }
  return out;
}

/** True when `text` contains any registered secret. */
export function containsSecret(text: string): boolean {
  for (const s of secrets) if (text.includes(s)) return true;
  return false;
}
