import { Contract, FetchRequest, Interface, JsonRpcProvider, Transaction, Wallet } from 'ethers';
import {
  type BroadcastResult,
  type HotWallet,
  type LocalSigner,
  PayoutChainError,
  type SignedPayout,
  type TxLookup,
  type WalletBalances,
} from '../payout/types.js';
import type { NetworkConfig } from '../registry.js';

// An EVM hot wallet: one key, one nonce space per chain id, shared by every network (token) of that chain.
// Nonces come from the database (the worker passes them in), never from the node's pending count, so a crash
// or a restart reuses a stored transaction's nonce instead of taking a new one. EIP-1559 fees from the node's
// fee data; a replacement bumps both caps by 12.5 % (nodes require at least 10 %). What signing needs from the
// node (fees, the gas estimate) is read by prepare(), before the database transaction; its signer only signs.

const ERC20 = new Interface([
  'function transfer(address to, uint256 amount) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
]);
const REQUEST_TIMEOUT_MS = 10_000;
const GAS_MARGIN_PERCENT = 125n;
const BUMP_PERCENT = 1125n; // per mille
const FALLBACK_GAS_LIMIT = 100_000n;
const FEE_TTL_MS = 2_000;
const ESTIMATE_TTL_MS = 30_000;

function bump(old: string | undefined, current: bigint): bigint {
  if (!old) return current;
  const raised = (BigInt(old) * BUMP_PERCENT + 999n) / 1000n;
  return raised > current ? raised : current;
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function errorText(err: unknown): string {
  const e = err as {
    info?: { error?: { message?: string } };
    error?: { message?: string };
    shortMessage?: string;
  };
  return (
    e.info?.error?.message ??
    e.error?.message ??
    e.shortMessage ??
    (err as Error).message ??
    String(err)
  ).slice(0, 500);
}

export class EvmHotWallet implements HotWallet {
  readonly family = 'evm' as const;
  readonly nonces = true;
  readonly address: string;
  readonly key: string;
  private readonly wallet: Wallet;
  private readonly providers = new Map<string, JsonRpcProvider>();

  constructor(
    readonly chainId: number,
    readonly networks: NetworkConfig[],
    privateKey: string,
  ) {
    this.wallet = new Wallet(privateKey.startsWith('0x') ? privateKey : `0x${privateKey}`);
    this.address = this.wallet.address;
    this.key = `evm:${chainId}:${this.address}`;
  }

  private provider(net: NetworkConfig = this.networks[0]!): JsonRpcProvider {
    let p = this.providers.get(net.nodeUrl);
    if (!p) {
      const req = new FetchRequest(net.nodeUrl);
      req.timeout = REQUEST_TIMEOUT_MS;
      req.setThrottleParams({ maxAttempts: 1 });
      p = new JsonRpcProvider(req, this.chainId, {
        staticNetwork: true,
        cacheTimeout: -1,
        batchStallTime: 0,
      });
      this.providers.set(net.nodeUrl, p);
    }
    return p;
  }

  private async rpc<T>(net: NetworkConfig, method: string, params: unknown[]): Promise<T> {
    try {
      return (await this.provider(net).send(method, params)) as T;
    } catch (err) {
      throw new PayoutChainError(`${method}: ${errorText(err)}`);
    }
  }

  private async tokenBalance(net: NetworkConfig): Promise<bigint> {
    const token = new Contract(net.token.contract, ERC20, this.provider(net));
    try {
      return (await (token.balanceOf as (a: string) => Promise<bigint>)(this.address)) as bigint;
    } catch (err) {
      throw new PayoutChainError(`balanceOf: ${errorText(err)}`);
    }
  }

  private async nativeBalance(): Promise<bigint> {
    return BigInt(await this.rpc<string>(this.networks[0]!, 'eth_getBalance', [this.address, 'latest']));
  }

  async balances(): Promise<WalletBalances> {
    const token: Record<string, bigint> = {};
    for (const n of this.networks) token[n.network] = await this.tokenBalance(n);
    return { token, native: await this.nativeBalance() };
  }

  private feeCache = new Map<
    string,
    { at: number; fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } }
  >();

  /**
   * How long fee data read from a node is used again. A test that sets the devnet's base fee sets 0 for the pass
   * that must see it: otherwise that pass may use fee data read up to this long before, from an earlier block.
   */
  feeTtlMs = FEE_TTL_MS;

  /** The node's EIP-1559 fee data, read at most every few seconds per node. */
  async fees(net: NetworkConfig): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const hit = this.feeCache.get(net.nodeUrl);
    if (hit && Date.now() - hit.at < this.feeTtlMs) return hit.fees;
    const fees = await this.readFees(net);
    this.feeCache.set(net.nodeUrl, { at: Date.now(), fees });
    return fees;
  }

  private async readFees(
    net: NetworkConfig,
  ): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    let data: Awaited<ReturnType<JsonRpcProvider['getFeeData']>>;
    try {
      data = await this.provider(net).getFeeData();
    } catch (err) {
      throw new PayoutChainError(`fee data: ${errorText(err)}`);
    }
    const priority = data.maxPriorityFeePerGas ?? 0n;
    const max = data.maxFeePerGas ?? data.gasPrice;
    if (max === null) throw new PayoutChainError('the node gave no fee data');
    return { maxFeePerGas: max, maxPriorityFeePerGas: priority > max ? max : priority };
  }

  private readonly gasCache = new Map<string, { at: number; gas: bigint }>();

  /** eth_estimateGas × 1.25, remembered briefly: the budget check and the signing of one payout ask twice. */
  private async gasLimit(net: NetworkConfig, to: string, units: bigint): Promise<bigint> {
    const key = `${net.network}:${to}:${units}`;
    const hit = this.gasCache.get(key);
    if (hit && Date.now() - hit.at < ESTIMATE_TTL_MS) return hit.gas;
    const gas = await this.estimateGas(net, to, units);
    if (this.gasCache.size > 10_000) this.gasCache.clear();
    this.gasCache.set(key, { at: Date.now(), gas });
    return gas;
  }

  private async estimateGas(net: NetworkConfig, to: string, units: bigint): Promise<bigint> {
    try {
      const est = BigInt(
        await this.provider(net).send('eth_estimateGas', [
          {
            from: this.address,
            to: net.token.contract,
            data: ERC20.encodeFunctionData('transfer', [to, units]),
          },
        ]),
      );
      return (est * GAS_MARGIN_PERCENT) / 100n;
    } catch {
      return FALLBACK_GAS_LIMIT; // a reverting estimate (token short) is caught by the processor's budget
    }
  }

  /** Wei this transfer may burn: its gas limit at the current fee cap. */
  async feeCost(net: NetworkConfig, to: string, units: bigint): Promise<bigint> {
    const [fees, gas] = await Promise.all([this.fees(net), this.gasLimit(net, to, units)]);
    return gas * fees.maxFeePerGas;
  }

  async chainNonce(): Promise<bigint> {
    return BigInt(
      await this.rpc<string>(this.networks[0]!, 'eth_getTransactionCount', [this.address, 'pending']),
    );
  }

  async prepare(
    net: NetworkConfig,
    to: string,
    units: bigint,
    opts: { replacing?: Record<string, string> } = {},
  ): Promise<LocalSigner> {
    const fees = await this.fees(net);
    const old = opts.replacing;
    const maxFeePerGas = bump(old?.maxFeePerGas, fees.maxFeePerGas);
    const maxPriorityFeePerGas = bump(old?.maxPriorityFeePerGas, fees.maxPriorityFeePerGas);
    const gasLimit = old?.gasLimit ? BigInt(old.gasLimit) : await this.gasLimit(net, to, units);
    return (nonce) => {
      if (nonce === null) throw new Error('an EVM payout needs a nonce');
      return this.signTx({
        nonce,
        to: net.token.contract,
        data: ERC20.encodeFunctionData('transfer', [to, units]),
        value: 0n,
        gasLimit,
        maxFeePerGas,
        maxPriorityFeePerGas: minBig(maxPriorityFeePerGas, maxFeePerGas),
      });
    };
  }

  private async signTx(tx: {
    nonce: bigint;
    to: string;
    data: string;
    value: bigint;
    gasLimit: bigint;
    maxFeePerGas: bigint;
    maxPriorityFeePerGas: bigint;
  }): Promise<SignedPayout> {
    const raw = await this.wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      ...tx,
      nonce: Number(tx.nonce),
    });
    return {
      txHash: Transaction.from(raw).hash!,
      raw,
      nonce: tx.nonce,
      expiresAt: null,
      feeParams: {
        maxCost: (tx.gasLimit * tx.maxFeePerGas).toString(),
        maxFeePerGas: tx.maxFeePerGas.toString(),
        maxPriorityFeePerGas: tx.maxPriorityFeePerGas.toString(),
        gasLimit: tx.gasLimit.toString(),
      },
    };
  }

  /**
   * Any call from the hot wallet (the treasury's top-ups): fees are the node's now, read here; the caller gives
   * the gas, and the nonce (from the database) to the signer.
   */
  async prepareCall(
    net: NetworkConfig,
    call: { to: string; data: string; value: bigint; gasLimit: bigint },
  ): Promise<LocalSigner> {
    const fees = await this.fees(net);
    return (nonce) => {
      if (nonce === null) throw new Error('an EVM transaction needs a nonce');
      return this.signTx({ ...call, ...fees, nonce });
    };
  }

  async broadcast(net: NetworkConfig, raw: string): Promise<BroadcastResult> {
    try {
      await this.provider(net).send('eth_sendRawTransaction', [raw]);
      return { ok: true };
    } catch (err) {
      const message = errorText(err);
      const m = message.toLowerCase();
      if (/already known|known transaction|already imported|alreadyknown/.test(m))
        return { ok: true, known: true };
      if (/nonce too low|nonce has already been used|nonce is too low|oldnonce/.test(m))
        return { ok: false, kind: 'nonce_used', message };
      return { ok: false, kind: 'retry', message };
    }
  }

  async lookup(net: NetworkConfig, txHash: string, head: () => Promise<number>): Promise<TxLookup> {
    const receipt = await this.rpc<{
      status: string;
      blockNumber: string;
      gasUsed: string;
      effectiveGasPrice?: string;
    } | null>(net, 'eth_getTransactionReceipt', [txHash]);
    if (!receipt) return { state: 'unknown' };
    const top = await head();
    const blockNumber = Number(receipt.blockNumber);
    return {
      state: 'mined',
      success: Number(receipt.status) === 1,
      blockNumber,
      confirmations: Math.max(0, top - blockNumber + 1),
      feePaid: BigInt(receipt.gasUsed) * BigInt(receipt.effectiveGasPrice ?? '0'),
    };
  }

  async headBlock(net: NetworkConfig): Promise<number> {
    return Number(await this.rpc<string>(net, 'eth_blockNumber', []));
  }

  async isDead(): Promise<boolean> {
    return false; // a nonce cannot be dropped for good: the same nonce is rebroadcast or replaced instead
  }

  close(): void {
    for (const p of this.providers.values()) p.destroy();
  }
}
