import { Transaction } from 'ethers';
import type { App } from '../../src/app.js';
import type { EvmDevnet } from '../../src/devnet/evm/index.js';

// The checks of `npm run bench -- payouts` (bench/payouts.ts), not timed: the withdrawals, their payout
// transactions and nonces, what the recipients hold on chain, the ledger and the events.

export interface Checks {
  statuses: Record<string, number>;
  txStatuses: Record<string, number>;
  nonces: { distinct: number; min: number; max: number; rawMatch: number };
  chainNonce: number;
  recipientsPaid: number;
  recipientsWrong: string[];
  paidUnits: bigint;
  expectedUnits: bigint;
  hotTokenLeft: bigint;
  inFlightStars: string;
  balanceSum: string;
  events: Record<string, number>;
  unpublished: number;
  baselinePaid: number;
  baselineExpected: number;
}

export async function checks(
  app: App,
  devnet: EvmDevnet,
  ids: string[],
  hot: string,
  hotFundedUnits: bigint,
  baselineRecipients: { to: string; units: bigint }[],
): Promise<Checks> {
  const q = async <T = any>(sql: string, params: unknown[] = []) =>
    (await app.pool.query(sql, params)).rows as T[];
  const byStatus = async (sql: string) =>
    Object.fromEntries((await q(sql, [ids])).map((r: any) => [r.status, Number(r.n)]));
  const ws = await q<{ wallet_address: string; amount_token_minor: string; payout_nonce: bigint | null }>(
    'select wallet_address, amount_token_minor, payout_nonce from withdrawals where id = any($1)',
    [ids],
  );
  const nonces = ws.filter((w) => w.payout_nonce !== null).map((w) => Number(w.payout_nonce));
  const txs = await q<{ raw_tx: string; nonce: bigint; status: string }>(
    `select t.raw_tx, t.nonce, t.status from payout_transactions t where t.withdrawal_id = any($1)`,
    [ids],
  );
  const rawMatch = txs.filter((x) => BigInt(Transaction.from(x.raw_tx).nonce) === BigInt(x.nonce)).length;
  let recipientsPaid = 0;
  let paidUnits = 0n;
  let expectedUnits = 0n;
  const recipientsWrong: string[] = [];
  for (const w of ws) {
    const got = await devnet.tokenBalance(devnet.usdt6, w.wallet_address);
    expectedUnits += BigInt(w.amount_token_minor);
    paidUnits += got;
    if (got === BigInt(w.amount_token_minor)) recipientsPaid++;
    else if (recipientsWrong.length < 5)
      recipientsWrong.push(`${w.wallet_address} has ${got}, expected ${w.amount_token_minor}`);
  }
  let baselinePaid = 0;
  for (const r of baselineRecipients)
    if ((await devnet.tokenBalance(devnet.usdt6, r.to)) === r.units) baselinePaid++;
  const events = Object.fromEntries(
    (await q('select type, count(*)::int as n from events group by type')).map((r: any) => [r.type, r.n]),
  );
  return {
    statuses: await byStatus(
      'select status, count(*)::int as n from withdrawals where id = any($1) group by status',
    ),
    txStatuses: await byStatus(
      'select status, count(*)::int as n from payout_transactions where withdrawal_id = any($1) group by status',
    ),
    nonces: {
      distinct: new Set(nonces).size,
      min: Math.min(...nonces),
      max: Math.max(...nonces),
      rawMatch,
    },
    chainNonce: Number(await devnet.request<string>('eth_getTransactionCount', [hot, 'latest'])),
    recipientsPaid,
    recipientsWrong,
    paidUnits,
    expectedUnits,
    hotTokenLeft: hotFundedUnits - (await devnet.tokenBalance(devnet.usdt6, hot)),
    inFlightStars: (
      await q(
        `select coalesce(sum(balance_minor), 0)::text as s from accounts where kind = 'system' and code = 'payouts_in_flight'`,
      )
    )[0].s,
    balanceSum: (await q('select coalesce(sum(balance_minor), 0)::text as s from accounts'))[0].s,
    events,
    unpublished: (await q('select count(*)::int as n from events where published_at is null'))[0].n,
    baselinePaid,
    baselineExpected: baselineRecipients.length,
  };
}
