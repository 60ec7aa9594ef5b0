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

/** Binary attributes ldapts must always hand back as Buffers (its match is case-sensitive, docs/vendor-facts.md F38). */
export const BUFFER_ATTRIBUTES = ['objectGUID'];

type RawValue = Buffer | Buffer[] | string | string[];
export type RawEntry = { dn: string } & Record<string, RawValue>;

// The schema reads each single-valued attribute as ONE value (see `one`), not as an array: the
// per-attribute arrays (ours and zod's copies) were a large share of a 100k-user read's garbage.
// A second value reaches zod as an array and is reported as such.
const severalValues = (iss: { input?: unknown }) => (Array.isArray(iss.input) ? 'has several values where AD allows one' : undefined);
// A text attribute arrives as a Buffer only when its bytes are not valid UTF-8 (ldapts decodes
// strictly); zod then reports that attribute rather than the client mangling it.
const single = z.string({ error: severalValues }).optional();
const textValues = z.array(z.string());

const entrySchema = z.object({
  dn: z.string().min(1, 'is empty'),
  objectGUID: z
    .instanceof(Buffer, {
      error: (iss) =>
        iss.input === undefined || Array.isArray(iss.input) ? 'is missing or has several values' : 'is not binary (ask for it in explicitBufferAttributes)',
    })
    .refine((v) => v.length === 16, 'is not 16 bytes'),
  sAMAccountName: single,
  userPrincipalName: single,
  mail: single,
  displayName: single,
  department: single,
  userAccountControl: z
    .string({ error: severalValues })
    .regex(/^-?\d{1,10}$/, 'is not an integer')
    .optional(),
  memberOf: textValues,
});

const NONE: readonly (Buffer | string)[] = Object.freeze([]);

/**
 * The entry's attributes by lower-cased name, built in ONE pass over its keys. Looking each
 * attribute up with Object.entries (an array of pairs per lookup, ~12 lookups per entry) was the
 * largest single source of garbage in a 100k-user directory read (issue 6).
 */
function byLowerName(raw: RawEntry): Map<string, RawValue> {
  const m = new Map<string, RawValue>();
  for (const key in raw) {
    if (key === 'dn') continue;
    const value = raw[key] as RawValue;
    const k = key.toLowerCase();
    // First non-empty value wins, as before (ldapts may add an empty array under the asked-for case).
    const prev = m.get(k);
    if (prev === undefined || (Array.isArray(prev) && prev.length === 0)) m.set(k, value);
  }
  return m;
}

/** A single-valued attribute: its value, undefined when absent, the array when it has several. */
function one(m: Map<string, RawValue>, name: string): RawValue | undefined {
  const value = m.get(name);
  if (!Array.isArray(value)) return value;
  return value.length === 0 ? undefined : value.length === 1 ? value[0] : value;
}

function lookup(m: Map<string, RawValue>, name: string): (Buffer | string)[] {
  const value = m.get(name.toLowerCase());
  if (value === undefined) return NONE as (Buffer | string)[];
  return Array.isArray(value) ? value : [value];
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
  const attrs = byLowerName(raw);
  const picked = {
    dn: raw.dn,
    objectGUID: one(attrs, 'objectguid'),
    sAMAccountName: one(attrs, 'samaccountname'),
    userPrincipalName: one(attrs, 'userprincipalname'),
    mail: one(attrs, 'mail'),
    displayName: one(attrs, 'displayname'),
    department: one(attrs, 'department'),
    userAccountControl: one(attrs, 'useraccountcontrol'),
    memberOf: lookup(attrs, 'memberof'),
  };
  const parsed = entrySchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const attribute = issue?.path[0] === undefined ? 'entry' : String(issue.path[0]);
    throw new UserError(`directory entry "${typeof raw.dn === 'string' ? raw.dn : '(no DN)'}": attribute ${attribute} ${issue?.message ?? 'is malformed'}`, {
      hint: 'fix the entry in the directory, or narrow directory.userFilter to exclude it',
    });
  }
  const e = parsed.data;
  const uac = e.userAccountControl === undefined ? undefined : parseUac(e.userAccountControl);
  const attributes: Record<string, string | string[]> = {};
  for (const name of requested) {
    const values = lookup(attrs, name);
    if (values.length > 0) attributes[name] = rawAttributeValue(name, values);
  }
  const entry: DirectoryEntry = {
    dn: e.dn,
    objectGUID: formatObjectGuid(e.objectGUID),
    disabled: uac === undefined ? false : isDisabled(uac),
    memberOf: e.memberOf,
    attributes,
  };
  if (e.sAMAccountName !== undefined) entry.sAMAccountName = e.sAMAccountName;
  if (e.userPrincipalName !== undefined) entry.userPrincipalName = e.userPrincipalName;
  if (e.mail !== undefined) entry.mail = e.mail;
  if (e.displayName !== undefined) entry.displayName = e.displayName;
  if (e.department !== undefined) entry.department = e.department;
  if (uac !== undefined) entry.userAccountControl = uac;
  return entry;
}
