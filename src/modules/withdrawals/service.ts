import { type Family, familyOf } from '../../chains/families.js';
import type { NetworkRegistry } from '../../chains/registry.js';
import type { Pool, PoolClient } from '../../db/database.js';
import {
  type AppError,
  InvalidAddressError,
  NotFoundError,
  UnsupportedNetworkError,
  ValidationError,
} from '../../lib/errors.js';
import { newId, parseUserId } from '../../lib/ids.js';
import { byTime, type KeyedRows, keySelect, type Page, pageTail } from '../../lib/keyset.js';
import { formatToken, parseAmount, parseStars } from '../../lib/money.js';
import type { Mode, Tenant } from '../../lib/tenant.js';
import { assertStorableText } from '../../lib/text.js';
import { insertEvents } from '../events/index.js';
import type { LedgerService, PostingGroup, PostingItem } from '../ledger/index.js';
import type { MerchantsService } from '../merchants/index.js';
import { audit } from './audit.js';
import { type DailyLimitCheck, dailyLimitGroup } from './daily-limit.js';
import { payoutFailed, withdrawalUpdated } from './events.js';
import { guardWithdrawal } from './guard.js';
import { IN_FLIGHT, PAYOUTS_CHANNEL, withdrawalHold } from './hold.js';
import { assertNotOwnAddress } from './own-addresses.js';
import { payoutTerms, starsMinor } from './terms.js';
import { viewFromStored, type WithdrawalRow, type WithdrawalView, withdrawalData } from './view.js';

// Withdrawals: at creation the full amount moves from the user to the merchant's payouts-in-flight account
// (a hold: the balance drops at once and cannot be spent twice), in the same database transaction as the
// withdrawal row. Approval and rejection are single guarded state changes; a rejection refunds the whole
// amount with `payout.failed` (reason rejected). Sending the payout on chain is the payout worker's job.

export { IN_FLIGHT, PAYOUTS_CHANNEL } from './hold.js';

export interface CreateWithdrawalInput {
  userId: unknown;
  amount: unknown;
  walletAddress: unknown;
  network: unknown;
}

/** The list's sort key: newest first, the id as the tie-breaker. */
const LIST_KEY = byTime();

/** Validates a payout address for its network's family (TRON base58check, EVM with a correct checksum). */
export function parseWalletAddress(family: Family, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidAddressError('walletAddress must be a string');
  const r = familyOf(family).parsePayoutAddress(value);
  if (!r.ok) throw new InvalidAddressError(`walletAddress ${r.why}`);
  return r.address;
}

export class WithdrawalsService {
  /** What each withdrawal hold of a batch asks, for the daily limit's check inside the batch (daily-limit.ts). */
  private readonly dailyChecks = new WeakMap<PostingItem, DailyLimitCheck>();
  private readonly dailyLimit: PostingGroup = dailyLimitGroup(this.dailyChecks);

  constructor(
    private readonly pool: Pool,
    private readonly ledger: LedgerService,
    private readonly merchants: MerchantsService,
    private readonly registry: NetworkRegistry,
    private readonly maxAmountMinor: bigint,
  ) {}

  async create(t: Tenant, input: CreateWithdrawalInput, key?: string | null) {
    const userId = parseUserId(input.userId, 'userId');
    const amountMinor = parseStars(input.amount, this.maxAmountMinor);
    if (typeof input.network !== 'string') throw new ValidationError('network is required', 'network');
    const net = this.registry.get(input.network, t.mode);
    if (!net)
      throw new UnsupportedNetworkError(`${input.network} is not available for ${t.mode} mode withdrawals`);
    const wallet = parseWalletAddress(net.family, input.walletAddress);
    const normalized = { userId, amountMinor, wallet, network: net.network };
    const s = await this.merchants.settings(t.merchantId);
    let terms: { feeMinor: bigint; tokenMinor: bigint };
    try {
      await assertNotOwnAddress(this.pool, net, wallet);
      terms = payoutTerms(amountMinor, s, net.token.decimals);
    } catch (err) {
      // These refusals depend on what changes after an answer (the merchant's settings, our addresses): a
      // retry of a request answered already gets that answer, as every retry with its key does.
      const first = await this.ledger.answered(t, 'withdrawal.create', normalized, key);
      if (!first) throw err;
      return { ...viewFromStored(first), replayed: true };
    }
    const { feeMinor, tokenMinor } = terms;
    const networkFeeText = s.networkFeeUsdt[net.network] ?? '0';
    const networkFee = parseAmount(networkFeeText, net.token.decimals, 10n ** 30n);
    const status =
      s.autoApproveBelow !== null && amountMinor < starsMinor(s.autoApproveBelow)
        ? 'approved'
        : 'pending_approval';
    const id = newId('pay');
    const view: WithdrawalView = {
      id,
      userId,
      network: net.network,
      walletAddress: wallet,
      status,
      amountMinor,
      feeMinor,
      amountUsdt: formatToken(tokenMinor, net.token.decimals),
      networkFee: formatToken(networkFee.ok ? networkFee.minor : 0n, net.token.decimals),
      txHash: null,
      failureReason: null,
      createdAt: new Date().toISOString(),
    };
    const item = withdrawalHold(
      t,
      {
        view,
        decimals: net.token.decimals,
        tokenMinor,
        networkFeeMinor: networkFee.ok ? networkFee.minor : 0n,
      },
      this.dailyLimit,
    );
    this.dailyChecks.set(item, {
      ...t,
      userId,
      amountMinor,
      limitMinor: starsMinor(s.withdrawalDailyLimit),
      limitText: s.withdrawalDailyLimit,
    });
    const stored = await this.ledger.runIdempotent(t, 'withdrawal.create', normalized, key, item, () => ({
      ...view,
    }));
    return { ...viewFromStored(stored.value), replayed: stored.replayed };
  }

  /** The merchant and mode a withdrawal belongs to (admins decide by id alone). */
  async tenantOf(id: string): Promise<Tenant> {
    const r = await this.pool.query<{ merchant_id: string; mode: Mode }>(
      'select merchant_id, mode from withdrawals where id = $1',
      [id],
    );
    if (!r.rows[0]) throw new NotFoundError('Withdrawal', id, 'id');
    return { merchantId: r.rows[0].merchant_id, mode: r.rows[0].mode };
  }

  async get(t: Tenant, id: string) {
    const r = await this.pool.query<WithdrawalRow>(
      'select * from withdrawals where id = $1 and merchant_id = $2 and mode = $3',
      [id, t.merchantId, t.mode],
    );
    if (!r.rows[0]) throw new NotFoundError('Withdrawal', id, 'id');
    return withdrawalData(r.rows[0]);
  }

  /** A merchant's withdrawals; for admins (`t` with nulls) every merchant's, or one merchant's and mode's. */
  async list(
    t: { merchantId: string | null; mode: Mode | null },
    f: { status?: string | null; userId?: string | null } & Page,
  ): Promise<KeyedRows<WithdrawalView>> {
    const where = `($1::text is null or merchant_id = $1) and ($2::text is null or mode = $2)
      and ($3::text is null or status = $3) and ($4::text is null or user_id = $4)`;
    const base = [t.merchantId, t.mode, f.status ?? null, f.userId ?? null];
    const page = pageTail(LIST_KEY, f, base.length + 1);
    const [rows, count] = await Promise.all([
      this.pool.query<WithdrawalRow & { page_key: string[] }>(
        `select *, ${keySelect(LIST_KEY)} from withdrawals where ${where} ${page.sql}`,
        [...base, ...page.params],
      ),
      this.pool.query<{ n: number }>(`select count(*)::int as n from withdrawals where ${where}`, base),
    ]);
    return {
      rows: rows.rows.map(withdrawalData),
      keys: rows.rows.map((r) => r.page_key),
      total: count.rows[0]!.n,
    };
  }

  async auditTrail(id: string) {
    const r = await this.pool.query<{
      action: string;
      actor: string;
      reason: string | null;
      created_at: Date;
    }>(
      'select action, actor, reason, created_at from withdrawal_audit where withdrawal_id = $1 order by id',
      [id],
    );
    return r.rows;
  }

  /**
   * pending_approval → approved, once: of concurrent approvals exactly one changes the row. A COMMIT whose
   * answer was lost is settled by inTransaction (PostgreSQL's record of the transaction): a committed approval
   * is answered as one, never as an error. With an Idempotency-Key, a retry gets the first answer (the approval,
   * or the refusal) instead of "is approved, not pending approval".
   */
  async approve(t: Tenant, id: string, actor: string, key?: string | null) {
    const stored = await this.ledger.keyedTransaction(t, 'withdrawal.approve', { id }, key, async (c) => {
      const r = await c.query<WithdrawalRow>(
        `update withdrawals set status = 'approved', updated_at = now()
         where id = $1 and merchant_id = $2 and mode = $3 and status = 'pending_approval' returning *`,
        [id, t.merchantId, t.mode],
      );
      if (!r.rows[0]) return this.notPending(c, t, id);
      await audit(c, id, 'approved', actor, null);
      await insertEvents(c, [withdrawalUpdated(r.rows[0])]);
      await c.query('select pg_notify($1, $2)', [PAYOUTS_CHANNEL, id]);
      return { ...withdrawalData(r.rows[0]) };
    });
    return { ...viewFromStored(stored.value), replayed: stored.replayed };
  }

  /**
   * pending_approval → rejected with a full refund and `payout.failed` (reason rejected), in one transaction.
   * With an Idempotency-Key, a retry gets the first answer (stored in the same ledger transaction).
   */
  async reject(t: Tenant, id: string, actor: string, reason: unknown, key?: string | null) {
    if (typeof reason !== 'string' || !reason.trim() || reason.length > 500) {
      throw new ValidationError('reason is required (at most 500 characters)', 'reason');
    }
    assertStorableText(reason, 'reason');
    const w = await this.get(t, id);
    const item: PostingItem = {
      ...t,
      postings: [
        {
          type: 'refund',
          from: IN_FLIGHT,
          to: { kind: 'user', code: w.userId },
          amountMinor: w.amountMinor,
          description: `Refund of ${id}: rejected`,
          metadata: { withdrawalId: id },
        },
      ],
      guard: (c, claims) => guardWithdrawal(c, claims, id, 'pending_approval'),
      after: async (c, txs) => {
        const r = await c.query<WithdrawalRow>(
          `update withdrawals set status = 'rejected', failure_reason = 'rejected', updated_at = now() where id = $1 returning *`,
          [id],
        );
        const updated = r.rows[0]!;
        await audit(c, id, 'rejected', actor, reason);
        return [payoutFailed(updated, 'rejected', reason), withdrawalUpdated(updated, txs[0])];
      },
    };
    // The answer is the withdrawal as the after hook leaves it (the view has no update time): it is stored
    // with the key before that hook runs.
    const stored = await this.ledger.runIdempotent(t, 'withdrawal.reject', { id, reason }, key, item, () => ({
      ...w,
      status: 'rejected',
      failureReason: 'rejected',
    }));
    return { ...viewFromStored(stored.value), replayed: stored.replayed };
  }

  private async notPending(c: PoolClient, t: Tenant, id: string): Promise<AppError> {
    const r = await c.query<{ status: string }>(
      'select status from withdrawals where id = $1 and merchant_id = $2 and mode = $3',
      [id, t.merchantId, t.mode],
    );
    if (!r.rows[0]) return new NotFoundError('Withdrawal', id, 'id');
    return new ValidationError(`withdrawal ${id} is ${r.rows[0].status}, not pending approval`, 'id');
  }
}
