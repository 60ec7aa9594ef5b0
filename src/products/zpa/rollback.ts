import type { Step } from '../../engine/step.js';
import type { MigrationContext } from '../../flows/context.js';
import { perIdp, rollbackLifecycle } from '../../flows/lifecycle.js';
import { readZpaIdp, zpaClientOf } from './client.js';

/**
 * The way back, in reverse of the forward flow (docs/design/zpa-flow.md, "Rollback"): SCIM Attributes
 * for Policy off → pause the IdP → SCIM Sync off → the IdP's own settings restored. Each step reads the
 * IdP first and undoes only what is on. SCIM users and groups are never deleted: access policies may
 * reference SCIM groups, so rollback says how many ZPA keeps, and leaves them.
 */
const GUIDE = 'ZPA "Enabling SCIM for Identity Management" (in reverse)';

const wasOn = (snapshot: Record<string, unknown> | undefined, key: 'scimEnabled' | 'enableScimBasedPolicy'): boolean =>
  (snapshot?.zpaIdp as Record<string, unknown> | undefined)?.[key] === true;

const policyOff: Step<MigrationContext> = {
  id: 'zpa-scim-policy-off',
  title: 'Turn off "SCIM Attributes for Policy" on the ZPA IdP',
  doc: GUIDE,
  kind: 'operator',
  guide: () => ({
    instructions: [
      'In the ZPA Admin Portal, go to Administration > Identity > Private Access > IdP Configuration, and Edit the IdP.',
      'Turn off "SCIM Attributes for Policy", then Save. Access policies that use SCIM attributes or SCIM groups stop matching for this IdP.',
    ],
    verifiedBy: 'the IdP read through the ZPA API: enableScimBasedPolicy false',
  }),
  async observe(run) {
    const { idp } = await readZpaIdp(run.ctx);
    if (!idp.enableScimBasedPolicy) return { state: 'done', detail: 'SCIM Attributes for Policy is off' };
    if (wasOn(run.snapshot, 'enableScimBasedPolicy')) return { state: 'done', detail: 'SCIM Attributes for Policy was on before the migration: left on' };
    return {
      state: 'pending',
      detail: 'SCIM Attributes for Policy is on (this migration turned it on)',
      changes: ['operator: IdP Configuration > Edit → SCIM Attributes for Policy off, Save (policies using SCIM criteria stop matching)'],
    };
  },
  async apply({ ctx }) {
    const { idp } = await readZpaIdp(ctx);
    ctx.out.warn(`Access policies that use SCIM attributes or SCIM groups of ZPA IdP "${idp.name}" stop matching once SCIM Attributes for Policy is off.`);
    await ctx.operator.perform({
      action: 'zpa.setScimPolicy',
      idpName: idp.name,
      idpId: idp.id,
      enabled: false,
      title: `Turn off "SCIM Attributes for Policy" on ZPA IdP "${idp.name}"`,
      instructions: [
        'In the ZPA Admin Portal, go to Administration > Identity > Private Access > IdP Configuration.',
        `Click the Edit icon of the IdP "${idp.name}".`,
        'Turn off "SCIM Attributes for Policy", then Save.',
      ],
      inputs: [],
    });
  },
};

/** How many SCIM groups ZPA keeps for the IdP (read-only), for the sentence that says they stay. */
async function keptGroups(ctx: MigrationContext, idpId: string): Promise<string> {
  let n = 0;
  try {
    for await (const page of zpaClientOf(ctx).listScimGroups(idpId)) n += page.length;
  } catch {
    return 'its SCIM users and groups';
  }
  return `its SCIM users and ${n} SCIM group(s)`;
}

const scimSyncOff: Step<MigrationContext> = {
  id: 'zpa-disable-scim-sync',
  title: 'Turn off SCIM Sync on the ZPA IdP (SCIM users and groups are kept)',
  doc: GUIDE,
  kind: 'operator',
  after: ['zpa-scim-policy-off'],
  guide: () => ({
    instructions: [
      'In the ZPA Admin Portal, go to Administration > Identity > Private Access > IdP Configuration, and Edit the IdP.',
      'Turn off "Enabled for SCIM Sync", then Save. Do not delete SCIM users or groups: access policies may reference them.',
    ],
    verifiedBy: 'the IdP read through the ZPA API: scimEnabled false',
  }),
  async observe(run) {
    const { idp } = await readZpaIdp(run.ctx);
    if (!idp.scimEnabled) return { state: 'done', detail: 'SCIM Sync is off' };
    if (wasOn(run.snapshot, 'scimEnabled')) return { state: 'done', detail: 'SCIM Sync was on before the migration: left on' };
    return {
      state: 'pending',
      detail: 'SCIM Sync is on (this migration turned it on)',
      changes: ['operator: IdP Configuration > Edit → Enabled for SCIM Sync off, Save; SCIM users and groups are not deleted'],
    };
  },
  async apply({ ctx }) {
    const { idp } = await readZpaIdp(ctx);
    const kept = await keptGroups(ctx, idp.id);
    await ctx.operator.perform({
      action: 'zpa.disableScimSync',
      idpName: idp.name,
      idpId: idp.id,
      title: `Turn off SCIM Sync on ZPA IdP "${idp.name}"`,
      instructions: [
        'In the ZPA Admin Portal, go to Administration > Identity > Private Access > IdP Configuration.',
        `Click the Edit icon of the IdP "${idp.name}".`,
        'Turn off "Enabled for SCIM Sync", then Save.',
        `ZPA keeps ${kept}; migrate deletes none of them. Access policies may reference SCIM groups: check them before deleting any by hand.`,
      ],
      inputs: [],
    });
    ctx.out.info(`  ZPA keeps ${kept} of IdP "${idp.name}": rollback deletes no SCIM user or group.`);
  },
};

/** ZPA's rollback with this IdP's steps (one Flow object per IdP). */
export const zpaRollbackFlowFor = perIdp((idp) => ({
  id: 'rollback',
  title: `ZPA: SCIM Attributes for Policy and SCIM Sync off, ${idp.label} paused`,
  doc: 'help.zscaler.com/zpa/enabling-scim-identity-management (in reverse)',
  preflight: [],
  closingAdvice: [
    'SCIM users and groups stay in ZPA: rollback deletes none, since access policies may reference SCIM groups. Remove them by hand only after checking the policies that use them.',
  ],
  steps: [policyOff, idp.steps.pause, scimSyncOff, ...(idp.steps.restore ? [idp.steps.restore] : [])],
  ...rollbackLifecycle,
}));
