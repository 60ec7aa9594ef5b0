import type { MigrationContext } from '../../flows/context.js';
import { byHandSteps } from '../by-hand.js';
import { configOf, type IdpProvisioner } from '../provisioner.js';
import { scimTokenDescription } from '../../flows/steps/scim.js';

/**
 * Any IdP, by hand: migrate holds no credential of the IdP. Every IdP-side step is an operator step
 * with the instructions a person needs, verified only through the ZIA SCIM service (the token
 * accepted, users appearing and growing, parity). Also the fallback for an Entra or Okta tenant
 * where the admin cannot grant API permissions.
 */
const label = (ctx: MigrationContext) => configOf(ctx, 'manual').name;
const app = (ctx: MigrationContext) => configOf(ctx, 'manual').appName;
const DOC = 'ZIA "Configuring SCIM" (the IdP side, done in the IdP\'s console)';

export const manualProvisioner: IdpProvisioner = {
  kind: 'manual',
  label: 'the IdP',
  preflight: [],
  async snapshot(ctx) {
    // Nothing of the IdP is readable: rollback pauses it by hand and never unassigns.
    return { manualIdp: { name: label(ctx), readableByApi: false } };
  },
  steps: byHandSteps({
    kind: 'manual',
    prefix: 'manual',
    label,
    doc: DOC,
    timeoutMinutes: (ctx) => configOf(ctx, 'manual').initialCycleTimeoutMinutes,
    instructions: {
      setCredentials: (ctx, baseUrl, scope) => [
        `In ${label(ctx)}'s admin console, open ${app(ctx)} and its provisioning (SCIM) settings.`,
        `Set the SCIM Base URL (also called Tenant URL or SCIM connector base URL) to ${baseUrl}`,
        `Set the token (Secret Token, API token or Bearer token) to ${scimTokenDescription(ctx)} (migrate never prints it).`,
        `Scope: ${scope}.`,
        'Map userName to the user principal name, and push groups as they are assigned (ZIA matches users by userName).',
        "Run the IdP's Test Connection if it has one, then Save. Do not start provisioning yet: migrate checks how many users the first cycle would disable first.",
      ],
      start: (ctx) => [
        `In ${label(ctx)}'s admin console, open ${app(ctx)}'s provisioning settings.`,
        'Turn provisioning on (Provisioning Status: On, Enable provisioning, or Start).',
        'migrate then watches the ZIA SCIM service: the users count grows toward the directory scope, and parity is checked when it settles.',
      ],
      pause: (ctx) => [
        `In ${label(ctx)}'s admin console, open ${app(ctx)}'s provisioning settings.`,
        'Turn provisioning off (pause or stop it). Do NOT unassign users or groups and do not narrow the scope: the IdP would disable or delete them in ZIA.',
      ],
    },
  }),
  async provisioningNow() {
    // No API to ask: a token that already works is caught by the starting-point check's SCIM probe.
    return undefined;
  },
  async testConnection(run) {
    return { is: 'unknown', detail: `${label(run.ctx)} is configured by hand: migrate cannot run its Test Connection` };
  },
  async explainMissing(run) {
    return ` ${label(run.ctx)} is configured by hand: check in its provisioning log that the missing users are assigned to ${app(run.ctx)} and were pushed without errors.`;
  },
};
