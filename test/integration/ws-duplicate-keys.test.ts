import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type TestMerchant, useTestApp } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { keyInit, rawSocket } from '../helpers/ws.js';

// A JSON object with a key given twice is refused at the HTTP doors ("not valid JSON"); over the WebSocket it
// reached graphql-ws, whose JSON.parse keeps the last value: `"amount":"1","amount":"2"` posted 2.00. The socket
// now closes with 4400 for it, as for any text that is not JSON, and nothing runs.
const t = useTestApp();
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

const TRANSFER =
  'mutation($input: TransferInput!, $key: String) { transfer(input: $input, idempotencyKey: $key) { __typename ... on Transfer { amount } ... on Error { code } } }';

/**
 * A subscribe message's text with the key `field` of one of its objects written twice, with another value (a
 * key repeated with an equal value is one value, at every door).
 */
function withDuplicate(where: 'message' | 'payload' | 'variables' | 'input', field: string, value: string) {
  const input = `{"fromUserId":"dk_payer","toUserId":"dk_payee","amount":"1"${where === 'input' ? `,${JSON.stringify(field)}:${value}` : ''}}`;
  const variables = `{"input":${input},"key":null${where === 'variables' ? `,${JSON.stringify(field)}:${value}` : ''}}`;
  const payload = `{"query":${JSON.stringify(TRANSFER)},"variables":${variables}${where === 'payload' ? `,${JSON.stringify(field)}:${value}` : ''}}`;
  return `{"id":"op","type":"subscribe","payload":${payload}${where === 'message' ? `,${JSON.stringify(field)}:${value}` : ''}}`;
}

async function balanceOf(m: TestMerchant, userId: string): Promise<string> {
  const r = await t.app.pool.query<{ b: string }>(
    `select coalesce((select balance_minor from accounts where merchant_id = $1 and kind = 'user' and code = $2), 0)::text as b`,
    [m.merchantId, userId],
  );
  return r.rows[0]!.b;
}

describe('a WebSocket message with a key given twice', () => {
  it('closes the socket with 4400 and moves nothing, wherever the key is', { timeout: 20_000 }, async () => {
    const m = await t.merchant();
    await t.credit(m, 'dk_payer', '100');
    const duplicate = fc.oneof(
      fc.record({
        where: fc.constant('input' as const),
        field: fc.constantFrom('amount', 'toUserId', 'fromUserId'),
        value: fc.constantFrom('"2"', '"dk_other"', '"0.5"'),
      }),
      fc.record({
        where: fc.constant('variables' as const),
        field: fc.constantFrom('input', 'key'),
        value: fc.constantFrom('{"fromUserId":"dk_payer","toUserId":"dk_payee","amount":"3"}', '"k2"'),
      }),
      fc.record({
        where: fc.constant('payload' as const),
        field: fc.constantFrom('query', 'variables'),
        value: fc.constantFrom('"{ viewer { id } }"', '{}'),
      }),
      fc.record({
        where: fc.constant('message' as const),
        field: fc.constantFrom('id', 'type'),
        value: fc.constantFrom('"op2"', '"complete"'),
      }),
    );
    await fc.assert(
      fc.asyncProperty(duplicate, async ({ where, field, value }) => {
        const s = await rawSocket(wsUrl, keyInit(m));
        expect(s.acked).toBe(true);
        const text = withDuplicate(where, field, value);
        s.sendText(text);
        await Promise.race([s.closing, s.result('op'), s.result('op2')]);
        expect(s.closed(), text).toEqual({ code: 4400, reason: 'Invalid message received' });
        expect(
          s.messages.filter((x) => x.type === 'next'),
          text,
        ).toEqual([]);
        expect(await balanceOf(m, 'dk_payer'), text).toBe('10000');
      }),
      { ...fuzzParams(), seed: fuzzParams().seed ?? 4245, numRuns: 12 },
    );
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });
});
