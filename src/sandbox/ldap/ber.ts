/**
 * Minimal BER encoder for SearchResultEntry messages (RFC 4511 §4.5.2).
 *
 * Why not ldapjs's own SearchResultEntry: it re-parses and re-serialises every DN (changing its
 * spelling) and allocates several objects per value; 100k entries must stream in well under
 * 20 s. Encoding directly also guarantees binary values (objectGUID) go out as raw octets.
 * Sizes are computed first and each message is written into one buffer.
 */

const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_INTEGER = 0x02;
const TAG_OCTET_STRING = 0x04;
const TAG_SEARCH_RESULT_ENTRY = 0x64; // [APPLICATION 4], constructed

function lenOfLen(length: number): number {
  if (length < 0x80) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  if (length < 0x1000000) return 4;
  return 5;
}

/** Total size of a TLV whose content is `length` bytes. */
function tlvSize(length: number): number {
  return 1 + lenOfLen(length) + length;
}

function writeHeader(buf: Buffer, pos: number, tag: number, length: number): number {
  buf[pos++] = tag;
  const n = lenOfLen(length);
  if (n === 1) {
    buf[pos++] = length;
    return pos;
  }
  buf[pos++] = 0x80 | (n - 1);
  for (let i = n - 2; i >= 0; i--) buf[pos++] = (length >>> (8 * i)) & 0xff;
  return pos;
}

export interface WireAttribute {
  type: string;
  values: Array<string | Buffer>;
}

/** PartialAttribute ::= SEQUENCE { type OCTET STRING, vals SET OF OCTET STRING } */
export function encodeAttribute(attr: WireAttribute): Buffer {
  const type = Buffer.from(attr.type, 'utf8');
  const values = attr.values.map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8')));
  let setLen = 0;
  for (const v of values) setLen += tlvSize(v.length);
  const seqLen = tlvSize(type.length) + tlvSize(setLen);
  const buf = Buffer.allocUnsafe(tlvSize(seqLen));
  let pos = writeHeader(buf, 0, TAG_SEQUENCE, seqLen);
  pos = writeHeader(buf, pos, TAG_OCTET_STRING, type.length);
  pos += type.copy(buf, pos);
  pos = writeHeader(buf, pos, TAG_SET, setLen);
  for (const v of values) {
    pos = writeHeader(buf, pos, TAG_OCTET_STRING, v.length);
    pos += v.copy(buf, pos);
  }
  return buf;
}

function integerBytes(value: number): number[] {
  const bytes: number[] = [];
  let n = value;
  do {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  if ((bytes[0] as number) & 0x80) bytes.unshift(0);
  return bytes;
}

/** LDAPMessage { messageID, searchResEntry [APPLICATION 4] { objectName, attributes } } */
export function encodeSearchResultEntry(messageId: number, dn: string | Buffer, attributes: Buffer[]): Buffer {
  const name = Buffer.isBuffer(dn) ? dn : Buffer.from(dn, 'utf8');
  const id = integerBytes(messageId);
  let attrsLen = 0;
  for (const a of attributes) attrsLen += a.length;
  const entryLen = tlvSize(name.length) + tlvSize(attrsLen);
  const msgLen = tlvSize(id.length) + tlvSize(entryLen);
  const buf = Buffer.allocUnsafe(tlvSize(msgLen));
  let pos = writeHeader(buf, 0, TAG_SEQUENCE, msgLen);
  pos = writeHeader(buf, pos, TAG_INTEGER, id.length);
  for (const b of id) buf[pos++] = b;
  pos = writeHeader(buf, pos, TAG_SEARCH_RESULT_ENTRY, entryLen);
  pos = writeHeader(buf, pos, TAG_OCTET_STRING, name.length);
  pos += name.copy(buf, pos);
  pos = writeHeader(buf, pos, TAG_SEQUENCE, attrsLen);
  for (const a of attributes) pos += a.copy(buf, pos);
  return buf;
}
