import { TronWeb } from 'tronweb';
import {
  type BroadcastResult,
  type HotWallet,
  type LocalSigner,
  PayoutChainError,
  type TxLookup,
  type WalletBalances,
} from '../payout/types.js';
import type { NetworkConfig } from '../registry.js';
import { tronPost } from './http.js';
import { chainParameter, type RawBlockHeader, readBlock } from './node-json.js';
import { storedTx } from './signed.js';

// A TRON hot wallet: USDT transfers built by the full node (triggersmartcontract, which tronweb checks byte for
// byte), signed here, sent with broadcasttransaction. fee_limit comes from estimateenergy (falling back to
// triggerconstantcontract's energy_used) at the chain's energy price, with a margin, capped by configuration.
// The node builds the transaction in prepare(), before the database transaction; its signer only signs.
// A transaction can be included only until its expiration: once the solidified head is past it and the
// transaction is in no block, it is dead and the worker may build another.

const FEE_MARGIN_PERCENT = 130n;
const PRICE_TTL_MS = 5_000;
const ESTIMATE_TTL_MS = 30_000;
const BANDWIDTH_RESERVE_SUN = 1_000_000n; // a TRC20 transfer is ~345 bytes: at most 0.35 TRX once free bandwidth is gone

type Params = { type: string; value: string }[];

interface RawInfo {
  id?: string;
  blockNumber?: number;
  result?: string;
  /** Sun burned for energy and bandwidth (absent, as protobuf JSON leaves zeros out, when staking paid). */
  fee?: number;
  receipt?: { result?: string };
}

function decodeMessage(m: unknown): string {
  if (typeof m !== 'string') return '';
  return /^[0-9a-f]+$/i.test(m) && m.length % 2 === 0 ? Buffer.from(m, 'hex').toString('utf8') : m;
}

export class TronHotWallet implements HotWallet {
  readonly family = 'tron' as const;
  readonly nonces = false;
  readonly address: string;
  readonly key: string;
  readonly networks: NetworkConfig[];
  private readonly tw: TronWeb;
  private readonly privateKey: string;

  constructor(
    private readonly net: NetworkConfig,
    privateKey: string,
    private readonly maxFeeLimitSun: bigint,
  ) {
    this.privateKey = privateKey.replace(/^0x/, '');
    this.tw = new TronWeb({
      fullHost: net.nodeUrl,
      ...(net.apiKey ? { headers: { 'TRON-PRO-API-KEY': net.apiKey } } : {}),
    });
    this.address = TronWeb.address.fromPrivateKey(this.privateKey) as string;
    this.key = `tron:${net.chain}:${this.address}`;
    this.networks = [net];
  }

  /** One call to the node; a failure is a PayoutChainError (the treasury's TRON side calls through these too). */
  post<T>(path: string, body: Record<string, unknown>): Promise<T> {
    return tronPost<T>(this.net, path, body, (m) => new PayoutChainError(m));
  }

  /** Runs a tronweb call, turning its failure into a PayoutChainError that names `what`. */
  async guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof PayoutChainError) throw err;
      throw new PayoutChainError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private transferParams(to: string, units: bigint): Params {
    return [
      { type: 'address', value: to },
      { type: 'uint256', value: units.toString() },
    ];
  }

  private async tokenBalance(): Promise<bigint> {
    const r = await this.guard('balanceOf', () =>
      this.tw.transactionBuilder.triggerConstantContract(
        this.net.token.contract,
        'balanceOf(address)',
        {},
        [{ type: 'address', value: this.address }],
        this.address,
      ),
    );
    const word = r.constant_result?.[0];
    if (!word) throw new PayoutChainError('balanceOf answered no result');
    return BigInt(`0x${word.slice(0, 64) || '0'}`);
  }

  private async trxBalance(): Promise<bigint> {
    const a = await this.post<{ balance?: number }>('/wallet/getaccount', {
      address: this.address,
      visible: true,
    });
    return BigInt(a.balance ?? 0);
  }

  async balances(): Promise<WalletBalances> {
    const [token, native] = await Promise.all([this.tokenBalance(), this.trxBalance()]);
    return { token: { [this.net.network]: token }, native };
  }

  /** Energy a transfer of `units` to `to` needs, and the sun that energy costs when it must be burnt. */
  private readonly energyCache = new Map<string, { at: number; energy: bigint }>();

  /** The energy estimate, remembered briefly: the budget check and the signing of one payout ask twice. */
  private async energyCost(to: string, units: bigint): Promise<{ energy: bigint; sunPerEnergy: bigint }> {
    const key = `${to}:${units}`;
    const hit = this.energyCache.get(key);
    if (hit && Date.now() - hit.at < ESTIMATE_TTL_MS)
      return { energy: hit.energy, sunPerEnergy: await this.energyPrice() };
    const cost = await this.estimateEnergyCost(to, units);
    if (this.energyCache.size > 10_000) this.energyCache.clear();
    this.energyCache.set(key, { at: Date.now(), energy: cost.energy });
    return cost;
  }

  private async estimateEnergyCost(
    to: string,
    units: bigint,
  ): Promise<{ energy: bigint; sunPerEnergy: bigint }> {
    const params = this.transferParams(to, units);
    let energy: bigint | null = null;
    try {
      const est = await this.tw.transactionBuilder.estimateEnergy(
        this.net.token.contract,
        'transfer(address,uint256)',
        {},
        params,
        this.address,
      );
      if (est.result?.result && est.energy_required) energy = BigInt(est.energy_required);
    } catch {
      // nodes without vm.estimateEnergy: fall back to the constant call's energy_used below
    }
    if (energy === null) {
      const c = await this.guard('triggerconstantcontract', () =>
        this.tw.transactionBuilder.triggerConstantContract(
          this.net.token.contract,
          'transfer(address,uint256)',
          {},
          params,
          this.address,
        ),
      );
      energy = BigInt(c.energy_used ?? 0);
      if (energy === 0n) throw new PayoutChainError('the node estimated no energy for the transfer');
    }
    return { energy, sunPerEnergy: await this.energyPrice() };
  }

  private priceCache: { at: number; sun: bigint } | null = null;

  /** getEnergyFee from the chain parameters, read at most every few seconds. */
  private async energyPrice(): Promise<bigint> {
    if (this.priceCache && Date.now() - this.priceCache.at < PRICE_TTL_MS) return this.priceCache.sun;
    const chainParams = await this.post<{ chainParameter?: { key: string; value?: number }[] }>(
      '/wallet/getchainparameters',
      {},
    );
    const fee = chainParameter(chainParams, 'getEnergyFee') ?? 420;
    this.priceCache = { at: Date.now(), sun: BigInt(fee) };
    return this.priceCache.sun;
  }

  /** Sun this transfer may burn: the energy beyond what the wallet has staked, plus a bandwidth reserve. */
  async feeCost(_net: NetworkConfig, to: string, units: bigint): Promise<bigint> {
    const { energy, sunPerEnergy } = await this.energyCost(to, units);
    return this.burnFor(energy, sunPerEnergy);
  }

  private async burnFor(energy: bigint, sunPerEnergy: bigint): Promise<bigint> {
    const res = await this.post<{ EnergyLimit?: number; EnergyUsed?: number }>('/wallet/getaccountresource', {
      address: this.address,
      visible: true,
    });
    const staked = BigInt(Math.max(0, (res.EnergyLimit ?? 0) - (res.EnergyUsed ?? 0)));
    return (energy > staked ? (energy - staked) * sunPerEnergy : 0n) + BANDWIDTH_RESERVE_SUN;
  }

  async chainNonce(): Promise<bigint | null> {
    return null;
  }

  /** Asks the node for the energy, its price and the transfer it builds (with its reference block and expiration). */
  async prepare(net: NetworkConfig, to: string, units: bigint): Promise<LocalSigner> {
    const { energy, sunPerEnergy } = await this.energyCost(to, units);
    let feeLimit = (energy * sunPerEnergy * FEE_MARGIN_PERCENT) / 100n;
    if (feeLimit > this.maxFeeLimitSun) feeLimit = this.maxFeeLimitSun;
    const built = await this.guard('triggersmartcontract', () =>
      this.tw.transactionBuilder.triggerSmartContract(
        net.token.contract,
        'transfer(address,uint256)',
        { feeLimit: Number(feeLimit) },
        this.transferParams(to, units),
        this.address,
      ),
    );
    if (!built.result?.result || !built.transaction)
      throw new PayoutChainError(
        `the node refused to build the transfer: ${decodeMessage(built.result?.message)}`,
      );
    const maxCost = await this.burnFor(energy, sunPerEnergy);
    const tx = built.transaction;
    return async () =>
      storedTx(await this.tw.trx.sign(tx, this.privateKey), {
        maxCost: maxCost.toString(),
        feeLimit: feeLimit.toString(),
        energy: energy.toString(),
        sunPerEnergy: sunPerEnergy.toString(),
      });
  }

  /** A TRX transfer from the hot wallet (the treasury's top-ups), built by the node now; the signer signs here. */
  async prepareTrxTransfer(to: string, sun: bigint): Promise<LocalSigner> {
    const built = await this.guard('createtransaction', () =>
      this.tw.transactionBuilder.sendTrx(to, Number(sun), this.address),
    );
    return async () => storedTx(await this.tw.trx.sign(built, this.privateKey), {});
  }

  async broadcast(_net: NetworkConfig, raw: string): Promise<BroadcastResult> {
    const r = await this.post<{ result?: boolean; code?: string; message?: string }>(
      '/wallet/broadcasttransaction',
      JSON.parse(raw) as Record<string, unknown>,
    );
    if (r.result) return { ok: true };
    const message = `${r.code ?? 'unknown'}: ${decodeMessage(r.message)}`;
    if (r.code === 'DUP_TRANSACTION_ERROR') return { ok: true, known: true };
    if (r.code === 'TRANSACTION_EXPIRATION_ERROR') return { ok: false, kind: 'expired', message };
    return { ok: false, kind: 'retry', message };
  }

  private async head(path: '/wallet/getnowblock' | '/walletsolidity/getnowblock') {
    const b = await this.post<RawBlockHeader>(path, {});
    const ref = readBlock(b, (m) => new PayoutChainError(`${path}: ${m}`));
    if (!ref) throw new PayoutChainError(`${path} answered no block`);
    return ref;
  }

  async headBlock(): Promise<number> {
    return (await this.head('/wallet/getnowblock')).number;
  }

  async lookup(net: NetworkConfig, txHash: string, head: () => Promise<number>): Promise<TxLookup> {
    const info = await this.post<RawInfo>('/wallet/gettransactioninfobyid', { value: txHash });
    // `{}` is "not found"; a found info always has its id (blockNumber would be omitted only for block 0).
    if (!info.id) return { state: 'unknown' };
    const blockNumber = info.blockNumber ?? 0;
    const top = await head();
    const success = info.result !== 'FAILED' && (info.receipt?.result ?? 'SUCCESS') === 'SUCCESS';
    return {
      state: 'mined',
      success,
      blockNumber,
      confirmations: Math.max(0, Math.min(top - blockNumber + 1, net.confirmations + 1000)),
      feePaid: BigInt(info.fee ?? 0),
    };
  }

  async isDead(_net: NetworkConfig, txHash: string, expiresAt: Date | null): Promise<boolean> {
    if (!expiresAt) return false;
    const b = await this.post<RawBlockHeader>('/walletsolidity/getnowblock', {});
    const solidMs = b.blockID ? (b.block_header?.raw_data?.timestamp ?? 0) : undefined;
    // No solidified block yet, or not past the expiration: the transaction may still be included.
    if (solidMs === undefined || solidMs <= expiresAt.getTime()) return false;
    const [full, solidInfo] = await Promise.all([
      this.post<RawInfo>('/wallet/gettransactioninfobyid', { value: txHash }),
      this.post<RawInfo>('/walletsolidity/gettransactioninfobyid', { value: txHash }),
    ]);
    return !full.id && !solidInfo.id;
  }

  close(): void {}
}
