import type { Command } from 'commander';

// Definition only: the prompts and the configuration schema load when the command runs.

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('ask the questions and write a commented configuration file (secrets only as references)')
    .option('-o, --output <file>', 'where to write', 'migrate.yaml')
    .option('--force', 'overwrite an existing file', false)
    .addHelpText(
      'after',
      `
Examples:
  $ migrate init                       interactive
  $ migrate init --yes -o draft.yaml   a template with example values to edit by hand`,
    )
    .action(async (opts: { output: string; force: boolean }, cmd: Command) => {
      await (await import('../actions/init.js')).runInit(opts, cmd);
    });
}
