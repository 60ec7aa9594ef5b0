/**
 * The requests Entra's provisioning service sends to a SCIM endpoint, in Entra's dialect
 * (docs/vendor-facts.md F33, default job without the aadOptscim062020 flag):
 * lookups with `filter=userName eq "…"`, groups with `excludedAttributes=members`,
 * PATCH ops capitalised (`Replace`, `Add`), one op per path, `active` as the STRING "False".
 * Honours the target's 429 Retry-After (bounded retries).
 */
import { z } from 'zod';

import { SCHEMA_ENTERPRISE } from '../scim/resources.js';

// The protocol's URNs, one definition for the simulated server and for Entra's requests to it.
export { SCHEMA_ENTERPRISE, SCHEMA_GROUP, SCHEMA_LIST, SCHEMA_PATCH, SCHEMA_USER } from '../scim/resources.js';
/** Entra adds its own schema to the groups it creates. */
export const SCHEMA_AD_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';

/** Only the fields the engine reads; the rest of a SCIM resource passes through. */
export const scimUserSchema = z.looseObject({
  id: z.string(),
  externalId: z.string().optional(),
  userName: z.string().optional(),
  displayName: z.string().optional(),
  active: z.union([z.boolean(), z.string()]).optional(),
  emails: z.array(z.looseObject({ value: z.string().optional(), type: z.string().optional() })).optional(),
  name: z.looseObject({ givenName: z.string().optional(), familyName: z.string().optional() }).optional(),
  [SCHEMA_ENTERPRISE]: z.looseObject({ department: z.string().optional() }).optional(),
});
export type ScimUser = z.infer<typeof scimUserSchema>;

export const listResponseSchema = z.looseObject({
  totalResults: z.number().optional(),
  Resources: z.array(z.looseObject({ id: z.string() })).optional(),
});

export class ScimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    readonly body: string,
  ) {
    super(`SCIM ${method} ${path} answered HTTP ${status}`);
  }
}

export interface ScimTarget {
  baseAddress: string;
  secretToken: string;
}

export interface ScimCallOptions {
  /** Waits (ms); injected so the engine can make waits abortable. */
  sleep: (ms: number) => Promise<void>;
  maxRetries?: number;
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

export async function scimRequest(
  target: ScimTarget,
  method: string,
  path: string,
  body: unknown,
  opts: ScimCallOptions,
): Promise<{ status: number; json: unknown }> {
  const maxRetries = opts.maxRetries ?? 5;
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(joinUrl(target.baseAddress, path), {
      method,
      headers: {
        authorization: `Bearer ${target.secretToken}`,
        accept: 'application/scim+json',
        ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status === 429 && attempt < maxRetries) {
      // The target may throttle (429 with Retry-After in seconds, RFC 6585 §4, RFC 9110 §10.2.3);
      // wait what it asks, at least 100 ms.
      const retryAfter = Number(res.headers.get('retry-after') ?? '1');
      await opts.sleep(Math.max(100, (Number.isFinite(retryAfter) ? retryAfter : 1) * 1000));
      continue;
    }
    if (res.status >= 400) throw new ScimHttpError(res.status, method, path, text.slice(0, 500));
    let json: unknown = null;
    if (text.trim() !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        throw new ScimHttpError(res.status, method, path, `non-JSON body: ${text.slice(0, 200)}`);
      }
    }
    return { status: res.status, json };
  }
}

/** `filter=userName eq "…"` with the value's quotes and backslashes escaped. */
export function eqFilter(attribute: string, value: string): string {
  const quoted = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return encodeURIComponent(`${attribute} eq "${quoted}"`);
}

/** Entra's lookup of an existing user: `filter=<matching attribute> eq "<value>"`. */
export async function findUserByAttribute(target: ScimTarget, attribute: string, value: string, opts: ScimCallOptions): Promise<ScimUser | null> {
  const { json } = await scimRequest(target, 'GET', `/Users?filter=${eqFilter(attribute, value)}`, undefined, opts);
  const list = listResponseSchema.parse(json);
  const first = list.Resources?.[0];
  return first ? scimUserSchema.parse(first) : null;
}

export async function findGroupByDisplayName(target: ScimTarget, displayName: string, opts: ScimCallOptions): Promise<{ id: string } | null> {
  const { json } = await scimRequest(target, 'GET', `/Groups?excludedAttributes=members&filter=${eqFilter('displayName', displayName)}`, undefined, opts);
  const list = listResponseSchema.parse(json);
  return list.Resources?.[0] ?? null;
}
