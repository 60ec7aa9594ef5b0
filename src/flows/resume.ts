import type { State } from '../engine/checkpoint.js';

/** A step that saves a ZIA change, and the step that activates it. */
const WRITE_THEN_ACTIVATE: [flow: string, write: string, activate: string][] = [
  ['ad-to-scim', 'enable-migrate-flag', 'activate-flag'],
  ['ad-to-scim', 'enable-scim-on-idp', 'activate-scim'],
  ['rollback', 'restore-auth-settings', 'activate-rollback'],
];

/** True when the checkpoint shows this migration saved a ZIA change it has not activated yet. */
export function ownChangesPending(state: State | undefined): boolean {
  return WRITE_THEN_ACTIVATE.some(([flow, write, activate]) => {
    const steps = state?.flows[flow]?.steps;
    const w = steps?.[write]?.status;
    return (w === 'started' || w === 'succeeded') && steps?.[activate]?.status !== 'succeeded';
  });
}

