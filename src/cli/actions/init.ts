import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { input, select } from '@inquirer/prompts';
import { ZIA_CLOUD_NAMES } from '../../clients/zia.js';
import { closest, parseConfig } from '../../config/load.js';
import { dnProblem } from '../../config/dn.js';
import { PLACEHOLDER_ANSWERS, renderConfigTemplate, secretVariables, type InitAnswers, type InitAuth } from '../../config/template.js';
import { UserError } from '../../engine/errors.js';
import { Interrupted } from '../../ui/interrupt.js';
import { buildContext } from '../build-context.js';

/** Each answer is checked as it is typed: `true`, or what is wrong and what is expected. */
type Check = (v: string) => true | string;

export const checkCloud: Check = (v) => {
  const c = v.trim().toLowerCase();
  if ((ZIA_CLOUD_NAMES as readonly string[]).includes(c)) return true;
  const guess = closest(c, ZIA_CLOUD_NAMES);
  return `${c ? `"${v.trim()}" is not a ZIA cloud name` : 'the cloud name is needed'}${guess ? `; did you mean ${guess}?` : ''} (one of ${ZIA_CLOUD_NAMES.join(', ')}: the host of your admin portal, admin.<cloud>.net)`;
};

export const checkOrgId: Check = (v) =>
  /^\d{1,20}$/.test(v.trim()) || 'the Company ID is a number (Administration > Company Profile > Company ID), e.g. 24326813';

const required =
  (what: string): Check =>
  (v) =>
    v.trim() !== '' || `${what} is needed`;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const checkGuid: Check = (v) => GUID.test(v.trim()) || 'an Entra client ID is a GUID (App registrations > your app > Application (client) ID)';
const checkVanity: Check = (v) =>
  /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i.test(v.trim()) || 'give only the first label of your ZIdentity host, e.g. "acme" for acme.zslogin.net';
const checkLdapUrl: Check = (v) =>
  /^ldaps?:\/\/[^/\s]+$/i.test(v.trim()) || 'ldaps://host[:port] (or ldap://host[:port] with StartTLS), nothing after the host';
const checkDn =
  (what: string): Check =>
  (v) => {
    const problem = dnProblem(v.trim());
    return problem === undefined || `${what}: ${problem}`;
  };
const checkBindName: Check = (v) => {
  const t = v.trim();
  if (/^[^@\s]+@[^@\s]+$/.test(t) || /^[^\\\s]+\\[^\\\s]+$/.test(t)) return true; // a UPN or DOMAIN\user
  return checkDn('the bind DN')(t);
};

/** Ctrl-C at a question is an interruption (exit 130), never an unexpected error. */
async function ask<T>(prompt: Promise<T>): Promise<T> {
  try {
    return await prompt;
  } catch (err) {
    if ((err as Error)?.name === 'ExitPromptError') throw new Interrupted();
    throw err;
  }
}

async function askAll(): Promise<InitAnswers> {
  // Questions draw on stderr: stdout is for the result.
  const ctx = { output: process.stderr.isTTY ? process.stderr : process.stdout };
  const text = (message: string, validate: Check, defaultValue?: string) =>
    ask(input({ message, validate: (v: string) => validate(v), ...(defaultValue ? { default: defaultValue } : {}) }, ctx)).then((v) => v.trim());
  const cloud = (await text('ZIA cloud name (the host of your admin portal: admin.<cloud>.net)', checkCloud)).toLowerCase();
  const orgId = await text('ZIA Company ID (Administration > Company Profile)', checkOrgId);
  const idpName = await text('ZIA identity provider that will receive SCIM (as named in Authentication Settings)', required('the IdP name'));
  const kind = await ask(
    select<'legacy' | 'oneapi'>(
      {
        message: 'How migrate signs in to the ZIA API',
        choices: [
          { name: 'legacy API key: an API admin username, password and the Cloud Service API Key', value: 'legacy' },
          { name: 'OneAPI: a ZIdentity API client (client ID and secret)', value: 'oneapi' },
        ],
      },
      ctx,
    ),
  );
  const auth: InitAuth =
    kind === 'legacy'
      ? { kind, username: await text('ZIA API admin username', required('the admin username')) }
      : {
          kind,
          vanityDomain: (await text('ZIdentity vanity domain (the "acme" of acme.zslogin.net)', checkVanity)).toLowerCase(),
          clientId: await text('ZIdentity API client ID', required('the client ID')),
        };
  return {
    cloud,
    orgId,
    idpName,
    auth,
    tenantId: await text('Entra tenant ID or primary domain', required('the tenant')),
    clientId: await text('Graph app registration client ID', checkGuid),
    servicePrincipal: await text('Zscaler enterprise app display name (Entra > Enterprise applications)', required('the app name')),
    ldapUrl: await text('Domain controller URL', checkLdapUrl),
    bindDn: await text('LDAP bind account (read-only): DN, user@domain or DOMAIN\\user', checkBindName),
    baseDn: await text('Base DN of the users in scope', checkDn('the base DN')),
  };
}

export async function runInit(opts: { output: string; force: boolean }, cmd: Command): Promise<void> {
  const { out, prompter } = buildContext(cmd);
  if (existsSync(opts.output) && !opts.force) {
    throw new UserError(`${opts.output} exists; not overwriting`, { hint: 'Pass --force, or -o another path.' });
  }
  let answers: InitAnswers = PLACEHOLDER_ANSWERS;
  if (prompter.canPrompt) {
    answers = await askAll();
  } else {
    out.warn('no prompts (--yes or no terminal): writing the template with example values; edit them before use');
  }
  const text = renderConfigTemplate(answers, { clouds: ZIA_CLOUD_NAMES });
  parseConfig(text, opts.output); // never write a file migrate itself would reject
  await writeFile(opts.output, text, { mode: 0o600, flag: opts.force ? 'w' : 'wx' });
  const vars = secretVariables(answers.auth);
  const width = Math.max(...vars.map((v) => v.name.length));
  out.print(
    [
      `wrote ${opts.output}${prompter.canPrompt ? '' : ' (example values: edit them first)'}.`,
      'Export the secrets it references before a run (read -rs keeps each out of the shell history and the screen):',
      ...vars.map((v) => `  read -rs ${v.name.padEnd(width)} && export ${v.name.padEnd(width)}   # ${v.holds} (${v.field})`),
      `Then: migrate ad-to-scim --dry-run --config ${opts.output}`,
    ].join('\n'),
  );
}
