import { OperatorNeeded, UserError } from '../../engine/errors.js';
import type { OperatorInput } from '../../engine/operator.js';
import { registerSecret } from '../../engine/redact.js';
import type { Step } from '../../engine/step.js';
import type { MigrationContext, ScimCredentials } from '../context.js';

/**
 * The IdP side of ZIA: Edit IdP → Enable SCIM Provisioning, copy Base URL and Bearer Token,
 * disable SAML auto-provisioning. ZIA has no public API for any of it (zscaler-api.md §3),
 * so this is an operator step, verified by calling the SCIM endpoint with what was pasted.
 */

/**
 * The new-format Base URL is https://scim.<cloud>/<orgId>/<idpId>/scim (seed 001); the deprecated
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
      validate: (v) => checkBaseUrl(v, ctx.config.zia.orgId),
    },
    { name: 'token', label: 'Bearer Token', secret: true, unattended: 'scim.tokenEnv (an environment variable) or scim.tokenFile' },
  ];
}

/**
 * The SCIM credentials for this run: already in memory, or supplied by configuration, or asked
 * of the operator again. They are never read from the checkpoint, because they are never put there:
 * a resumed run asks again (or for a newly generated token).
 */
export async function obtainScimCredentials(
  ctx: MigrationContext,
  why: string,
  regenerate: boolean,
  knownBaseUrl?: string,
): Promise<ScimCredentials> {
  if (ctx.scimCredentials) return ctx.scimCredentials;
  const idp = ctx.config.zia.idpName;
  // The Base URL is not secret and is recorded; only the token has to be typed again.
  const inputs = scimInputs(ctx).filter((i) => !(knownBaseUrl && i.name === 'baseUrl'));
  const answers = await ctx.operator.perform({
    action: regenerate ? 'zia.generateScimToken' : 'zia.enableScim',
    title: regenerate ? `Provide the SCIM Bearer Token of IdP "${idp}" again` : `Enable SCIM provisioning on IdP "${idp}"`,
    params: knownBaseUrl ? { idpName: idp, baseUrl: knownBaseUrl } : { idpName: idp },
    instructions: regenerate
      ? [
          `${why}`,
          'In the ZIA Admin Portal, go to Administration > Authentication Settings > Identity Providers.',
          `Click the Edit icon of the IdP "${idp}". In Provisioning Options, copy the Base URL.`,
          'Copy the Bearer Token, or click Generate Token for a new one (the old token stops working; migrate configures the IdP with the new one).',
          'Click Save.',
        ]
      : [
          'In the ZIA Admin Portal, go to Administration > Authentication Settings > Identity Providers.',
          `Click the Edit icon of the IdP "${idp}".`,
          'In Provisioning Options, click Enable SCIM Provisioning.',
          'Disable "Enable SAML Auto-Provisioning" (Zscaler recommends it when using SCIM).',
          'Copy the Base URL (the new format https://scim.<cloud>/<orgId>/<idpId>/scim) and the Bearer Token.',
          'Click Save. Do not activate: migrate activates in the next step, after it reports what is pending.',
        ],
    inputs,
  });
  const baseUrl = (answers.baseUrl ?? knownBaseUrl ?? '').trim();
  const token = (answers.token ?? '').trim();
  const urlCheck = checkBaseUrl(baseUrl, ctx.config.zia.orgId);
  if (urlCheck !== true) throw new UserError(`SCIM Base URL ${baseUrl}: ${urlCheck}`);
  if (!token) throw new UserError('no SCIM Bearer Token was given');
  // Every operator (a person at the prompt, the sandbox's scripted one) hands the token over
  // here: registered once, before anything could print it.
  registerSecret(token);
  const creds = { baseUrl, token };
  await ctx.scim(creds).probe();
  ctx.scimCredentials = creds;
  return creds;
}

/** Seed 000 step 5–6 and seed 001: enable SCIM on the IdP; verified live against the SCIM endpoint. */
export function enableScimOnIdpStep(doc: string): Step<MigrationContext> {
  return {
    id: 'enable-scim-on-idp',
    title: 'Enable SCIM provisioning on the ZIA IdP and disable SAML auto-provisioning',
    doc,
    kind: 'operator',
    async observe(run) {
      const { ctx } = run;
      if (ctx.scimCredentials) {
        try {
          await ctx.scim(ctx.scimCredentials).probe();
          return { state: 'done', detail: `SCIM endpoint ${ctx.scimCredentials.baseUrl} accepts the token` };
        } catch (err) {
          return { state: 'pending', detail: `SCIM endpoint refused: ${(err as Error).message}` };
        }
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
