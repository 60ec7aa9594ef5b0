import { UserError } from '../../engine/errors.js';
import type { OperatorTask } from '../../engine/operator.js';
import { registerSecret } from '../../engine/redact.js';
import { resolveOptionalSecret } from '../../config/secrets.js';
import { ApiError } from '../../clients/http.js';
import { ScimProbeError, type ScimClient } from '../../clients/scim.js';
import { ZpaScimTokenRefused, type ZpaScimClient } from '../../clients/zpa-scim.js';
import type { MigrationContext, ScimCredentials } from '../../flows/context.js';
import type { MigrationAction } from '../../flows/operator-actions.js';
import { readZpaIdp, zpaOf } from './client.js';

/**
 * The SCIM side of ZPA for the IdP plug-ins: the token of "Generate New Token" (an operator step:
 * ZPA shows it once and has no API for it, docs/vendor-facts.md Y4), held in memory only, and a reader
 * of the ZPA SCIM service with the calls the plug-ins make of ZIA's (`probe`, `countUsers`, lists).
 */

const countAll = async (it: AsyncIterable<unknown[]>) => {
  let n = 0;
  for await (const page of it) n += page.length;
  return n;
};

/** ZPA's SCIM service read through the interface the IdP plug-ins and parity use for ZIA's. */
export function zpaScimReader(client: ZpaScimClient, baseUrl: string): ScimClient {
  /**
   * A count with a filter, evaluated here over every record: ZPA does not document SCIM filters (Y13),
   * so none is sent. Two are understood: `userName eq "<name>"` (a lookup, which the client makes with or
   * without filter support) and `meta.lastModified gt "<time>"` (PingFederate's watch counts what it
   * wrote since it started, F24; ZPA's records are expected to carry `meta.lastModified`, ZI3).
   */
  const count = async (what: 'users' | 'groups', filter: string | undefined) => {
    if (filter === undefined) return what === 'users' ? (await client.check()).totalUsers : countAll(client.listGroups({ stripUnknown: true }));
    const byName = /^userName eq "((?:[^"\\]|\\.)*)"$/.exec(filter.trim());
    if (what === 'users' && byName) return (await client.findUserByUserName(JSON.parse(`"${byName[1]!}"`) as string)) ? 1 : 0;
    const since = /^meta\.lastModified gt "([^"]+)"$/.exec(filter.trim());
    const from = since ? Date.parse(since[1]!) : NaN;
    if (Number.isNaN(from)) {
      throw new UserError(`counting ZPA SCIM ${what} with the filter ${filter} is not supported: ZPA does not document SCIM filters (Y13)`, {
        hint: 'For ZPA migrate evaluates two filters itself, userName eq "<name>" and meta.lastModified gt "<ISO time>"; report which step asked for this one.',
      });
    }
    let n = 0;
    const pages: AsyncIterable<Array<{ meta?: unknown; id: string }>> = what === 'users' ? client.listUsers() : client.listGroups();
    for await (const page of pages) {
      for (const r of page) {
        const at = (r.meta as { lastModified?: unknown } | undefined)?.lastModified;
        const ms = typeof at === 'string' ? Date.parse(at) : NaN;
        if (Number.isNaN(ms)) {
          throw new UserError(
            `ZPA SCIM ${what === 'users' ? 'user' : 'group'} ${r.id} has no meta.lastModified, so migrate cannot tell what the IdP wrote since ${since![1]}`,
            {
              hint: "Watch the IdP's first cycle in its own console instead (idp.kind manual), or report the ZPA answer: ZPA's SCIM records are expected to carry meta.lastModified.",
            },
          );
        }
        if (ms > from) n++;
      }
    }
    return n;
  };
  return {
    async probe() {
      try {
        const { filter } = await client.check();
        return { ok: true, serviceProviderConfig: { filter: { supported: filter === 'supported' } } };
      } catch (err) {
        if (err instanceof ZpaScimTokenRefused) throw new ScimProbeError('token-refused', err.message, { hint: err.hint ?? '' });
        if (err instanceof ApiError && err.status === 404) {
          throw new ScimProbeError('wrong-url', `${baseUrl} is not a ZPA SCIM Service Provider Endpoint (HTTP 404 on /Users)`, {
            hint: "Use the SCIM Service Provider Endpoint the IdP shows in IDP Configuration (its path ends in the IdP's id and /v2).",
          });
        }
        throw err;
      }
    },
    listUsers: ((o?: { stripUnknown?: boolean }) =>
      o?.stripUnknown ? client.listUsers({ stripUnknown: true }) : client.listUsers()) as ScimClient['listUsers'],
    listGroups: ((o?: { stripUnknown?: boolean }) =>
      o?.stripUnknown ? client.listGroups({ stripUnknown: true }) : client.listGroups()) as ScimClient['listGroups'],
    countUsers: (filter) => count('users', filter),
    countGroups: (filter) => count('groups', filter),
    findUserByUserName: (userName) => client.findUserByUserName(userName),
    getUser: (id) => client.getUser(id),
  };
}

/** Checks a token against the IdP's SCIM endpoint: true (and marks it accepted for this run), or what was wrong. */
export async function checkZpaScimCredentials(ctx: MigrationContext, creds: ScimCredentials): Promise<true | string> {
  if (!creds.token) return 'no SCIM token was given';
  try {
    await ctx.scim(creds).probe();
  } catch (err) {
    if (!(err instanceof ScimProbeError)) throw err;
    return `${err.message}. ${err.hint ?? ''}`.trim();
  }
  creds.accepted = true;
  return true;
}

/** The console steps of "Enabled for SCIM Sync" and "Generate New Token" (https://help.zscaler.com/zpa/enabling-scim-identity-management). */
export function enableScimSyncInstructions(idpName: string): string[] {
  return [
    'In the ZPA Admin Portal, go to Administration > Identity > Private Access > IdP Configuration (older consoles: Administration > IdP Configuration).',
    `Click the Edit icon of the IdP "${idpName}".`,
    'Turn on "Enabled for SCIM Sync" (if it is already on, leave it).',
    'Click "Generate New Token" and copy the token at once: ZPA shows it only once, and migrate keeps it in memory only.',
    'Note the SCIM Service Provider Endpoint (migrate reads it from the IdP as well).',
    'Click Save. Leave "SCIM Attributes for Policy" off: migrate enables it after the soak.',
  ];
}

function regenerateInstructions(idpName: string): string[] {
  return [
    'In the ZPA Admin Portal, go to Administration > Identity > Private Access > IdP Configuration.',
    `Click the Edit icon of the IdP "${idpName}".`,
    'Click "Generate New Token" and copy the token: it replaces the previous one, which stops working at once (migrate gives the new one to the IdP in its next step; an IdP already configured must be given it too).',
    'Click Save.',
  ];
}

/**
 * What gives the IdP a token that replaced the one it holds (the flow registers the IdP's credentials
 * step, flow.ts); absent while the IdP holds none of this migration's. Per run, in memory.
 */
export function onTokenReplaced(ctx: MigrationContext, give: () => Promise<void>): void {
  tokenReplacement(ctx).give = give;
}
const tokenReplacement = (ctx: MigrationContext) => ctx.client('zpa:token-replacement', () => ({ give: undefined as (() => Promise<void>) | undefined }));

/**
 * ZPA's SCIM token for this run: already accepted in memory, or supplied by configuration (`scim.tokenEnv`
 * or `scim.tokenFile`) and accepted, or asked of the operator. The endpoint is read from the IdP, never
 * typed. Never read from or written to the checkpoint: a resumed run asks again, and a new token
 * replaces the old one (the operator is told so, and the IdP is given the new one: `onTokenReplaced`).
 */
export async function obtainZpaScimCredentials(ctx: MigrationContext, why: string, regenerate: boolean): Promise<ScimCredentials> {
  if (ctx.scimCredentials?.accepted) return ctx.scimCredentials;
  const { idp } = await readZpaIdp(ctx);
  const endpoint = idp.scimServiceProviderEndpoint;
  let reason = why;
  // A token from configuration (scim.tokenEnv or scim.tokenFile), tried once per run: the endpoint is the IdP's.
  const configured = ctx.client('zpa-configured-token', (d) => ({ token: resolveOptionalSecret(ctx.config.scim, 'token', 'scim', d.env), tried: false }));
  if (configured.token && !configured.tried) {
    configured.tried = true;
    registerSecret(configured.token);
    const creds = { baseUrl: endpoint ?? ctx.config.scim.baseUrl ?? '', token: configured.token };
    const verdict = await checkZpaScimCredentials(ctx, creds);
    if (verdict === true) return (ctx.scimCredentials = creds);
    reason = `The SCIM token in the configuration (scim.tokenEnv or scim.tokenFile) was refused: ${verdict}`;
  }
  const idpName = zpaOf(ctx.config).idpName ?? idp.name;
  // A token exists already (this migration's, from an earlier run): a new one is needed, since none is ever kept.
  const again = regenerate || (idp.scimEnabled && idp.scimSharedSecretExists);
  let accepted: ScimCredentials | undefined;
  const task: OperatorTask<MigrationAction> = {
    ...(again ? { action: 'zpa.generateScimToken' as const } : { action: 'zpa.enableScimSync' as const }),
    idpName,
    idpId: idp.id,
    title: again ? `Generate a new SCIM token for ZPA IdP "${idpName}"` : `Enable SCIM Sync on ZPA IdP "${idpName}" and generate its token`,
    instructions: [
      ...(reason ? [reason] : []),
      ...(again
        ? ['ZPA shows a token only once and migrate never stores one, so this run needs a newly generated token.', ...regenerateInstructions(idpName)]
        : enableScimSyncInstructions(idpName)),
    ],
    inputs: [
      { name: 'token', label: 'SCIM token (Generate New Token)', secret: true, unattended: 'scim.tokenEnv (an environment variable) or scim.tokenFile' },
    ],
    async accept(a) {
      const token = (a.token ?? '').trim();
      if (token) registerSecret(token);
      // The endpoint may only now exist (SCIM Sync just turned on): read it again.
      const now = endpoint ?? (await readZpaIdp(ctx)).idp.scimServiceProviderEndpoint;
      if (!now) return `ZPA shows no SCIM Service Provider Endpoint for IdP "${idpName}": is "Enabled for SCIM Sync" on and saved?`;
      const creds = { baseUrl: now, token };
      const verdict = await checkZpaScimCredentials(ctx, creds);
      if (verdict === true) accepted = creds;
      return verdict;
    },
  };
  await ctx.operator.perform(task);
  if (!accepted) throw new UserError(`the SCIM token for ZPA IdP "${idpName}" was not accepted`);
  ctx.scimCredentials = accepted;
  // The new token stopped the one the IdP holds: it is given this one before anything waits on its pushes.
  if (again) await tokenReplacement(ctx).give?.();
  return accepted;
}
