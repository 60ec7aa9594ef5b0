import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The audit trail of API calls: one entry per HTTP attempt (a retried call gives several).
 * Deliberately thin: no bodies, no headers, no query strings — those are where secrets,
 * tokens and personal data live. `path` is the request path with any query removed.
 */
export interface AuditEntry {
  time: string;
  system: string;
  method: string;
  path: string;
  /** HTTP status, or 0 when no response arrived (network error, timeout). */
  status: number;
  durationMs: number;
  /** 1 for the first try, 2 for the first retry, … */
  attempt: number;
}

export type AuditSink = (entry: AuditEntry) => void;

/**
 * Appends one JSON line per call to `path` (created with mode 0600, parent folders made).
 * Synchronous appends keep lines whole and in order even if the process stops mid-run;
 * the volume (a few thousand calls at most, rate-limited) makes that cheap.
 */
export function createJsonlAudit(path: string): AuditSink {
  mkdirSync(dirname(path), { recursive: true });
  return (entry) => {
    const line: AuditEntry = {
      time: entry.time,
      system: entry.system,
      method: entry.method,
      path: stripQuery(entry.path),
      status: entry.status,
      durationMs: entry.durationMs,
      attempt: entry.attempt,
    };
    appendFileSync(path, JSON.stringify(line) + '\n', { encoding: 'utf8', mode: 0o600 });
  };
}

export function stripQuery(path: string): string {
  const i = path.search(/[?#]/);
  return i === -1 ? path : path.slice(0, i);
}
