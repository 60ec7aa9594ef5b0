import { randomBytes } from 'node:crypto';
import type { SandboxDirectory, SandboxDirectoryGroup, SandboxDirectoryUser } from './directory.js';

/**
 * Deterministic generator of an AD-shaped directory with the mess real directories have:
 * users without mail, disabled accounts (userAccountControl 514), non-ASCII names, commas in
 * the CN (DN-escaped), UPNs that differ from mail (case or local part), departments, nested
 * groups, and a group large enough to need ranged `member` retrieval (> 1500 members) once
 * the population is >= 1600.
 *
 * Scope: every generated user is in scope. The in-scope group nests every department group
 * (plus direct members for users without a department), so "members of SANDBOX_IN_SCOPE_GROUP,
 * transitively" and "every user" are the same population.
 */

export const SANDBOX_DOMAIN = 'example.test';
export const SANDBOX_IN_SCOPE_GROUP = 'Zscaler Users';
export const SANDBOX_ALL_STAFF_GROUP = 'All Staff';
export const SANDBOX_DEPARTMENTS = [
  'Engineering',
  'Sales',
  'Marketing',
  'Finance',
  'Human Resources',
  'Legal',
  'Support',
  'Operations',
  'Research',
  'Procurement',
  'IT',
  'Facilities',
] as const;

/** Threshold above which the all-staff group passes AD's 1500-value MaxValRange. */
export const RANGED_GROUP_MIN_USERS = 1600;

const FIRST = [
  'James',
  'Mary',
  'John',
  'Patricia',
  'Robert',
  'Jennifer',
  'Michael',
  'Linda',
  'William',
  'Elizabeth',
  'David',
  'Barbara',
  'Richard',
  'Susan',
  'Joseph',
  'Jessica',
  'Thomas',
  'Sarah',
  'Charles',
  'Karen',
  'Chloé',
  'Zoë',
  'Søren',
  'Jürgen',
  'Renée',
  'Björn',
  'Ana',
  'Luis',
  'Aiko',
  '太郎',
  'Noémie',
  'Øystein',
] as const;
const LAST = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lefèvre',
  'Müller',
  'Sørensen',
  'Østergaard',
  'Doe',
  'Nakamura',
  '山田',
  'Dubois',
  'Schröder',
  'Kowalski',
] as const;

export interface GenerateDirectoryOptions {
  users: number;
  seed?: number;
  domain?: string;
}

/** mulberry32: tiny, fast, good enough for test data; same seed → same directory. */
export function createPrng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** RFC 4514 escaping of an attribute value inside a DN (commas, plus, quotes, etc.). */
const DN_SPECIAL = /[,+"\\<>;=#]|^ | $/;

export function escapeDnValue(value: string): string {
  if (!DN_SPECIAL.test(value)) return value; // fast path: most names need no escaping
  let out = value.replace(/([,+"\\<>;=])/g, '\\$1');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** Plain ASCII for logon names: strip accents, drop what cannot be transliterated. */
function asciiFold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/g, 'o')
    .replace(/Ø/g, 'O')
    .replace(/[^A-Za-z0-9]/g, '');
}

const foldCache = new Map<string, string>();
function foldedName(s: string): string {
  let f = foldCache.get(s);
  if (f === undefined) {
    f = asciiFold(s);
    foldCache.set(s, f);
  }
  return f;
}

function guidFrom(rand: () => number): Buffer {
  const b = Buffer.allocUnsafe(16);
  for (let i = 0; i < 16; i += 4) b.writeUInt32LE(Math.floor(rand() * 4294967296) >>> 0, i);
  // Version 4 / variant bits so the value looks like a real GUID.
  b[7] = ((b[7] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  return b;
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}

export function generateDirectory(opts: GenerateDirectoryOptions): SandboxDirectory {
  const count = Math.max(0, Math.floor(opts.users));
  const rand = createPrng(opts.seed ?? 1);
  const domain = opts.domain ?? SANDBOX_DOMAIN;
  const baseDn = domain
    .split('.')
    .map((p) => `DC=${p}`)
    .join(',');
  const usersOu = `OU=Users,OU=Corp,${baseDn}`;
  const groupsOu = `OU=Groups,OU=Corp,${baseDn}`;

  const groupDn = (cn: string) => `CN=${escapeDnValue(cn)},${groupsOu}`;
  const inScope: SandboxDirectoryGroup = {
    dn: groupDn(SANDBOX_IN_SCOPE_GROUP),
    objectGUID: guidFrom(rand),
    cn: SANDBOX_IN_SCOPE_GROUP,
    sAMAccountName: 'Zscaler-Users',
    member: [],
  };
  const allStaff: SandboxDirectoryGroup = {
    dn: groupDn(SANDBOX_ALL_STAFF_GROUP),
    objectGUID: guidFrom(rand),
    cn: SANDBOX_ALL_STAFF_GROUP,
    sAMAccountName: 'All-Staff',
    member: [],
  };
  const deptGroups = new Map<string, SandboxDirectoryGroup>();
  for (const d of SANDBOX_DEPARTMENTS) {
    const cn = `GG-Dept-${d.replace(/ /g, '-')}`;
    const g: SandboxDirectoryGroup = { dn: groupDn(cn), objectGUID: guidFrom(rand), cn, sAMAccountName: cn, member: [] };
    deptGroups.set(d, g);
    // Nested: department groups are members of the in-scope group (AD nesting).
    inScope.member.push(g.dn);
  }

  const users: SandboxDirectoryUser[] = new Array(count);
  const bigGroup = count >= RANGED_GROUP_MIN_USERS;
  for (let i = 0; i < count; i++) {
    const given = pick(rand, FIRST);
    const sn = pick(rand, LAST);
    const r = rand();
    const commaCn = r < 0.08; // "Doe, Jane" style display names
    const displayName = commaCn ? `${sn}, ${given}` : `${given} ${sn}`;
    // The index keeps CN and logon names unique without a lookup table.
    const cn = `${displayName} ${i}`;
    const foldedGiven = foldedName(given) || 'user';
    const foldedSn = foldedName(sn) || 'x';
    const local = `${foldedGiven}.${foldedSn}${i}`.toLowerCase();
    const sam = `${foldedGiven.slice(0, 1)}${foldedSn}${i}`.toLowerCase().slice(0, 20);
    const upn = `${local}@${domain}`;
    const m = rand();
    let mail: string | undefined;
    if (m < 0.05)
      mail = undefined; // ~5% without mail
    else if (m < 0.065)
      mail = `${foldedGiven}.${foldedSn}${i}@${domain}`.replace(/^./, (c) => c.toUpperCase()); // case differs
    else if (m < 0.08)
      mail = `${foldedGiven.slice(0, 1).toLowerCase()}${foldedSn.toLowerCase()}.${i}@${domain}`; // other local part
    else mail = upn;
    const disabled = rand() < 0.03;
    const deptRoll = rand();
    const department = deptRoll < 0.02 ? undefined : pick(rand, SANDBOX_DEPARTMENTS);
    const dn = `CN=${escapeDnValue(cn)},${usersOu}`;
    const memberOf: string[] = [];
    if (department !== undefined) {
      const g = deptGroups.get(department) as SandboxDirectoryGroup;
      g.member.push(dn);
      memberOf.push(g.dn);
    } else {
      inScope.member.push(dn);
      memberOf.push(inScope.dn);
    }
    if (bigGroup) {
      allStaff.member.push(dn);
      memberOf.push(allStaff.dn);
    }
    const user: SandboxDirectoryUser = {
      dn,
      objectGUID: guidFrom(rand),
      sAMAccountName: sam,
      userPrincipalName: upn,
      displayName,
      givenName: given,
      sn,
      userAccountControl: disabled ? 514 : 512,
      memberOf,
    };
    if (mail !== undefined) user.mail = mail;
    if (department !== undefined) user.department = department;
    users[i] = user;
  }

  const groups = [inScope, ...deptGroups.values()];
  if (bigGroup) groups.push(allStaff);
  return {
    baseDn,
    domain,
    bindDn: `CN=svc-zscaler-sync,OU=Service Accounts,OU=Corp,${baseDn}`,
    // Throwaway per-process secret: a sandbox credential, never a real one.
    bindPassword: `Sbx-${randomBytes(12).toString('base64url')}`,
    users,
    groups,
  };
}
