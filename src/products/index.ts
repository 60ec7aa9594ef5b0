import { z } from 'zod';
import type { State } from '../engine/checkpoint.js';
import type { ProductModule, ScimProductModule } from './product.js';
import { insync } from './insync/index.js';
import { zia } from './zia/index.js';
import { zpa } from './zpa/index.js';

/**
 * The registry: every product `product:` can name, one entry each. An entry is light (its config
 * schema, its tenant identity and a loader of its run), so the configuration schema imports it.
 */
export const PRODUCTS = [zia, zpa, insync] as const;

type Module = (typeof PRODUCTS)[number];
export type ProductKind = Module['kind'];
/** The products migrated from directory sync to SCIM (ZIA, ZPA): they share src/config/schema.ts's configuration. */
type ScimModule = Extract<Module, { family: 'directory-to-scim' }>;
export type ScimProductKind = ScimModule['kind'];

const kinds = PRODUCTS.map((m) => m.kind) as [ProductKind, ...ProductKind[]];
const isScim = (m: Module): m is ScimModule => 'family' in m && m.family === 'directory-to-scim';
const scimKinds = PRODUCTS.filter(isScim).map((m) => m.kind) as [ScimProductKind, ...ScimProductKind[]];

/** What the configuration says when `product:` names nothing registered. */
export const unknownProductMessage = (input: unknown) => `product must be one of ${kinds.join(', ')}, got ${JSON.stringify(input)?.slice(0, 40) ?? 'nothing'}`;

/** `product:` of a directory→SCIM configuration: absent in configurations written before ZPA, which are ZIA's. */
export const productKindSchema = z.enum(scimKinds, { error: (iss) => unknownProductMessage(iss.input) });

/** Each directory→SCIM product's own section (`zia:`, `zpa:`), optional here: the configuration requires the one `product` names. */
export const productSections = Object.fromEntries(PRODUCTS.filter(isScim).map((m) => [m.kind, m.configSchema.optional()])) as {
  [M in ScimModule as M['kind']]: z.ZodOptional<M['configSchema']>;
};

/** The sections of products with a configuration of their own, in a directory→SCIM configuration: refused with a sentence. */
export const otherSections = (except: readonly string[]) =>
  Object.fromEntries(kinds.filter((k) => !except.includes(k)).map((k) => [k, z.unknown().optional()])) as Record<string, z.ZodOptional<z.ZodUnknown>>;

/** A directory→SCIM product's module (its SCIM endpoint step and IdP-built flows). */
export function productModule(kind: ScimProductKind): ScimProductModule {
  const m = PRODUCTS.find((x) => x.kind === kind);
  if (!m || !isScim(m)) throw new Error(`unknown directory-to-SCIM product ${String(kind)}`);
  return m as unknown as ScimProductModule;
}

/** Any registered product's module, by `product:`. */
export function productOf(kind: ProductKind): ProductModule {
  const m = PRODUCTS.find((x) => x.kind === kind);
  if (!m) throw new Error(`unknown product ${String(kind)}`);
  return m as unknown as ProductModule;
}

/** The product a state file belongs to: its target's system is the product's kind. */
export function productOfState(state: State): ProductModule | undefined {
  return PRODUCTS.find((m) => m.kind === state.target.system) as ProductModule | undefined;
}

/** Products with a configuration of their own (not the directory migration's keys). */
export const OWN_CONFIG_PRODUCTS = PRODUCTS.filter((m) => !isScim(m));

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
