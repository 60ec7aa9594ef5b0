import type { z } from 'zod';
import type { JsonValue } from '../engine/json.js';
import type { PreflightCheck, Step, StepRun } from '../engine/step.js';
import type { Config } from '../config/schema.js';
import type { MigrationContext } from '../flows/context.js';
import type { DeprovisionForecast } from '../flows/steps/deprovision.js';
import type { IdpKind } from './actions.js';
import { productModule } from '../products/index.js';

export type { IdpKind } from './actions.js';

/**
 * The IdP side of a migration, as both flows use it, whatever the IdP. Each capability is a Step:
 * `kind: 'automated'` when the IdP's API does it, `kind: 'operator'` when a person (or the
 * sandbox's scripted operator) does it from the step's instructions (`ctx.operator.perform` with
 * an `idp.*` action of src/idps/actions.ts), verified by observation either way: through the IdP's
 * API where it has one, through the SCIM service (src/idps/scim-side.ts) where it has not.
 *
 * A provisioner is a constant: it reads its configuration (`configOf(ctx, kind)`) and its clients
 * (`ctx.client(key, make)`, created once per run) from the context its steps are given.
 */
export interface IdpProvisioner {
  kind: IdpKind;
  /** The IdP's name in sentences: "Entra ID", "Okta", "your IdP". */
  label: string;
  /** Read-only checks added to the forward preflight (the IdP's API reachable, its permissions). */
  preflight: PreflightCheck<MigrationContext>[];
  /**
   * What rollback must know of the IdP before the first write, merged into the checkpoint snapshot
   * (keys prefixed with the kind, e.g. `entraJob`). Read-only; `{}` when there is nothing to read.
   */
  snapshot(ctx: MigrationContext): Promise<Record<string, JsonValue>>;
  /** The steps, in the order the flows run them. Step ids are stored in state files: never rename one. */
  steps: IdpSteps;
  /**
   * For the starting-point check: a sentence when the IdP is already pushing to SCIM (a running job,
   * an active connection), undefined when it is not or cannot tell. Read-only.
   */
  provisioningNow(ctx: MigrationContext): Promise<string | undefined>;
  /**
   * Rollback's evidence that SCIM is still on: the IdP's own Test Connection with its saved token
   * succeeding ('on'), or why it cannot tell. Never writes during a dry-run (`ctx.readOnly`).
   */
  testConnection(run: StepRun<MigrationContext>): Promise<{ is: 'on' | 'unknown'; detail: string }>;
  /**
   * When parity fails: sentences (leading space) on users the IdP holds but did not push, and why
   * (its quarantine, error and provisioning logs); '' when it has nothing to say. Never throws.
   */
  explainMissing(run: StepRun<MigrationContext>): Promise<string>;
  /**
   * Optional (issue 17, part 1b): the group displayNames and department values this IdP would push, for
   * the groups forecast before the flip; without it the forecast says "not forecast" and the
   * check after the initial cycle decides. Read-only.
   */
  groupsInScope?(ctx: MigrationContext): Promise<IdpGroupsInScope>;
  /**
   * Optional: the IdP's own stop on mass deprovisioning, stated by the deprovision guard beside the
   * tool's forecast. `guide` is static (the runbook; never reads a system); `describe` is read-only and
   * says, in a clause, what the IdP will do with this forecast. `describe` never throws.
   */
  deprovisionStop?: {
    guide(ctx: MigrationContext): string;
    describe(ctx: MigrationContext, forecast: DeprovisionForecast): Promise<string>;
  };
}

/** What an IdP would push for groups and departments, or why it cannot be forecast (an expression mapping). */
export interface IdpGroupsInScope {
  groups: { names: string[] } | { cannotForecast: string };
  departments: { values: string[] } | { cannotForecast: string };
}

export interface IdpSteps {
  /**
   * Forward, optional, after the AD sync and before "Disable Directory Sync & Enable SCIM Provisioning":
   * read-only forecasts that can block the flip (what the IdP would send compared with what ZIA holds).
   */
  beforeFlip?: Step<MigrationContext>[];
  /**
   * Forward, after ZIA's SCIM is enabled and activated: "Give the IdP the SCIM Base URL and token",
   * with the scope (assigned users and groups only) and Test Connection. The Base URL is
   * `recordedScimEndpoint(run)` (the product's step that enabled SCIM); the token comes from `obtainScimCredentials`.
   */
  setCredentials: Step<MigrationContext>;
  /** Forward, optional, after the deprovision guard and before Start: IdP safety settings, pilot users. */
  beforeStart?: Step<MigrationContext>[];
  /** Forward, after the deprovision guard: "Start provisioning". */
  start: Step<MigrationContext>;
  /** Forward: "Wait for the initial provisioning cycle": progress, completion, quarantine and errors. */
  initialCycle: Step<MigrationContext>;
  /** Forward, optional, after the initial cycle and before parity: IdP-specific checks and guided remedies. */
  beforeParity?: Step<MigrationContext>[];
  /** Rollback, first: "Pause provisioning" (never unassign: out-of-scope users are disabled in ZIA). */
  pause: Step<MigrationContext>;
  /** Rollback, optional, after ZIA is restored: put the IdP's own settings back from the snapshot. */
  restore?: Step<MigrationContext>;
}

/** What the registry (src/idps/index.ts) holds per IdP: light, so the configuration schema can import it. */
export interface IdpModule<K extends IdpKind = IdpKind, S extends z.ZodObject = z.ZodObject> {
  kind: K;
  label: string;
  /** The `idp` section when `kind` is this IdP: a strict z.object with `kind: z.literal(K)`. */
  configSchema: S;
  /** The provisioner, imported when a flow runs (not when the configuration is read). */
  load(): Promise<IdpProvisioner>;
}

export function defineIdp<K extends IdpKind, S extends z.ZodObject>(m: IdpModule<K, S>): IdpModule<K, S> {
  return m;
}

/** The `idp` section of the configuration, narrowed to this provisioner's kind (a mismatch is a wiring bug). */
export function configOf<K extends IdpKind>(ctx: MigrationContext, kind: K): Extract<Config['idp'], { kind: K }> {
  const idp = ctx.config.idp;
  if (idp.kind !== kind) throw new Error(`the ${kind} provisioner was given a configuration for idp.kind ${idp.kind}`);
  return idp as Extract<Config['idp'], { kind: K }>;
}

/**
 * The SCIM endpoint this run recorded for the IdP: the `baseUrl` output of the configured product's
 * step that enabled SCIM (ZIA: enable-scim-on-idp; src/products/). Not a secret; undefined before that step.
 */
export function recordedScimEndpoint(run: StepRun<MigrationContext>): JsonValue | undefined {
  return run.outputsOf(productModule(run.ctx.config.product).scimEndpointStep)?.baseUrl;
}
