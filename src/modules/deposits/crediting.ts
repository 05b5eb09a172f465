import type { PoolClient } from '../../db/database.js';
import { AppError } from '../../lib/errors.js';
import { FailureRun } from '../../lib/failure-run.js';
import type { Logger } from '../../lib/logger.js';
import { parseRate, tokenToStarsMinor } from '../../lib/money.js';
import { depositCreditText, type EventDraft } from '../events/index.js';
import type {
  GroupAccepted,
  HouseBooks,
  HousePosting,
  LedgerService,
  PostingGroup,
  PostingItem,
  TransactionClaims,
} from '../ledger/index.js';
import type { MerchantsService } from '../merchants/index.js';
import { type CreditedDeposit, creditDeposits, type DepositCredit } from './credit-rows.js';
import type { DepositRow } from './view.js';

// A confirmed payment becomes Stars: one ledger posting from the network's clearing account to the user,
// in the same database transaction as marking the chain transfer credited (guarded by a row lock, so a
// transfer is credited once however often it is seen), the deposit's totals, flags and events, and the house
// books' record of the tokens now in custody on the deposit address (inflow → custody:deposits).
// Late, short, over and repeated payments are all credited for what arrived.
//
// A scanner pass hands all its confirmed payments over at once: they go through the ledger's batcher like
// transfers, and the checks and writes of every credit in one database transaction are set-based (one
// lock of the transfers, one of the deposits, one update of each), not a few round trips per credit.
// A credit that fails still fails alone: the engine splits a failing batch until it stands alone.
//
// A payment is never credited 0 Stars because its merchant's rate is 0 (a deposit taken at another rate, paid
// after the merchant set 0): it waits, seen and uncredited, and a later pass credits it at the rate in force
// once the rate is set again. The log says so once per outage per merchant (FailureRun's rule): a warning
// when its payments first wait, an info line when its rate is set again.

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

/** One payment to credit: the deposit it paid, as read before the pass. */
export interface CreditRequest {
  deposit: DepositRow;
  transfer: ConfirmedTransfer;
}

/** 'waiting': not credited, the merchant's rate is 0 (a later pass tries again). */
export type CreditOutcome = 'credited' | 'skipped' | 'waiting';

const isZeroRate = (starsPerUsdt: string) => parseRate(starsPerUsdt).num === 0n;

const RATE_OUTAGE = {
  failing: "a merchant's rate is 0 Stars per USDT: its confirmed deposit payments wait uncredited",
  recovered: "a merchant's rate is set again: crediting its deposit payments that waited",
  countField: 'passesWaited',
};

export class DepositCrediting {
  /** Transfers handed to the ledger and not answered yet: a second pass never submits one twice. */
  private readonly inFlight = new Set<number>();
  /** Merchants whose payments wait for a non-zero rate, each logged once per outage. */
  private readonly rateOutages = new Map<string, FailureRun>();

  constructor(
    private readonly ledger: LedgerService,
    private readonly merchants: MerchantsService,
    private readonly log: Logger,
  ) {}

  /**
   * Of the merchants with confirmed payments to credit (and how many each), those whose rate is 0 now: their
   * payments wait. Logs the start of each merchant's wait once, and its end when the rate is set again.
   */
  async waitingForRate(payments: Map<string, number>): Promise<string[]> {
    const waiting: string[] = [];
    for (const [merchantId, n] of payments) {
      const settings = await this.merchants.settings(merchantId);
      if (isZeroRate(settings.starsPerUsdt)) {
        this.rateZero(merchantId, n);
        waiting.push(merchantId);
      } else {
        this.rateOutages.get(merchantId)?.worked();
        this.rateOutages.delete(merchantId);
      }
    }
    return waiting;
  }

  private rateZero(merchantId: string, waiting: number): void {
    let run = this.rateOutages.get(merchantId);
    if (!run) {
      run = new FailureRun(this.log.child({ merchantId }), RATE_OUTAGE);
      this.rateOutages.set(merchantId, run);
    }
    run.failed('starsPerUsdt is 0: set the merchant rate to credit them', { waiting });
  }

  /** Credits one confirmed payment (see `creditMany`). */
  async credit(deposit: DepositRow, t: ConfirmedTransfer, head: number): Promise<CreditOutcome> {
    const [outcome] = await this.creditMany([{ deposit, transfer: t }], head);
    return outcome!;
  }

  /**
   * Credits confirmed payments, each exactly once: 'skipped' for one already credited (by an earlier or
   * concurrent pass, here or in another process). Rejects when any credit failed, after the others are
   * decided; each failed credit leaves nothing behind and is tried again by the next pass.
   */
  async creditMany(requests: CreditRequest[], head: number): Promise<CreditOutcome[]> {
    const byItem = new Map<PostingItem, DepositCredit>();
    const group = creditGroup(byItem, this.ledger.house);
    const mine = requests.map(({ transfer }) => !this.inFlight.has(transfer.id));
    requests.forEach(({ transfer }, i) => {
      if (mine[i]) this.inFlight.add(transfer.id);
    });
    try {
      const planned = await Promise.all(
        requests.map((r, i) => (mine[i] ? this.plan(r.deposit, r.transfer, head) : ('skipped' as const))),
      );
      // Queued together in chain order: batches fill at once, and one deposit's payments are booked (and
      // told) in the order they came.
      const items = planned.map((credit) => {
        if (typeof credit === 'string') return credit;
        const item = creditItem(credit, group);
        byItem.set(item, credit);
        return item;
      });
      const posted = this.ledger.postMany(items.filter((i) => typeof i !== 'string'));
      let next = 0;
      const pending = await Promise.allSettled(
        items.map(async (item): Promise<CreditOutcome> => {
          if (typeof item === 'string') return item;
          const outcome = await posted[next++]!;
          if (outcome.ok) return 'credited';
          if (outcome.error instanceof AlreadyCredited) return 'skipped';
          throw outcome.error;
        }),
      );
      const failed = pending.find((p) => p.status === 'rejected');
      if (failed) throw failed.reason;
      return pending.map((p) => (p as PromiseFulfilledResult<CreditOutcome>).value);
    } finally {
      requests.forEach(({ transfer }, i) => {
        if (mine[i]) this.inFlight.delete(transfer.id);
      });
    }
  }

  private async plan(
    deposit: DepositRow,
    t: ConfirmedTransfer,
    head: number,
  ): Promise<DepositCredit | 'waiting'> {
    const settings = await this.merchants.settings(deposit.merchant_id);
    // The scanner leaves these out already (waitingForRate); a rate set to 0 since then is caught here.
    if (isZeroRate(settings.starsPerUsdt)) {
      this.rateZero(deposit.merchant_id, 1);
      return 'waiting';
    }
    const units = BigInt(t.amount_minor);
    return {
      deposit,
      transfer: t,
      units,
      stars: tokenToStarsMinor(units, deposit.token_decimals, settings.starsPerUsdt),
      confirmations: Math.max(1, head - t.block_number + 1),
    };
  }
}

/** The posting of one credit: clearing → user, or nothing for dust below 0.01 Star (recorded all the same). */
function creditItem(c: DepositCredit, group: PostingGroup): PostingItem {
  const { deposit, transfer: t } = c;
  return {
    merchantId: deposit.merchant_id,
    mode: deposit.mode,
    postings:
      c.stars === 0n
        ? []
        : [
            {
              type: 'deposit',
              from: { kind: 'system', code: `clearing:${deposit.network}` },
              to: { kind: 'user', code: deposit.user_id },
              amountMinor: c.stars,
              ...depositCreditText(deposit.id, t.tx_hash, deposit.network),
            },
          ],
    group,
  };
}

/** The house books' posting of a credited payment: its tokens are in custody on the deposit address now. */
function custodyPosting({ deposit: d, transfer: t, units }: DepositCredit): HousePosting {
  return {
    key: `deposit:${d.chain}:${t.tx_hash}:${t.log_index}`,
    type: 'deposit',
    network: d.network,
    mode: d.mode,
    asset: 'token',
    from: 'inflow',
    to: 'custody:deposits',
    amount: units,
    reference: t.tx_hash,
    metadata: { depositId: d.id, address: d.address },
  };
}

/** The set-based guard and writes of all the credits of one database transaction. */
function creditGroup(byItem: Map<PostingItem, DepositCredit>, house: HouseBooks): PostingGroup {
  return {
    guard: async (client: PoolClient, items: PostingItem[], claims: TransactionClaims) => {
      const ids = items.map((i) => byItem.get(i)!.transfer.id);
      const r = await client.query<{ id: number; status: string }>(
        'select id, status from chain_transfers where id = any($1::bigint[]) order by id for update',
        [ids],
      );
      const seen = new Set(r.rows.filter((x) => x.status === 'seen').map((x) => Number(x.id)));
      // A transfer twice in one transaction (two passes' requests in one batch) is credited by the first.
      return ids.map((id) =>
        seen.has(id) && claims.claim(`chain_transfers:${id}`) ? null : new AlreadyCredited(),
      );
    },
    after: async (client: PoolClient, accepted: GroupAccepted[]): Promise<EventDraft[]> => {
      const credited = accepted.map(({ item, transactions }): CreditedDeposit => {
        const tx = transactions[0];
        return {
          credit: byItem.get(item)!,
          transactionId: tx?.id ?? null,
          balanceMinor: tx?.toBalanceAfterMinor ?? null,
          postedAt: tx?.createdAt ?? null,
        };
      });
      await house.post(
        client,
        credited.map((c) => custodyPosting(c.credit)),
      );
      return creditDeposits(client, credited);
    },
  };
}
