#!/usr/bin/env node
// Seed generator for the test Samba AD DC (scripts/samba-ad/up.sh calls it).
//
// Writes two files and nothing else:
//   <out>/seed.ldif      OUs, users, groups, the bind service account (mode 0600: it holds the
//                        service account's unicodePwd; up.sh deletes it after ldbadd)
//   <out>/expected.json  the counts the AD test tier asserts, computed HERE from the generated
//                        data (never by querying the DC), so the tests compare two independent views.
//
// Usage: node seed.mjs --out <dir> --users <n> --base DC=migrate,DC=test --realm migrate.test
//                      --netbios MIGRATE --bind-password-file <file>
// The data is deterministic for a given --users (no randomness), so counts are reproducible.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function parseArgs(argv) {
  const out = {};
  for (let i = 2; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key || !key.startsWith('--') || value === undefined) {
      throw new Error(`seed.mjs: bad arguments near "${key ?? ''}": expected --name value pairs`);
    }
    out[key.slice(2)] = value;
  }
  for (const required of ['out', 'users', 'base', 'realm', 'netbios', 'bind-password-file']) {
    if (!out[required]) throw new Error(`seed.mjs: --${required} is required`);
  }
  const users = Number(out.users);
  if (!Number.isInteger(users) || users < 10 || users > 200000) {
    throw new Error(`seed.mjs: --users must be an integer between 10 and 200000 (got ${out.users})`);
  }
  return { ...out, users };
}

const args = parseArgs(process.argv);
const BASE = args.base;
const REALM = args.realm.toLowerCase();
const CORP = `OU=Corp,${BASE}`; // the scope's base DN
const GROUPS_OU = `OU=Groups,${CORP}`;
const OUTSIDE = `OU=Outside,${BASE}`; // users outside the scope's base DN
const SERVICE_OU = `OU=Service Accounts,${BASE}`;
const OUTSIDE_USERS = 25;

// ---------- LDIF / DN encoding ----------

/** RFC 4514 escaping of one RDN value (the CN), leaving non-ASCII as UTF-8 (valid in DNs). */
function rdnValue(value) {
  let escaped = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`);
  if (escaped.startsWith('#') || escaped.startsWith(' ')) escaped = `\\${escaped}`;
  if (escaped.endsWith(' ')) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

/** One LDIF line; values that are not safe printable ASCII are base64 (`attr:: …`), per RFC 2849. */
function ldifLine(attr, value) {
  const safe = /^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(value) && !value.endsWith(' ');
  return safe ? `${attr}: ${value}` : `${attr}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

function record(dn, attrs) {
  const lines = [ldifLine('dn', dn)];
  for (const [attr, value] of attrs) lines.push(ldifLine(attr, value));
  return `${lines.join('\n')}\n\n`;
}

// ---------- people ----------

const GIVEN = ['Anna', 'Ben', 'Chloe', 'David', 'Emma', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jamal', 'Kara', 'Liam'];
const SURNAME = ['Smith', 'Jones', 'Taylor', 'Brown', 'Wilson', 'Evans', 'Walker', 'Wright', 'Hall', 'Green'];
// Non-ASCII names (Latin with diacritics, Polish, Greek, CJK) for the round-trip tests.
const GIVEN_INTL = ['Zoë', 'Jürgen', 'José', 'Łukasz', 'Åsa', 'Σοφία', '雷', 'Çağrı'];
const SURNAME_INTL = ['Ångström', 'Müller', 'Núñez', 'Żółć', 'Øvergård', 'Παπαδοπούλου', '李', 'Yılmaz'];
const DEPARTMENTS = [
  { name: 'Engineering', ou: `OU=Engineering,${CORP}` },
  { name: 'Sales', ou: `OU=Sales,${CORP}` },
  { name: 'Finance', ou: `OU=Finance,${CORP}` },
  { name: 'Zürich Büro', ou: `OU=Zürich Büro,${CORP}` }, // non-ASCII OU name in the DN
];

const UAC_ENABLED = 512; // NORMAL_ACCOUNT
const UAC_ENABLED_NOEXPIRE = 66048; // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD
const UAC_DISABLED = 514; // NORMAL_ACCOUNT | ACCOUNTDISABLE
const UAC_DISABLED_NOEXPIRE = 66050; // NORMAL_ACCOUNT | ACCOUNTDISABLE | DONT_EXPIRE_PASSWORD

function pad(n) {
  return String(n).padStart(6, '0');
}

/** The in-scope user number i (1-based): every property is a pure function of i. */
function makeUser(i) {
  const intl = i % 5 === 2;
  const given = intl ? GIVEN_INTL[i % GIVEN_INTL.length] : GIVEN[i % GIVEN.length];
  const sn = intl ? SURNAME_INTL[(i * 7) % SURNAME_INTL.length] : SURNAME[(i * 3) % SURNAME.length];
  const dept = DEPARTMENTS[i % DEPARTMENTS.length];
  const sam = `u${pad(i)}`;
  let cn = `${given} ${sn} ${i}`;
  let displayName = `${given} ${sn}`;
  if (i % 97 === 1) {
    // "Surname, Given" naming: a comma in the CN, escaped as "\," in the DN.
    cn = `${sn}, ${given} ${i}`;
    displayName = `${sn}, ${given}`;
  }
  if (i === 3) {
    // Filter metacharacters in a value that configuration could name.
    cn = `O'Brien (Contractor) *VIP* \\ Ops ${i}`;
    displayName = `O'Brien (Contractor) *VIP* \\ Ops`;
  }
  const upn = `${sam}@${REALM}`;
  let mail = upn;
  if (i % 11 === 4) mail = `${given.normalize('NFD').replace(/[^A-Za-z]/g, '') || 'user'}.${i}@mail.example.com`;
  const hasMail = i % 7 !== 0;
  let uac = i % 3 === 0 ? UAC_ENABLED_NOEXPIRE : UAC_ENABLED;
  if (i % 10 === 0) uac = UAC_DISABLED;
  if (i % 50 === 25) uac = UAC_DISABLED_NOEXPIRE;
  const hasDepartment = i % 23 !== 0;
  return {
    i,
    dn: `CN=${rdnValue(cn)},${dept.ou}`,
    sam,
    upn,
    mail: hasMail ? mail : undefined,
    given,
    sn,
    displayName,
    department: hasDepartment ? dept.name : undefined,
    uac,
    inScope: true,
  };
}

function makeOutsideUser(j) {
  const sam = `x${pad(j)}`;
  return {
    i: -j,
    dn: `CN=Outside User ${j},${OUTSIDE}`,
    sam,
    upn: `${sam}@${REALM}`,
    mail: `${sam}@${REALM}`,
    given: 'Outside',
    sn: `User ${j}`,
    displayName: `Outside User ${j}`,
    department: 'External',
    uac: UAC_ENABLED,
    inScope: false,
  };
}

const users = [];
for (let i = 1; i <= args.users; i += 1) users.push(makeUser(i));
const outside = [];
for (let j = 1; j <= OUTSIDE_USERS; j += 1) outside.push(makeOutsideUser(j));

// ---------- groups ----------
// groupType values (signed 32-bit): security flag 0x80000000 | scope (2 global, 4 domain local, 8 universal).
const GT = { globalSec: -2147483646, domainLocalSec: -2147483644, universalSec: -2147483640, globalDist: 2 };

function group(cn, sam, groupType, members, description) {
  return { dn: `CN=${rdnValue(cn)},${GROUPS_OU}`, cn, sam, groupType, members, description };
}

// Nested chain across group scopes (AD nesting rules respected):
//   ZIA Users (domain local) ⊃ Engineering Team (universal) ⊃ Platform (global) ⊃ SRE (global)
// plus some out-of-scope users at two levels, which IN_CHAIN finds but the base DN excludes.
const sre = group(
  'SRE',
  'grp-sre',
  GT.globalSec,
  [...users.filter((u) => u.i % 13 === 0).map((u) => u.dn), ...outside.slice(5, 10).map((u) => u.dn)],
  'nested level 3',
);
const platform = group('Platform', 'grp-platform', GT.globalSec, [sre.dn, ...users.filter((u) => u.i % 9 === 0).map((u) => u.dn)], 'nested level 2');
const engineering = group(
  'Engineering Team',
  'grp-engineering',
  GT.universalSec,
  [platform.dn, ...users.filter((u) => u.department === 'Engineering' && u.i % 2 === 0).map((u) => u.dn)],
  'nested level 1',
);
const ziaUsers = group(
  'ZIA Users',
  'grp-zia-users',
  GT.domainLocalSec,
  [engineering.dn, ...users.filter((u) => u.i % 31 === 0).map((u) => u.dn), ...outside.slice(0, 5).map((u) => u.dn)],
  'scope group: users provisioned to Zscaler',
);
// Every seeded person: more than 1,500 values, so `member;range=` retrieval needs several rounds.
const allStaff = group(
  'All Staff',
  'grp-all-staff',
  GT.globalSec,
  [...users, ...outside].map((u) => u.dn),
  'big group',
);
// A CN full of filter metacharacters: ( ) * \ — a groupDn from configuration must be escaped.
const metachar = group(
  'R&D (Core) *Ops* \\ Lab',
  'grp-metachar',
  GT.globalSec,
  users.filter((u) => u.i % 17 === 0).map((u) => u.dn),
  'metacharacters in the CN',
);
// A non-ASCII group name.
const intlGroup = group(
  'Équipe Zürich Ω',
  'grp-intl',
  GT.universalSec,
  users.filter((u) => u.i % 19 === 0).map((u) => u.dn),
  'non-ASCII CN',
);
const distribution = group(
  'Sales Announcements',
  'grp-sales-dist',
  GT.globalDist,
  users.filter((u) => u.department === 'Sales' && u.i % 3 === 0).map((u) => u.dn),
  'distribution list',
);
// Children before parents: `member` is a linked attribute and its targets must exist.
const groups = [sre, platform, engineering, ziaUsers, allStaff, metachar, intlGroup, distribution];

// ---------- expected counts, from the data above ----------

function transitiveUsers(root) {
  const byDn = new Map(groups.map((g) => [g.dn, g]));
  const seenGroups = new Set();
  const found = new Set();
  const stack = [root];
  while (stack.length > 0) {
    const g = stack.pop();
    if (seenGroups.has(g.dn)) continue;
    seenGroups.add(g.dn);
    for (const m of g.members) {
      const child = byDn.get(m);
      if (child) stack.push(child);
      else found.add(m);
    }
  }
  return found;
}

const inScopeDns = new Set(users.map((u) => u.dn));
const countScoped = (g) => [...transitiveUsers(g)].filter((dn) => inScopeDns.has(dn)).length;
const isDisabled = (u) => (u.uac & 0x2) !== 0;

const sample = (u) => ({ sAMAccountName: u.sam, displayName: u.displayName, userPrincipalName: u.upn, mail: u.mail ?? null });
const intlSample = users.find((u) => /[^\x00-\x7f]/.test(u.displayName));
const commaSample = users.find((u) => u.displayName.includes(','));
const metaSample = users.find((u) => u.i === 3);
const upnMailSample = users.find((u) => u.mail !== undefined && u.mail !== u.upn);

const expected = {
  generator: 'scripts/samba-ad/seed.mjs',
  baseDn: CORP,
  userFilter: '(&(objectCategory=person)(objectClass=user))',
  usersInScope: users.length,
  disabledInScope: users.filter(isDisabled).length,
  enabledInScope: users.filter((u) => !isDisabled(u)).length,
  withoutMailInScope: users.filter((u) => u.mail === undefined).length,
  upnDiffersFromMailInScope: users.filter((u) => u.mail !== undefined && u.mail !== u.upn).length,
  outsideUsers: outside.length,
  bigGroup: { dn: allStaff.dn, directMembers: allStaff.members.length },
  nested: { groupDn: ziaUsers.dn, usersInScope: countScoped(ziaUsers), usersAnywhere: transitiveUsers(ziaUsers).size },
  metacharGroup: { dn: metachar.dn, cn: metachar.cn, usersInScope: countScoped(metachar) },
  nonAsciiGroup: { dn: intlGroup.dn, cn: intlGroup.cn, usersInScope: countScoped(intlGroup) },
  samples: {
    nonAscii: intlSample ? sample(intlSample) : null,
    comma: commaSample ? sample(commaSample) : null,
    metachar: metaSample ? sample(metaSample) : null,
    upnDiffersFromMail: upnMailSample ? sample(upnMailSample) : null,
  },
};

// ---------- LDIF ----------

const bindPassword = readFileSync(args['bind-password-file'], 'utf8');
if (bindPassword.length < 12) throw new Error('seed.mjs: the bind password file is empty or too short');
// unicodePwd is the UTF-16LE encoding of the password in double quotes (docs/vendor-facts.md F43).
const unicodePwd = Buffer.from(`"${bindPassword}"`, 'utf16le');

const chunks = [];
const ou = (dn) => chunks.push(record(dn, [['objectClass', 'organizationalUnit']]));
ou(CORP);
for (const d of DEPARTMENTS) ou(d.ou);
ou(GROUPS_OU);
ou(OUTSIDE);
ou(SERVICE_OU);

for (const u of [...users, ...outside]) {
  const attrs = [
    ['objectClass', 'user'],
    ['sAMAccountName', u.sam],
    ['userPrincipalName', u.upn],
    ['givenName', u.given],
    ['sn', u.sn],
    ['displayName', u.displayName],
    ['userAccountControl', String(u.uac)],
  ];
  if (u.mail !== undefined) attrs.push(['mail', u.mail]);
  if (u.department !== undefined) attrs.push(['department', u.department]);
  chunks.push(record(u.dn, attrs));
}
for (const g of groups) {
  const attrs = [
    ['objectClass', 'group'],
    ['sAMAccountName', g.sam],
    ['groupType', String(g.groupType)],
    ['description', g.description],
  ];
  for (const m of g.members) attrs.push(['member', m]);
  chunks.push(record(g.dn, attrs));
}

// The read-only bind account the client and tests use (outside the scope's base DN).
const svcDn = `CN=svc-migrate,${SERVICE_OU}`;
chunks.push(
  `${[
    ldifLine('dn', svcDn),
    'objectClass: user',
    'sAMAccountName: svc-migrate',
    `userPrincipalName: svc-migrate@${REALM}`,
    'displayName: Migrate read-only bind account',
    'userAccountControl: 66048',
    `unicodePwd:: ${unicodePwd.toString('base64')}`,
  ].join('\n')}\n\n`,
);

writeFileSync(join(args.out, 'seed.ldif'), chunks.join(''), { mode: 0o600 });
writeFileSync(join(args.out, 'expected.json'), `${JSON.stringify(expected, null, 2)}\n`, { mode: 0o644 });
const bind = { dn: svcDn, upn: `svc-migrate@${REALM}`, nt: `${args.netbios}\\svc-migrate` };
writeFileSync(join(args.out, 'bind.json'), `${JSON.stringify(bind)}\n`, { mode: 0o644 });
process.stdout.write(`seed: ${users.length} users in scope, ${outside.length} outside, ${groups.length} groups, bind account ${svcDn}\n`);
