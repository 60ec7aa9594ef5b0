/**
 * GET …/synchronization/jobs/{id}/schema (Get synchronizationSchema, v1.0): the job's
 * synchronization rules. The user object mapping is rendered from the mapping the engine applies
 * (state.userMapping), so what Graph reports is what the sandbox sends. Shapes follow the
 * synchronizationSchema / objectMapping / attributeMapping resources (docs/vendor-facts.md G14);
 * directory definitions are left out (the documented example is abridged too).
 */
import { SCHEMA_GROUP, SCHEMA_USER } from './scim-client.js';
import type { EntraState } from './tenant.js';

const SOURCE_NAME: Record<string, string> = {
  userPrincipalName: 'userPrincipalName',
  objectId: 'objectId',
  accountEnabled: 'accountEnabled',
  displayName: 'displayName',
  givenName: 'givenName',
  surname: 'surname',
  department: 'department',
  mail: 'mail',
};

function attribute(source: string, target: string, matchingPriority: number) {
  return {
    defaultValue: null,
    exportMissingReferences: false,
    flowBehavior: 'FlowWhenChanged',
    flowType: 'Always',
    matchingPriority,
    source: { expression: `[${source}]`, name: source, parameters: [], type: 'Attribute' },
    targetAttributeName: target,
  };
}

export function synchronizationSchema(state: EntraState): Record<string, unknown> {
  return {
    id: state.job.id,
    version: 'Date:2026-01-01T00:00:00Z~###~Version:1',
    directories: [],
    synchronizationRules: [
      {
        editable: true,
        id: `${state.job.templateId}.rule`,
        name: `USER_OUTBOUND_${state.job.templateId.toUpperCase()}`,
        sourceDirectoryName: 'Azure Active Directory',
        targetDirectoryName: 'customappsso',
        metadata: [],
        objectMappings: [
          {
            enabled: true,
            flowTypes: 'Add, Update, Delete',
            metadata: [],
            name: 'Provision Microsoft Entra ID Users',
            scope: null,
            sourceObjectName: 'User',
            targetObjectName: SCHEMA_USER,
            attributeMappings: state.userMapping.map((m) =>
              m.expression
                ? {
                    ...attribute(SOURCE_NAME[m.source] ?? m.source, m.target, m.matching ? 1 : 0),
                    // An expression mapping: type Function, named after its outer function (G14).
                    source: { expression: m.expression.text, name: /^[A-Za-z]+/.exec(m.expression.text)?.[0] ?? '', parameters: [], type: 'Function' },
                  }
                : attribute(SOURCE_NAME[m.source] ?? m.source, m.target, m.matching ? 1 : 0),
            ),
          },
          {
            enabled: true,
            flowTypes: 'Add, Update, Delete',
            metadata: [],
            name: 'Provision Microsoft Entra ID Groups',
            scope: null,
            sourceObjectName: 'Group',
            targetObjectName: SCHEMA_GROUP,
            attributeMappings: [attribute('displayName', 'displayName', 1), attribute('objectId', 'externalId', 0), attribute('members', 'members', 0)],
          },
        ],
      },
    ],
  };
}
