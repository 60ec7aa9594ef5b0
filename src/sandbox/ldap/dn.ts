/**
 * Distinguished-name helpers for the sandbox LDAP server.
 *
 * DNs arrive in many spellings ("CN=A\,B, DC=x" vs "cn=a\2cb,dc=x"); AD compares them
 * case-insensitively after unescaping. `dnKey` produces one canonical lower-case spelling
 * used for every comparison (scope checks, member/memberOf matching, IN_CHAIN).
 */

interface Rdn {
  type: string;
  value: string;
}

/** Split a DN into RDNs, unescaping `\,`-style and `\2c`-style escapes in values. */
export function parseDn(dn: string): Rdn[] {
  const rdns: Rdn[] = [];
  let type = '';
  let bytes: number[] = [];
  let inValue = false;
  const flush = (): void => {
    const value = Buffer.from(bytes).toString('utf8').trim();
    if (type.trim() !== '' || value !== '') rdns.push({ type: type.trim(), value });
    type = '';
    bytes = [];
    inValue = false;
  };
  for (let i = 0; i < dn.length; i++) {
    const ch = dn[i] as string;
    if (ch === '\\' && i + 1 < dn.length) {
      const hex = dn.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else {
        for (const b of Buffer.from(dn[i + 1] as string, 'utf8')) bytes.push(b);
        i += 1;
      }
      continue;
    }
    if (!inValue && ch === '=') {
      inValue = true;
      continue;
    }
    if (ch === ',' || ch === ';') {
      flush();
      continue;
    }
    if (inValue) {
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
    } else {
      type += ch;
    }
  }
  flush();
  return rdns;
}

function escapeValue(value: string): string {
  return value.replace(/[,\\+"<>;=#]/g, (c) => `\\${c}`);
}

const keyCache = new Map<string, string>();
const KEY_CACHE_MAX = 500_000;

/**
 * Canonical comparison key: lower-case types and values, fixed escaping, no spaces.
 * Memoised: the same member/memberOf DNs recur across a whole directory.
 */
export function dnKey(dn: string): string {
  const cached = keyCache.get(dn);
  if (cached !== undefined) return cached;
  let key: string;
  if (!dn.includes('\\')) {
    // Fast path for the common unescaped DN.
    key = dn
      .split(/[,;]/)
      .map((part) => {
        const eq = part.indexOf('=');
        if (eq < 0) return part.trim().toLowerCase();
        return `${part.slice(0, eq).trim().toLowerCase()}=${escapeValue(
          part
            .slice(eq + 1)
            .trim()
            .toLowerCase(),
        )}`;
      })
      .filter((p) => p !== '')
      .join(',');
  } else {
    key = parseDn(dn)
      .map((r) => `${r.type.toLowerCase()}=${escapeValue(r.value.toLowerCase())}`)
      .join(',');
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(dn, key);
  return key;
}

/** Key of the parent entry ('' for a single-RDN DN). */
export function parentKey(key: string): string {
  for (let i = 0; i < key.length; i++) {
    if (key[i] === '\\') {
      i++;
      continue;
    }
    if (key[i] === ',') return key.slice(i + 1);
  }
  return '';
}

/** The value of the first RDN, e.g. "Ada Lovelace" for "CN=Ada Lovelace,OU=Staff,…". */
export function firstRdnValue(dn: string): string {
  if (!dn.includes('\\')) {
    const eq = dn.indexOf('=');
    const comma = dn.search(/[,;]/);
    return dn.slice(eq + 1, comma < 0 ? dn.length : comma).trim();
  }
  return parseDn(dn)[0]?.value ?? '';
}

/** Is `key` equal to or below `baseKey`? Both are canonical keys. */
export function isAtOrBelow(key: string, baseKey: string): boolean {
  if (baseKey === '') return true;
  return key === baseKey || key.endsWith(`,${baseKey}`);
}
