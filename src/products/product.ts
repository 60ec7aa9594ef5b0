import type { z } from 'zod';
import type { CheckpointStore, State, Target } from '../engine/checkpoint.js';
import type { ScimClient } from '../clients/scim.js';
import type { Config } from '../config/schema.js';
import type { ParityRun } from '../flows/parity-check.js';
import type { ReportRun } from '../parity/report-schema.js';
import type { RunResult } from '../engine/runner.js';
import type { Flow } from '../engine/step.js';
import type { ClientDeps, MigrationContext, ScimCredentials } from '../flows/context.js';
import type { IdpProvisioner } from '../idps/provisioner.js';
import type { Output } from '../ui/output.js';
import type { Prompter } from '../ui/prompts.js';

/**
 * A product `migrate` works on (ZIA, ZPA, Druva inSync): a configuration section, the tenant a
 * state file belongs to, the commands it offers, and how one of them builds its context and flow.
 * The engine (src/engine) runs any product's flows; src/cli/run-flow.ts is the one run path.
 *
 * The registry (src/products/index.ts) holds one light module per product: its schema and a few
 * pure functions. `run` imports the product's flows and clients only when a command runs.
 */
export interface ProductModule<K extends string = string, S extends z.ZodType = z.ZodType> {
  /** `product:` in the configuration, and the name of the product's own configuration section. */
  kind: K;
  /** The product's name in sentences: "ZIA", "ZPA", "Druva inSync". */
  label: string;
  /** The product's configuration section (`zia:`, `zpa:`, `insync:`). */
  configSchema: S;
  /**
   * The configuration's other top-level keys, for a product with a configuration of its own (inSync:
   * `operator`, `auditLog`). Absent: the directory migration's keys (`idp`, `directory`, `scim`,
   * `parity`, `guards`, `operator`, `auditLog`; src/config/schema.ts), as ZIA and ZPA have.
   */
  configKeys?: z.ZodRawShape;
  /**
   * The tenant a state file belongs to (checked on every run, so a state file is never replayed
   * against another tenant). Read from the product's own section only: no system is contacted.
   */
  targetOf(section: z.output<S>): Target;
  /** What a person types to approve a plan at the terminal: a value of the section that names the tenant. */
  confirmWith(section: z.output<S>): { name: string; value: string };
  /** The commands (`migrate <name>`) this product runs; the first is its forward change, and each is a flow. */
  commands: readonly [string, ...string[]];
  /** `migrate status`: where the state file says the tenant is, in one sentence (absent: the directory migration's). */
  statusSentence?(state: State, run: number): string;
  /** `migrate status`: what this product adds after that sentence (ZPA: when its soak gate opens). Reads only the state file. */
  statusNotes?(state: State, now: number): StatusNotes;
  /**
   * `migrate <command> --help`: the command's steps for this product, in the vendor's words, one paragraph
   * per command this product runs (src/cli/commands/steps-help.ts prints every product's).
   */
  stepsHelp: Readonly<Record<string, string>>;
  /** Builds `migrate <command>` for this configuration: its flow, its context and how the run path reports it. */
  run(command: string, config: unknown, setup: RunSetup): Promise<ProductRun>;
}

/** Lines for people (`attention`: shown highlighted) and fields for `--json`. */
export interface StatusNotes {
  lines: { text: string; attention: boolean }[];
  json: Record<string, unknown>;
}

/** What the command line gives every run (src/cli/build-context.ts builds it). */
export interface CommandSurroundings {
  opts: { dryRun: boolean; auditLog?: string | undefined };
  out: Output;
  prompter: Prompter;
  store: CheckpointStore;
  statePath: string;
}

/** What a command gives a product to build its run. */
export interface RunSetup {
  cli: CommandSurroundings;
  /** The command's own flags as parsed (`--to`, `--attest`, `--accept-pending-changes`, …); a product reads the ones it knows. */
  flags: Readonly<Record<string, unknown>>;
  /** Where secret references (`…Env`) are read; default process.env (the demo passes the sandbox's). */
  env?: NodeJS.ProcessEnv;
  /** The rehearsal in this process (`migrate demo`): the sandbox's rate limits apply, not the clients' own. */
  rehearsal?: boolean;
}

/** The minimum the run path needs of a product's context. */
export interface ProductContext {
  close(): Promise<void>;
}

/** One command of one product, ready for src/cli/run-flow.ts: lock, checkpoint, dry-run, saved plans, audit, exit codes. */
export interface ProductRun<C extends ProductContext = ProductContext> {
  flow: Flow<C>;
  /** The command line that runs this flow again (saved plans and runbooks quote it). */
  command: string;
  /** The flow that undoes this one (the runbook's rollback section), if there is one. */
  reverse?: { command: string; flow: Flow<C> };
  /** A context for the flow: read-only for a dry-run and for the plan a person approves. */
  context(readOnly: boolean): C;
  /** What the state file tells a context before it plans or runs (ZIA: SCIM facts; inSync: the run number). */
  resume(ctx: C, state: State | undefined): void;
  /** A saved plan's configuration digest, what it covers, and the settings a runbook lists. */
  planIdentity: { digest: string; covers: string; settings: { key: string; value: string }[] };
  /**
   * The flow's verification once a run ends or stops (ZIA: parity; inSync: the before/after report):
   * `text` is printed, `json` joins the --json document, `keep` writes a failed one for the change ticket.
   * Cleared before each run, so only this flow's verification is reported.
   */
  verification(ctx: C): { text?: string; json: Record<string, unknown>; keep?(): Promise<string> } | undefined;
  clearVerification(ctx: C): void;
  /** What is printed after "<flow>: complete." (the next steps). */
  finish(result: RunResult, out: Output): void;
}

/** The flows a directory→SCIM product offers (ZIA, ZPA), by their ids (stored in state files: never rename one). */
export interface ProductFlows {
  'ad-to-scim': Flow<MigrationContext>;
  rollback: Flow<MigrationContext>;
}

/**
 * A product migrated from directory sync to SCIM provisioning pushed by an IdP (ZIA, ZPA): its
 * flows are built for the configured IdP's provisioner, and they share one context (MigrationContext)
 * and one configuration (src/config/schema.ts). `defineProduct` gives it the shared run (src/products/scim-run.ts).
 */
export interface ScimProductSpec<K extends string = string, S extends z.ZodType = z.ZodType> {
  kind: K;
  label: string;
  configSchema: S;
  targetOf(section: z.output<S>): Target;
  confirmWith(section: z.output<S>): { name: string; value: string };
  /**
   * The forward step whose output `baseUrl` is the SCIM endpoint the IdP is given (ZIA's Base URL,
   * ZPA's SCIM Service Provider Endpoint). Stored in state files: never rename it.
   */
  scimEndpointStep: string;
  statusNotes?(state: State, now: number): StatusNotes;
  /** `--help` of ad-to-scim and rollback: their steps for this product (ProductModule.stepsHelp). */
  stepsHelp: { 'ad-to-scim': string; rollback: string };
  /** The product's flows with this IdP's steps, imported when a flow runs (not when the configuration is read). */
  flows(idp: IdpProvisioner): Promise<ProductFlows>;
}

/**
 * What the shared directory→SCIM code (src/flows, src/idps, `migrate verify`) asks of the configured
 * product while it runs: its SCIM token and service, its parity, its words. One per product, registered
 * in src/products/scim-sides.ts; loaded with the flows, not with the configuration.
 */
export interface ScimProductSide {
  /**
   * The SCIM endpoint and token for this run: held in memory, or from the configuration and accepted, or
   * from the operator (the product's console task). Never from the checkpoint. `regenerate`: the token
   * in hand is not enough (a new one is wanted); `knownBaseUrl`: the endpoint this run recorded.
   */
  obtainCredentials(ctx: MigrationContext, why: string, regenerate: boolean, knownBaseUrl?: string): Promise<ScimCredentials>;
  /** The product's SCIM service behind the interface the IdP plug-ins and parity read (one per endpoint and token per run). */
  scimClient(creds: ScimCredentials, deps: ClientDeps & { pageSize?: number | undefined }): ScimClient;
  /** Which token an IdP's console is given, in an operator's words (the IdP plug-ins' instructions). */
  tokenDescription(config: Config): string;
  /** The tenant named at the top of every parity report (the IdP kind is added by the caller). */
  reportTenant(config: Config): Omit<ReportRun['tenant'], 'idp'>;
  /** Parity of the directory against the product's stores; `scim` absent: without the SCIM service. */
  parity(ctx: MigrationContext, opts: { scim?: ScimCredentials }): Promise<ParityRun>;
  /**
   * `migrate verify`: the SCIM credentials from configuration and state file (a person at a terminal may
   * be asked), or undefined where the product's parity reads without them. Never waits for an operator.
   */
  verifyCredentials(ctx: MigrationContext, cli: VerifySurroundings): Promise<ScimCredentials | undefined>;
}

/** What `migrate verify` gives a product to find its SCIM credentials. */
export interface VerifySurroundings {
  out: Output;
  prompter: Prompter;
  store: CheckpointStore;
  /** `--yes`: no prompts even at a terminal. */
  yes: boolean;
}

export type ScimProductModule<K extends string = string, S extends z.ZodType = z.ZodType> = ProductModule<K, S> &
  Pick<ScimProductSpec<K, S>, 'scimEndpointStep' | 'flows'> & { family: 'directory-to-scim' };

/** A directory→SCIM product (ZIA, ZPA): its spec plus the shared commands and run. */
export function defineProduct<K extends string, S extends z.ZodType>(spec: ScimProductSpec<K, S>): ScimProductModule<K, S> {
  return {
    ...spec,
    family: 'directory-to-scim',
    commands: ['ad-to-scim', 'rollback'],
    async run(command, config, setup) {
      const { scimProductRun } = await import('./scim-run.js');
      return scimProductRun(command, config, setup) as unknown as Promise<ProductRun>;
    },
  };
}

/** A product with its own configuration, context and flows (inSync). */
export function defineOwnProduct<K extends string, S extends z.ZodType>(m: ProductModule<K, S> & { configKeys: z.ZodRawShape }): ProductModule<K, S> {
  return m;
}

/** The host of a configured API URL, for a tenant identity when no cloud name is given. */
export function hostOf(url: string | undefined): string {
  try {
    return new URL(url ?? 'http://unknown').host;
  } catch {
    return 'unknown';
  }
}
