import type { State } from '../../engine/checkpoint.js';
import type { StatusNotes } from '../product.js';

/**
 * `migrate status` for ZPA: when "SCIM Attributes for Policy" becomes allowed (the soak gate of
 * src/products/zpa/flow.ts), as recorded when SCIM Sync was seen on (soak.hours at that time), while
 * the policy step is not done. Reads only the state file; ZPA's own clock decides at the next run.
 */
export function zpaStatusNotes(state: State, now: number): StatusNotes {
  const forward = state.flows['ad-to-scim'];
  const recorded = forward?.steps['zpa-enable-scim-sync']?.outputs?.soakUntil;
  const until = typeof recorded === 'string' && forward?.steps['zpa-soak-gate']?.status !== 'succeeded' ? recorded : undefined;
  const lines = !until
    ? []
    : Date.parse(until) > now
      ? [
          {
            text: `Soak gate: "SCIM Attributes for Policy" is allowed after ${until}, with parity clean; then run \`migrate ad-to-scim\` again.`,
            attention: true,
          },
        ]
      : [
          {
            text: `Soak gate: the soak passed at ${until}; \`migrate ad-to-scim\` continues to "SCIM Attributes for Policy" if parity is clean.`,
            attention: false,
          },
        ];
  return { lines, json: { soakGateOpensAt: until ?? null } };
}
