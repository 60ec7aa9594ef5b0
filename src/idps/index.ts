import { z } from 'zod';
import { PLANNED_IDP_KINDS, type IdpKind } from './actions.js';
import type { IdpModule, IdpProvisioner } from './provisioner.js';
import { entra } from './entra/index.js';
import { manual } from './manual/index.js';
import { okta } from './okta/index.js';
import { pingfederate } from './pingfederate/index.js';

/**
 * The registry: every IdP `idp.kind` can name, one entry each. An entry is light (its config schema
 * and a loader), so the configuration schema imports this file without loading any IdP's client.
 */
export const IDPS = [entra, manual, okta, pingfederate] as const;

type SchemaOf<M> = M extends IdpModule<IdpKind, infer S> ? S : never;
type Schema = SchemaOf<(typeof IDPS)[number]>;
const schemas = IDPS.map((m) => m.configSchema) as unknown as [Schema, ...Schema[]];
const registered = IDPS.map((m) => m.kind) as readonly string[];

function kindProblem(value: unknown): string {
  const given = value === undefined ? 'no kind' : `"${String(value).slice(0, 40)}"`;
  const known = PLANNED_IDP_KINDS.includes(String(value));
  return known
    ? `${given} is not available in this version of migrate (available: ${registered.join(', ')}); kind: manual configures any IdP by hand`
    : `must be one of ${registered.join(', ')}, got ${given}`;
}

/**
 * The `idp` section: a union on `kind`, each IdP's own schema. A section without `kind` is Entra's:
 * configurations written before other IdPs existed stay valid.
 */
export const idpConfigSchema = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !('kind' in v) ? { kind: 'entra', ...v } : v),
  z.discriminatedUnion('kind', schemas, {
    error: (iss) => (iss.code === 'invalid_union' ? kindProblem((iss.input as { kind?: unknown } | undefined)?.kind) : undefined),
  }),
);

export function idpModule(kind: IdpKind): IdpModule {
  const m = IDPS.find((x) => x.kind === kind);
  if (!m) throw new Error(kindProblem(kind));
  return m as IdpModule;
}

/** The provisioner of a configured IdP (loaded on first use). */
export async function loadProvisioner(kind: IdpKind): Promise<IdpProvisioner> {
  return idpModule(kind).load();
}

export type { IdpKind };
