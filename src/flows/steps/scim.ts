import { OperatorNeeded, UserError } from '../../engine/errors.js';
import type { OperatorInput } from '../../engine/operator.js';
import { registerSecret } from '../../engine/redact.js';
import type { Step } from '../../engine/step.js';
import { ScimProbeError } from '../../clients/scim.js';
import type { MigrationContext, ScimCredentials } from '../context.js';
import { ziaOf } from '../../products/zia/config.js';
import { scimSideOf } from '../../products/scim-sides.js';

/**
 * The IdP side of ZIA: Edit IdP → Enable SCIM Provisioning, copy Base URL and Bearer Token,
 * disable SAML auto-provisioning. ZIA has no public API for any of it (docs/vendor-facts.md F13),
 * so this is an operator step, verified by calling the SCIM endpoint with what was pasted.
 */

/**
 * The new-format Base URL is https://scim.<cloud>/<orgId>/<idpId>/scim (https://help.zscaler.com/zia/configuring-scim,
 * docs/vendor-facts.md F15); the deprecated
 * one lacks the IdP id. Returns an error sentence, or true.
 */
export function checkBaseUrl(value: string, orgId: string): true | string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return 'not a URL: paste the Base URL exactly as Edit IdP shows it';
  }
  if (url.protocol !== 'https:' && url.hostname !== '127.0.0.1' && url.hostname !== 'localhost') {
    return 'the Base URL must be https://';
  }
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts.length < 3 || parts[parts.length - 1] !== 'scim') {
    return 'expected the new format https://scim.<cloud>/<orgId>/<idpId>/scim; the "(Deprecated)" URL without the IdP id will be removed by Zscaler';
  }
  if (parts[parts.length - 3] !== orgId) {
    return `the Base URL names organization ${parts[parts.length - 3]}, but the configuration's zia.orgId is ${orgId}`;
  }
  return true;
}

function scimInputs(ctx: MigrationContext): OperatorInput[] {
  return [
    {
      name: 'baseUrl',
      label: 'Base URL (from Edit IdP > Provisioning Options)',
      secret: false,
      unattended: 'scim.baseUrl in the configuration',
      validate: (v) => checkBaseUrl(v, ziaOf(ctx.config).orgId),
    },
    { name: 'token', label: 'Bearer Token', secret: true, unattended: 'scim.tokenEnv (an environment variable) or scim.tokenFile' },
  ];
}

/**
 * Checks a Base URL and token against the SCIM endpoint. Returns true (and marks the credentials
 * accepted for this run), or what was wrong when the endpoint gave a definite answer (not a SCIM
 * endpoint; token refused). A 5xx, a reset or a timeout is no answer: it is thrown, never turned
 * into advice to copy the token again.
 */
export async function checkScimCredentials(
  ctx: MigrationContext,
  creds: ScimCredentials,
  opts: { activatePendingIdpEdit?: boolean } = {},
): Promise<true | string> {
  const urlCheck = checkBaseUrl(creds.baseUrl, ziaOf(ctx.config).orgId);
  if (urlCheck !== true) return `SCIM Base URL ${creds.baseUrl}: ${urlCheck}`;
  if (!creds.token) return 'no SCIM Bearer Token was given';
  try {
    await ctx.scim(creds).probe();
  } catch (err) {
    if (!(err instanceof ScimProbeError)) throw err;
    const verdict = `${err.message}. ${err.hint ?? ''}`.trim();
    if (err.reason !== 'token-refused' || !opts.activatePendingIdpEdit || ctx.readOnly) return verdict;
    // Whether ZIA honours an Edit IdP save before activation is unconfirmed (docs/vendor-facts.md,
    // variant idp-edit-pending): a token refused while changes are pending may be the save awaiting
    // activation. Preflight made sure the pending changes are this migration's (or accepted).
    const zia = ctx.zia();
    if ((await zia.getActivationStatus()) !== 'PENDING') return verdict;
    ctx.out.info(
      '  The SCIM endpoint refused the token while ZIA has changes pending activation: ZIA may keep the Edit IdP save pending until it is activated. Activating now, then checking the token again.',
    );
    await zia.activate();
    try {
      await ctx.scim(creds).probe();
    } catch (again) {
      if (!(again instanceof ScimProbeError)) throw again;
      return `${again.message}, also after activating ZIA's pending changes. ${again.hint ?? ''}`.trim();
    }
  }
  creds.accepted = true;
  return true;
}

/** The console task of Edit IdP → Enable SCIM Provisioning (asked at the step, and shown in a runbook). */
function enableScimInstructions(idp: string): string[] {
  return [
    'In the ZIA Admin Portal, go to Administration > Authentication Settings > Identity Providers.',
    `Click the Edit icon of the IdP "${idp}".`,
    'In Provisioning Options, click Enable SCIM Provisioning (if it is already enabled, leave it).',
    'Disable "Enable SAML Auto-Provisioning" (Zscaler recommends it when using SCIM).',
    'Copy the Base URL (the new format https://scim.<cloud>/<orgId>/<idpId>/scim) and the Bearer Token.',
    'Click Save. Do not activate: migrate activates in the next step, after it reports what is pending.',
  ];
}

/** Which token an IdP's console is given, in an operator's words (the product's: src/products/). */
export function scimTokenDescription(ctx: MigrationContext): string {
  return scimSideOf(ctx.config.product).tokenDescription(ctx.config);
}

/**
 * The SCIM credentials for this run, the configured product's way (ScimProductSide.obtainCredentials):
 * never from the checkpoint, so a resumed run asks again (or for a newly generated token).
 */
export function obtainScimCredentials(ctx: MigrationContext, why: string, regenerate: boolean, knownBaseUrl?: string): Promise<ScimCredentials> {
  return scimSideOf(ctx.config.product).obtainCredentials(ctx, why, regenerate, knownBaseUrl);
}

/**
 * ZIA's SCIM credentials for this run: already accepted in memory, or supplied by configuration and
 * accepted by the endpoint, or asked of the operator. They are never read from the checkpoint,
 * because they are never put there: a resumed run asks again (or for a newly generated token).
 * A person at a terminal is asked again when the endpoint refuses what was pasted; an unattended
 * run stops at the operator step (exit 3) with the instructions and what was wrong.
 */
export async function obtainZiaScimCredentials(ctx: MigrationContext, why: string, regenerate: boolean, knownBaseUrl?: string): Promise<ScimCredentials> {
  const configured = ctx.scimCredentials;
  if (configured?.accepted) return configured;
  let reason = why;
  if (configured) {
    registerSecret(configured.token);
    const verdict = await checkScimCredentials(ctx, configured, { activatePendingIdpEdit: true });
    if (verdict === true) return configured;
    ctx.scimCredentials = undefined;
    reason = `The SCIM credentials in the configuration (scim.baseUrl with scim.tokenEnv or scim.tokenFile) were refused: ${verdict}`;
  }
  const idp = ziaOf(ctx.config).idpName;
  // The Base URL is not secret and is recorded; only the token has to be typed again.
  const inputs = scimInputs(ctx).filter((i) => !(knownBaseUrl && i.name === 'baseUrl'));
  const credsFrom = (answers: Record<string, string>): ScimCredentials => ({
    baseUrl: (answers.baseUrl ?? knownBaseUrl ?? '').trim(),
    token: (answers.token ?? '').trim(),
  });
  let accepted: ScimCredentials | undefined;
  const answers = await ctx.operator.perform({
    ...(regenerate ? { action: 'zia.generateScimToken' as const, ...(knownBaseUrl ? { baseUrl: knownBaseUrl } : {}) } : { action: 'zia.enableScim' as const }),
    idpName: idp,
    title: regenerate ? `Provide the SCIM Bearer Token of IdP "${idp}" again` : `Enable SCIM provisioning on IdP "${idp}"`,
    instructions: [
      ...(reason ? [reason] : []),
      ...(regenerate
        ? [
            'In the ZIA Admin Portal, go to Administration > Authentication Settings > Identity Providers.',
            `Click the Edit icon of the IdP "${idp}". In Provisioning Options, copy the Base URL.`,
            'Copy the Bearer Token, or click Generate Token for a new one (the old token stops working; migrate configures the IdP with the new one).',
            'Click Save.',
          ]
        : enableScimInstructions(idp)),
    ],
    inputs,
    async accept(a) {
      const creds = credsFrom(a);
      // Every operator (a person at the prompt, the sandbox's scripted one) hands the token over
      // here: registered once, before anything could print it.
      if (creds.token) registerSecret(creds.token);
      const verdict = await checkScimCredentials(ctx, creds, { activatePendingIdpEdit: true });
      if (verdict === true) accepted = creds;
      return verdict;
    },
  });
  const creds = accepted ?? credsFrom(answers);
  if (!creds.accepted) {
    // An operator that does not call accept() (none today) still gets its answers checked.
    const verdict = await checkScimCredentials(ctx, creds, { activatePendingIdpEdit: true });
    if (verdict !== true) throw new UserError(verdict);
  }
  ctx.scimCredentials = creds;
  return creds;
}

/** Migration guide steps 5–6 and Configuring SCIM (docs/vendor-facts.md F16, F15): enable SCIM on the IdP; verified live against the SCIM endpoint. */
export function enableScimOnIdpStep(doc: string): Step<MigrationContext> {
  return {
    id: 'enable-scim-on-idp',
    title: 'Enable SCIM provisioning on the ZIA IdP and disable SAML auto-provisioning',
    doc,
    kind: 'operator',
    guide: (ctx) => ({
      instructions: [
        ...enableScimInstructions(ziaOf(ctx.config).idpName),
        'Give migrate the Base URL and the Bearer Token: at its prompt, or unattended as scim.baseUrl with scim.tokenEnv or scim.tokenFile (the token is never stored).',
      ],
      verifiedBy: 'a live request to the SCIM endpoint with that Base URL and token, the moment they are given (a refusal names the URL or the token)',
    }),
    async observe(run) {
      const { ctx } = run;
      if (ctx.scimCredentials) {
        // Only a definite answer decides; a server error stops the observation (and so the run).
        const verdict = await checkScimCredentials(ctx, ctx.scimCredentials);
        if (verdict === true) return { state: 'done', detail: `SCIM endpoint ${ctx.scimCredentials.baseUrl} accepts the token` };
        return { state: 'pending', detail: verdict, changes: ['operator: Edit IdP → Enable SCIM Provisioning, paste Base URL and Bearer Token'] };
      }
      const recorded = run.previous?.baseUrl;
      if (typeof recorded === 'string' && run.statusOf('activate-scim') === 'succeeded') {
        // The token is not kept between runs; once activation and the IdP configuration that
        // consumed it are recorded, later steps observe the result on the IdP side instead.
        return { state: 'done', detail: `SCIM enabled earlier with Base URL ${recorded} (the token is not kept between runs)` };
      }
      return {
        state: 'pending',
        detail: typeof recorded === 'string' ? 'the Bearer Token is needed again (it is never stored)' : 'SCIM provisioning not yet enabled by this migration',
        changes: ['operator: Edit IdP → Enable SCIM Provisioning, disable SAML auto-provisioning, paste Base URL and Bearer Token'],
      };
    },
    async apply(run) {
      const creds = await obtainScimCredentials(run.ctx, '', false);
      return { baseUrl: creds.baseUrl };
    },
    async verify(run) {
      const creds = run.ctx.scimCredentials;
      if (!creds) throw new OperatorNeeded('the SCIM credentials were not provided', 'Set scim.baseUrl and scim.tokenEnv, or run interactively.');
      await run.ctx.scim(creds).probe();
      return { state: 'done', detail: `SCIM endpoint ${creds.baseUrl} accepts the token` };
    },
  };
}
