import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { useTronApp } from '../helpers/tron.js';

// Money flows other than plain transfers, mixed concurrently: withdrawals created over REST and GraphQL (with
// keys shared between them, sometimes for different bodies), transfers and admin debits draining the same
// payer meanwhile, and approvals and rejections of the same withdrawals racing each other. Whatever the
// interleaving: no 500, every answer accounts for the money (what was acknowledged moved, nothing else did),
// each withdrawal is decided once, a rejection refunds exactly once, and the hold account holds exactly the
// withdrawals still open. The API role runs no payout worker, so approved withdrawals stay approved.
const t = useTronApp({}, 'api');
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';

const CREATE = `mutation($input: CreateWithdrawalInput!, $key: String) { createWithdrawal(input: $input, idempotencyKey: $key) {
  __typename ... on Withdrawal { amount replayed } ... on Error { code } } }`;
const ADJUST = `mutation($input: AdjustBalanceInput!, $key: String!) { adjustBalance(input: $input, idempotencyKey: $key) {
  __typename ... on Adjustment { transactionId } ... on Error { code } } }`;
const APPROVE = `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename ... on Error { code } } }`;
const REJECT = `mutation($id: ID!, $r: String!) { rejectWithdrawal(id: $id, reason: $r) { __typename ... on Error { code } } }`;

type Op =
  | { kind: 'withdrawRest' | 'withdrawGql'; amount: number; key: number | null }
  | { kind: 'transfer'; amount: number }
  | { kind: 'debit' | 'credit'; amount: number; key: number | null };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('withdrawRest' as const, 'withdrawGql' as const),
    amount: fc.integer({ min: 5, max: 400 }),
    key: fc.option(fc.integer({ min: 0, max: 3 })),
  }),
  fc.record({ kind: fc.constant('transfer' as const), amount: fc.integer({ min: 1, max: 400 }) }),
  fc.record({
    kind: fc.constantFrom('debit' as const, 'credit' as const),
    amount: fc.integer({ min: 1, max: 400 }),
    key: fc.option(fc.integer({ min: 0, max: 3 })),
  }),
);

async function accountBalance(m: TestMerchant, kind: string, code: string): Promise<bigint> {
  const r = await t.app.pool.query<{ b: string }>(
    'select balance_minor::text as b from accounts where merchant_id = $1 and mode = $2 and kind = $3 and code = $4',
    [m.merchantId, m.mode, kind, code],
  );
  return BigInt(r.rows[0]?.b ?? '0');
}

describe('withdrawals, adjustments and transfers racing on one payer', () => {
  it('account for every answer, whatever the interleaving', async () => {
    const { token } = await t.app.services.tokens.issueAdmin(600, 'chaos');
    const admin = { bearer: token };
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.constantFrom('approve' as const, 'reject' as const), { minLength: 1, maxLength: 4 }),
        async (ops, decisions) => {
          const m = await t.merchant();
          const user = `mf_${n++}`;
          await t.credit(m, user, '1000');
          const answers = await Promise.all(
            ops.map(async (op, i) => {
              const key = 'key' in op && op.key !== null ? `mf-${op.key}` : undefined;
              if (op.kind === 'withdrawRest') {
                const r = await t.request({
                  url: '/api/v1/withdraw/create',
                  as: m,
                  body: { userId: user, amount: op.amount, walletAddress: WALLET, network: 'TRC20' },
                  headers: key ? { 'idempotency-key': key } : {},
                });
                return { status: r.status, code: r.body.error?.code, replayed: r.body.replayed };
              }
              if (op.kind === 'withdrawGql') {
                const r = await t.graphql(m, CREATE, {
                  input: { userId: user, amount: String(op.amount), walletAddress: WALLET, network: 'TRC20' },
                  key: key ?? null,
                });
                const d = r.body.data?.createWithdrawal;
                return {
                  status: r.status,
                  code: d?.code ?? r.body.errors?.[0]?.extensions?.code,
                  ok: d?.__typename === 'Withdrawal',
                };
              }
              if (op.kind === 'transfer') {
                const r = await t.request({
                  url: '/api/v1/transfer',
                  as: m,
                  body: { fromUserId: user, toUserId: `${user}_sink`, amount: op.amount },
                });
                return { status: r.status, code: r.body.error?.code };
              }
              const r = await t.graphql(admin, ADJUST, {
                input: {
                  merchantId: m.merchantId,
                  mode: 'TEST',
                  userId: user,
                  amount: String(op.amount),
                  direction: op.kind === 'debit' ? 'DEBIT' : 'CREDIT',
                  reason: 'chaos',
                },
                // adjustBalance requires a key: an unkeyed op gets one of its own
                key: key ?? `mf-own-${n}-${i}`,
              });
              const d = r.body.data?.adjustBalance;
              return {
                status: r.status,
                code: d?.code ?? r.body.errors?.[0]?.extensions?.code,
                ok: d?.__typename === 'Adjustment',
              };
            }),
          );
          // Each answer is the movement or one of the refusals the contract names for it.
          const refusals = ['insufficient_funds', 'idempotency_key_reused', 'request_in_progress'];
          answers.forEach((a, i) => {
            const what = JSON.stringify([ops[i], a]);
            if (a.status === 200 && (a.ok ?? a.code === undefined)) return;
            const belowMinimum = ops[i]!.kind.startsWith('withdraw') && ops[i]!.amount < 10;
            expect(belowMinimum ? ['invalid_amount', ...refusals] : refusals, what).toContain(a.code);
            expect(a.status === 200 ? 'graphql' : a.status, what).toBe(
              ops[i]!.kind === 'withdrawGql' || ops[i]!.kind === 'debit' || ops[i]!.kind === 'credit'
                ? 'graphql'
                : a.code === 'insufficient_funds' || a.code === 'invalid_amount'
                  ? 400
                  : 409,
            );
          });

          // A key makes one movement at most, whichever door and operation used it.
          const effects = await t.app.pool.query<{ n: number }>(
            `select (select count(*)::int from withdrawals where merchant_id = $1)
                  + (select count(*)::int from ledger_transactions where merchant_id = $1 and description = 'chaos') as n`,
            [m.merchantId],
          );
          const keyed = ops.filter((o) => 'key' in o && o.key !== null) as { key: number }[];
          const unkeyed = ops.filter((o) => o.kind !== 'transfer' && !('key' in o && o.key !== null)).length;
          expect(effects.rows[0]!.n, JSON.stringify(ops)).toBeLessThanOrEqual(
            unkeyed + new Set(keyed.map((o) => o.key)).size,
          );

          const ws = (
            await t.app.pool.query<{ id: string; amount_minor: string }>(
              'select id, amount_minor::text from withdrawals where merchant_id = $1 and user_id = $2',
              [m.merchantId, user],
            )
          ).rows;
          // Every withdrawal is decided by racing approvals and rejections: exactly one of them wins.
          await Promise.all(
            ws.map(async (w) => {
              const rs = await Promise.all(
                decisions.map((d) =>
                  d === 'approve'
                    ? t.graphql(admin, APPROVE, { id: w.id }).then((r) => r.body.data?.approveWithdrawal)
                    : t
                        .graphql(admin, REJECT, { id: w.id, r: 'chaos' })
                        .then((r) => r.body.data?.rejectWithdrawal),
                ),
              );
              const won = rs.filter((r) => r?.__typename === 'Withdrawal');
              expect(won, JSON.stringify(rs)).toHaveLength(1);
              for (const r of rs)
                if (r?.__typename !== 'Withdrawal') expect(r?.__typename).toBe('ValidationError');
            }),
          );

          const rows = (
            await t.app.pool.query<{ id: string; status: string; amount_minor: string; refunds: number }>(
              `select w.id, w.status, w.amount_minor::text,
                 (select count(*)::int from ledger_transactions x where x.type = 'refund' and x.metadata->>'withdrawalId' = w.id) as refunds
               from withdrawals w where merchant_id = $1 and user_id = $2`,
              [m.merchantId, user],
            )
          ).rows;
          let open = 0n;
          for (const w of rows) {
            expect(['approved', 'rejected'], w.id).toContain(w.status);
            expect(w.refunds, w.id).toBe(w.status === 'rejected' ? 1 : 0);
            if (w.status !== 'rejected') open += BigInt(w.amount_minor);
          }
          expect(await accountBalance(m, 'system', 'payouts_in_flight')).toBe(open);
          // The payer: 1000 Stars in, minus what each movement took, refunds back; never below zero.
          const moved = await t.app.pool.query<{ net: string }>(
            `select coalesce(sum(e.amount_minor), 0)::text as net from ledger_entries e join accounts a on a.id = e.account_id
             where a.merchant_id = $1 and a.kind = 'user' and a.code = $2`,
            [m.merchantId, user],
          );
          expect(await accountBalance(m, 'user', user)).toBe(BigInt(moved.rows[0]!.net));
          await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
        },
      ),
      fuzzParams(),
    );
  });
});
