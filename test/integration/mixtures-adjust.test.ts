import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import {
  CODES,
  graphqlOutcome,
  ledgerSnapshot,
  type Outcome,
  overSocket,
  socketOutcome,
  wsUrlOf,
} from '../helpers/mixtures.js';
import { badAmount, badUser } from '../helpers/mixtures-values.js';
import { rawSocket } from '../helpers/ws.js';

// adjustBalance (admins), good and bad mixed in concurrent batches over GraphQL over HTTP and the WebSocket,
// with keys shared between the two doors: every bad one is refused with a code from the one list and leaves
// no trace; each good one moves exactly its amount once (a retry on the other door replays it); the
// balances after are those before plus the adjustments, and the books balance.
const t = useTestApp();
const POOL = ['ad_a', 'ad_b'];
const QUERY = `mutation($i0: AdjustBalanceInput!, $k0: String!) { r0: adjustBalance(input: $i0, idempotencyKey: $k0) {
  __typename ... on Error { code message } ... on Adjustment { id: transactionId replayed } } }`;

interface Adjust {
  text: string;
  good: { userId: string; cents: number; credit: boolean } | null;
  door: 'http' | 'ws';
  retry: 'http' | 'ws' | null;
}

function adjustments(merchantId: string): fc.Arbitrary<Adjust> {
  const valid = fc.record({
    userId: fc.constantFrom(...POOL),
    cents: fc.integer({ min: 1, max: 9999 }),
    credit: fc.boolean(),
  });
  const fields = (g: { userId: string; cents: number; credit: boolean }) =>
    new Map<string, string>([
      ['merchantId', JSON.stringify(merchantId)],
      ['mode', '"TEST"'],
      ['userId', JSON.stringify(g.userId)],
      ['amount', JSON.stringify((g.cents / 100).toFixed(2))],
      ['direction', g.credit ? '"CREDIT"' : '"DEBIT"'],
      ['reason', '"ticket 1"'],
    ]);
  const text = (m: Map<string, string>) =>
    `{${[...m].map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
  const spoil = fc.oneof(
    badAmount.map((v) => ['amount', v] as [string, string]),
    badUser.map((v) => ['userId', v] as [string, string]),
    fc.constantFrom<[string, string]>(
      ['direction', '"SIDEWAYS"'],
      ['direction', '"credit"'],
      ['mode', '"PROD"'],
      ['merchantId', '"mer_nope"'],
      ['merchantId', '5'],
      ['reason', '""'],
      ['reason', '"\\u0000"'],
      ['reason', `"${'r'.repeat(5000)}"`],
      ['reason', 'null'],
      ['amout', '"1"'],
    ),
  );
  const door = fc.constantFrom<'http' | 'ws'>('http', 'ws');
  return fc.oneof(
    fc
      .record({ g: valid, door, retry: fc.option(door, { nil: null }) })
      .map(({ g, door, retry }) => ({ text: text(fields(g)), good: g, door, retry })),
    fc.record({ g: valid, s: spoil, door }).map(({ g, s: [k, v], door }) => {
      const m = fields(g);
      m.set(k, v);
      return { text: text(m), good: null, door, retry: null };
    }),
  );
}

describe('adjustBalance, good and bad, over HTTP and the WebSocket', () => {
  it('refuses every bad one without a trace and adjusts each good one once', {
    timeout: 60_000,
  }, async () => {
    const m = await t.merchant();
    for (const u of POOL) await t.credit(m, u, '10000000');
    const { token } = await t.app.services.tokens.issueAdmin(600, 'mixtures');
    const socket = await rawSocket(await wsUrlOf(t), { token });
    expect(socket.acked).toBe(true);
    let n = 0;
    const send = async (door: 'http' | 'ws', text: string, key: string): Promise<Outcome> => {
      const payload = `{"query":${JSON.stringify(QUERY)},"variables":{"i0":${text},"k0":"${key}"}}`;
      if (door === 'http') {
        const res = await t.request({
          method: 'POST',
          url: '/graphql',
          rawBody: payload,
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status, res.text).toBeLessThan(500);
        return graphqlOutcome(res.status, res.body);
      }
      const id = `ad${n++}`;
      return socketOutcome(await overSocket(socket, id, payload));
    };
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(adjustments(m.merchantId), { minLength: 2, maxLength: 10 }),
          async (batch) => {
            const before = await ledgerSnapshot(t.app.pool, m.merchantId);
            const keys = batch.map(() => `adj-${n++}`);
            const sends = batch.flatMap((a, i) => [
              send(a.door, a.text, keys[i]!).then((o) => ({ i, o })),
              ...(a.retry ? [send(a.retry, a.text, keys[i]!).then((o) => ({ i, o }))] : []),
            ]);
            const results = await Promise.all(sends);
            const expected = { ...before.balances };
            const ids = new Map<number, Set<string>>();
            for (const { i, o } of results) {
              const a = batch[i]!;
              const what = `${a.door} ${a.text} → ${JSON.stringify(o.raw)}`;
              if (!a.good) {
                expect(o.ok, what).toBe(false);
                if (!o.ok)
                  expect(
                    [...CODES].filter((c) => c !== 'internal_error'),
                    what,
                  ).toContain(o.code);
                continue;
              }
              if (!o.ok) {
                expect(o.code, what).toBe('request_in_progress'); // only a concurrent retry of a good one
                continue;
              }
              ids.set(i, (ids.get(i) ?? new Set()).add(o.id));
            }
            for (const [i, set] of ids) {
              expect(set.size, batch[i]!.text).toBe(1);
              const g = batch[i]!.good!;
              const k = `test:user:${g.userId}`;
              expected[k] = String(BigInt(expected[k]!) + BigInt(g.credit ? g.cents : -g.cents));
            }
            const after = await ledgerSnapshot(t.app.pool, m.merchantId);
            expect(Object.fromEntries(POOL.map((u) => [u, after.balances[`test:user:${u}`]]))).toEqual(
              Object.fromEntries(POOL.map((u) => [u, expected[`test:user:${u}`]])),
            );
            expect(after.counts!.tx - before.counts!.tx).toBe(ids.size);
            expect(after.total).toBe('0');
          },
        ),
        { ...fuzzParams(), numRuns: Number(process.env.MX_RUNS ?? 15) },
      );
      await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
    } finally {
      socket.close();
    }
  });
});
