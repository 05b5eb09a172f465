import type { PoolClient } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { JsonNumber } from '../../lib/json.js';
import { minorToJsonNumber } from '../../lib/money.js';
import { insertEvents } from '../events/outbox.js';
import type { EventDraft } from '../events/types.js';
import type { LedgerService } from '../ledger/service.js';
import type { MerchantsService } from '../merchants/service.js';
import { formatToken, tokenToStarsMinor } from './amounts.js';
import { depositUpdated } from './chain-store.js';
import type { DepositRow } from './view.js';

// A confirmed payment becomes Stars: one ledger posting from the network's clearing account to the user,
// in the same database transaction as marking the chain transfer credited (guarded by a row lock, so a
// transfer is credited once however often it is seen), the deposit's totals, flags and events, and the house
// books' record of the tokens now in custody on the deposit address (inflow → custody:deposits).
// Late, short, over and repeated payments are all credited for what arrived.

export interface ConfirmedTransfer {
  id: number;
  deposit_id: string;
  tx_hash: string;
  log_index: number;
  amount_minor: string;
  block_time: Date;
  block_number: number;
}

class AlreadyCredited extends AppError {
  constructor() {
    super('invalid_request', 'this chain transfer is already credited');
  }
}

function flagsFor(d: DepositRow, received: bigint, late: boolean): string[] {
  const flags = new Set(d.flags);
  if (late) flags.add('late');
  flags.delete('underpaid');
  flags.delete('overpaid');
  const expected = BigInt(d.expected_amount_minor);
  if (received < expected) flags.add('underpaid');
  if (received > expected) flags.add('overpaid');
  if (d.payments + 1 > 1) flags.add('multiple');
  return [...flags].sort();
}

export class DepositCrediting {
  constructor(
    private readonly ledger: LedgerService,
    private readonly merchants: MerchantsService,
  ) {}

  async credit(deposit: DepositRow, t: ConfirmedTransfer, head: number): Promise<'credited' | 'skipped'> {
    const settings = await this.merchants.settings(deposit.merchant_id);
    const units = BigInt(t.amount_minor);
    const stars = tokenToStarsMinor(units, deposit.token_decimals, settings.starsPerUsdt);
    const confirmations = Math.max(1, head - t.block_number + 1);
    const guard = async (c: PoolClient) => {
      const r = await c.query<{ status: string }>(
        'select status from chain_transfers where id = $1 for update',
        [t.id],
      );
      return r.rows[0]?.status === 'seen' ? null : new AlreadyCredited();
    };
    const after = async (
      c: PoolClient,
      txId: string | null,
      balanceMinor: bigint | null,
    ): Promise<EventDraft[]> => {
      await c.query(
        `update chain_transfers set status = 'credited', ledger_transaction_id = $2, credited_stars_minor = $3, credited_at = now()
         where id = $1`,
        [t.id, txId, stars],
      );
      const cur = await c.query<DepositRow>('select * from deposits where id = $1 for update', [deposit.id]);
      const d = cur.rows[0]!;
      const received = BigInt(d.amount_received_minor) + units;
      const flags = flagsFor(d, received, t.block_time > d.expires_at);
      const updated = await c.query<DepositRow>(
        `update deposits set amount_received_minor = $2, credited_stars_minor = credited_stars_minor + $3, payments = payments + 1,
           status = 'confirmed', confirmations = greatest(confirmations, $4), tx_hash = $5, flags = $6,
           failure_reason = null, confirmed_at = coalesce(confirmed_at, now()), updated_at = now()
         where id = $1 returning *`,
        [d.id, received.toString(), stars, confirmations, t.tx_hash, flags],
      );
      const row = updated.rows[0]!;
      // The coins are ours to account for from now on: in custody on the deposit address until swept.
      await this.ledger.house.post(c, [
        {
          key: `deposit:${row.chain}:${t.tx_hash}:${t.log_index}`,
          type: 'deposit',
          network: row.network,
          mode: row.mode,
          asset: 'token',
          from: 'inflow',
          to: 'custody:deposits',
          amount: units,
          reference: t.tx_hash,
          metadata: { depositId: row.id, address: row.address },
        },
      ]);
      return [
        depositUpdated(row),
        {
          id: newId('evt'),
          type: 'deposit.confirmed',
          merchantId: row.merchant_id,
          mode: row.mode,
          createdAt: new Date(),
          data: {
            id: row.id,
            userId: row.user_id,
            amount: new JsonNumber(formatToken(units, row.token_decimals)),
            currency: row.currency,
            network: row.network,
            txHash: t.tx_hash,
            confirmations,
            depositAddress: row.address,
            expectedAmount: new JsonNumber(
              formatToken(BigInt(row.expected_amount_minor), row.token_decimals),
            ),
            amountReceived: new JsonNumber(formatToken(received, row.token_decimals)),
            stars: minorToJsonNumber(stars),
            balance: balanceMinor === null ? null : minorToJsonNumber(balanceMinor),
            transactionId: txId,
            flags,
            createdAt: new Date().toISOString(),
          },
        },
      ];
    };
    if (stars === 0n) {
      // Dust below 0.01 Star: recorded on the deposit, nothing to post.
      return (await this.ledger.withTransaction(async (c) => {
        if (await guard(c)) return 'skipped';
        await insertEvents(c, await after(c, null, null));
        return 'credited';
      })) as 'credited' | 'skipped';
    }
    const outcome = await this.ledger.post({
      merchantId: deposit.merchant_id,
      mode: deposit.mode,
      postings: [
        {
          type: 'deposit',
          from: { kind: 'system', code: `clearing:${deposit.network}` },
          to: { kind: 'user', code: deposit.user_id },
          amountMinor: stars,
          description: `Deposit ${deposit.id}`,
          metadata: { depositId: deposit.id, txHash: t.tx_hash, network: deposit.network },
        },
      ],
      guard,
      after: (c, txs) => after(c, txs[0]!.id, txs[0]!.toBalanceAfterMinor),
    });
    if (!outcome.ok) {
      if (outcome.error instanceof AlreadyCredited) return 'skipped';
      throw outcome.error;
    }
    return 'credited';
  }
}
