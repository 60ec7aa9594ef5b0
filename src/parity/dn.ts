/**
 * Group names from LDAP distinguished names. AD escapes special characters in DN values
 * with a backslash (RFC 4514: `CN=Doe\, J`, or hex pairs such as `\2C`), so a naive
 * split on ',' would cut such names in half.
 */

/** The unescaped value of the first RDN of `dn` (the CN for a group DN); the DN itself if it cannot be parsed. */
export function firstRdnValue(dn: string): string {
  const eq = dn.indexOf('=');
  if (eq < 0) return dn.trim();
  let i = eq + 1;
  // Leading spaces after '=' are not part of the value unless escaped.
  while (i < dn.length && dn[i] === ' ') i++;
  if (dn[i] === '"') return quotedValue(dn, i + 1);
  // Fast path, the usual group DN: no escapes before the first separator, so the value is a slice
  // (the loop below builds it character by character, one string per character).
  let end = i;
  while (end < dn.length) {
    const c = dn.charCodeAt(end);
    if (c === 0x5c /* \ */) break;
    if (c === 0x2c /* , */ || c === 0x2b /* + */ || c === 0x3b /* ; */) {
      let e = end;
      while (e > i && dn.charCodeAt(e - 1) === 0x20) e--;
      return dn.slice(i, e);
    }
    end++;
  }
  if (end === dn.length) {
    let e = end;
    while (e > i && dn.charCodeAt(e - 1) === 0x20) e--;
    return dn.slice(i, e);
  }
  const bytes: number[] = [];
  let out = '';
  const flushBytes = () => {
    if (bytes.length > 0) {
      out += Buffer.from(bytes).toString('utf8');
      bytes.length = 0;
    }
  };
  let trailingSpaces = 0;
  for (; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === '\\' && i + 1 < dn.length) {
      const next = dn.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(next)) {
        bytes.push(parseInt(next, 16));
        i += 2;
      } else {
        flushBytes();
        out += dn[i + 1];
        i += 1;
      }
      trailingSpaces = 0;
      continue;
    }
    if (c === ',' || c === '+' || c === ';') break;
    flushBytes();
    out += c;
    trailingSpaces = c === ' ' ? trailingSpaces + 1 : 0;
  }
  flushBytes();
  // Unescaped trailing spaces before the separator are not part of the value (RFC 4514 §3).
  return trailingSpaces > 0 ? out.slice(0, out.length - trailingSpaces) : out;
}

function quotedValue(dn: string, start: number): string {
  let out = '';
  for (let i = start; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === '\\' && i + 1 < dn.length) {
      out += dn[i + 1];
      i++;
    } else if (c === '"') {
      break;
    } else {
      out += c;
    }
  }
  return out;
}
