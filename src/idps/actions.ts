import { z } from 'zod';

/**
 * What an administrator does at an IdP's console when a step is an operator step. Zod only, no
 * other import: the sandbox (which plays the administrator for its simulated IdPs, over HTTP) reads
 * this file too.
 */

/**
 * An `idp.kind`: the registry (src/idps/index.ts) says which exist. A plain string here, so a new
 * IdP is one registration, not an edit of a list of kinds.
 */
export type IdpKind = string;

/** The kinds issue 14 plans, for a helpful error when one is not in this version yet. */
export const PLANNED_IDP_KINDS: readonly string[] = ['entra', 'okta', 'pingfederate', 'manual'];

const kind = z.string().min(1).max(40);

/**
 * An IdP console action, named after what the administrator does. A scripted operator switches on
 * `action`; a missing case fails to compile. Adding a member here is an interface change (see
 * /work/wt/briefs/IDP_INTERFACE for the log of changes).
 */
export const idpActionSchema = z.discriminatedUnion('action', [
  /**
   * "Give the IdP the SCIM Base URL and token": paste both into the IdP's Zscaler app, scope it,
   * run its Test Connection, save. `token` is for a scripted operator only (a person copied it from
   * ZIA's Edit IdP); it is never printed, logged or stored.
   */
  z.object({ action: z.literal('idp.setCredentials'), idp: kind, baseUrl: z.string().url(), token: z.string().min(1), scope: z.string().min(1) }).strict(),
  /** "Start provisioning": turn the IdP's provisioning on (the initial cycle begins). */
  z.object({ action: z.literal('idp.start'), idp: kind }).strict(),
  /** "Pause provisioning": stop pushing, keep every assignment (nothing is deprovisioned). */
  z.object({ action: z.literal('idp.pause'), idp: kind }).strict(),
  /** "Provision these users now": push users the IdP holds but has not provisioned (Okta's assigned-before-enabled pitfall). */
  z.object({ action: z.literal('idp.provisionUsers'), idp: kind, users: z.array(z.string().min(1)).min(1) }).strict(),
]);

export type IdpAction = z.infer<typeof idpActionSchema>;

/** For a `switch (a.action)` that must handle every case: `default: return unhandled(a)`. */
export function unhandled(a: never): never {
  throw new Error(`unhandled operator action ${JSON.stringify((a as { action?: unknown })?.action)}`);
}
