/**
 * AD objectGUID: 16 bytes on the wire; the canonical string writes the first three groups
 * little-endian (the Windows GUID struct layout), the last two as stored (per samba-ad.md §8).
 */
export function formatObjectGuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) {
    throw new Error(`objectGUID must be 16 bytes, got ${bytes.length}`);
  }
  const hex = (from: number, to: number, reverse: boolean): string => {
    const part = Array.from(bytes.subarray(from, to), (b) => b.toString(16).padStart(2, '0'));
    return (reverse ? part.reverse() : part).join('');
  };
  return `${hex(0, 4, true)}-${hex(4, 6, true)}-${hex(6, 8, true)}-${hex(8, 10, false)}-${hex(10, 16, false)}`;
}

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
