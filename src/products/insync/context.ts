import { resolveSecret } from '../../config/secrets.js';
import type { Target } from '../../engine/checkpoint.js';
import type { Operator, OperatorTask } from '../../engine/operator.js';
import { createJsonlAudit, type AuditSink } from '../../clients/audit.js';
import { createInsyncClient, type InsyncClient } from '../../clients/insync.js';
import type { Output } from '../../ui/output.js';
import { insyncEndpoints, insyncTargetOf, type InsyncConfig } from './config.js';
import type { SwitchReport } from './report.js';

/** The two user provisioning methods of inSync (docs/vendor-facts.md D17), as the console names them. */
export type Method = 'SCIM' | 'Azure AD';

/**
 * Console-only tasks of the switch (D16): the scripted operator's `switch` on `action` must handle
 * each of them or fail to compile.
 */
export type InsyncAction =
  /** Users → Deployment → ⋮ → Change User Deployment method → <to>, "Keep existing … mappings" as configured → Save → Confirm. */
  | { action: 'insync.switchMethod'; from: Method; to: Method; keepExistingMappings: boolean }
  /** Azure AD: Microsoft 365 consent, then Create Azure AD mapping. SCIM: New Token into the IdP, then a SCIM mapping. */
  | { action: 'insync.createMapping'; method: Method; name: string; profileID: number; storageID: number }
  /** Users: every existing user shows Manual provisioning mode (no API field says so, D15). */
  | { action: 'insync.attestManualMode'; users: number };
export type InsyncTask = OperatorTask<InsyncAction>;
export type InsyncOperator = Operator<InsyncAction>;

/**
 * What the inSync flows' steps use: the read-only inSync client, the operator, where the state
 * lives (the snapshot is kept beside it), and the tenant's clock. No ZIA in it.
 */
export interface InsyncContext {
  config: InsyncConfig;
  readOnly: boolean;
  out: Output;
  operator: InsyncOperator;
  insync(): InsyncClient;
  /** The directory of the state file: the snapshot side file is written there. */
  stateDir: string;
  /** The run number the checkpoint is at (1 for the first), so each run keeps its own snapshot file. */
  runNumber: number;
  /** The tenant's time in ms (the sandbox's clock in a rehearsal, this machine's otherwise). */
  now(): Promise<number>;
  /** Waits between two looks of a step that polls (a rehearsal moves the sandbox clock instead). */
  pause(): Promise<void>;
  /** Where the before/after report is written (not during a dry-run). */
  reportDir: string | undefined;
  /**
   * Operator steps the person running an unattended rerun (`--attest`) says are done in the
   * console: recorded as attested without asking (a terminal asks instead).
   */
  attested: ReadonlySet<string>;
  /** The last before/after report of this run, for the command to print. */
  lastReport?: SwitchReport;
  close(): Promise<void>;
}

export function insyncTarget(config: InsyncConfig): Target {
  return insyncTargetOf(config.insync);
}

export interface InsyncContextOptions {
  config: InsyncConfig;
  readOnly: boolean;
  out: Output;
  operator: InsyncOperator;
  stateDir: string;
  auditLog?: string;
  env?: NodeJS.ProcessEnv;
  reportDir?: string;
  /** The tenant's clock and the wait between looks; default: this machine's clock, and sleeping `pollIntervalMs`. */
  clock?: { now(): Promise<number>; pause(): Promise<void> };
  pollIntervalMs?: number;
  attested?: Iterable<string>;
}

export function createInsyncContext(opts: InsyncContextOptions): InsyncContext {
  const { config, readOnly } = opts;
  const env = opts.env ?? process.env;
  const auditPath = opts.auditLog ?? config.auditLog;
  // An audit log is a write: a dry-run keeps it off.
  const audit: AuditSink | undefined = auditPath && !readOnly ? createJsonlAudit(auditPath) : undefined;
  // A look reads every device and last backup: every 15 minutes (insync.pollSeconds) is plenty against a schedule of hours.
  const interval = opts.pollIntervalMs ?? config.insync.pollSeconds * 1000;
  let client: InsyncClient | undefined;
  return {
    config,
    readOnly,
    out: opts.out,
    operator: opts.operator,
    stateDir: opts.stateDir,
    runNumber: 1,
    reportDir: readOnly ? undefined : opts.reportDir,
    attested: new Set(opts.attested ?? []),
    insync() {
      client ??= createInsyncClient({
        ...insyncEndpoints(config.insync),
        clientId: config.insync.clientId,
        secretKey: resolveSecret(config.insync, 'secretKey', 'insync', env),
        readOnly,
        audit,
      });
      return client;
    },
    now: opts.clock ? () => opts.clock!.now() : async () => Date.now(),
    pause: opts.clock ? () => opts.clock!.pause() : () => new Promise((r) => setTimeout(r, interval)),
    async close() {
      // The client holds no session to end: its token simply expires (D3).
    },
  };
}
