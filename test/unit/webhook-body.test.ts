import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deliveryBody, eventText, pageData } from '../../src/modules/webhooks/signing.js';

// A delivery body in the legacy page's formats, from the events.payload jsonb text (which keeps every digit a
// number was written with; PostgreSQL prints it with spaces, the body is compact).
describe('the webhook body', () => {
  it('prints `amount` as the page does, other money with at least two decimals, times in whole seconds, the rest as stored', () => {
    const stored =
      '{"id": "dep_1", "fee": 30, "stars": 1180.5, "amount": 3.000000000000000001, "network": "BEP20", ' +
      '"metadata": {"n": 1.50, "streamId": "s"}, "createdAt": "2026-12-04T21:36:38.070Z", "confirmations": 20}';
    expect(pageData(stored, 'deposit.confirmed')).toBe(
      '{"id":"dep_1","amount":3.000000000000000001,"network":"BEP20","confirmations":20,"fee":30.00,' +
        '"stars":1180.50,"metadata":{"n":1.50,"streamId":"s"},"createdAt":"2026-12-04T21:36:38Z"}',
    );
    expect(pageData('{"amount": 0.000001}', 'deposit.failed')).toBe('{"amount":0.000001}');
    // The page's deposit.confirmed example: "amount": 100, a whole number; a token amount keeps its digits.
    expect(pageData('{"amount": 100, "expectedAmount": 100, "stars": 100}', 'deposit.confirmed')).toBe(
      '{"amount":100,"expectedAmount":100.00,"stars":100.00}',
    );
    expect(pageData('{"amount": 100.5}', 'deposit.confirmed')).toBe('{"amount":100.5}');
    // Stars (transfer.*, payout.*): a whole amount as an integer, otherwise two decimals; balances keep two.
    expect(pageData('{"amount": 50, "fromBalance": 1180.5, "toBalance": 4570}', 'transfer.completed')).toBe(
      '{"amount":50,"fromBalance":1180.50,"toBalance":4570.00}',
    );
    expect(pageData('{"amount": 12.5, "fee": 0.75, "amountUsdt": 11.75}', 'payout.failed')).toBe(
      '{"amount":12.50,"fee":0.75,"amountUsdt":11.75}',
    );
    expect(pageData('{"amount": 500.00, "fee": 30}', 'payout.completed')).toBe('{"amount":500,"fee":30.00}');
  });

  it('signs the bytes between "event" and ,"signature" — the body carries its own signed text', () => {
    const text = eventText('transfer.completed', '{"amount": 50}', new Date('2025-03-06T00:05:00.999Z'));
    const body = deliveryBody('evt_1', text, 'whsec_x');
    expect(body).toMatch(
      /^\{"id":"evt_1","event":"transfer\.completed","data":\{"amount":50\},"timestamp":"2025-03-06T00:05:00Z","signature":"[0-9a-f]{64}"\}$/,
    );
    const signed = `{${body.slice(body.indexOf('"event"'), body.lastIndexOf(',"signature"'))}}`;
    expect(signed).toBe(text.signed);
    expect(JSON.parse(body).signature).toBe(createHmac('sha256', 'whsec_x').update(signed).digest('hex'));
  });
});
