/**
 * AD objectGUID: 16 bytes on the wire; the canonical string writes the first three groups
 * little-endian (the Windows GUID struct layout), the last two as stored (docs/vendor-facts.md F42).
 */
export function formatObjectGuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) {
    throw new Error(`objectGUID must be 16 bytes, got ${bytes.length}`);
  }
  // Written as ASCII into one scratch buffer and decoded once: one string per GUID. The per-byte
  // hex strings and arrays this used to build were a measurable share of a 100k-user read's garbage.
  let o = 0;
  for (const i of GUID_BYTE_ORDER) {
    if (i < 0) {
      scratch[o++] = 0x2d; // '-'
      continue;
    }
    const b = bytes[i] as number;
    scratch[o++] = HEX[b >> 4] as number;
    scratch[o++] = HEX[b & 15] as number;
  }
  return scratch.toString('latin1', 0, 36);
}

/** Wire byte index per output position; -1 is a dash. First three groups little-endian. */
const GUID_BYTE_ORDER = [3, 2, 1, 0, -1, 5, 4, -1, 7, 6, -1, 8, 9, -1, 10, 11, 12, 13, 14, 15];
const HEX = Buffer.from('0123456789abcdef', 'latin1');
const scratch = Buffer.alloc(36);

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuidString(value: string): boolean {
  return GUID_RE.test(value);
}

/** The inverse of formatObjectGuid: the 16 wire bytes (for an EqualityFilter on objectGUID). */
export function parseObjectGuid(guid: string): Buffer {
  if (!GUID_RE.test(guid)) throw new Error(`"${guid}" is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
  const h = guid.replace(/-/g, '');
  const le = (s: string): string => (s.match(/../g) ?? []).reverse().join('');
  return Buffer.from(`${le(h.slice(0, 8))}${le(h.slice(8, 12))}${le(h.slice(12, 16))}${h.slice(16)}`, 'hex');
}
