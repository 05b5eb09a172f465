import type { PoolClient } from '../../db/database.js';
import { newId } from '../../lib/ids.js';
import { JsonNumber } from '../../lib/json.js';
import { formatToken, minorToJsonNumber } from '../../lib/money.js';
import type { EventDraft } from '../events/index.js';
import { depositUpdated } from './chain-store.js';
import { confirmingAfterEach, seenTransfers } from './confirming.js';
import type { ConfirmedTransfer } from './crediting.js';
import type { DepositRow } from './view.js';

// The bookkeeping of credited payments inside the ledger's transaction, for many at once: the transfers
// marked credited, each deposit's totals, status and flags brought forward payment by payment (one deposit
// may be paid several times in one batch), one UPDATE per table, and each payment's events showing the
// deposit as it stood right after that payment.

/** A payment about to be credited, as planned before its batch. */
export interface DepositCredit {
  deposit: DepositRow;
  transfer: ConfirmedTransfer;
  /** Token base units received. */
  units: bigint;
  stars: bigint;
  confirmations: number;
}

/** An accepted credit: its ledger transaction and the user's balance after it (null for dust). */
export interface CreditedDeposit {
  credit: DepositCredit;
  transactionId: string | null;
  balanceMinor: bigint | null;
  /** When the ledger transaction was posted (null for dust): the user's history row's time. */
  postedAt?: Date | null;
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

/**
 * The deposit right after one more payment, as `update deposits … returning *` would show it, with what it has
 * confirming then.
 */
function afterPayment(
  d: DepositRow,
  c: CreditedDeposit,
  now: Date,
  confirming: { amount: string; txHash: string | null },
): DepositRow {
  const { transfer: t, units, stars, confirmations } = c.credit;
  const received = BigInt(d.amount_received_minor) + units;
  return {
    ...d,
    amount_received_minor: received.toString(),
    amount_confirming_minor: confirming.amount,
    confirming_tx_hash: confirming.txHash,
    credited_stars_minor: BigInt(d.credited_stars_minor) + stars,
    payments: d.payments + 1,
    status: 'confirmed',
    confirmations: Math.max(d.confirmations, confirmations),
    tx_hash: t.tx_hash,
    flags: flagsFor(d, received, t.block_time > d.expires_at),
    failure_reason: null,
    confirmed_at: d.confirmed_at ?? now,
    updated_at: now,
  };
}

function confirmedEvent(row: DepositRow, c: CreditedDeposit): EventDraft {
  const { transfer: t, units, stars, confirmations } = c.credit;
  return {
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
      expectedAmount: new JsonNumber(formatToken(BigInt(row.expected_amount_minor), row.token_decimals)),
      amountReceived: new JsonNumber(formatToken(BigInt(row.amount_received_minor), row.token_decimals)),
      stars: minorToJsonNumber(stars),
      balance: c.balanceMinor === null ? null : minorToJsonNumber(c.balanceMinor),
      transactionId: c.transactionId,
      flags: row.flags,
      // The credit's ledger time, as the user's history row (and the live row, events/live-messages.ts) shows it.
      createdAt: (c.postedAt ?? new Date()).toISOString(),
    },
  };
}

/** Marks the payments credited and brings their deposits forward; returns the events, in payment order. */
export async function creditDeposits(client: PoolClient, credited: CreditedDeposit[]): Promise<EventDraft[]> {
  await client.query(
    `update chain_transfers t set status = 'credited', ledger_transaction_id = x.tx, credited_stars_minor = x.stars,
       credited_at = now()
     from unnest($1::bigint[], $2::text[], $3::bigint[]) as x(id, tx, stars)
     where t.id = x.id`,
    [
      credited.map((c) => c.credit.transfer.id),
      credited.map((c) => c.transactionId),
      credited.map((c) => c.credit.stars),
    ],
  );
  const locked = await client.query<DepositRow & { tx_now: Date }>(
    'select *, now() as tx_now from deposits where id = any($1) order by id for update',
    [[...new Set(credited.map((c) => c.credit.deposit.id))]],
  );
  const current = new Map(locked.rows.map(({ tx_now: _, ...d }) => [d.id, d as DepositRow]));
  const now = locked.rows[0]!.tx_now;
  // Read after the marks above and the row locks: the transfers of these deposits left to credit.
  const confirming = confirmingAfterEach(
    await seenTransfers(client, [...current.keys()]),
    credited.map((c) => c.credit.transfer),
  );
  const events: EventDraft[] = [];
  for (const [i, c] of credited.entries()) {
    const row = afterPayment(current.get(c.credit.deposit.id)!, c, now, confirming[i]!);
    current.set(row.id, row);
    events.push(depositUpdated(row), confirmedEvent(row, c));
  }
  const rows = [...current.values()];
  await client.query(
    `update deposits d set amount_received_minor = x.received, credited_stars_minor = x.stars, payments = x.payments,
       status = 'confirmed', confirmations = x.confirmations, tx_hash = x.tx_hash, flags = x.flags::text[],
       failure_reason = null, confirmed_at = x.confirmed_at, updated_at = x.updated_at,
       amount_confirming_minor = x.confirming, confirming_tx_hash = x.confirming_tx_hash
     from (select * from unnest($1::text[], $2::numeric[], $3::bigint[], $4::int[], $5::int[], $6::text[], $7::text[],
       $8::timestamptz[], $9::timestamptz[], $10::numeric[], $11::text[])) as x(id, received, stars, payments,
       confirmations, tx_hash, flags, confirmed_at, updated_at, confirming, confirming_tx_hash)
     where d.id = x.id`,
    [
      rows.map((d) => d.id),
      rows.map((d) => d.amount_received_minor),
      rows.map((d) => d.credited_stars_minor),
      rows.map((d) => d.payments),
      rows.map((d) => d.confirmations),
      rows.map((d) => d.tx_hash),
      rows.map((d) => `{${d.flags.join(',')}}`),
      rows.map((d) => d.confirmed_at),
      rows.map((d) => d.updated_at),
      rows.map((d) => d.amount_confirming_minor),
      rows.map((d) => d.confirming_tx_hash),
    ],
  );
  return events;
}
