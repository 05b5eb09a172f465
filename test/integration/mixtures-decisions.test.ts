import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzParams } from '../helpers/fuzz.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { CODES, ledgerSnapshot, overSocket, wsUrlOf } from '../helpers/mixtures.js';
import { createdWithdrawal } from '../helpers/payout-state.js';
import { useTronApp } from '../helpers/tron.js';
import { rawSocket } from '../helpers/ws.js';

// Concurrent decisions on one pending withdrawal, over GraphQL over HTTP and the WebSocket: approvals and
// rejections, with shared, fresh or no keys, some with bad input (an empty reason, a key that is not
// printable ASCII). One decision wins: every success names it (a replay included), the withdrawal ends in it,
// a rejection refunds the user exactly once, and nothing else moves; every refusal has a code from the list.
const t = useTronApp({}, 'api');
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';

const decision = fc.record({
  verb: fc.constantFrom('approve', 'reject'),
  key: fc.constantFrom(null, 'shared', 'fresh', 'é', ''),
  reason: fc.constantFrom('"fraud"', '"fraud"', '""', '"\\u0000"'),
  door: fc.constantFrom('http', 'ws'),
});
type Decision = typeof decision extends fc.Arbitrary<infer D> ? D : never;

function documentOf(d: Decision, id: string, key: string | null): string {
  const reject = d.verb === 'reject';
  const field = reject
    ? 'rejectWithdrawal(id: $id, idempotencyKey: $key, reason: $reason)'
    : 'approveWithdrawal(id: $id, idempotencyKey: $key)';
  const query = `mutation($id: ID!, $key: String${reject ? ', $reason: String!' : ''}) { r: ${field} {
    __typename ... on Error { code } ... on Withdrawal { status replayed } } }`;
  const keyText = key === null ? 'null' : JSON.stringify(key);
  return `{"query":${JSON.stringify(query)},"variables":{"id":"${id}","key":${keyText}${reject ? `,"reason":${d.reason}` : ''}}}`;
}

describe('concurrent decisions on one withdrawal, good and bad', () => {
  it('decide it once, refund at most once, and refuse the rest with listed codes', {
    timeout: 90_000,
  }, async () => {
    const m = await t.merchant();
    const { token } = await t.app.services.tokens.issueAdmin(600, 'mixtures');
    const socket = await rawSocket(await wsUrlOf(t), { token });
    let n = 0;
    const send = async (payload: string) => {
      const res = await t.request({
        method: 'POST',
        url: '/graphql',
        rawBody: payload,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status, res.text).toBeLessThan(500);
      return res.body;
    };
    const sendWs = (payload: string) => overSocket(socket, `d${n++}`, payload);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(decision, { minLength: 2, maxLength: 8 }), async (batch) => {
          const user = `dw_${n++}`;
          const id = await createdWithdrawal(t, m, {
            userId: user,
            credit: '100',
            amount: 50,
            wallet: WALLET,
          });
          const before = await ledgerSnapshot(t.app.pool, m.merchantId);
          const answers = await Promise.all(
            batch.map((d, i) => {
              const key = d.key === 'shared' ? `dk-${id}` : d.key === 'fresh' ? `dk-${id}-${i}` : d.key;
              const payload = documentOf(d, id, key);
              return d.door === 'http' ? send(payload) : sendWs(payload);
            }),
          );
          const won = new Set<string>();
          answers.forEach((body, i) => {
            const what = `${JSON.stringify(batch[i])} → ${JSON.stringify(body)}`;
            for (const e of body?.errors ?? []) expect(CODES, what).toContain(e.extensions?.code);
            const r = body?.data?.r;
            if (r?.__typename === 'Withdrawal') won.add(`${batch[i]!.verb}:${r.status}`);
            else expect(r?.code ?? body?.errors?.[0]?.extensions?.code, what).not.toBe('internal_error');
          });
          expect(won.size, JSON.stringify(answers)).toBeLessThanOrEqual(1);
          const status = (await t.app.pool.query('select status from withdrawals where id = $1', [id]))
            .rows[0]!.status;
          const after = await ledgerSnapshot(t.app.pool, m.merchantId);
          const refunds = after.counts!.tx - before.counts!.tx;
          expect({ status, refunds }).toEqual(
            won.has('reject:REJECTED')
              ? { status: 'rejected', refunds: 1 }
              : won.has('approve:APPROVED')
                ? { status: 'approved', refunds: 0 }
                : { status: 'pending_approval', refunds: 0 },
          );
          expect(after.balances[`test:user:${user}`]).toBe(status === 'rejected' ? '10000' : '5000');
          expect(after.total).toBe('0');
        }),
        { ...fuzzParams(), numRuns: Number(process.env.MX_RUNS ?? 10) },
      );
      await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
    } finally {
      socket.close();
    }
  });
});
