import { Help } from 'commander';
import { PRODUCTS } from '../../products/index.js';

const WIDTH = 100;

/**
 * `migrate <command> --help`: the command's steps for every product that runs it, from each product's
 * own `stepsHelp` (src/products/), so a product added to the registry documents itself here.
 */
export function stepsHelp(command: string): string {
  const paragraphs = PRODUCTS.flatMap((p) => {
    const text = (p.stepsHelp as Readonly<Record<string, string>>)[command];
    return text ? [new Help().boxWrap(text, WIDTH)] : [];
  });
  const header = paragraphs.length > 1 ? 'Steps, by product (product: in the configuration; default zia):' : 'Steps:';
  return [header, ...paragraphs].join('\n\n');
}
