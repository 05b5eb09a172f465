import { payFromFaucet } from '../../chains/faucet.js';
import type { HdAddresses } from '../../chains/hd.js';
import { type NetworkConfig, type NetworkRegistry, SUPPORTED_NETWORKS } from '../../chains/registry.js';
import { inTransaction, type Pool } from '../../db/database.js';
import {
  ForbiddenError,
  NotFoundError,
  restoreError,
  UnsupportedNetworkError,
  ValidationError,
} from '../../lib/errors.js';
import { newId, parseUserId } from '../../lib/ids.js';
import { formatToken, minTokenUnitsForOneStarMinor, parseTokenAmount } from '../../lib/money.js';
import type { Mode, Tenant } from '../../lib/tenant.js';
import type { IdempotencyService } from '../idempotency/index.js';
import { parseMetadata } from '../ledger/index.js';
import type { MerchantsService, TokenService } from '../merchants/index.js';
import { insertDeposit, type StoredCreate } from './insert.js';
import { type DepositRow, type DepositView, toView } from './view.js';

// Deposit requests: a unique HD address per deposit (the index is allocated in the transaction that
// creates it, so concurrent requests never share one), an expiry, and a watch window after it in which
// late payments are still credited. Crediting happens in crediting.ts when the scanner confirms a payment.

export interface CreateDepositInput {
  userId: unknown;
  amount: unknown;
  currency: unknown;
  network: unknown;
  metadata?: unknown;
}

/**
 * A deposit asks for at least 0.01 Star's worth at the merchant's rate: a payment of less would be credited
 * 0 Stars; at a rate of 0 no deposit is taken. (What a real payment brings is credited as it comes, rounded
 * down; docs/deposits.md.)
 */
function refuseBelowOneStarMinor(amountMinor: bigint, decimals: number, starsPerUsdt: string): void {
  const min = minTokenUnitsForOneStarMinor(decimals, starsPerUsdt);
  // At 0 Stars per USDT every payment would be credited 0 Stars: the user's tokens for nothing.
  if (min === null)
    throw new ValidationError('Deposits are unavailable: the merchant’s rate is 0 Stars per USDT', 'amount');
  if (amountMinor >= min) return;
  throw new ValidationError(
    `amount is below the minimum deposit of ${formatToken(min, decimals)} USDT (0.01 Star at ${starsPerUsdt} Stars per USDT)`,
    'amount',
    'invalid_amount',
  );
}

export const DEPOSIT_STATUSES = ['pending', 'confirming', 'confirmed', 'expired'] as const;

export class DepositsService {
  constructor(
    private readonly pool: Pool,
    private readonly registry: NetworkRegistry,
    private readonly hd: HdAddresses,
    private readonly idempotency: IdempotencyService,
    private readonly merchants: MerchantsService,
    private readonly tokens: TokenService,
    private readonly publicBaseUrl: string,
  ) {}

  async create(
    t: Tenant,
    input: CreateDepositInput,
    key?: string | null,
  ): Promise<DepositView & { replayed: boolean }> {
    const userId = parseUserId(input.userId, 'userId');
    if (input.currency !== 'USDT') throw new ValidationError('currency must be USDT', 'currency');
    const net = this.depositNetwork(t, input.network);
    const network = input.network as string; // as asked: the idempotency record's request is the request's text
    const amountMinor = parseTokenAmount(input.amount, net.token.decimals);
    const settings = await this.merchants.settings(t.merchantId);
    const metadata = parseMetadata(input.metadata);
    const normalized = { userId, network, amountMinor, metadata };
    const scope = key !== undefined && key !== null ? { ...t, key } : null;
    let token: string | null = null;
    if (scope) {
      const claim = await this.idempotency.claim(scope, 'deposit.create', normalized);
      if (claim.kind === 'new') token = claim.token;
      if (claim.kind === 'replay') return this.replayed(t, claim.result as StoredCreate);
    }
    let created: DepositView;
    try {
      // After the replay: a retry gets its first answer whatever the merchant's rate is now.
      refuseBelowOneStarMinor(amountMinor, net.token.decimals, settings.starsPerUsdt);
      // Each index is handed out once (a sequence), so concurrent creates never share an address.
      const idx = await this.pool.query<{ idx: string }>(`select nextval($1)::text as idx`, [
        `hd_index_${net.family}`,
      ]);
      const index = Number(idx.rows[0]!.idx);
      const address = this.hd.derive(net.family, index);
      const id = newId('dep');
      // inTransaction settles a COMMIT whose answer was lost by PostgreSQL's record: a deposit that was created
      // is answered with its address, never with a 500 (a retry without a key would create a second one).
      created = await inTransaction(this.pool, async (client) => {
        const row = await insertDeposit(client, t, {
          id,
          userId,
          network,
          net,
          amountMinor,
          address,
          index,
          metadata,
          expiryMinutes: settings.depositExpiryMinutes,
          watchDays: settings.lateDepositWatchDays,
        });
        // The link is part of the answer a retry with the key replays, so it is stored with it: a replay is the
        // first answer byte for byte, not the same deposit with a newly minted token.
        const view = toView(row, await this.paymentUrl(row));
        if (scope)
          await this.idempotency.complete(
            client,
            scope,
            { ok: true, view: { ...view, creditedStarsMinor: '0' } },
            token,
          );
        return view;
      });
    } catch (err) {
      // release deletes the claim only while it is in progress: one this transaction completed and committed stays.
      if (scope) await this.idempotency.release(scope, token).catch(() => undefined);
      throw err;
    }
    return { ...created, replayed: false };
  }

  /** The network a deposit is asked on, configured for the mode with addresses to hand out; else the refusal. */
  private depositNetwork(t: Tenant, network: unknown): NetworkConfig {
    if (typeof network !== 'string') throw new ValidationError('network is required', 'network');
    const net = this.registry.get(network, t.mode);
    if (net && this.hd.has(net.family)) return net;
    const known = (SUPPORTED_NETWORKS as readonly string[]).includes(network);
    throw new UnsupportedNetworkError(
      known
        ? `${network} is not configured for ${t.mode} mode on this server`
        : `network must be one of ${SUPPORTED_NETWORKS.join(', ')}`,
    );
  }

  /** A retry's answer: the stored first one (its refusal, or the deposit with its payment link). */
  private async replayed(t: Tenant, stored: StoredCreate): Promise<DepositView & { replayed: boolean }> {
    if (!stored.ok) throw restoreError(stored.error, true);
    const v = stored.view;
    // The first answer's link (records stored before it was kept have none: those get a new one).
    const paymentUrl =
      v.paymentUrl ||
      (await this.paymentUrl({
        id: v.id,
        merchant_id: t.merchantId,
        mode: t.mode,
        expires_at: new Date(v.expiresAt),
      }));
    return { ...v, creditedStarsMinor: BigInt(v.creditedStarsMinor), paymentUrl, replayed: true };
  }

  /** `param`: the argument that named the deposit, for the not-found error (`id`, or `depositId`). */
  async row(t: Tenant, id: string, param = 'id'): Promise<DepositRow> {
    const r = await this.pool.query<DepositRow>(
      'select * from deposits where id = $1 and merchant_id = $2 and mode = $3',
      [id, t.merchantId, t.mode],
    );
    if (!r.rows[0]) throw new NotFoundError('Deposit', id, param);
    return r.rows[0];
  }

  async get(t: Tenant, id: string): Promise<DepositView> {
    return this.view(await this.row(t, id));
  }

  /** A network's configuration (token contract, decimals, chain id) in a mode, or null when it is off. */
  network(network: string, mode: Mode): NetworkConfig | null {
    return this.registry.get(network, mode);
  }

  /** The view with a payment-page link whose token reads only this deposit and expires with it. */
  async view(row: DepositRow): Promise<DepositView> {
    return toView(row, await this.paymentUrl(row));
  }

  private async paymentUrl(
    row: Pick<DepositRow, 'id' | 'merchant_id' | 'mode' | 'expires_at'>,
  ): Promise<string> {
    const { token } = await this.tokens.issueDepositToken(
      { merchantId: row.merchant_id, mode: row.mode },
      row.id,
      row.expires_at,
    );
    return `${this.publicBaseUrl}/pay/${row.id}?t=${token}`;
  }

  /**
   * Test mode only: pays the deposit with a real token transfer on the development chain, from its faucet,
   * so the scanner, confirmations, ledger, webhooks and subscriptions all run for real.
   */
  async simulate(t: Tenant, id: string, amount?: unknown): Promise<{ txHash: string; amount: string }> {
    if (t.mode !== 'test') throw new ForbiddenError('simulateDeposit works with test-mode keys only');
    const dep = await this.row(t, id, 'depositId');
    const net = this.registry.get(dep.network, 'test');
    if (!net?.faucetPrivateKey)
      throw new UnsupportedNetworkError(`${dep.network} has no development faucet`, 'depositId');
    const units =
      amount === undefined || amount === null
        ? BigInt(dep.expected_amount_minor)
        : parseTokenAmount(amount, net.token.decimals);
    const txHash = await payFromFaucet(net, dep.address, units);
    return { txHash, amount: formatToken(units, net.token.decimals) };
  }
}
