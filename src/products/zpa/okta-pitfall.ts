import type { JsonValue } from '../../engine/json.js';
import type { Observation, Step, StepOutputs, StepRun } from '../../engine/step.js';
import type { MigrationContext } from '../../flows/context.js';
import { runParity } from '../../flows/parity-check.js';
import { pollUntil } from '../../flows/steps/poll.js';
import { configOf } from '../../idps/provisioner.js';

/**
 * Okta's pitfall on ZPA (https://help.zscaler.com/zpa/about-scim; docs/vendor-facts.md ZI2): users
 * assigned to the ZPA app in Okta before SCIM was enabled are not pushed, so they are absent from
 * ZPA's SCIM users (Client Connector then fails for them). Found by parity, the authority on what ZPA
 * holds, since which status Okta's API shows for such a user is unconfirmed (K8); remedied by the
 * operator in the Okta Admin Console; verified by parity again, user for user. Step id stored in
 * state files: never rename it.
 */
export const ZPA_OKTA_PITFALL_STEP = 'zpa-okta-unpushed-users';

const DOC = 'ZPA "About SCIM" (Okta: users not synced before SCIM is enabled; PROVISION_OUT_OF_SYNC_USERS, unassign and reassign)';
/** The users a sentence names; the operator's task lists up to this many. */
const LIST = 200;

function names(list: string[], n = 10): string {
  return list.slice(0, n).join(', ') + (list.length > n ? `, … ${list.length - n} more` : '');
}

/** How the configuration names the Okta app (label or id). */
function appName(ctx: MigrationContext): string {
  const app = configOf(ctx, 'okta').app;
  return app.label ? `"${app.label}"` : `id ${app.id ?? ''}`;
}

/** The exact console steps of the remedy, for these users. */
export function oktaPitfallInstructions(ctx: MigrationContext, users: string[]): string[] {
  return [
    `In the Okta Admin Console, open Applications > Applications > the ZPA app ${appName(ctx)} and its Assignments tab.`,
    'Each user below was assigned to the app before SCIM provisioning was enabled, so Okta never pushed it to ZPA. Where its row says "User was assigned this application before Provisioning was enabled and not provisioned in the downstream application. Click Provision User.", click Provision User.',
    `Users (${users.length}): ${names(users, 50)}`,
    'Where the row offers no Provision User: unassign the user (or the group that assigns it) and assign it again. Zscaler also names an Okta setting, PROVISION_OUT_OF_SYNC_USERS, that lets Okta push such users: if your Okta org has it (ask Okta support), enable it first.',
    'Leave Provisioning > To App as it is (Create Users on). migrate then checks ZPA until each of these users is there.',
  ];
}

/** The users parity finds missing from ZPA now (enabled accounts in the directory scope that ZPA lacks). */
async function missingFromZpa(ctx: MigrationContext): Promise<{ users: string[]; total: number }> {
  // The token in memory, if any (a resumed run has none and reads ZPA's names through its admin API).
  const creds = ctx.scimCredentials?.accepted ? ctx.scimCredentials : undefined;
  const result = await runParity(ctx, creds ? { scim: creds } : {});
  const users = result.report.findings.filter((f) => f.kind === 'missing').map((f) => f.key);
  return { users, total: result.report.summary.missing.users };
}

export function zpaOktaPitfallStep(initialCycleStepId: string): Step<MigrationContext> {
  return {
    id: ZPA_OKTA_PITFALL_STEP,
    title: 'Okta: provision the users it did not push to ZPA (assigned before SCIM was enabled), verified by parity',
    doc: DOC,
    kind: 'operator',
    after: [initialCycleStepId],
    guide: (ctx) => ({
      instructions: oktaPitfallInstructions(ctx, ['(the users parity finds missing from ZPA)']),
      verifiedBy: "parity against ZPA's SCIM users, again, until every one of those users is in ZPA",
    }),
    async observe(run): Promise<Observation> {
      if (run.statusOf(initialCycleStepId) !== 'succeeded') {
        return {
          state: 'pending',
          detail: "checked once Okta's initial push is complete",
          changes: ['compare the directory scope with ZPA; the operator provisions in Okta any user it did not push'],
        };
      }
      const m = await missingFromZpa(run.ctx);
      if (m.total === 0) return { state: 'done', detail: 'parity finds no user of the directory scope missing from ZPA', facts: { missing: 0 } };
      return {
        state: 'pending',
        detail: `${m.total} user(s) of the directory scope are missing from ZPA after Okta's initial push (${names(m.users)}): users assigned to the app before SCIM was enabled are not pushed`,
        changes: ['operator: Okta Admin Console > the ZPA app > Assignments > Provision User on each (or unassign and assign again)'],
        facts: { missing: m.total },
      };
    },
    async apply(run): Promise<StepOutputs> {
      const { ctx } = run;
      const m = await missingFromZpa(ctx);
      if (m.total === 0) return { askedAt: null, users: 0 };
      const users = m.users.slice(0, LIST);
      await ctx.operator.perform({
        action: 'idp.provisionUsers',
        idp: 'okta',
        users,
        title: `Provision in Okta the ${m.total} user(s) it did not push to ZPA`,
        instructions: oktaPitfallInstructions(ctx, users),
      });
      return { askedAt: new Date().toISOString(), users: m.total, logins: users };
    },
    async verify(run: StepRun<MigrationContext>, applied) {
      const { ctx } = run;
      const asked = Array.isArray(applied?.logins) ? (applied.logins as JsonValue[]).map((v) => String(v).toLowerCase()) : [];
      if (asked.length === 0) return { state: 'done', detail: 'no user was missing from ZPA' };
      const minutes = Math.min(configOf(ctx, 'okta').initialCycleTimeoutMinutes, 30);
      const seen = await pollUntil(
        ctx,
        'ZPA: the users Okta did not push',
        async (): Promise<Observation> => {
          const still = new Set((await missingFromZpa(ctx)).users);
          const left = asked.filter((u) => still.has(u));
          return left.length === 0
            ? { state: 'done', detail: `parity finds each of the ${asked.length} user(s) in ZPA now` }
            : { state: 'pending', detail: `${left.length} of the ${asked.length} user(s) are still missing from ZPA (${names(left)})` };
        },
        minutes * 60_000,
      );
      return seen.state === 'done'
        ? seen
        : {
            state: 'pending',
            detail: `after ${minutes} minutes ${seen.detail}: in Okta, open each one's row in the Assignments tab (and Reports > System Log) for why it was not pushed`,
          };
    },
  };
}
