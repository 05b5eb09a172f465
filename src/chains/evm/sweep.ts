import { FetchRequest, getAddress, Interface, JsonRpcProvider, Transaction, Wallet } from 'ethers';
import type { DepositKeys } from '../keys.js';
import { type LocalSigner, PayoutChainError } from '../payout/types.js';
import type { NetworkConfig } from '../registry.js';
import type { AddressBalances, SweepChain, SweepCost } from '../sweep/types.js';
import { type EvmHotWallet, errorText } from './hot-wallet.js';

// Sweeping an EVM network: a deposit address holds tokens and no gas. The hot wallet tops it up with exactly the
// gas the token transfer needs (eth_estimateGas of that transfer × the node's EIP-1559 fee cap), many addresses
// in one transaction through a Disperse contract (disperse.app's disperseEther) when the network has one; then
// the address sends its tokens to the hot wallet, signed with the key derived from its stored index and with the
// fee parameters fixed when the top-up was sized, so what it may burn is exactly what it was given.

const ERC20 = new Interface([
  'function transfer(address to, uint256 amount) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
]);
const DISPERSE = new Interface(['function disperseEther(address[] recipients, uint256[] values) payable']);
const REQUEST_TIMEOUT_MS = 10_000;
/** A top-up is the hot wallet's own transaction: its gas limit gets a margin (the sweeps' do not). */
const TOPUP_GAS_MARGIN_PERCENT = 120n;
const PLAIN_TRANSFER_GAS = 21_000n;

export class EvmSweepChain implements SweepChain {
  readonly usesNonces = true;
  readonly topUpBatch: number;
  readonly hotAddress: string;
  private readonly provider: JsonRpcProvider;

  constructor(
    readonly net: NetworkConfig,
    private readonly hot: EvmHotWallet,
    private readonly keys: DepositKeys,
    private readonly disperse: string | null,
    maxBatch = 100,
  ) {
    this.hotAddress = hot.address;
    this.topUpBatch = disperse ? maxBatch : 1;
    const req = new FetchRequest(net.nodeUrl);
    req.timeout = REQUEST_TIMEOUT_MS;
    req.setThrottleParams({ maxAttempts: 1 });
    this.provider = new JsonRpcProvider(req, hot.chainId, {
      staticNetwork: true,
      cacheTimeout: -1,
      batchStallTime: 0,
    });
  }

  private async rpc<T>(method: string, params: unknown[]): Promise<T> {
    try {
      return (await this.provider.send(method, params)) as T;
    } catch (err) {
      throw new PayoutChainError(`${method}: ${errorText(err)}`);
    }
  }

  signerKey(address: string): string {
    return `evm:${this.hot.chainId}:${getAddress(address)}`;
  }

  async balances(address: string): Promise<AddressBalances> {
    const [token, native] = await Promise.all([
      this.rpc<string>('eth_call', [
        { to: this.net.token.contract, data: ERC20.encodeFunctionData('balanceOf', [address]) },
        'latest',
      ]),
      this.rpc<string>('eth_getBalance', [address, 'latest']),
    ]);
    return { token: BigInt(token), native: BigInt(native) };
  }

  private transferData(units: bigint): string {
    return ERC20.encodeFunctionData('transfer', [this.hotAddress, units]);
  }

  private async transferGas(from: string, units: bigint): Promise<bigint> {
    return BigInt(
      await this.rpc<string>('eth_estimateGas', [
        { from, to: this.net.token.contract, data: this.transferData(units) },
      ]),
    );
  }

  async stillCovered(from: string, units: bigint, feeParams: Record<string, string>): Promise<boolean> {
    return (await this.transferGas(from, units)) <= BigInt(feeParams.gasLimit ?? '0');
  }

  async sweepCost(from: string, units: bigint): Promise<SweepCost> {
    const gas = await this.transferGas(from, units);
    const fees = await this.hot.fees(this.net);
    const need = gas * fees.maxFeePerGas;
    return {
      need,
      feeParams: {
        gasLimit: gas.toString(),
        maxFeePerGas: fees.maxFeePerGas.toString(),
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
        maxCost: need.toString(),
      },
    };
  }

  async chainNonce(address: string): Promise<bigint> {
    return BigInt(await this.rpc<string>('eth_getTransactionCount', [address, 'pending']));
  }

  async prepareTopUp(targets: { address: string; amount: bigint }[]): Promise<LocalSigner> {
    if (targets.length === 0 || targets.length > this.topUpBatch)
      throw new RangeError(`a top-up funds 1 to ${this.topUpBatch} addresses, not ${targets.length}`);
    const value = targets.reduce((s, t) => s + t.amount, 0n);
    if (!this.disperse) {
      const [t] = targets;
      return this.hot.prepareCall(this.net, {
        to: t!.address,
        data: '0x',
        value,
        gasLimit: PLAIN_TRANSFER_GAS,
      });
    }
    const data = DISPERSE.encodeFunctionData('disperseEther', [
      targets.map((t) => t.address),
      targets.map((t) => t.amount),
    ]);
    const gas = BigInt(
      await this.rpc<string>('eth_estimateGas', [
        { from: this.hotAddress, to: this.disperse, data, value: `0x${value.toString(16)}` },
      ]),
    );
    return this.hot.prepareCall(this.net, {
      to: this.disperse,
      data,
      value,
      gasLimit: (gas * TOPUP_GAS_MARGIN_PERCENT) / 100n,
    });
  }

  /** Nothing to ask the node: the fees were fixed when the sweep was planned, the key derives from the index. */
  async prepareSweep(
    index: bigint,
    from: string,
    units: bigint,
    feeParams: Record<string, string>,
  ): Promise<LocalSigner> {
    const wallet = new Wallet(this.keys.privateKey('evm', index));
    if (wallet.address !== getAddress(from))
      throw new Error(`deposit address index ${index} derives ${wallet.address}, not ${from}`);
    return async (nonce) => {
      if (nonce === null) throw new Error('an EVM sweep needs a nonce');
      const raw = await wallet.signTransaction({
        type: 2,
        chainId: this.hot.chainId,
        nonce: Number(nonce),
        to: this.net.token.contract,
        data: this.transferData(units),
        value: 0n,
        gasLimit: BigInt(feeParams.gasLimit!),
        maxFeePerGas: BigInt(feeParams.maxFeePerGas!),
        maxPriorityFeePerGas: BigInt(feeParams.maxPriorityFeePerGas!),
      });
      return { txHash: Transaction.from(raw).hash!, raw, nonce, expiresAt: null, feeParams };
    };
  }

  close(): void {
    this.provider.destroy();
  }
}
