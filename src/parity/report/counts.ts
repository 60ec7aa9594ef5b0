import type { ParitySummary } from '../report-schema.js';

/** Where ZIA's users came from when the comparison ran, for a person. */
export function ziaFeedText(s: ParitySummary): string {
  return s.ziaFedBy === 'scim' ? 'SCIM provisioning by the IdP (after the migration)' : 'directory sync (before the migration)';
}

/**
 * The per-user counts beside the per-source table: a user missing from both ZIA and SCIM is one
 * finding and one user (the thresholds count users), and counts once in each source's column.
 */
export function userCountsText(s: ParitySummary): string {
  return `${userCountLines(s).join('. ')}. One finding per user, listing every source concerned; the thresholds count users.`;
}

/** "Missing: 7 users (7 from ZIA, 7 from SCIM)" and the same for extra, one line each (terminal). */
export function userCountLines(s: ParitySummary): [string, string] {
  const per = (c: ParitySummary['missing'], prep: string) => `${c.zia} ${prep} ZIA` + (c.scim === null ? '' : `, ${c.scim} ${prep} SCIM`);
  const users = (n: number) => `${n} user${n === 1 ? '' : 's'}`;
  return [`Missing: ${users(s.missing.users)} (${per(s.missing, 'from')})`, `Extra: ${users(s.extra.users)} (${per(s.extra, 'in')})`];
}
