import type { ParitySummary } from '../report-schema.js';

/** Where ZIA's users came from when the comparison ran, for a person. */
export function ziaFeedText(s: ParitySummary): string {
  return s.ziaFedBy === 'scim' ? 'SCIM provisioning by the IdP (after the migration)' : 'directory sync (before the migration)';
}

/**
 * How the writers name the report's two store slots: ZIA and SCIM for ZIA's reports, the
 * product's own labels otherwise (summary.stores). `second` is undefined when there is no second store
 * by design (not merely left unread, as SCIM during a rollback).
 */
export function slotNames(s: ParitySummary): { first: string; second: string | undefined } {
  if (!s.stores) return { first: 'ZIA', second: 'SCIM' };
  return { first: s.stores.find((x) => x.slot === 'zia')?.label ?? 'ZIA', second: s.stores.find((x) => x.slot === 'scim')?.label };
}

/** The sentence on where the compared users come from: ZIA's feed, or the product's stores and their notes. */
export function feedSentence(s: ParitySummary): string {
  if (!s.stores) return `ZIA's users come from ${ziaFeedText(s)}.`;
  return s.stores.map((x) => `${x.label}: compared ${x.compared.join(', ')}${x.note ? `. ${x.note}` : ''}.`).join(' ');
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
  const n = slotNames(s);
  const per = (c: ParitySummary['missing'], prep: string) =>
    `${c.zia} ${prep} ${n.first}` + (c.scim === null ? '' : `, ${c.scim} ${prep} ${n.second ?? 'SCIM'}`);
  const users = (n: number) => `${n} user${n === 1 ? '' : 's'}`;
  return [`Missing: ${users(s.missing.users)} (${per(s.missing, 'from')})`, `Extra: ${users(s.extra.users)} (${per(s.extra, 'in')})`];
}
