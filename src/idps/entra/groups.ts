import { z } from 'zod';
import type { SyncSchema } from '../../clients/graph.js';
import { directoryPages } from '../../flows/parity-check.js';
import type { MigrationContext } from '../../flows/context.js';
import { fromDirectoryEntry } from '../../parity/identity.js';
import type { IdpGroupsInScope } from '../provisioner.js';
import { findJob, graphOf } from './provisioner.js';

/**
 * Issue 17, part 1b, the Entra side of the groups forecast: the group displayNames and department values
 * the Zscaler app's job would push. Groups: the groups assigned to the app (not with Default Access,
 * G10), named as the group rule's `displayName` mapping sends them. Departments: the values of the
 * enterprise `department` attribute the user rule maps, read from the directory in scope (Entra's
 * department comes from AD's through Entra Connect: inferred, docs/vendor-facts.md). Only a direct
 * mapping (`[attribute]`) is forecast; an expression is "cannot forecast", never guessed.
 */

type Mapping = NonNullable<NonNullable<SyncSchema['synchronizationRules'][number]['objectMappings']>[number]>;
type Attribute = NonNullable<Mapping['attributeMappings']>[number];

const SourceType = z.object({ type: z.string().nullish() }).passthrough();

/** The source attribute of a direct mapping, or undefined for an expression (or a constant). */
function directSource(a: Attribute): string | undefined {
  const type = SourceType.safeParse(a.source ?? {}).data?.type;
  const name = a.source?.name ?? undefined;
  const expr = a.source?.expression ?? undefined;
  if (type === 'Attribute' && name) return name;
  if (type == null && expr && /^\[[^\]]+\]$/.test(expr)) return expr.slice(1, -1);
  return undefined;
}

function rule(schema: SyncSchema, source: 'User' | 'Group'): Mapping | undefined {
  for (const r of schema.synchronizationRules)
    for (const m of r.objectMappings ?? []) if (m.enabled !== false && (m.sourceObjectName ?? '').toLowerCase() === source.toLowerCase()) return m;
  return undefined;
}

const isDepartment = (target: string) => target === 'department' || /:department$/i.test(target);

export async function entraGroupsInScope(ctx: MigrationContext): Promise<IdpGroupsInScope> {
  const { spId, jobId } = await findJob(ctx);
  const graph = graphOf(ctx);
  const schema = await graph.getJobSchema(spId, jobId);

  let groups: IdpGroupsInScope['groups'];
  const groupRule = rule(schema, 'Group');
  const nameMapping = groupRule?.attributeMappings?.find((a) => a.targetAttributeName === 'displayName');
  if (!groupRule) groups = { names: [] };
  else if (!nameMapping) groups = { cannotForecast: "the job's group mapping has no displayName target" };
  else {
    const src = directSource(nameMapping);
    if (src === undefined) groups = { cannotForecast: `the group displayName is mapped by an expression (${nameMapping.source?.expression ?? '?'})` };
    else if (src !== 'displayName') groups = { cannotForecast: `the group displayName is mapped from ${src}, which this tool does not read` };
    else {
      const assigned = (await graph.listAssignments(spId)).filter((a) => (a.principalType ?? '') === 'Group' && !a.defaultAccess);
      groups = { names: assigned.map((a) => a.principalDisplayName ?? '').filter((n) => n !== '') };
    }
  }

  let departments: IdpGroupsInScope['departments'];
  const deptMapping = rule(schema, 'User')?.attributeMappings?.find((a) => isDepartment(a.targetAttributeName));
  if (!deptMapping) departments = { values: [] };
  else {
    const src = directSource(deptMapping);
    if (src === undefined) departments = { cannotForecast: `the department is mapped by an expression (${deptMapping.source?.expression ?? '?'})` };
    else if (src !== 'department') departments = { cannotForecast: `the department is mapped from ${src}, which this tool does not read` };
    else {
      const values = new Set<string>();
      for await (const page of directoryPages(ctx)) {
        for (const e of page) {
          const v = fromDirectoryEntry(e, ctx.config.directory.mapping).department;
          if (v !== undefined && v.trim() !== '') values.add(v);
        }
      }
      departments = { values: [...values] };
    }
  }
  return { groups, departments };
}
