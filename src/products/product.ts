import type { z } from 'zod';
import type { Target } from '../engine/checkpoint.js';
import type { Flow } from '../engine/step.js';
import type { MigrationContext } from '../flows/context.js';
import type { IdpProvisioner } from '../idps/provisioner.js';

/**
 * The target product of a migration (ZIA, ZPA, …): which tenant a state file belongs to, which
 * configuration section describes it, and the flows that move it to SCIM provisioning from an IdP.
 * The IdP side comes from an IdpProvisioner (src/idps/provisioner.ts), whatever the product.
 */

/** The flows a command can run, by their ids (stored in state files: never rename one). */
export interface ProductFlows {
  'ad-to-scim': Flow<MigrationContext>;
  rollback: Flow<MigrationContext>;
}

/** What the registry (src/products/index.ts) holds per product: light, so the configuration schema can import it. */
export interface ProductModule<K extends string = string, S extends z.ZodType = z.ZodType> {
  /** `product:` in the configuration, and the name of the product's own configuration section. */
  kind: K;
  /** The product's name in sentences: "ZIA", "ZPA". */
  label: string;
  /** The product's configuration section (`zia:`, `zpa:`). */
  configSchema: S;
  /**
   * The tenant a state file belongs to (checked on every run, so a state file is never replayed
   * against another tenant). Read from the product's own section only: no system is contacted.
   */
  targetOf(section: z.output<S>): Target;
  /**
   * The forward step whose output `baseUrl` is the SCIM endpoint the IdP is given (ZIA's Base URL,
   * ZPA's SCIM Service Provider Endpoint). Stored in state files: never rename it.
   */
  scimEndpointStep: string;
  /** The product's flows with this IdP's steps, imported when a flow runs (not when the configuration is read). */
  flows(idp: IdpProvisioner): Promise<ProductFlows>;
}

export function defineProduct<K extends string, S extends z.ZodType>(m: ProductModule<K, S>): ProductModule<K, S> {
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
