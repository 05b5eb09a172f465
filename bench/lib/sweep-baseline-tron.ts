import { TronWeb } from 'tronweb';
import { cpuMeter } from './cpu.js';
import { sleep } from './proc.js';
import type { BareSweep } from './sweep-baseline.js';

// The TRON sweep benchmark's baseline (bench/sweep-tron.ts): the node calls a burning sweep needs, in a bare
// tronweb loop with no database, no queue and no passes, on the same devnet and chain clock. For N funded deposit
// keys: the energy price once, `estimateenergy` of each USDT transfer to the hot wallet, one TRX transfer from the
// hot wallet per address of exactly energy × price (TRON has no batch transfer; the first TRX creates the
// account, whose free bandwidth carries the sweep), wait for them, then build (triggersmartcontract, fee_limit =
// that TRX), sign and broadcast each transfer, and wait until all are `confirmations` deep. Transaction infos (the
// full node's) are read once per new block for what is still outstanding.

const WAIT_MAX_MS = 10 * 60_000;

export interface BareTronInput {
  url: string;
  token: string;
  /** Hex private keys (no 0x): the baseline's hot wallet, funded with TRX, and its deposit keys, with USDT. */
  hotKey: string;
  keys: string[];
  units: bigint;
  confirmations: number;
}

type Info = { id?: string; blockNumber?: number; result?: string; receipt?: { result?: string } };

/** The loop's node calls, each counted by name. */
class BareTron {
  readonly rpcCalls: Record<string, number> = {};
  private readonly tw: TronWeb;
  private readonly hot: string;
  readonly from: string[];
  private readonly params: { type: string; value: string }[];

  constructor(private readonly input: BareTronInput) {
    this.tw = new TronWeb({ fullHost: input.url });
    this.hot = TronWeb.address.fromPrivateKey(input.hotKey) as string;
    this.from = input.keys.map((k) => TronWeb.address.fromPrivateKey(k) as string);
    this.params = [
      { type: 'address', value: this.hot },
      { type: 'uint256', value: input.units.toString() },
    ];
  }

  private rpc<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.rpcCalls[name] = (this.rpcCalls[name] ?? 0) + 1;
    return fn();
  }

  private async send(signed: { txID: string }): Promise<string> {
    const r = await this.rpc('broadcasttransaction', () => this.tw.trx.sendRawTransaction(signed as never));
    if (!(r as { result?: boolean }).result)
      throw new Error(`baseline broadcast refused: ${JSON.stringify(r).slice(0, 300)}`);
    return signed.txID;
  }

  /** The sun each address's transfer burns: estimateenergy × the energy price. */
  async estimate(): Promise<bigint[]> {
    const chainParams = await this.rpc('getchainparameters', () => this.tw.trx.getChainParameters());
    const sunPerEnergy = BigInt(chainParams.find((p) => p.key === 'getEnergyFee')?.value ?? 420);
    const fees: bigint[] = [];
    for (const a of this.from) {
      const est = await this.rpc('estimateenergy', () =>
        this.tw.transactionBuilder.estimateEnergy(
          this.input.token,
          'transfer(address,uint256)',
          {},
          this.params,
          a,
        ),
      );
      if (!est.result?.result || !est.energy_required) throw new Error(`estimateenergy refused ${a}`);
      fees.push(BigInt(est.energy_required) * sunPerEnergy);
    }
    return fees;
  }

  /** One TRX transfer per address from the hot wallet (built by the node, signed here); their ids. */
  async topUp(fees: bigint[]): Promise<string[]> {
    const ids: string[] = [];
    for (const [i, a] of this.from.entries()) {
      const built = await this.rpc('createtransaction', () =>
        this.tw.transactionBuilder.sendTrx(a, Number(fees[i]!), this.hot),
      );
      ids.push(await this.send(await this.tw.trx.sign(built, this.input.hotKey)));
    }
    return ids;
  }

  /** Each address's USDT transfer to the hot wallet with fee_limit = its top-up; their ids. */
  async sweep(fees: bigint[]): Promise<string[]> {
    const ids: string[] = [];
    for (const [i, a] of this.from.entries()) {
      const built = await this.rpc('triggersmartcontract', () =>
        this.tw.transactionBuilder.triggerSmartContract(
          this.input.token,
          'transfer(address,uint256)',
          { feeLimit: Number(fees[i]!) },
          this.params,
          a,
        ),
      );
      if (!built.result?.result || !built.transaction)
        throw new Error(`the node refused to build ${a}'s sweep`);
      ids.push(await this.send(await this.tw.trx.sign(built.transaction, this.input.keys[i]!)));
    }
    return ids;
  }

  /** Waits until every id has a successful info and the highest block of them is `confirmations` deep. */
  async waitMined(ids: string[], confirmations: number): Promise<void> {
    const pending = new Set(ids);
    const deadline = Date.now() + WAIT_MAX_MS;
    let checked = -1;
    let highest = 0;
    for (;;) {
      const head = (await this.rpc('getnowblock', () => this.tw.trx.getCurrentBlock())).block_header.raw_data
        .number;
      if (head !== checked) {
        checked = head;
        for (const id of [...pending]) {
          // The full node's view, as the hot wallet's lookup asks (tronweb's getTransactionInfo asks the
          // solidity node, which answers only 19 blocks later).
          const info = await this.rpc('gettransactioninfobyid', () =>
            this.tw.fullNode.request<Info>('wallet/gettransactioninfobyid', { value: id }, 'post'),
          );
          if (!info.id) continue;
          if (info.result === 'FAILED' || (info.receipt?.result ?? 'SUCCESS') !== 'SUCCESS')
            throw new Error(`baseline transaction ${id} failed`);
          pending.delete(id);
          highest = Math.max(highest, info.blockNumber ?? 0);
        }
      }
      if (pending.size === 0 && head - highest + 1 >= confirmations) return;
      if (Date.now() > deadline) throw new Error(`baseline: ${pending.size} transactions never mined`);
      await sleep(20);
    }
  }
}

export async function bareSweepTron(input: BareTronInput): Promise<BareSweep> {
  const b = new BareTron(input);
  const cpuDone = cpuMeter();
  const t0 = performance.now();
  const at = () => (performance.now() - t0) / 1000;
  const fees = await b.estimate();
  const estimated = at();
  const topups = await b.topUp(fees);
  const toppedUp = at();
  await b.waitMined(topups, 1);
  const fundedMined = at();
  const sweeps = await b.sweep(fees);
  const sent = at();
  await b.waitMined(sweeps, input.confirmations);
  const confirmed = at();
  return {
    n: b.from.length,
    seconds: confirmed,
    milestones: { estimated, toppedUp, fundedMined, sent, confirmed },
    topups: topups.length,
    rpcCalls: b.rpcCalls,
    cpu: cpuDone(),
  };
}
