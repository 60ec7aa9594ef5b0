import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * SCIM resource ids for the simulated ZIA SCIM service. RFC 7643 §3.1 makes `id` an opaque,
 * server-assigned string, and Zscaler's SCIM examples show GUID-like ids, not the admin API's
 * numeric user ids (docs/vendor-facts.md). So nothing outside the tenant may correlate the two.
 *
 * The id is the tenant's numeric id, tagged with its kind and encrypted as one AES block under a
 * key drawn per tenant: opaque, stable for the tenant's life, reversible without a lookup table
 * (100k users cost no memory), and a user's id never names a group.
 */
export type ScimKind = 'user' | 'group';
const TAG: Record<ScimKind, number> = { user: 0x55, group: 0x47 };

export class ScimIds {
  private readonly key = randomBytes(16);

  encode(kind: ScimKind, id: number): string {
    const block = Buffer.alloc(16);
    block[0] = TAG[kind];
    block.writeDoubleBE(id, 8);
    const c = createCipheriv('aes-128-ecb', this.key, null);
    c.setAutoPadding(false);
    const hex = Buffer.concat([c.update(block), c.final()]).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** The numeric id behind a SCIM id of this kind, or undefined for anything this tenant did not issue. */
  decode(kind: ScimKind, scimId: string): number | undefined {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(scimId)) return undefined;
    const d = createDecipheriv('aes-128-ecb', this.key, null);
    d.setAutoPadding(false);
    const block = Buffer.concat([d.update(Buffer.from(scimId.replace(/-/g, ''), 'hex')), d.final()]);
    if (block[0] !== TAG[kind] || block.subarray(1, 8).some((b) => b !== 0)) return undefined;
    const id = block.readDoubleBE(8);
    return Number.isSafeInteger(id) && id > 0 ? id : undefined;
  }
}
