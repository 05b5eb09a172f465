import { beforeAll, describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';
import { keyInit, wsClient } from '../helpers/ws.js';

// A transfer's metadata.streamId is any string (the legacy page's "stream_123" is only an example), and the
// transfer is published as a donation to that stream whatever it is. createStreamToken and donationReceived
// took only user-id characters (1-64 of A-Z a-z 0-9 _ - . :), so a merchant whose streams are named
// "Friday Night", a slug with a slash or a non-Latin title got 200s for every donation while the overlay
// could never be given a token for the stream, nor subscribe to it: the donations went nowhere, silently.

const t = useTestApp({ outboxPollMs: 100 }, { role: 'all' });
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

const DONATIONS = `subscription($s: ID!) { donationReceived(streamId: $s) { id streamId amount metadata } }`;

async function donate(m: TestMerchant, streamId: string): Promise<string> {
  const r = await t.request({
    as: m,
    url: '/api/v1/transfer',
    body: { fromUserId: 'donor', toUserId: 'streamer', amount: 1, metadata: { streamId } },
  });
  expect(r.status).toBe(200);
  return r.body.id;
}

describe('a stream named by any text a transfer can carry', () => {
  for (const streamId of ['Friday Night', 'streams/42', 'Стрим №1 🎮']) {
    it(`gets its donations to a stream token and an API key (${streamId})`, async () => {
      const m = await t.merchant();
      await t.credit(m, 'donor', '100');
      const minted = await t.graphql(
        m,
        'mutation($s: ID!) { createStreamToken(streamId: $s) { __typename ... on BrowserToken { token } ... on Error { code message } } }',
        { s: streamId },
      );
      expect(minted.body.data.createStreamToken.__typename).toBe('BrowserToken');
      const overlay = wsClient(wsUrl, { token: minted.body.data.createStreamToken.token });
      const key = wsClient(wsUrl, keyInit(m));
      const subs = [
        overlay.subscribe<any>(DONATIONS, { s: streamId }),
        key.subscribe<any>(DONATIONS, { s: streamId }),
      ];
      // Until both subscriptions are live, donate: every donation made counts, and only those arrive.
      const made: string[] = [];
      const live = await eventually(async () => {
        made.push(await donate(m, streamId));
        return subs.every((s) => s.values.length > 0);
      }, 10_000);
      expect(subs.map((s) => s.errors)).toEqual([[], []]);
      expect(live).toBe(true);
      for (const s of subs)
        for (const v of s.values) {
          expect(made).toContain(v.donationReceived.id);
          expect(v.donationReceived.streamId).toBe(streamId);
          expect(v.donationReceived.metadata).toEqual({ streamId });
        }
      await Promise.all([overlay.dispose(), key.dispose()]);
    });
  }

  it('still refuses a stream id no transfer can name: empty, or longer than its 4 KB metadata', async () => {
    const m = await t.merchant();
    for (const s of ['', 'x'.repeat(4097)]) {
      const r = await t.graphql(
        m,
        'mutation($s: ID!) { createStreamToken(streamId: $s) { __typename ... on Error { code param } } }',
        { s },
      );
      expect(r.body.data.createStreamToken).toEqual({
        __typename: 'ValidationError',
        code: 'invalid_request',
        param: 'streamId',
      });
    }
  });
});
