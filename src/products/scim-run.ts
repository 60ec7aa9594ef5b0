import { dirname, join } from 'node:path';
import type { Config } from '../config/schema.js';
import { UserError } from '../engine/errors.js';
import { digestOf } from '../engine/saved-plan.js';
import { createSandboxPortalClient } from '../clients/sandbox-portal.js';
import { createSandboxZpaPortalClient } from '../clients/sandbox-zpa-portal.js';
import { createMigrationContext, type MigrationContext } from '../flows/context.js';
import { flowFor, type FlowName } from '../flows/for-config.js';
import type { MigrationOperator } from '../flows/operator-actions.js';
import { applyCheckpointFacts } from '../flows/resume.js';
import { SandboxOperator } from '../flows/sandbox-operator.js';
import { renderSummary } from '../parity/index.js';
import type { Output } from '../ui/output.js';
import { PersonOperator } from '../ui/person-operator.js';
import type { Prompter } from '../ui/prompts.js';
import { productModule } from './index.js';
import type { ProductRun, RunSetup } from './product.js';

/**
 * The run of a directory→SCIM product (ZIA, ZPA): `migrate ad-to-scim` and `migrate rollback` with
 * the configured IdP's steps, on a MigrationContext. src/cli/run-flow.ts drives it.
 */

export function operatorFor(config: Config, out: Output, prompter: Prompter, readOnly: boolean): MigrationOperator {
  return config.operator.kind === 'sandbox'
    ? new SandboxOperator(
        createSandboxPortalClient({ portalUrl: config.operator.portalUrl, readOnly }),
        out,
        config.operator.zpaPortalUrl ? createSandboxZpaPortalClient({ portalUrl: config.operator.zpaPortalUrl, readOnly }) : undefined,
      )
    : new PersonOperator(out, prompter);
}

/**
 * The configuration's digest, for a saved plan. A plain sha256 is enough and safe: the schema accepts
 * no inline secret, so the validated configuration holds secret references (…Env, …File), never a
 * secret's value. A rotated password therefore leaves a plan valid; pointing at another secret does not.
 * Left out: the SCIM Base URL and token reference (`scim.baseUrl`, `scim.tokenEnv`, `scim.tokenFile`).
 * They are the operator's answers to the Edit IdP step, known only once SCIM is enabled on the IdP
 * (an unattended run adds them after it stopped there, exit 3), and that step checks them live.
 */
const CONFIG_DIGEST_COVERS =
  "sha256 of the validated configuration (defaults applied; secret references only, never secret values), without scim.baseUrl, scim.tokenEnv and scim.tokenFile (the Edit IdP step's answers, checked live)";
function configDigest(config: Config): string {
  const { baseUrl: _url, tokenEnv: _env, tokenFile: _file, ...scim } = config.scim as Config['scim'] & { tokenEnv?: string; tokenFile?: string };
  return digestOf({ ...config, scim });
}

const REVERSE: Record<FlowName, FlowName> = { 'ad-to-scim': 'rollback', rollback: 'ad-to-scim' };

/** Read through a function: the compiler cannot see that the flow's steps set it. */
const lastParityOf = (ctx: MigrationContext) => ctx.lastParity;

export async function scimProductRun(command: string, raw: unknown, setup: RunSetup): Promise<ProductRun<MigrationContext>> {
  const config = raw as Config;
  const name = command as FlowName;
  const { cli, flags } = setup;
  if (flags.attest !== undefined) {
    throw new UserError(`--attest applies to a product: insync configuration only; ${productModule(config.product).label} steps are verified by observation`, {
      hint: 'Drop --attest.',
    });
  }
  const flow = await flowFor(name, config);
  const reverseFlow = await flowFor(REVERSE[name], config);
  const acceptPendingChanges = flags.acceptPendingChanges === true;
  return {
    flow,
    command: `migrate ${flow.id}`,
    reverse: { command: `migrate ${REVERSE[name]}`, flow: reverseFlow },
    context: (readOnly) =>
      createMigrationContext({
        config,
        readOnly,
        out: cli.out,
        operator: operatorFor(config, cli.out, cli.prompter, readOnly),
        acceptPendingChanges,
        ...(readOnly && !cli.opts.dryRun
          ? {} // the plan a person approves: observed only
          : {
              adoptObservedState: flags.adopt === true, // --adopt
              auditLog: cli.opts.auditLog,
              reportDir: join(dirname(cli.statePath), 'reports'),
            }),
        ...(setup.env ? { env: setup.env } : {}),
        // The sandbox enforces the vendors' rate limits multiplied by --speed and answers 429 with
        // Retry-After, which the clients honour; in a rehearsal their own limiter would only slow it.
        ...(setup.rehearsal ? { rateLimits: false } : {}),
        // The sandbox is a local simulation: its waits (Sync Now, the Entra cycle) end in moments, so
        // poll it as `migrate demo` does rather than every 5 s as a real tenant needs.
        ...(config.operator.kind === 'sandbox' && !(readOnly && !cli.opts.dryRun) ? { pollIntervalMs: 250 } : {}),
      }),
    resume: applyCheckpointFacts,
    planIdentity: {
      digest: configDigest(config),
      covers: CONFIG_DIGEST_COVERS,
      settings: Object.entries(config.guards).map(([k, v]) => ({ key: `guards.${k}`, value: String(v) })),
    },
    verification(ctx) {
      const verified = lastParityOf(ctx); // set by the flow's verification step, if it ran
      return {
        ...(verified ? { text: renderSummary(verified.report, { color: ctx.out.color.level > 0 }) } : {}),
        json: { parity: verified ? { ok: verified.ok, breaches: verified.breaches, summary: verified.report.summary } : undefined },
      };
    },
    clearVerification(ctx) {
      ctx.lastParity = undefined;
    },
    finish(_result, out) {
      for (const line of flow.closingAdvice ?? []) out.print(out.color.dim(`   · ${line}`));
    },
  };
}
