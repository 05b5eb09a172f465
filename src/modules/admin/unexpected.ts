import { inTransaction, type Pool, type PoolClient } from '../../db/database.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { newId, parseUserId } from '../../lib/ids.js';
import { byTime, type KeyedRows, keySelect } from '../../lib/keyset.js';
import { minorToJsonNumber, parseStars } from '../../lib/money.js';
import type { Mode } from '../../lib/tenant.js';
import { parseOptionalText } from '../../lib/text.js';
import type { LedgerService, PostedTransaction } from '../ledger/index.js';
import { recordAudit } from './audit.js';
import { type Page, type TimeRange, Where } from './where.js';

// Unexpected funds: payments to our deposit addresses that no deposit can take (the chain's native coin, a
// foreign token), recorded by the scanner (src/modules/deposits/chain-store.ts). An admin resolves each one
// once: credit Stars to a user (a balanced ledger posting from the merchant's `unexpected_funds` book), mark
// it for a refund on chain (done by hand; NovaPayments does not send foreign tokens), or ignore it, always
// with a reason. `unexpected_fund_resolutions` has one row per payment at most (its primary key), and the
// credit's guard locks the payment's row and refuses a second resolution, so nothing is credited twice: a
// second attempt is a 409 `conflict`.

/** The merchant's book that funds credits of unexpected payments (goes negative by what was credited). */
export const UNEXPECTED_FUNDS_ACCOUNT = { kind: 'system' as const, code: 'unexpected_funds' };
const REASON_MAX = 500;

export type ResolutionAction = 'credit' | 'refund' | 'ignore';

export interface Resolution {
  action: ResolutionAction;
  userId: string | null;
  amountMinor: bigint | null;
  transactionId: string | null;
  reason: string;
  actor: string;
  createdAt: Date;
}

export interface UnexpectedFund {
  id: string;
  chain: string;
  txHash: string;
  logIndex: number;
  blockNumber: number;
  address: string;
  asset: string;
  /** In the asset's smallest unit (its decimals are not known for a foreign token). */
  amountBaseUnits: string;
  depositId: string | null;
  merchantId: string | null;
  mode: Mode | null;
  userId: string | null;
  network: string | null;
  createdAt: Date;
  resolution: Resolution | null;
}

export interface UnexpectedFilter extends TimeRange {
  merchantId?: string | null;
  mode?: Mode | null;
  chain?: string | null;
  /** open | resolved */
  state?: 'open' | 'resolved' | null;
  txHash?: string | null;
  address?: string | null;
}

export interface ResolveInput {
  action: ResolutionAction;
  userId?: string | null;
  amount?: unknown;
  reason: unknown;
}

const SELECT = `
  select u.id::text, u.chain, u.tx_hash as "txHash", u.log_index as "logIndex", u.block_number::int as "blockNumber",
         u.address, u.asset, u.amount_minor::text as "amountBaseUnits", u.deposit_id as "depositId",
         d.merchant_id as "merchantId", d.mode, d.user_id as "userId", d.network, u.created_at as "createdAt",
         case when r.unexpected_fund_id is null then null else json_build_object(
           'action', r.action, 'userId', r.user_id, 'amountMinor', r.amount_minor::text,
           'transactionId', r.ledger_transaction_id, 'reason', r.reason, 'actor', r.actor,
           'createdAt', r.created_at) end as resolution
  from unexpected_funds u
  left join deposits d on d.id = u.deposit_id
  left join unexpected_fund_resolutions r on r.unexpected_fund_id = u.id`;

type RawFund = Omit<UnexpectedFund, 'resolution'> & {
  resolution:
    | (Omit<Resolution, 'amountMinor' | 'createdAt'> & { amountMinor: string | null; createdAt: string })
    | null;
};

function toFund(r: RawFund): UnexpectedFund {
  const res = r.resolution;
  return {
    ...r,
    resolution: res
      ? {
          ...res,
          amountMinor: res.amountMinor === null ? null : BigInt(res.amountMinor),
          createdAt: new Date(res.createdAt),
        }
      : null,
  };
}

/** The list's sort key: newest first, the bigserial id as the tie-breaker. */
const KEY = byTime('u.', 'bigint');

function parseFundId(id: string): string {
  if (!/^[1-9][0-9]{0,17}$/.test(id)) throw new ValidationError('id is not an unexpected payment id', 'id');
  return id;
}

export class UnexpectedFunds {
  constructor(
    private readonly pool: Pool,
    private readonly ledger: LedgerService,
    private readonly maxAmountMinor: bigint,
  ) {}

  async list(f: UnexpectedFilter & Page): Promise<KeyedRows<UnexpectedFund>> {
    const w = new Where()
      .add('d.merchant_id = ?', f.merchantId)
      .add('d.mode = ?', f.mode)
      .add('u.chain = ?', f.chain)
      .add('u.tx_hash = ?', f.txHash)
      .add('u.address = ?', f.address)
      .add('u.created_at >= ?', f.from)
      .add('u.created_at < ?', f.to);
    if (f.state === 'open') w.always('r.unexpected_fund_id is null');
    if (f.state === 'resolved') w.always('r.unexpected_fund_id is not null');
    const page = w.page(KEY, f);
    const [rows, count] = await Promise.all([
      this.pool.query<RawFund & { page_key: string[] }>(
        `${SELECT.replace('select ', `select ${keySelect(KEY)}, `)} ${w.sql} ${page.sql}`,
        page.params,
      ),
      this.pool.query<{ n: number }>(
        `select count(*)::int as n from unexpected_funds u left join deposits d on d.id = u.deposit_id
         left join unexpected_fund_resolutions r on r.unexpected_fund_id = u.id ${w.sql}`,
        w.params,
      ),
    ]);
    return { rows: rows.rows.map(toFund), keys: rows.rows.map((r) => r.page_key), total: count.rows[0]!.n };
  }

  async get(id: string): Promise<UnexpectedFund | null> {
    const r = await this.pool.query<RawFund>(`${SELECT} where u.id = $1`, [parseFundId(id)]);
    return r.rows[0] ? toFund(r.rows[0]) : null;
  }

  /** Resolves a payment once; a second resolution of the same payment is a ConflictError (409). */
  async resolve(id: string, input: ResolveInput, actor: string): Promise<UnexpectedFund> {
    const reason = parseOptionalText(input.reason, 'reason', REASON_MAX)?.trim();
    if (!reason) throw new ValidationError('reason is required', 'reason');
    const fund = await this.get(id);
    if (!fund) throw new NotFoundError('Unexpected payment', id, 'id');
    if (fund.resolution) throw alreadyResolved(fund);
    if (input.action === 'credit') await this.credit(fund, input, reason, actor);
    else {
      if (input.userId != null || input.amount != null) {
        throw new ValidationError('userId and amount go with the CREDIT action only', 'action');
      }
      await inTransaction(this.pool, async (c) => {
        const refused = await this.guard(c, fund.id);
        if (refused) throw refused;
        await this.record(c, fund, {
          action: input.action,
          reason,
          actor,
          userId: null,
          amountMinor: null,
          tx: null,
        });
      });
    }
    return (await this.get(id))!;
  }

  private async credit(fund: UnexpectedFund, input: ResolveInput, reason: string, actor: string) {
    if (!fund.merchantId || !fund.mode) {
      throw new ValidationError(
        'This payment reached no deposit address, so it has no merchant to credit',
        'id',
      );
    }
    const userId = parseUserId(input.userId ?? fund.userId, 'userId');
    const amountMinor = parseStars(input.amount, this.maxAmountMinor, 'amount');
    const merchantId = fund.merchantId;
    const mode = fund.mode;
    const outcome = await this.ledger.post({
      merchantId,
      mode,
      postings: [
        {
          type: 'adjustment',
          from: UNEXPECTED_FUNDS_ACCOUNT,
          to: { kind: 'user', code: userId },
          amountMinor,
          description: `Unexpected payment ${fund.txHash}: ${reason}`.slice(0, 500),
          metadata: { unexpectedFundId: fund.id, txHash: fund.txHash, chain: fund.chain, actor },
        },
      ],
      guard: (c) => this.guard(c, fund.id),
      after: async (c, txs) => {
        const tx = txs[0]!;
        await this.record(c, fund, { action: 'credit', reason, actor, userId, amountMinor, tx });
        return [creditEvent(merchantId, mode, userId, tx, reason)];
      },
    });
    if (!outcome.ok) throw outcome.error;
  }

  /** Locks the payment's row; refuses when it is already resolved (checked again inside the transaction). */
  private async guard(c: PoolClient, id: string): Promise<ConflictError | null> {
    await c.query('select id from unexpected_funds where id = $1 for update', [id]);
    const r = await c.query<{ action: string; actor: string }>(
      'select action, actor from unexpected_fund_resolutions where unexpected_fund_id = $1',
      [id],
    );
    const done = r.rows[0];
    return done
      ? new ConflictError(`This payment is already resolved (${done.action}, by ${done.actor})`, 'id')
      : null;
  }

  private async record(
    c: PoolClient,
    fund: UnexpectedFund,
    r: {
      action: ResolutionAction;
      reason: string;
      actor: string;
      userId: string | null;
      amountMinor: bigint | null;
      tx: PostedTransaction | null;
    },
  ): Promise<void> {
    await c.query(
      `insert into unexpected_fund_resolutions
         (unexpected_fund_id, action, merchant_id, mode, user_id, amount_minor, ledger_transaction_id, reason, actor)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        fund.id,
        r.action,
        fund.merchantId,
        fund.mode,
        r.userId,
        r.amountMinor,
        r.tx?.id ?? null,
        r.reason,
        r.actor,
      ],
    );
    await recordAudit(c, {
      actor: r.actor,
      action: `unexpected_funds.${r.action}`,
      targetType: 'unexpected_fund',
      targetId: fund.id,
      merchantId: fund.merchantId,
      mode: fund.mode,
      reason: r.reason,
      details: {
        txHash: fund.txHash,
        asset: fund.asset,
        amountBaseUnits: fund.amountBaseUnits,
        ...(r.tx
          ? { userId: r.userId, stars: minorToJsonNumber(r.amountMinor!), transactionId: r.tx.id }
          : {}),
      },
    });
  }
}

function alreadyResolved(fund: UnexpectedFund): ConflictError {
  const r = fund.resolution!;
  return new ConflictError(`This payment is already resolved (${r.action}, by ${r.actor})`, 'id');
}

/**
 * The user's balance moved: the same internal event an adjustment writes (live balance and history), with the
 * posting's own description and metadata, so the live transactionCreated row is the history row
 * (events/live-messages.ts).
 */
function creditEvent(merchantId: string, mode: Mode, userId: string, tx: PostedTransaction, reason: string) {
  return {
    id: newId('evt'),
    type: 'balance.adjusted' as const,
    merchantId,
    mode,
    createdAt: tx.createdAt,
    data: {
      id: tx.id,
      userId,
      amount: minorToJsonNumber(tx.amountMinor),
      direction: 'credit',
      balance: minorToJsonNumber(tx.toBalanceAfterMinor),
      reason,
      description: tx.description,
      metadata: tx.metadata,
      createdAt: tx.createdAt.toISOString(),
    },
  };
}
