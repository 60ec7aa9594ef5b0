import { z } from 'zod';
import { firstRdnValue } from './dn.js';
import { scimUserDepartment } from '../clients/scim.js';
import type { DirectoryEntry, DirectoryMapping, ScimGroup, ScimUser, ZiaUser } from './inputs.js';

/** `zpa`: ZPA's users, read from its SCIM service (with the token) or its admin API (names only). */
export const SOURCES = ['directory', 'zia', 'scim', 'zpa'] as const;
export const sourceSchema = z.enum(SOURCES);
export type Source = z.infer<typeof sourceSchema>;

/** The one shape every source is normalised to before comparison. */
export const identityRecordSchema = z.object({
  source: sourceSchema,
  /** objectGUID (directory), numeric id (ZIA), SCIM id: where to look the record up. */
  sourceId: z.string(),
  userName: z.string().optional(),
  email: z.string().optional(),
  displayName: z.string().optional(),
  department: z.string().optional(),
  /** undefined = the source does not say (ZIA has no such field). */
  active: z.boolean().optional(),
  /** Group display names (directory: the CN of each memberOf DN). */
  groups: z.array(z.string()),
});
export type IdentityRecord = z.infer<typeof identityRecordSchema>;

/** Empty and whitespace-only values mean "not set" on every side. */
function clean(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

function firstString(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    for (const item of v) {
      const c = clean(item);
      if (c !== undefined) return c;
    }
    return undefined;
  }
  return clean(v);
}

/** LDAP attribute names are case-insensitive: `Mail` and `mail` are the same attribute. */
function attributeValue(entry: DirectoryEntry, name: string): string | undefined {
  // The client keys attributes exactly as the mapping asked for them: try that first (the
  // case-insensitive scan below lower-cases every key, for every field of every user).
  const exact = Object.hasOwn(entry.attributes, name) ? firstString(entry.attributes[name]) : undefined;
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const k in entry.attributes) {
    if (k.toLowerCase() === lower) {
      const v = firstString(entry.attributes[k]);
      if (v !== undefined) return v;
    }
  }
  // Fall back to the client's named top-level fields (userPrincipalName, mail, ...).
  for (const k in entry) {
    if (k !== 'attributes' && k.toLowerCase() === lower) {
      const v = firstString(Reflect.get(entry, k));
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

export function fromDirectoryEntry(entry: DirectoryEntry, mapping: DirectoryMapping): IdentityRecord {
  const rec: IdentityRecord = {
    source: 'directory',
    sourceId: entry.objectGUID,
    active: !entry.disabled,
    groups: entry.memberOf.map(firstRdnValue).filter((g) => g !== ''),
  };
  const userName = attributeValue(entry, mapping.userName);
  const email = attributeValue(entry, mapping.email);
  const displayName = attributeValue(entry, mapping.displayName);
  const department = attributeValue(entry, mapping.department);
  if (userName !== undefined) rec.userName = userName;
  if (email !== undefined) rec.email = email;
  if (displayName !== undefined) rec.displayName = displayName;
  if (department !== undefined) rec.department = department;
  return rec;
}

/**
 * The API documents a name on every group reference (docs/vendor-facts.md F19) and the client accepts one
 * without (defensively). A nameless membership cannot be matched to a directory group by name;
 * naming it by id makes it show up as membership drift instead of silently disappearing.
 */
function ziaGroupName(g: { id: number; name?: string | undefined }): string {
  return clean(g.name) ?? `(ZIA group id ${g.id})`;
}

/**
 * ZIA's `email` is the login name (user@domain), so it feeds both userName and email.
 * `active` stays undefined: ZIA's admin API documents no enabled/disabled field
 * (docs/vendor-facts.md F19), so parity never reports active drift against ZIA.
 */
export function fromZiaUser(u: ZiaUser): IdentityRecord {
  const rec: IdentityRecord = {
    source: 'zia',
    sourceId: String(u.id),
    groups: (u.groups ?? []).map(ziaGroupName).filter((g) => g !== ''),
  };
  const login = clean(u.email);
  const displayName = clean(u.name);
  const department = clean(u.department?.name);
  if (login !== undefined) {
    rec.userName = login;
    rec.email = login;
  }
  if (displayName !== undefined) rec.displayName = displayName;
  if (department !== undefined) rec.department = department;
  return rec;
}

/** Group names and user→groups, built once from /Groups for users read without `groups`. */
export interface ScimGroupIndex {
  nameById: Map<string, string>;
  groupsByMember: Map<string, string[]>;
}

/** `into`: an index to add to (a paged read indexes page by page and drops each page). */
export function indexScimGroups(groups: Iterable<ScimGroup>, into?: ScimGroupIndex): ScimGroupIndex {
  const { nameById, groupsByMember } = into ?? { nameById: new Map<string, string>(), groupsByMember: new Map<string, string[]>() };
  for (const g of groups) {
    nameById.set(g.id, g.displayName);
    for (const m of g.members ?? []) {
      const list = groupsByMember.get(m.value);
      if (list) list.push(g.displayName);
      else groupsByMember.set(m.value, [g.displayName]);
    }
  }
  return { nameById, groupsByMember };
}

function scimEmail(u: ScimUser): string | undefined {
  const emails = u.emails ?? [];
  const pick = emails.find((e) => e.primary === true) ?? emails.find((e) => e.type?.toLowerCase() === 'work') ?? emails[0];
  return clean(pick?.value);
}

/** The user's group names: from its own `groups` (display, else the index's name), else from the index's members. */
function scimGroupNames(u: Pick<ScimUser, 'id' | 'groups'>, groupIndex?: ScimGroupIndex): string[] {
  let groups: string[];
  if (u.groups !== undefined) {
    groups = u.groups.map((g) => clean(g.display) ?? groupIndex?.nameById.get(g.value) ?? g.value);
  } else {
    groups = groupIndex?.groupsByMember.get(u.id) ?? [];
  }
  return groups.map((g) => g.trim()).filter((g) => g !== '');
}

/**
 * Whether fromScimUser needs the /Groups index for this user: it lists no `groups` at all, or
 * a membership without a display name. A server that returns memberships on users (ZIA's SCIM
 * attribute mapping lists `groups` as a user attribute, docs/vendor-facts.md F24; ZIA's SCIM does) needs no /Groups read.
 */
export function scimUserNeedsGroupIndex(u: Pick<ScimUser, 'groups'>): boolean {
  if (u.groups === undefined) return true;
  for (const g of u.groups) if (clean(g.display) === undefined) return true;
  return false;
}

export function fromScimUser(u: ScimUser, groupIndex?: ScimGroupIndex): IdentityRecord {
  const rec: IdentityRecord = { source: 'scim', sourceId: u.id, groups: scimGroupNames(u, groupIndex) };
  const userName = clean(u.userName);
  const email = scimEmail(u);
  const displayName = clean(u.displayName);
  const department = clean(scimUserDepartment(u));
  // The client has already read "True"/"false" strings as booleans (clients/scim.ts ScimBoolean).
  const active = u.active;
  if (userName !== undefined) rec.userName = userName;
  if (email !== undefined) rec.email = email;
  if (displayName !== undefined) rec.displayName = displayName;
  if (department !== undefined) rec.department = department;
  if (active !== undefined) rec.active = active;
  return rec;
}

/** Page-by-page adapters from client streams to the engine's input. */
export async function* directoryRecords(pages: AsyncIterable<DirectoryEntry[]>, mapping: DirectoryMapping): AsyncGenerator<IdentityRecord[]> {
  for await (const page of pages) yield page.map((e) => fromDirectoryEntry(e, mapping));
}

/** Users ZIA reports as deleted are not users any more: they are dropped here. */
export async function* ziaRecords(pages: AsyncIterable<ZiaUser[]>): AsyncGenerator<IdentityRecord[]> {
  for await (const page of pages) yield page.filter((u) => u.deleted !== true).map(fromZiaUser);
}

/**
 * SCIM records that read /Groups only if some user needs it (scimUserNeedsGroupIndex), and then
 * only after the users. Why: a /Groups page lists every member of up to 1,000 groups in ONE
 * response (22 MB for 14 groups at 100k users), which cost more memory than the rest of the read
 * together (issue 6), while a server that returns memberships on users makes it redundant. Users
 * that do need the index wait as records (not raw resources) until it is built.
 */
export async function* scimRecordsWithLazyGroups(
  pages: AsyncIterable<ScimUser[]>,
  loadGroupIndex: () => Promise<ScimGroupIndex>,
): AsyncGenerator<IdentityRecord[]> {
  const waiting: { rec: IdentityRecord; user: Pick<ScimUser, 'id' | 'groups'> }[] = [];
  for await (const page of pages) {
    const ready: IdentityRecord[] = [];
    for (const u of page) {
      const rec = fromScimUser(u);
      if (scimUserNeedsGroupIndex(u)) {
        const user: Pick<ScimUser, 'id' | 'groups'> = { id: u.id };
        if (u.groups !== undefined) user.groups = u.groups;
        waiting.push({ rec, user });
      } else {
        ready.push(rec);
      }
    }
    yield ready;
  }
  if (waiting.length === 0) return;
  const index = await loadGroupIndex();
  const PAGE = 1000;
  for (let i = 0; i < waiting.length; i += PAGE) {
    yield waiting.slice(i, i + PAGE).map(({ rec, user }) => {
      rec.groups = scimGroupNames(user, index);
      return rec;
    });
  }
}
