import { z } from 'zod';
import { UserError } from '../../engine/errors.js';
import { formatObjectGuid } from './guid.js';
import { isDisabled, parseUac } from './uac.js';

/** One user as read from the directory, validated. */
export interface DirectoryEntry {
  dn: string;
  /** Canonical GUID string from the 16 binary bytes (AD byte order). */
  objectGUID: string;
  sAMAccountName?: string;
  userPrincipalName?: string;
  mail?: string;
  displayName?: string;
  department?: string;
  userAccountControl?: number;
  /** userAccountControl & 0x2. */
  disabled: boolean;
  memberOf: string[];
  /** The raw values of the attributes the caller asked for, keyed as asked (for mapping). */
  attributes: Record<string, string | string[]>;
}

/** What the client always reads, besides the caller's attributes. */
export const CORE_ATTRIBUTES = [
  'objectGUID',
  'sAMAccountName',
  'userPrincipalName',
  'mail',
  'displayName',
  'department',
  'userAccountControl',
  'memberOf',
] as const;

/** Binary attributes ldapts must always hand back as Buffers (its match is case-sensitive, samba-ad.md §8 pitfall 4). */
export const BUFFER_ATTRIBUTES = ['objectGUID'];

type RawValue = Buffer | Buffer[] | string | string[];
export type RawEntry = { dn: string } & Record<string, RawValue>;

const single = z.array(z.string()).max(1, 'has several values where AD allows one');
// A text attribute arrives as a Buffer only when its bytes are not valid UTF-8 (ldapts decodes
// strictly); zod then reports that attribute rather than the client mangling it.
const textValues = z.array(z.string());

const entrySchema = z.object({
  dn: z.string().min(1, 'is empty'),
  objectGUID: z
    .array(z.instanceof(Buffer, { message: 'is not binary (ask for it in explicitBufferAttributes)' }))
    .length(1, 'is missing or has several values')
    .refine((v) => v[0]?.length === 16, 'is not 16 bytes'),
  sAMAccountName: single,
  userPrincipalName: single,
  mail: single,
  displayName: single,
  department: single,
  userAccountControl: single.refine((v) => v.every((s) => /^-?\d{1,10}$/.test(s)), 'is not an integer'),
  memberOf: textValues,
});

/** The values of `name` in a raw ldapts entry, matching the attribute name case-insensitively. */
export function valuesOf(raw: RawEntry, name: string): (Buffer | string)[] {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'dn' || key.toLowerCase() !== wanted) continue;
    const list = Array.isArray(value) ? value : [value];
    if (list.length > 0) return list;
  }
  return [];
}

function rawAttributeValue(name: string, values: (Buffer | string)[]): string | string[] {
  const text = values.map((v) => {
    if (typeof v === 'string') return v;
    // Binary attributes the caller mapped: objectGUID as its canonical string, others as base64.
    return name.toLowerCase() === 'objectguid' && v.length === 16 ? formatObjectGuid(v) : v.toString('base64');
  });
  return text.length === 1 ? (text[0] as string) : text;
}

/**
 * Validates one ldapts search entry and converts it to a DirectoryEntry. A malformed entry is a
 * UserError naming the DN and the attribute: silently skipping users would make parity lie.
 */
export function toDirectoryEntry(raw: RawEntry, requested: readonly string[]): DirectoryEntry {
  const picked = {
    dn: raw.dn,
    objectGUID: valuesOf(raw, 'objectGUID'),
    sAMAccountName: valuesOf(raw, 'sAMAccountName'),
    userPrincipalName: valuesOf(raw, 'userPrincipalName'),
    mail: valuesOf(raw, 'mail'),
    displayName: valuesOf(raw, 'displayName'),
    department: valuesOf(raw, 'department'),
    userAccountControl: valuesOf(raw, 'userAccountControl'),
    memberOf: valuesOf(raw, 'memberOf'),
  };
  const parsed = entrySchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const attribute = issue?.path[0] === undefined ? 'entry' : String(issue.path[0]);
    throw new UserError(
      `directory entry "${typeof raw.dn === 'string' ? raw.dn : '(no DN)'}": attribute ${attribute} ${issue?.message ?? 'is malformed'}`,
      { hint: 'fix the entry in the directory, or narrow directory.userFilter to exclude it' },
    );
  }
  const e = parsed.data;
  const uac = e.userAccountControl[0] === undefined ? undefined : parseUac(e.userAccountControl[0]);
  const attributes: Record<string, string | string[]> = {};
  for (const name of requested) {
    const values = valuesOf(raw, name);
    if (values.length > 0) attributes[name] = rawAttributeValue(name, values);
  }
  const entry: DirectoryEntry = {
    dn: e.dn,
    objectGUID: formatObjectGuid(e.objectGUID[0] as Buffer),
    disabled: uac === undefined ? false : isDisabled(uac),
    memberOf: e.memberOf,
    attributes,
  };
  if (e.sAMAccountName[0] !== undefined) entry.sAMAccountName = e.sAMAccountName[0];
  if (e.userPrincipalName[0] !== undefined) entry.userPrincipalName = e.userPrincipalName[0];
  if (e.mail[0] !== undefined) entry.mail = e.mail[0];
  if (e.displayName[0] !== undefined) entry.displayName = e.displayName[0];
  if (e.department[0] !== undefined) entry.department = e.department[0];
  if (uac !== undefined) entry.userAccountControl = uac;
  return entry;
}
