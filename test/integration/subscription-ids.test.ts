import { beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { keyInit, rawSocket } from '../helpers/ws.js';

// depositUpdated(id:) with an API key names a deposit of the key's merchant that exists, as withdrawalUpdated
// does: it took any text before (a 5,000-character id became a topic, and a mistyped id listened to nothing
// without a word). The refusal is a graphql-ws error message with not_found, and the socket stays open.

const t = useTestApp();
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

describe('depositUpdated with an id that is no deposit of the merchant', () => {
  it('answers not_found for an unknown id and for an overlong one, and the socket stays open', async () => {
    const m = await t.merchant();
    const s = await rawSocket(wsUrl, keyInit(m));
    const query = 'subscription($id: ID!) { depositUpdated(id: $id) { id status } }';
    for (const [op, id] of [
      ['unknown', 'dep_doesnotexist'],
      ['long', `dep_${'x'.repeat(5000)}`],
    ] as const) {
      s.subscribe(op, query, { id });
      const mine = await s.result(op);
      expect(
        mine.map((x) => x.type),
        op,
      ).toEqual(['error']);
      expect(mine[0]!.payload[0].extensions.code, op).toBe('not_found');
      // The message names the id, but not 5,000 characters of it.
      expect(mine[0]!.payload[0].message.length, op).toBeLessThan(200);
    }
    s.subscribe('after', '{ __typename }');
    expect((await s.result('after')).map((x) => x.type)).toEqual(['next', 'complete']);
    expect(s.closed()).toBeNull();
    s.close();
  });
});
