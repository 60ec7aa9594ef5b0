import { scimRecordsWithLazyGroups, type ScimGroupIndex, type ScimUser, type IdentityRecord } from '../../src/parity/index.js';

/** scimRecordsWithLazyGroups: /Groups is read only when a user needs it, and only after the users. */
async function* pages(...ps: ScimUser[][]) {
  for (const p of ps) yield p;
}
async function collect(it: AsyncIterable<IdentityRecord[]>) {
  const out: IdentityRecord[][] = [];
  for await (const p of it) out.push(p);
  return out;
}
const index: ScimGroupIndex = {
  nameById: new Map([
    ['g1', 'Sales'],
    ['g2', 'VPN'],
  ]),
  groupsByMember: new Map([['u2', ['Sales', 'VPN']]]),
};

describe('scimRecordsWithLazyGroups', () => {
  it('never reads /Groups when every user carries named memberships', async () => {
    let loads = 0;
    const got = await collect(
      scimRecordsWithLazyGroups(
        pages([{ id: 'u1', userName: 'a@x', groups: [{ value: 'g1', display: 'Sales' }] }], [{ id: 'u3', userName: 'c@x', groups: [] }]),
        async () => {
          loads++;
          return index;
        },
      ),
    );
    expect(loads).toBe(0);
    expect(got.flat().map((r) => [r.sourceId, r.groups])).toEqual([
      ['u1', ['Sales']],
      ['u3', []],
    ]);
  });

  it('resolves users without groups, or with unnamed ones, from the index after the users', async () => {
    const order: string[] = [];
    const it = scimRecordsWithLazyGroups(
      pages(
        [
          { id: 'u1', userName: 'a@x', groups: [{ value: 'g1', display: 'Sales' }] },
          { id: 'u2', userName: 'b@x' },
        ],
        [{ id: 'u4', userName: 'd@x', groups: [{ value: 'g2' }] }],
      ),
      async () => {
        order.push('groups');
        return index;
      },
    );
    for await (const p of it) order.push(p.map((r) => `${r.sourceId}:${r.groups.join('+')}`).join(','));
    expect(order).toEqual(['u1:Sales', '', 'groups', 'u2:Sales+VPN,u4:VPN']);
  });
});
