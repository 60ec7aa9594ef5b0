/** Druva inSync's words for `--help` (no schema here: `migrate --help` loads commander only, test/cli/startup.test.ts). */
export const insyncHelp = {
  label: 'Druva inSync',
  stepsHelp: {
    'provisioning-switch':
      'Druva inSync: preflight (credential, current method, the "Keep existing … mappings" choice and its impact) → snapshot users, ' +
      'devices, backup bytes and last backups (a 0600 file beside the state file) → change the provisioning method [operator] → ' +
      "create the new method's mapping [operator] → verify users, devices and backup bytes against the snapshot → wait for backups " +
      'after the switch → attest manual mode [operator] → before/after report (reports/ beside the state file).',
    rollback: "Druva inSync: the same steps switching the provisioning method back, verified against the forward run's snapshot.",
  },
} as const;
