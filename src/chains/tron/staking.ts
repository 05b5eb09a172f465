import { TronWeb, type Types } from 'tronweb';
import { type LocalSigner, PayoutChainError } from '../payout/types.js';
import type { NetworkConfig } from '../registry.js';
import type { EnergyLender } from '../sweep/types.js';
import type { TronHotWallet } from './hot-wallet.js';
import { storedTx } from './signed.js';

// TRON delegate mode's staking account: TRX it staked for ENERGY (FreezeBalanceV2, done by ops) is lent to a
// deposit address for its sweep (DelegateResourceContract, unlocked) and taken back once the sweep is settled
// (UnDelegateResourceContract). Energy is a share of the network's: an account's limit is
// trunc(stake / 1e6 × TotalEnergyLimit / TotalEnergyWeight) (java-tron's calculateGlobalEnergyLimitV2), so the
// stake to lend is the least whose share covers the transfer's energy plus what the address still has in use.
// Delegating is free; the transactions only use the staking account's bandwidth (free 600 bytes a day, its own
// staked bandwidth, else burned TRX). The usage a sweep spent goes back with the stake to the staking account and
// recovers there over 24 h, which getcandelegatedmaxsize accounts for.

const TRX = 1_000_000n;
type Transaction = Types.Transaction;

interface AccountResource {
  EnergyLimit?: number;
  EnergyUsed?: number;
  TotalEnergyLimit?: number;
  TotalEnergyWeight?: number;
}

interface Account {
  balance?: number;
  frozenV2?: { type?: string; amount?: number }[];
  unfrozenV2?: { unfreeze_amount?: number }[];
  delegated_frozenV2_balance_for_bandwidth?: number;
  account_resource?: {
    delegated_frozenV2_balance_for_energy?: number;
    acquired_delegated_frozenV2_balance_for_energy?: number;
  };
}

/** The energy `sun` of stake gives when the network has `limit` energy for `weight` TRX staked (a double, as in Java). */
export function energyOfStake(sun: bigint, limit: number, weight: number): bigint {
  return BigInt(Math.trunc((Number(sun) / Number(TRX)) * (limit / weight)));
}

/** The least stake (sun) whose energy is at least `energy`. */
export function stakeForEnergy(energy: bigint, limit: number, weight: number): bigint {
  let sun = (energy * BigInt(weight) * TRX + BigInt(limit) - 1n) / BigInt(limit);
  while (sun > 0n && energyOfStake(sun - 1n, limit, weight) >= energy) sun--;
  while (energyOfStake(sun, limit, weight) < energy) sun++;
  return sun;
}

export class TronEnergyLender implements EnergyLender {
  readonly address: string;
  readonly signerKey: string;
  private readonly tw: TronWeb;
  readonly #key: string;

  constructor(
    net: NetworkConfig,
    private readonly hot: TronHotWallet,
    privateKey: string,
  ) {
    this.#key = privateKey.replace(/^0x/, '');
    this.address = TronWeb.address.fromPrivateKey(this.#key) as string;
    this.signerKey = `tron:${net.chain}:${this.address}`;
    this.tw = new TronWeb({
      fullHost: net.nodeUrl,
      ...(net.apiKey ? { headers: { 'TRON-PRO-API-KEY': net.apiKey } } : {}),
    });
  }

  get separate(): boolean {
    return this.address !== this.hot.address;
  }

  private resource(address: string): Promise<AccountResource> {
    return this.hot.post<AccountResource>('/wallet/getaccountresource', { address, visible: true });
  }

  private account(address: string): Promise<Account> {
    return this.hot.post<Account>('/wallet/getaccount', { address, visible: true });
  }

  async energyLeft(address: string): Promise<bigint> {
    const r = await this.resource(address);
    const left = BigInt(r.EnergyLimit ?? 0) - BigInt(r.EnergyUsed ?? 0);
    return left > 0n ? left : 0n;
  }

  async stakeFor(address: string, energy: bigint): Promise<bigint> {
    const [r, a] = await Promise.all([this.resource(address), this.account(address)]);
    if (!r.TotalEnergyLimit || !r.TotalEnergyWeight)
      throw new PayoutChainError(
        `getaccountresource of ${address} has no TotalEnergyLimit/TotalEnergyWeight`,
      );
    const used = BigInt(r.EnergyUsed ?? 0);
    if (BigInt(r.EnergyLimit ?? 0) - used >= energy) return 0n;
    const own = BigInt(a.frozenV2?.find((f) => f.type === 'ENERGY')?.amount ?? 0);
    const acquired = BigInt(a.account_resource?.acquired_delegated_frozenV2_balance_for_energy ?? 0);
    const stake = stakeForEnergy(energy + used, r.TotalEnergyLimit, r.TotalEnergyWeight) - own - acquired;
    return stake < TRX ? TRX : stake; // DelegateResourceContract lends at least 1 TRX
  }

  async available(): Promise<bigint> {
    const r = await this.hot.post<{ max_size?: number }>('/wallet/getcandelegatedmaxsize', {
      owner_address: this.address,
      type: 1,
      visible: true,
    });
    return BigInt(r.max_size ?? 0);
  }

  /** The node builds the transaction now; the signer signs it with the staking key. */
  private async prepare(
    what: string,
    build: () => Promise<Transaction>,
    feeParams: Record<string, string>,
  ): Promise<LocalSigner> {
    const built = await this.hot.guard(what, build);
    const params = { ...feeParams, feeFrom: this.separate ? 'custody:staking' : 'custody:hot' };
    return async () => storedTx(await this.tw.trx.sign(built, this.#key), params);
  }

  prepareDelegate(to: string, sun: bigint): Promise<LocalSigner> {
    return this.prepare(
      'delegateresource',
      () => this.tw.transactionBuilder.delegateResource(Number(sun), to, 'ENERGY', this.address, false),
      { receiver: to, delegatedSun: sun.toString() },
    );
  }

  prepareUndelegate(to: string, sun: bigint): Promise<LocalSigner> {
    return this.prepare(
      'undelegateresource',
      () => this.tw.transactionBuilder.undelegateResource(Number(sun), to, 'ENERGY', this.address),
      { receiver: to, delegatedSun: sun.toString() },
    );
  }

  async owned(): Promise<bigint> {
    const a = await this.account(this.address);
    const n = (v: number | undefined) => BigInt(v ?? 0);
    return (
      n(a.balance) +
      (a.frozenV2 ?? []).reduce((s, f) => s + n(f.amount), 0n) +
      (a.unfrozenV2 ?? []).reduce((s, u) => s + n(u.unfreeze_amount), 0n) +
      n(a.delegated_frozenV2_balance_for_bandwidth) +
      n(a.account_resource?.delegated_frozenV2_balance_for_energy)
    );
  }
}
