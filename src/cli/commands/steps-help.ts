import { Help } from 'commander';
import { PRODUCT_HELP } from '../../products/help.js';

const WIDTH = 100;

/**
 * `migrate <command> --help`: the command's steps for every product that runs it, from each product's
 * own `<kind>/help.ts` (src/products/help.ts lists them; nothing here loads a schema).
 */
export function stepsHelp(command: string): string {
  const paragraphs = PRODUCT_HELP.flatMap((p) => {
    const text = p.stepsHelp[command];
    return text ? [new Help().boxWrap(text, WIDTH)] : [];
  });
  const header = paragraphs.length > 1 ? 'Steps, by product (product: in the configuration; default zia):' : 'Steps:';
  return [header, ...paragraphs].join('\n\n');
}
