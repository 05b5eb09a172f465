import { TronWeb } from 'tronweb';
import type { DepositKeys } from '../keys.js';
import { PayoutChainError } from '../payout/types.js';
import type { NetworkConfig } from '../registry.js';
import type { AddressBalances, SignedTx, SweepChain, SweepCost } from '../sweep/types.js';
import type { TronHotWallet } from './hot-wallet.js';
import { chainParameter } from './node-json.js';

// Sweeping TRC20 by burning: a deposit address holds USDT and no TRX. The hot wallet sends it exactly the TRX its
// transfer will burn: the energy `estimateenergy` says the transfer needs (it depends on whether the hot wallet
// already holds the token, and on the contract's dynamic energy factor) at the chain's energy price, plus the
// bandwidth when the address has no free bandwidth left today. The first TRX an address receives creates its
// account (the hot wallet pays that) and gives it 600 free bytes a day, which a transfer (~345 bytes) fits in.
// The sweep is signed with fee_limit = that energy × price, so it can burn no more than it was given.

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

  /** Sun the address must burn for bandwidth: none while today's free bytes cover a transfer (or it is new). */
  private async bandwidthSun(address: string, perByte: bigint): Promise<bigint> {
    const net = await this.post<{ freeNetLimit?: number; freeNetUsed?: number }>('/wallet/getaccountnet', {
      address,
      visible: true,
    });
    // A new account (no answer yet) gets its free bytes when the top-up creates it.
    if (net.freeNetLimit === undefined) return 0n;
    const left = BigInt(net.freeNetLimit - (net.freeNetUsed ?? 0));
    return left >= TRANSFER_BYTES ? 0n : TRANSFER_BYTES * perByte;
  }

  async sweepCost(from: string, units: bigint): Promise<SweepCost> {
    const [energy, prices] = await Promise.all([this.energy(from, units), this.prices()]);
    const feeLimit = energy * prices.energy;
    const bandwidth = await this.bandwidthSun(from, prices.byte);
    return {
      need: feeLimit + bandwidth,
      feeParams: {
        energy: energy.toString(),
        sunPerEnergy: prices.energy.toString(),
        feeLimit: feeLimit.toString(),
        bandwidthSun: bandwidth.toString(),
        maxCost: (feeLimit + bandwidth).toString(),
      },
    };
  }

  async stillCovered(from: string, units: bigint, feeParams: Record<string, string>): Promise<boolean> {
    const [energy, prices] = await Promise.all([this.energy(from, units), this.prices()]);
    const bandwidth = await this.bandwidthSun(from, prices.byte);
    return (
      energy * prices.energy <= BigInt(feeParams.feeLimit ?? '0') &&
      bandwidth <= BigInt(feeParams.bandwidthSun ?? '0')
    );
  }

  async chainNonce(): Promise<null> {
    return null;
  }

  async signTopUp(targets: { address: string; amount: bigint }[]): Promise<SignedTx> {
    if (targets.length !== 1) throw new RangeError(`a TRON top-up funds one address, not ${targets.length}`);
    return this.hot.signTrxTransfer(targets[0]!.address, targets[0]!.amount);
  }

  async signSweep(
    index: bigint,
    from: string,
    units: bigint,
    _nonce: bigint | null,
    feeParams: Record<string, string>,
  ): Promise<SignedTx> {
    const key = this.keys.privateKey('tron', index).slice(2);
    if (TronWeb.address.fromPrivateKey(key) !== from)
      throw new Error(`deposit address index ${index} does not derive ${from}`);
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
    const signed = await this.tw.trx.sign(built.transaction, key);
    return {
      txHash: signed.txID,
      raw: JSON.stringify(signed),
      nonce: null,
      expiresAt: new Date(signed.raw_data.expiration),
      feeParams,
    };
  }

  close(): void {}
}
