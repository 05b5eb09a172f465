import { Chain } from './chain.js';
import { TOKENS } from './contracts.js';
import { type BlockSummary, type Controls, createControls, summary } from './controls.js';
import type { FailureKind } from './execute.js';
import { httpControl } from './http-controls.js';
import { type DevnetKey, DISPERSE_CONTRACT, FAKE_USDT_CONTRACT, FAUCET, USDT_CONTRACT } from './keys.js';
import { DevnetServer, type FaultSpec } from './server.js';
import { parseIncomingTransaction } from './tx.js';

/**
 * TRON devnet: an in-memory chain behind an HTTP server that answers like java-tron's full node
 * (/wallet/*), its solidity node (/walletsolidity/*, from head − solidDepth) and TronGrid
 * (/v1/accounts/{a}/transactions/trc20), so tronweb and the block scanner work against it unchanged.
 *
 * Block production: `mine(n)` always works. With `blockIntervalMs > 0` a block is also produced on a timer.
 * With `autoMine: true` every accepted broadcast (HTTP or control) is mined into its own block before the
 * broadcast answers. Defaults (no timer, no autoMine) suit tests: nothing happens unless the test says so.
 */

export interface TronDevnetOptions {
  /** TCP port (default 0: any free port). */
  port?: number;
  host?: string;
  /** Produce a block every N ms (default 0: no timer). */
  blockIntervalMs?: number;
  /** Mine a block after every accepted broadcast (default false). */
  autoMine?: boolean;
  /** Solidified head = head − solidDepth (default 19, TRON's confirmation count). */
  solidDepth?: number;
  /** Blocks mined at start after genesis (default 1; tronweb cannot build on genesis, whose number is omitted). */
  initialBlocks?: number;
  /** Most transactions per block (default 1 000). */
  maxBlockTransactions?: number;
  /** Time source for block timestamps and expirations (default Date.now); see also advanceTime(). */
  clock?: () => number;
  /** Accounts of 10 000 TRX at genesis, listed at /admin/accounts-json like tron-quickstart's (default 0). */
  quickstartAccounts?: number;
  /** The rest of the network's stake, TRX, that shares out bandwidth and energy (default mainnet's). */
  networkStakeTrx?: { net: number; energy: number };
  /** How long an unfreezing takes (default 14 days, mainnet's getUnfreezeDelayDays). */
  unfreezeDelayMs?: number;
}

export interface TokenHandle {
  address: string;
  addressHex: string;
  symbol: string;
  name: string;
  decimals: number;
}

export interface TronDevnet extends Omit<Controls, 'submit'> {
  url: string;
  port: number;
  faucet: DevnetKey;
  usdt: TokenHandle;
  /** Same name, symbol and decimals as usdt, another contract: its transfers must not be credited. */
  fakeUsdt: TokenHandle;
  disperse: { address: string; addressHex: string };
  close(): Promise<void>;
  mine(n?: number): BlockSummary[];
  head(): BlockSummary;
  solidHead(): BlockSummary;
  pendingCount(): number;
  /** Submits a signed transaction (tronweb's shape) like /wallet/broadcasttransaction, signature checked. */
  broadcast(signedTx: object): string;
  /**
   * Replaces the last k blocks (1 ≤ k ≤ head − solidHead) with `newBlocks` (default k) blocks from another
   * witness. Orphaned transactions go into the first new block when `reincludeTransactions`, else they wait in
   * the orphan pool (see reincludeOrphans) and may also be broadcast again.
   */
  reorg(
    k: number,
    opts?: { reincludeTransactions?: boolean; newBlocks?: number },
  ): {
    dropped: { number: number; blockID: string }[];
    added: { number: number; blockID: string }[];
    txids: string[];
  };
  reincludeOrphans(): string[];
  /** The transaction fails with this result whenever it is executed. */
  failTransaction(txid: string, kind: FailureKind): void;
  /** The next TriggerSmartContract to be executed fails with this result. */
  failNextContractCall(kind: FailureKind): void;
  injectFault(spec: FaultSpec): number;
  clearFaults(id?: number): void;
  /** Moves the devnet clock forward (expires transactions, ages timestamps). */
  advanceTime(ms: number): void;
  /** The underlying chain, for assertions the controls do not cover. */
  chain: Chain;
}

const handle = (addressHex: string): TokenHandle => {
  const t = TOKENS.find((x) => x.addressHex === addressHex)!;
  const c = addressHex === USDT_CONTRACT.addressHex ? USDT_CONTRACT : FAKE_USDT_CONTRACT;
  return { address: c.address, addressHex, symbol: t.symbol, name: t.name, decimals: t.decimals };
};

export async function startTronDevnet(options: TronDevnetOptions = {}): Promise<TronDevnet> {
  const chain = new Chain({
    solidDepth: options.solidDepth ?? 19,
    clock: options.clock ?? Date.now,
    maxBlockTransactions: options.maxBlockTransactions ?? 1_000,
    autoMine: options.autoMine ?? false,
    quickstartAccounts: options.quickstartAccounts,
    networkStakeTrx: options.networkStakeTrx,
    unfreezeDelayMs: options.unfreezeDelayMs,
  });
  chain.mine(options.initialBlocks ?? 1);
  const controls = createControls(chain);
  const { submit, ...publicControls } = controls;

  const devnet: Omit<TronDevnet, 'url' | 'port'> = {
    ...publicControls,
    faucet: FAUCET,
    usdt: handle(USDT_CONTRACT.addressHex),
    fakeUsdt: handle(FAKE_USDT_CONTRACT.addressHex),
    disperse: DISPERSE_CONTRACT,
    chain,
    close: async () => {
      if (timer) clearInterval(timer);
      await server.close();
    },
    mine: (n = 1) => chain.mine(n).map(summary),
    head: () => summary(chain.head()),
    solidHead: () => summary(chain.blocks[chain.solidNumber()]!),
    pendingCount: () => chain.pendingCount(),
    broadcast: (signedTx) => {
      const body = signedTx as Record<string, unknown>;
      return submit(parseIncomingTransaction(body, body.visible === true), false);
    },
    reorg: (k, opts) => chain.reorg(k, opts),
    reincludeOrphans: () => chain.reincludeOrphans(),
    failTransaction: (txid, kind) => chain.failTransaction(txid, kind),
    failNextContractCall: (kind) => chain.failNextContractCall(kind),
    injectFault: (spec) => server.injectFault(spec),
    clearFaults: (id) => server.clearFaults(id),
    advanceTime: (ms) => chain.advanceTime(ms),
  };

  const server = new DevnetServer(chain, (name, body) => httpControl(devnet, name, body));
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(options.port ?? 0, host);
  const interval = options.blockIntervalMs ?? 0;
  const timer = interval > 0 ? setInterval(() => chain.mine(1), interval) : undefined;
  timer?.unref();
  return { ...devnet, url: `http://${host}:${port}`, port };
}

export type { BlockSummary, Resource, TransferTokenOptions } from './controls.js';
export { TronDevnetError } from './controls.js';
export type { FailureKind } from './execute.js';
export { DISPERSE_CONTRACT, FAKE_USDT_CONTRACT, FAUCET, USDT_CONTRACT, WITNESS } from './keys.js';
export type { FaultSpec } from './server.js';
