import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deliveryBody, eventText, pageData } from '../../src/modules/webhooks/signing.js';

// A delivery body in the legacy page's formats, from the events.payload jsonb text (which keeps every digit a
// number was written with; PostgreSQL prints it with spaces, the body is compact).
describe('the webhook body', () => {
  it('prints amounts with at least two decimals and every digit, times in whole seconds, the rest as stored', () => {
    const stored =
      '{"id": "dep_1", "fee": 30, "stars": 1180.5, "amount": 3.000000000000000001, "network": "BEP20", ' +
      '"metadata": {"n": 1.50, "streamId": "s"}, "createdAt": "2026-12-04T21:36:38.070Z", "confirmations": 20}';
    expect(pageData(stored)).toBe(
      '{"id":"dep_1","amount":3.000000000000000001,"network":"BEP20","confirmations":20,"fee":30.00,' +
        '"stars":1180.50,"metadata":{"n":1.50,"streamId":"s"},"createdAt":"2026-12-04T21:36:38Z"}',
    );
    expect(pageData('{"amount": 0.000001}')).toBe('{"amount":0.000001}');
  });

  it('signs the bytes between "event" and ,"signature" — the body carries its own signed text', () => {
    const text = eventText('transfer.completed', '{"amount": 50}', new Date('2025-03-06T00:05:00.999Z'));
    const body = deliveryBody('evt_1', text, 'whsec_x');
    expect(body).toMatch(
      /^\{"id":"evt_1","event":"transfer\.completed","data":\{"amount":50\.00\},"timestamp":"2025-03-06T00:05:00Z","signature":"[0-9a-f]{64}"\}$/,
    );
    const signed = `{${body.slice(body.indexOf('"event"'), body.lastIndexOf(',"signature"'))}}`;
    expect(signed).toBe(text.signed);
    expect(JSON.parse(body).signature).toBe(createHmac('sha256', 'whsec_x').update(signed).digest('hex'));
  });
});
