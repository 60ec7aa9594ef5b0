import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { input } from '@inquirer/prompts';
import { parseConfig } from '../../config/load.js';
import { PLACEHOLDER_ANSWERS, renderConfigTemplate, type InitAnswers } from '../../config/template.js';
import { UserError } from '../../engine/errors.js';
import { buildContext } from '../build-context.js';

const QUESTIONS: { key: keyof InitAnswers; message: string }[] = [
  { key: 'cloud', message: 'ZIA cloud name' },
  { key: 'orgId', message: 'ZIA organization (company) ID' },
  { key: 'idpName', message: 'ZIA identity provider that will receive SCIM' },
  { key: 'ziaUsername', message: 'ZIA API admin username' },
  { key: 'tenantId', message: 'Entra tenant ID or domain' },
  { key: 'clientId', message: 'Graph app registration client ID' },
  { key: 'servicePrincipal', message: 'Zscaler enterprise app display name' },
  { key: 'ldapUrl', message: 'Domain controller URL (ldaps://…)' },
  { key: 'bindDn', message: 'LDAP bind DN (read-only account)' },
  { key: 'baseDn', message: 'Base DN of the users in scope' },
];


export async function runInit(opts: { output: string; force: boolean }, cmd: Command): Promise<void> {
  const { out, prompter } = buildContext(cmd);
  if (existsSync(opts.output) && !opts.force) {
    throw new UserError(`${opts.output} exists; not overwriting`, { hint: 'Pass --force, or -o another path.' });
  }
  const answers: InitAnswers = { ...PLACEHOLDER_ANSWERS };
  if (prompter.canPrompt) {
    for (const q of QUESTIONS) answers[q.key] = (await input({ message: q.message, default: PLACEHOLDER_ANSWERS[q.key] })).trim();
  } else {
    out.info('no prompts (--yes or no terminal): writing the template with example values; edit them before use');
  }
  const text = renderConfigTemplate(answers);
  parseConfig(text, opts.output); // never write a file migrate itself would reject
  await writeFile(opts.output, text, { mode: 0o600, flag: opts.force ? 'w' : 'wx' });
  out.print(`wrote ${opts.output}. Next: export the variables it names, then run: migrate ad-to-scim --dry-run --config ${opts.output}`);
}
