import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileCheckpointStore } from '../../engine/checkpoint.js';
import type { ProductKind } from '../../products/index.js';
import { productOf } from '../../products/index.js';
import type { Output } from '../../ui/output.js';
import { createPrompter } from '../../ui/prompts.js';
import type { CliContext } from '../build-context.js';
import type { CommonOptions } from '../context.js';
import { executeFlow, resolveRun } from '../run-flow.js';

/**
 * The command line of a rehearsal (`migrate demo`, any product): unattended, one state file in `stateDir`
 * (a new temporary directory by default), and the product's runs exactly as its commands build them,
 * on the sandbox (whose rate limits apply, so the clients' own limiter stays off).
 */
export async function rehearsal(o: {
  common: CommonOptions;
  out: Output;
  config: { product: ProductKind };
  env: NodeJS.ProcessEnv;
  stateDir: string | undefined;
  /** The temporary directory's name prefix: `migrate-demo-`, `migrate-demo-zpa-`. */
  prefix: string;
  /** The commands' own flags (inSync's `--to`). */
  flags?: Record<string, unknown>;
}) {
  const dir = resolve(o.stateDir ?? (await mkdtemp(join(tmpdir(), o.prefix))));
  const statePath = join(dir, 'state.json');
  const store = new FileCheckpointStore(statePath);
  const cli = (dryRun: boolean): CliContext => ({
    // The flows print for people; a demo's one JSON document is its summary at the end.
    opts: { ...o.common, dryRun, yes: true, json: false },
    out: o.out,
    prompter: createPrompter({ yes: true }),
    store,
    statePath,
  });
  const runOf = (command: string, dryRun: boolean) =>
    resolveRun(productOf(o.config.product), command, o.config, { cli: cli(dryRun), flags: o.flags ?? {}, env: o.env, rehearsal: true });
  return {
    dir,
    statePath,
    cli,
    runOf,
    /** `migrate <command>` once, in a context of its own, as the command line runs it. */
    async run(command: string, dryRun = false) {
      const r = await runOf(command, dryRun);
      const ctx = r.context(dryRun);
      try {
        return await executeFlow(cli(dryRun), r, ctx, {});
      } finally {
        await ctx.close();
      }
    },
  };
}
