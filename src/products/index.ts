import { z } from 'zod';
import type { ProductModule } from './product.js';
import { zia } from './zia/index.js';
import { zpa } from './zpa/index.js';

/**
 * The registry: every product `product:` can name, one entry each. An entry is light (its config
 * schema, its tenant identity and a loader of its flows), so the configuration schema imports it.
 */
export const PRODUCTS = [zia, zpa] as const;

type Module = (typeof PRODUCTS)[number];
export type ProductKind = Module['kind'];

const kinds = PRODUCTS.map((m) => m.kind) as [ProductKind, ...ProductKind[]];

/** `product:`: absent in configurations written before ZPA, which are ZIA's. */
export const productKindSchema = z.enum(kinds, {
  error: (iss) => `product must be one of ${kinds.join(', ')}, got ${JSON.stringify(iss.input)?.slice(0, 40) ?? 'nothing'}`,
});

/** Each product's own section (`zia:`, `zpa:`), optional here: the configuration requires the one `product` names. */
export const productSections = Object.fromEntries(PRODUCTS.map((m) => [m.kind, m.configSchema.optional()])) as {
  [M in Module as M['kind']]: z.ZodOptional<M['configSchema']>;
};

export function productModule(kind: ProductKind): ProductModule {
  const m = PRODUCTS.find((x) => x.kind === kind);
  if (!m) throw new Error(`unknown product ${String(kind)}`);
  return m as unknown as ProductModule;
}

/** Sections given for another product than the configured one, and the missing own section, as configuration issues. */
export function productSectionIssues(v: { product: ProductKind } & Partial<Record<ProductKind, unknown>>): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  if (v[v.product] === undefined) {
    issues.push({
      path: [v.product],
      message:
        v.product === 'zia' ? 'the zia section is required (or set product: zpa with a zpa section)' : `product is ${v.product}: give the ${v.product} section`,
    });
  }
  for (const k of kinds) {
    if (k !== v.product && v[k] !== undefined) {
      issues.push({ path: [k], message: `the ${k} section is for product: ${k}, but product is ${v.product}: remove the section, or set product: ${k}` });
    }
  }
  return issues;
}
