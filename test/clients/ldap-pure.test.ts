// Pure parts of the directory client: filter escaping, GUID formatting, UAC decoding, option
// validation and error messages. No server needed.
import fc from 'fast-check';
import { EqualityFilter, ExtensibleFilter, FilterParser, InvalidCredentialsError } from 'ldapts';
import {
  buildScopeFilter,
  createDirectoryClient,
  describeLdapError,
  equalityFilter,
  escapeFilterValue,
  formatObjectGuid,
  isDisabled,
  isGuidString,
  parseObjectGuid,
  parseUac,
  uacFlags,
} from '../../src/clients/ldap.js';
import { planConnection } from '../../src/clients/ldap/options.js';
import { toDirectoryEntry } from '../../src/clients/ldap/entry.js';

describe('escapeFilterValue (RFC 4515)', () => {
  it('escapes the five special characters', () => {
    expect(escapeFilterValue('a*b(c)d\\e\0f')).toBe('a\\2ab\\28c\\29d\\5ce\\00f');
  });

  it('leaves non-ASCII as UTF-8 by default and escapes its bytes on request', () => {
    expect(escapeFilterValue('Zürich')).toBe('Zürich');
    expect(escapeFilterValue('Zürich', { escapeNonAscii: true })).toBe('Z\\c3\\bcrich');
    expect(escapeFilterValue('雷', { escapeNonAscii: true })).toBe('\\e9\\9b\\b7');
  });

  it('any string survives escaping and ldapts filter parsing unchanged (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (value) => {
        const parsed = FilterParser.parseString(`(cn=${escapeFilterValue(value)})`);
        expect(parsed).toBeInstanceOf(EqualityFilter);
        expect((parsed as EqualityFilter).value).toBe(value);
      }),
    );
  });

  it('equalityFilter builds (attr=value) and rejects a bad attribute name', () => {
    expect(equalityFilter('displayName', 'O*Brien (x)')).toBe('(displayName=O\\2aBrien \\28x\\29)');
    expect(() => equalityFilter('cn)(x', 'v')).toThrow(/not a valid LDAP attribute name/);
  });
});

describe('buildScopeFilter', () => {
  it('returns the user filter alone without a group', () => {
    expect(buildScopeFilter('(objectClass=user)')).toBe('(objectClass=user)');
    expect(buildScopeFilter('objectClass=user')).toBe('(objectClass=user)');
  });

  it('ANDs IN_CHAIN membership of an escaped group DN', () => {
    const dn = 'CN=R&D (Core) *Ops* \\\\ Lab,OU=Groups,DC=x';
    const f = buildScopeFilter('(objectClass=user)', dn);
    expect(f).toBe('(&(objectClass=user)(memberOf:1.2.840.113556.1.4.1941:=CN=R&D \\28Core\\29 \\2aOps\\2a \\5c\\5c Lab,OU=Groups,DC=x))');
    const parsed = FilterParser.parseString(f);
    const chain = (parsed as unknown as { filters: unknown[] }).filters[1] as ExtensibleFilter;
    expect(chain).toBeInstanceOf(ExtensibleFilter);
    expect(chain.rule).toBe('1.2.840.113556.1.4.1941');
    expect(chain.value).toBe(dn);
  });

  it('rejects an unparsable user filter naming the setting', () => {
    expect(() => buildScopeFilter('(&(objectClass=user)')).toThrow(/directory\.userFilter is not a valid LDAP filter: 1 unclosed/);
    expect(() => buildScopeFilter('(a=b))')).toThrow(/text after the filter's closing/);
    expect(() => buildScopeFilter('(a=b)(c=d)')).toThrow(/text after/);
    expect(() => buildScopeFilter('(a=\\28b)')).not.toThrow();
  });
});

describe('objectGUID', () => {
  // Microsoft's layout: {00112233-4455-6677-8899-aabbccddeeff} is stored as 33 22 11 00 55 44 77 66 88 99 aa …
  const wire = Buffer.from('33221100554477668899aabbccddeeff', 'hex');

  it('formats the first three groups little-endian', () => {
    expect(formatObjectGuid(wire)).toBe('00112233-4455-6677-8899-aabbccddeeff');
  });

  it('parses back to the wire bytes, for any 16 bytes (property)', () => {
    expect(parseObjectGuid('00112233-4455-6677-8899-AABBCCDDEEFF').equals(wire)).toBe(true);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const s = formatObjectGuid(bytes);
        expect(isGuidString(s)).toBe(true);
        expect(parseObjectGuid(s).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('rejects wrong lengths and malformed strings', () => {
    expect(() => formatObjectGuid(Buffer.alloc(15))).toThrow(/16 bytes, got 15/);
    expect(() => parseObjectGuid('not-a-guid')).toThrow(/not a GUID/);
  });
});

describe('userAccountControl', () => {
  it.each([
    [512, false, ['NORMAL_ACCOUNT']],
    [514, true, ['ACCOUNTDISABLE', 'NORMAL_ACCOUNT']],
    [66048, false, ['NORMAL_ACCOUNT', 'DONT_EXPIRE_PASSWORD']],
    [66050, true, ['ACCOUNTDISABLE', 'NORMAL_ACCOUNT', 'DONT_EXPIRE_PASSWORD']],
    [544, false, ['PASSWD_NOTREQD', 'NORMAL_ACCOUNT']],
  ])('%i → disabled %s', (uac, disabled, flags) => {
    expect(isDisabled(uac)).toBe(disabled);
    expect(uacFlags(uac)).toEqual(flags);
  });

  it('parses the decimal strings AD returns, including negative 32-bit forms', () => {
    expect(parseUac('514')).toBe(514);
    expect(parseUac('-2147483134')).toBe(0x80000202);
    expect(() => parseUac('5x')).toThrow(/not an integer/);
  });
});

describe('entry validation', () => {
  const guid = Buffer.from('33221100554477668899aabbccddeeff', 'hex');
  it('converts a well-formed entry', () => {
    const e = toDirectoryEntry(
      { dn: 'CN=a,DC=x', objectGUID: guid, sAMAccountName: 'a', userAccountControl: '514', memberOf: ['CN=g1', 'CN=g2'], mail: [], Department: 'Sales' },
      ['mail', 'department', 'objectGUID'],
    );
    expect(e).toMatchObject({
      dn: 'CN=a,DC=x',
      objectGUID: '00112233-4455-6677-8899-aabbccddeeff',
      disabled: true,
      userAccountControl: 514,
      department: 'Sales',
    });
    expect(e.mail).toBeUndefined();
    expect(e.memberOf).toEqual(['CN=g1', 'CN=g2']);
    expect(e.attributes).toEqual({ department: 'Sales', objectGUID: '00112233-4455-6677-8899-aabbccddeeff' });
  });

  it('names the DN and the attribute of a malformed entry', () => {
    expect(() => toDirectoryEntry({ dn: 'CN=b,DC=x', objectGUID: 'text' }, [])).toThrow(/directory entry "CN=b,DC=x": attribute objectGUID is not binary/);
    expect(() => toDirectoryEntry({ dn: 'CN=c,DC=x', objectGUID: guid, mail: ['a@x', 'b@x'] }, [])).toThrow(/"CN=c,DC=x": attribute mail has several values/);
    expect(() => toDirectoryEntry({ dn: 'CN=d,DC=x', objectGUID: guid, userAccountControl: 'abc' }, [])).toThrow(
      /"CN=d,DC=x": attribute userAccountControl is not an integer/,
    );
    expect(() => toDirectoryEntry({ dn: 'CN=e,DC=x', objectGUID: Buffer.alloc(8) }, [])).toThrow(/"CN=e,DC=x": attribute objectGUID is not 16 bytes/);
  });
});

describe('options', () => {
  const base = { bindDn: 'svc@x.test', password: 'S3cret-Never-Shown' };

  it('uses StartTLS on ldap:// by default and implicit TLS on ldaps://', () => {
    expect(planConnection({ ...base, url: 'ldap://dc.x.test' })).toMatchObject({ transport: 'starttls', port: 389 });
    expect(planConnection({ ...base, url: 'ldaps://dc.x.test' })).toMatchObject({ transport: 'ldaps', port: 636 });
    expect(planConnection({ ...base, url: 'ldaps://dc.x.test:3269', startTls: false })).toMatchObject({ transport: 'ldaps', port: 3269 });
  });

  it('refuses plain ldap:// unless insecure is set, saying how to fix it', () => {
    let err: (Error & { hint?: string }) | undefined;
    try {
      planConnection({ ...base, url: 'ldap://dc.x.test', startTls: false });
    } catch (e) {
      err = e as Error & { hint?: string };
    }
    expect(err?.message).toMatch(/refusing plain LDAP to ldap:\/\/dc\.x\.test/);
    expect(err?.hint).toMatch(/ldaps:\/\/.*startTls: true.*insecure: true/);
    expect(planConnection({ ...base, url: 'ldap://dc.x.test', startTls: false, insecure: true }).transport).toBe('plain');
  });

  it('validates page size, URL and password without echoing the password', () => {
    const bad = [
      () => planConnection({ ...base, url: 'ldaps://dc', pageSize: 5000 }),
      () => planConnection({ ...base, url: 'http://dc' }),
      () => planConnection({ ...base, url: 'ldaps://dc', password: '' }),
      () => createDirectoryClient({ ...base, url: 'ldaps://dc', caFile: '/nonexistent/ca.pem' }),
      () => createDirectoryClient({ ...base, url: 'ldaps://dc', caFile: '/etc/hostname' }),
    ];
    const messages = bad.map((f) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(messages[0]).toMatch(/pageSize must be at most 1000/);
    expect(messages[1]).toMatch(/url must be ldaps:\/\/host/);
    expect(messages[2]).toMatch(/password is empty/);
    expect(messages[3]).toMatch(/cannot read caFile \/nonexistent\/ca\.pem: ENOENT/);
    expect(messages[4]).toMatch(/caFile \/etc\/hostname holds no PEM certificate/);
    for (const m of messages) expect(m).not.toContain(base.password);
  });
});

describe('describeLdapError', () => {
  const plan = { url: 'ldaps://dc:636', bindDn: 'CN=svc,DC=x', caFile: '/ca.pem', port: 636, transport: 'ldaps' as const, timeLimitSeconds: 300 };

  it('explains a refused bind with the AD reason and scrubs the password from quoted text', () => {
    const err = new InvalidCredentialsError('AcceptSecurityContext error, data 775, echo hunter2-pw');
    const u = describeLdapError(err, { plan, operation: 'bind', secret: 'hunter2-pw' });
    expect(u.message).toBe('bind refused for CN=svc,DC=x: wrong password or locked account (server says: account locked out, data 775)');
    expect(`${u.message}${u.hint}`).not.toContain('hunter2-pw');
  });

  it('names the URL for network errors and the caFile for TLS errors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:636'), { code: 'ECONNREFUSED' });
    expect(describeLdapError(refused, { plan, operation: 'connect' }).message).toBe('cannot reach the directory at ldaps://dc:636 (ECONNREFUSED on connect)');
    const tls = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const u = describeLdapError(tls, { plan, operation: 'bind' });
    expect(u.message).toMatch(/^TLS with ldaps:\/\/dc:636 failed during bind: UNABLE_TO_VERIFY_LEAF_SIGNATURE.*caFile \/ca\.pem/);
  });
});
