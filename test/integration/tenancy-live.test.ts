import { describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';
import { liveKeyOf } from '../helpers/tenants.js';
import { keyInit, wsClient } from '../helpers/ws.js';

// Live events keep to their tenant: a merchant's key, a user session it minted and a stream token it minted
// hear nothing of another merchant's user or stream of the same name, nor of their own merchant's other mode.
const t = useTestApp({ outboxPollMs: 100 }, { role: 'all' });

const SUBS = {
  balance: 'subscription { balanceUpdated(userId: "fan") { userId balance transactionId } }',
  history: 'subscription { transactionCreated(userId: "fan") { id userId amount } }',
  donations: 'subscription { donationReceived(streamId: "show") { id amount } }',
};

async function listeners(url: string, m: TestMerchant) {
  const key = wsClient(url, keyInit(m));
  const session = await t.graphql(
    m,
    'mutation { createUserSession(userId: "fan") { ... on BrowserToken { token } } }',
  );
  const stream = await t.graphql(
    m,
    'mutation { createStreamToken(streamId: "show") { ... on BrowserToken { token } } }',
  );
  const user = wsClient(url, { token: session.body.data.createUserSession.token });
  const overlay = wsClient(url, { token: stream.body.data.createStreamToken.token });
  const subs = [
    key.subscribe<any>(SUBS.balance),
    key.subscribe<any>(SUBS.history),
    key.subscribe<any>(SUBS.donations),
    user.subscribe<any>(SUBS.balance),
    user.subscribe<any>(SUBS.history),
    overlay.subscribe<any>(SUBS.donations),
  ];
  return { subs, dispose: () => Promise.all([key, user, overlay].map((c) => c.dispose())) };
}

/** A donation from a fresh donor to "fan" on stream "show": one message on every subscription above. */
async function donate(m: TestMerchant, donor: string, amount: string) {
  await t.credit(m, donor, amount);
  const r = await t.graphql(
    m,
    `mutation($d: ID!, $a: Decimal!) { transfer(input: {fromUserId: $d, toUserId: "fan", amount: $a,
      metadata: {streamId: "show"}}) { ... on Transfer { transactionId } ... on Error { code message } } }`,
    { d: donor, a: amount },
  );
  const id = r.body.data?.transfer?.transactionId;
  if (typeof id !== 'string') throw new Error(`transfer failed: ${JSON.stringify(r.body)}`);
  return id;
}

describe('live events keep to their tenant', () => {
  it("never reach another merchant's or another mode's subscribers of the same user and stream", async () => {
    const url = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
    const a = await t.merchant();
    const b = await t.merchant();
    const aLive = await liveKeyOf(t, a);
    const [ofA, ofB, ofALive] = [
      await listeners(url, a),
      await listeners(url, b),
      await listeners(url, aLive),
    ];
    try {
      // Each side's own donation, until every one of its subscriptions has heard it: then all are live.
      const own = async (m: TestMerchant, l: typeof ofA, amount: string) => {
        const seen = new Set<string>();
        await eventually(
          async () => {
            seen.add(await donate(m, `donor_${seen.size}`, amount));
            return l.subs.every((s) => s.values.length > 0);
          },
          20_000,
          200,
        ).catch((err) => {
          throw new Error(
            `${m.mode}: ${JSON.stringify(l.subs.map((s) => [s.values.length, s.errors]))} ${err}`,
          );
        });
        return seen;
      };
      const fromB = await own(b, ofB, '2.00');
      const fromALive = await own(aLive, ofALive, '3.00');
      // A's subscribers last: B's and A-live's messages were fanned out before A's own first one.
      const fromA = await own(a, ofA, '5.00');
      for (const s of ofA.subs) {
        expect(s.errors).toEqual([]);
        for (const v of s.values) {
          const m = Object.values(v)[0] as {
            id?: string;
            transactionId?: string;
            amount?: string;
            balance?: string;
          };
          const tx = m.id ?? m.transactionId!;
          expect(fromA.has(tx), JSON.stringify(v)).toBe(true);
          expect(fromB.has(tx) || fromALive.has(tx)).toBe(false);
        }
      }
    } finally {
      await Promise.all([ofA.dispose(), ofB.dispose(), ofALive.dispose()]);
    }
  });
});
