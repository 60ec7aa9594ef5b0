import { insyncHelp } from './insync/help.js';
import { ziaHelp } from './zia/help.js';
import { zpaHelp } from './zpa/help.js';

/**
 * Each product's name and steps for `--help`, kept apart from the registry (src/products/index.ts) so that
 * `--help` loads no schema. The registry's entries take theirs from the same modules; test/cli/commands.test.ts
 * checks that every registered product's commands show them.
 */
export const PRODUCT_HELP: ReadonlyArray<{ label: string; stepsHelp: Readonly<Record<string, string>> }> = [ziaHelp, zpaHelp, insyncHelp];
