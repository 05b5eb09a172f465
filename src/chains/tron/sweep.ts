import { TronWeb } from 'tronweb';
import type { DepositKeys } from '../keys.js';
import { type LocalSigner, PayoutChainError } from '../payout/types.js';
import type { NetworkConfig } from '../registry.js';
import type { AddressBalances, EnergyLender, Leftover, SweepChain, SweepCost } from '../sweep/types.js';
import type { TronHotWallet } from './hot-wallet.js';
import { leftoverOf } from './leftover.js';
import { chainParameter } from './node-json.js';
import { storedTx } from './signed.js';

// Sweeping TRC20 by burning: a deposit address holds USDT and no TRX. The hot wallet sends it exactly the TRX its
// transfer will burn: the energy `estimateenergy` says the transfer needs (it depends on whether the hot wallet
// already holds the token, and on the contract's dynamic energy factor) at the chain's energy price, plus the
// bandwidth when the address has no free bandwidth left today. The first TRX an address receives creates its
// account (the hot wallet pays that) and gives it 600 free bytes a day, which a transfer (~345 bytes) fits in.
// The sweep is signed with fee_limit = that energy × price, so it can burn no more than it was given.
//
// Delegate mode (a `lender`): the energy is lent by a staking account instead (./staking.ts), so the address needs
// no TRX for it; only an address with no account yet is sent 1 sun, which creates it (a staking account cannot
// delegate to an address that does not exist) and gives it the free bandwidth its sweep uses. fee_limit stays
// energy × price: java-tron caps the energy a call may use, staked or burned, at fee_limit / price.

/** A signed TRC20 transfer is ~345 bytes; bandwidth bought by burning is charged per byte, so keep a margin. */
const TRANSFER_BYTES = 400n;
const PRICE_TTL_MS = 5_000;

type Params = { type: string; value: string }[];

export class TronSweepChain implements SweepChain {
  readonly usesNonces = false;
  readonly topUpBatch = 1;
  readonly hotAddress: string;
  private readonly tw: TronWeb;
  private price: { at: number; energy: bigint; byte: bigint } | null = null;

  constructor(
    readonly net: NetworkConfig,
    private readonly hot: TronHotWallet,
    private readonly keys: DepositKeys,
    readonly lender?: EnergyLender,
  ) {
    this.hotAddress = hot.address;
    this.tw = new TronWeb({
      fullHost: net.nodeUrl,
      ...(net.apiKey ? { headers: { 'TRON-PRO-API-KEY': net.apiKey } } : {}),
    });
  }

  private post<T>(path: string, body: Record<string, unknown>): Promise<T> {
    return this.hot.post<T>(path, body);
  }

  private guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return this.hot.guard(what, fn);
  }

  signerKey(address: string): string {
    return `tron:${this.net.chain}:${address}`;
  }

  async balances(address: string): Promise<AddressBalances> {
    const [r, account] = await Promise.all([
      this.guard('balanceOf', () =>
        this.tw.transactionBuilder.triggerConstantContract(
          this.net.token.contract,
          'balanceOf(address)',
          {},
          [{ type: 'address', value: address }],
          this.hotAddress,
        ),
      ),
      this.post<{ balance?: number }>('/wallet/getaccount', { address, visible: true }),
    ]);
    const word = r.constant_result?.[0];
    if (!word) throw new PayoutChainError('balanceOf answered no result');
    return { token: BigInt(`0x${word.slice(0, 64) || '0'}`), native: BigInt(account.balance ?? 0) };
  }

  /** Sun per unit of energy and per byte of bandwidth, from the chain parameters (read every few seconds). */
  private async prices(): Promise<{ energy: bigint; byte: bigint }> {
    if (this.price && Date.now() - this.price.at < PRICE_TTL_MS) return this.price;
    const p = await this.post<{ chainParameter?: { key: string; value?: number }[] }>(
      '/wallet/getchainparameters',
      {},
    );
    this.price = {
      at: Date.now(),
      energy: BigInt(chainParameter(p, 'getEnergyFee') ?? 420),
      byte: BigInt(chainParameter(p, 'getTransactionFee') ?? 1000),
    };
    return this.price;
  }

  private transferParams(units: bigint): Params {
    return [
      { type: 'address', value: this.hotAddress },
      { type: 'uint256', value: units.toString() },
    ];
  }

  /** The energy the transfer of `units` from `from` to the hot wallet needs now (it does not need `from` to exist). */
  private async energy(from: string, units: bigint): Promise<bigint> {
    const est = await this.guard('estimateenergy', () =>
      this.tw.transactionBuilder.estimateEnergy(
        this.net.token.contract,
        'transfer(address,uint256)',
        {},
        this.transferParams(units),
        from,
      ),
    );
    if (!est.result?.result || !est.energy_required)
      throw new PayoutChainError(`estimateenergy refused the sweep of ${from}`);
    return BigInt(est.energy_required);
  }

  /**
   * Sun the address must burn for bandwidth: none while today's free bytes cover a transfer, or when it has no
   * account yet (`exists` false: the TRX that creates it brings the free bytes).
   */
  private async bandwidth(address: string, perByte: bigint): Promise<{ sun: bigint; exists: boolean }> {
    const net = await this.post<{ freeNetLimit?: number; freeNetUsed?: number }>('/wallet/getaccountnet', {
      address,
      visible: true,
    });
    if (net.freeNetLimit === undefined) return { sun: 0n, exists: false };
    const left = BigInt(net.freeNetLimit - (net.freeNetUsed ?? 0));
    return { sun: left >= TRANSFER_BYTES ? 0n : TRANSFER_BYTES * perByte, exists: true };
  }

  async sweepCost(from: string, units: bigint): Promise<SweepCost> {
    const [energy, prices] = await Promise.all([this.energy(from, units), this.prices()]);
    const feeLimit = energy * prices.energy;
    const bandwidth = await this.bandwidth(from, prices.byte);
    const params = {
      energy: energy.toString(),
      sunPerEnergy: prices.energy.toString(),
      feeLimit: feeLimit.toString(),
      bandwidthSun: bandwidth.sun.toString(),
    };
    if (this.lender) {
      // The energy is lent; the address needs TRX only for bandwidth, and 1 sun to exist.
      return {
        need: bandwidth.sun + (bandwidth.exists ? 0n : 1n),
        feeParams: { ...params, fees: 'delegate', maxCost: bandwidth.sun.toString() },
      };
    }
    return {
      need: feeLimit + bandwidth.sun,
      feeParams: { ...params, maxCost: (feeLimit + bandwidth.sun).toString() },
    };
  }

  async stillCovered(from: string, units: bigint, feeParams: Record<string, string>): Promise<boolean> {
    const [energy, prices] = await Promise.all([this.energy(from, units), this.prices()]);
    const bandwidth = await this.bandwidth(from, prices.byte);
    const priced =
      energy * prices.energy <= BigInt(feeParams.feeLimit ?? '0') &&
      bandwidth.sun <= BigInt(feeParams.bandwidthSun ?? '0');
    if (!priced || feeParams.fees !== 'delegate' || !this.lender) return priced;
    return (await this.lender.energyLeft(from)) >= energy;
  }

  async leftover(address: string, min: bigint): Promise<Leftover | null> {
    const prices = await this.prices();
    return leftoverOf(this.tw, (p, b) => this.post(p, b), {
      address,
      hot: this.hotAddress,
      min,
      perByte: prices.byte,
    });
  }

  async prepareLeftover(index: bigint, from: string, amount: bigint, feeParams: Record<string, string>) {
    const key = this.depositKey(index, from);
    const built = await this.guard('createtransaction', () =>
      this.tw.transactionBuilder.sendTrx(this.hotAddress, Number(amount), from),
    );
    return async () => storedTx(await this.tw.trx.sign(built, key), feeParams);
  }

  private depositKey(index: bigint, from: string): string {
    const key = this.keys.privateKey('tron', index).slice(2);
    if (TronWeb.address.fromPrivateKey(key) !== from)
      throw new Error(`deposit address index ${index} does not derive ${from}`);
    return key;
  }

  async chainNonce(): Promise<null> {
    return null;
  }

  prepareTopUp(targets: { address: string; amount: bigint }[]): Promise<LocalSigner> {
    if (targets.length !== 1) throw new RangeError(`a TRON top-up funds one address, not ${targets.length}`);
    return this.hot.prepareTrxTransfer(targets[0]!.address, targets[0]!.amount);
  }

  async prepareSweep(
    index: bigint,
    from: string,
    units: bigint,
    feeParams: Record<string, string>,
  ): Promise<LocalSigner> {
    const key = this.depositKey(index, from);
    const built = await this.guard('triggersmartcontract', () =>
      this.tw.transactionBuilder.triggerSmartContract(
        this.net.token.contract,
        'transfer(address,uint256)',
        { feeLimit: Number(feeParams.feeLimit) },
        this.transferParams(units),
        from,
      ),
    );
    if (!built.result?.result || !built.transaction)
      throw new PayoutChainError(`the node refused to build the sweep of ${from}`);
    const tx = built.transaction;
    return async () => storedTx(await this.tw.trx.sign(tx, key), feeParams);
  }

  close(): void {}
}
