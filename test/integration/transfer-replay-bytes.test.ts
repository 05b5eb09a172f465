import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

// docs/api.md "Idempotency": a retry with the same key and request gets the first answer again, "the same
// status and body". The replay is read back from the stored record (jsonb), so the first answer must print
// what that record holds: a transfer's metadata keys came back in another order than the first answer's.

const t = useTestApp();

describe('a transfer replayed with its Idempotency-Key', () => {
  it('answers the first body byte for byte, metadata keys in the order the history shows them', async () => {
    const m = await t.merchant();
    await t.credit(m, 'user_8a2f', '100');
    const rawBody =
      '{"fromUserId":"user_8a2f","toUserId":"user_3b1c","amount":"1.5","description":"d",' +
      '"metadata":{"orderId":"o-2","n":1.1,"flag":true,"zz":"last","a":"first","10":"ten","9":"nine"}}';
    const send = () =>
      t.request({ url: '/api/v1/transfer', as: m, rawBody, headers: { 'idempotency-key': 'meta-order-1' } });
    const first = await send();
    const again = await send();
    expect([first.status, again.status, again.headers['idempotent-replayed']]).toEqual([200, 200, 'true']);
    expect(again.text).toBe(first.text);
    const history = await t.request({ url: '/api/v1/transactions?userId=user_3b1c', as: m });
    const row = history.body.data[0];
    expect(row.id).toBe(first.body.id);
    expect(Object.keys(row.metadata)).toEqual(Object.keys(first.body.metadata));
  });

  it('prints whole-number metadata keys first, smallest first, in the answer, its replay and the history', async () => {
    // JavaScript objects keep such keys first whatever their order in jsonb (CHANGELOG.md says so).
    const m = await t.merchant();
    await t.credit(m, 'user_8a2f', '10');
    const rawBody =
      '{"fromUserId":"user_8a2f","toUserId":"user_3b1c","amount":1,"metadata":{"a":1,"10":2,"9":3}}';
    const send = () =>
      t.request({ url: '/api/v1/transfer', as: m, rawBody, headers: { 'idempotency-key': 'meta-int-1' } });
    const [first, again] = [await send(), await send()];
    expect(first.text).toContain('"metadata":{"9":3,"10":2,"a":1}');
    expect(again.text).toBe(first.text);
    const history = await t.request({ url: '/api/v1/transactions?userId=user_3b1c', as: m });
    expect(history.text).toContain('"metadata":{"9":3,"10":2,"a":1}');
  });

  it('replays a record first answered before the page amount format as it was answered: "amount":50.00', async () => {
    const m = await t.merchant();
    await t.credit(m, 'user_8a2f', '100');
    const send = (key: string) =>
      t.request({
        url: '/api/v1/transfer',
        as: m,
        body: { fromUserId: 'user_8a2f', toUserId: 'user_3b1c', amount: 50 },
        headers: { 'idempotency-key': key },
      });
    const format = async (key: string) =>
      (
        await t.app.pool.query<{ f: number }>(
          'select answer_format as f from idempotency_keys where merchant_id = $1 and key = $2',
          [m.merchantId, key],
        )
      ).rows[0]?.f;
    // Answered now: the page's format, recorded as such, replayed byte for byte.
    const now = await send('format-now');
    expect(now.text).toContain('"amount":50,"fromBalance":50.00,"toBalance":50.00,');
    expect(await format('format-now')).toBe(2);
    expect((await send('format-now')).text).toBe(now.text);
    // A record completed before the column existed, or by a process that predates the format, keeps the
    // default 1: its first answer said "amount":50.00, and so does its replay.
    const old = await send('format-old');
    await t.app.pool.query(
      'update idempotency_keys set answer_format = 1 where merchant_id = $1 and key = $2',
      [m.merchantId, 'format-old'],
    );
    const replay = await send('format-old');
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.text).toBe(old.text.replace('"amount":50,', '"amount":50.00,'));
  });

  it("replays a decided refusal with the retry's own requestId, the one in its X-Request-Id", async () => {
    const m = await t.merchant();
    await t.credit(m, 'poor', '1');
    const body = { fromUserId: 'poor', toUserId: 'rich', amount: 5 };
    const send = () =>
      t.request({ url: '/api/v1/transfer', as: m, body, headers: { 'idempotency-key': 'refused-1' } });
    const first = await send();
    const again = await send();
    expect([first.status, again.status, again.headers['idempotent-replayed']]).toEqual([400, 400, 'true']);
    expect(again.body.error.requestId).toBe(again.headers['x-request-id']);
    expect(again.body.error.requestId).not.toBe(first.body.error.requestId);
    expect({ ...again.body.error, requestId: null }).toEqual({ ...first.body.error, requestId: null });
  });
});
