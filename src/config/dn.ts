/**
 * Is this text a distinguished name? RFC 4514 §3, with the leniency directories (and the
 * administrators who type DNs) rely on: spaces around `,`, `+` and `=` are ignored (RFC 1779
 * style). Two things RFC 4514 would let through are refused because in a configuration they are
 * almost always typos: an unescaped `=` inside a value (a missing comma: `OU=Staff DC=example`)
 * and an empty DN. ldapts builds DNs but does not parse them, hence this small check.
 *
 * Answers undefined for a DN, otherwise what is wrong and where.
 */
export function dnProblem(dn: string): string | undefined {
  const n = dn.length;
  if (dn.trim() === '') return 'it is empty';
  let i = 0;
  const at = (pos: number, expected: string): string =>
    `at character ${pos + 1}, expected ${expected}${pos < n ? `, found "${dn[pos]}"` : ' (the text ends there)'}`;
  const skipSpaces = () => {
    while (i < n && dn[i] === ' ') i++;
  };
  for (;;) {
    // attributeTypeAndValue: descr (CN, OU, DC…) or a numeric OID, "=", a value
    skipSpaces();
    const type = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)/.exec(dn.slice(i, i + 256))?.[0];
    if (!type) return at(i, 'an attribute type such as CN, OU or DC');
    i += type.length;
    skipSpaces();
    if (dn[i] !== '=') return at(i, `"=" after ${type}`);
    i++;
    skipSpaces();
    const valueStart = i;
    if (dn[i] === '#') {
      // hexstring: the BER encoding of the value
      const hex = /^#(?:[0-9A-Fa-f]{2})+/.exec(dn.slice(i))?.[0];
      if (!hex) return at(i + 1, `pairs of hex digits after "#" in the value of ${type} (write \\# for a literal #)`);
      i += hex.length;
    } else {
      while (i < n) {
        const c = dn[i]!;
        if (c === '\\') {
          const next = dn[i + 1];
          if (next !== undefined && /[0-9A-Fa-f]/.test(next)) {
            if (!/^[0-9A-Fa-f]{2}$/.test(dn.slice(i + 1, i + 3))) return at(i + 1, 'two hex digits after "\\"');
            i += 3;
          } else if (next !== undefined && '\\ "#+,;<>='.includes(next)) {
            i += 2;
          } else {
            return at(i + 1, 'one of \\ , + ; < > = # " space, or two hex digits, after "\\"');
          }
          continue;
        }
        if (c === ',' || c === '+') break;
        if (c === '=') return at(i, `"," before the next attribute type (an unescaped "=" inside the value of ${type}; write \\= if it belongs to the name)`);
        if ('";<>\0'.includes(c)) return at(i, `"," or "+" — ${c === ';' ? '";" is not a separator' : `"${c}" must be escaped as \\${c === '\0' ? '00' : c}`}`);
        i++;
      }
      if (dn.slice(valueStart, i).trim() === '') return at(valueStart, `a value after ${type}=`);
    }
    skipSpaces();
    if (i >= n) return undefined;
    // "," starts the next RDN, "+" the next value of a multi-valued RDN: either way another AVA follows.
    if (dn[i] === ',' || dn[i] === '+') {
      i++;
      continue;
    }
    return at(i, '"," or "+"');
  }
}
