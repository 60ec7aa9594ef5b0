import { UserError } from '../engine/errors.js';
import type { ScimProductKind } from './index.js';
import type { ScimProductSide } from './product.js';
import { ziaSide } from './zia/side.js';
import { zpaSide } from './zpa/side.js';

/**
 * Each directory→SCIM product's run-time side (ScimProductSide), by `product:`. The shared code asks
 * the configured product through it instead of naming one. Typed by the registry's kinds: a product
 * added to PRODUCTS (src/products/index.ts) without its side here does not compile.
 */
export function scimSideOf(kind: string): ScimProductSide {
  // Built on call: the sides import modules that import this one, so nothing is read while modules load.
  const sides: Record<ScimProductKind, ScimProductSide> = { zia: ziaSide, zpa: zpaSide };
  const side = (sides as Partial<Record<string, ScimProductSide>>)[kind];
  if (!side) {
    throw new UserError(`product: ${kind} is not migrated from directory sync to SCIM, so this command does not apply to it`, {
      hint: 'ad-to-scim, verify and the parity they run work on product: zia or zpa; see migrate --help for the commands of each product.',
    });
  }
  return side;
}
