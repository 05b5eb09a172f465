import { randomBytes } from 'node:crypto';
import { hexlify, toQuantity } from 'ethers';
import { defaultHardhatNetworkParams } from 'hardhat/internal/core/config/default-config.js';
import { createHardhatNetworkProvider } from 'hardhat/internal/hardhat-network/provider/provider.js';
import type { EIP1193Provider } from 'hardhat/types/provider.js';
import { deployDevnetContracts, type EvmTokenHandle, FAKE_TOKEN, USDT6, USDT18 } from './contracts.js';
import { type Controls, createControls } from './controls.js';
import { type EvmFaultSpec, Faults } from './faults.js';
import {
  DEPLOYER,
  type DevnetAccount,
  DISPERSE_ADDRESS,
  FAUCET,
  HARDHAT_ACCOUNTS,
  NO_TOKENS,
} from './keys.js';
import { gatedProvider } from './rpc.js';
import { EvmRpcServer } from './server.js';

/**
 * EVM devnet: Hardhat Network (hardhat 2, EDR) in this process, served over HTTP and WebSocket JSON-RPC on a
 * local port by Hardhat's own JSON-RPC handler, so ethers' JsonRpcProvider and the deposit scanner use it like
 * any node. At start, block 1 deploys two USDT-like tokens (6 and 18 decimals), a fake token and Disperse at
 * constant addresses and funds the faucet; see README.md.
 */

export interface EvmDevnetOptions {
  /** TCP port (default 0: any free port). */
  port?: number;
  host?: string;
  /** Default 31337 (Hardhat's); contract addresses do not depend on it. */
  chainId?: number;
  /** Mine a block per transaction, before eth_sendTransaction/eth_sendRawTransaction answer (default true). */
  automine?: boolean;
  /** Also mine a block every N ms, like a live chain (default 0: off). Works with automine on or off. */
  blockIntervalMs?: number;
  /** eth_getLogs spanning more blocks than this fails with -32005 "block range is too wide" (default: no limit). */
  maxLogsBlockRange?: number;
  /** eth_getLogs returning more logs than this fails with -32005 "query returned more than N results". */
  maxLogsResults?: number;
  /**
   * Over HTTP/WS, the 'finalized' and 'safe' block tags mean head − finalizedDepth (mainnet: ~64–96 blocks).
   * Default: Hardhat's behaviour, both are the head, so a scanner on `finalized` confirms at once.
   */
  finalizedDepth?: number;
  /** Hardhat hardfork (default Hardhat's, osaka). The contracts target paris, so any later one runs them. */
  hardfork?: string;
}

export interface EvmDevnet extends Controls {
  /** HTTP JSON-RPC, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Same port, WebSocket (eth_subscribe). */
  wsUrl: string;
  port: number;
  chainId: number;
  /** Hardhat account #0: 10 000 ETH and 10^12 whole tokens of usdt6, usdt18 and fakeToken. */
  faucet: DevnetAccount;
  /** Hardhat accounts #0–#9 (10 000 ETH each, no tokens but #0's). */
  accounts: readonly DevnetAccount[];
  usdt6: EvmTokenHandle;
  usdt18: EvmTokenHandle;
  /** Same name/symbol/decimals as usdt6, another address; `emitFakeTransfer` forges Transfer logs from it. */
  fakeToken: EvmTokenHandle;
  disperse: { address: string };
  /** The in-process provider: no faults, no limits, no HTTP. */
  provider: EIP1193Provider;
  request<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  blockNumber(): Promise<number>;
  /** Mines n blocks (the first takes the pending transactions); returns the new head. */
  mine(n?: number): Promise<{ number: number; hash: string }>;
  setAutomine(on: boolean): Promise<void>;
  /** evm_snapshot: the id of the current state. */
  snapshot(): Promise<string>;
  /**
   * evm_revert: back to the snapshot, which is used up (as are later ones: take a new snapshot to return there
   * again). Transactions mined after it are gone, including from the mempool. The next block gets a fresh
   * prevRandao, so re-mined blocks always get new hashes even with identical content: a reorg.
   */
  revert(id: string): Promise<void>;
  injectFault(spec: EvmFaultSpec): number;
  clearFaults(id?: number): void;
  close(): Promise<void>;
}

export async function startEvmDevnet(options: EvmDevnetOptions = {}): Promise<EvmDevnet> {
  const chainId = options.chainId ?? 31337;
  const genesisAccounts = [...HARDHAT_ACCOUNTS, DEPLOYER, NO_TOKENS].map((a) => ({
    privateKey: a.privateKey,
    balance: 10_000n * 10n ** 18n,
  }));
  const provider = await createHardhatNetworkProvider(
    {
      hardfork: options.hardfork ?? defaultHardhatNetworkParams.hardfork,
      chainId,
      networkId: chainId,
      blockGasLimit: defaultHardhatNetworkParams.blockGasLimit,
      minGasPrice: 0n,
      automine: true,
      intervalMining: 0,
      mempoolOrder: 'fifo',
      chains: defaultHardhatNetworkParams.chains,
      genesisAccounts,
      allowUnlimitedContractSize: false,
      // Like a real node: a reverted transaction is mined (status 0) and eth_send* answers its hash.
      throwOnTransactionFailures: false,
      throwOnCallFailures: true,
      allowBlocksWithSameTimestamp: false,
      enableTransientStorage: false,
      enableRip7212: false,
    },
    { enabled: false },
  );
  const request = <T = unknown>(method: string, params: unknown[] = []) =>
    provider.request({ method, params }) as Promise<T>;

  await deployDevnetContracts(request);
  await request('evm_setAutomine', [options.automine ?? true]);
  if (options.blockIntervalMs) await request('evm_setIntervalMining', [options.blockIntervalMs]);

  const faults = new Faults();
  const controls = createControls(request);
  const info = () => ({
    chainId,
    faucet: FAUCET,
    usdt6: USDT6,
    usdt18: USDT18,
    fakeToken: FAKE_TOKEN,
    disperse: { address: DISPERSE_ADDRESS },
  });
  const limits = {
    maxLogsBlockRange: options.maxLogsBlockRange,
    maxLogsResults: options.maxLogsResults,
    finalizedDepth: options.finalizedDepth,
  };
  const tokens = [USDT6.address, USDT18.address, FAKE_TOKEN.address];
  const server = new EvmRpcServer(gatedProvider(provider, faults, limits, controls, info, tokens), faults);
  const host = options.host ?? '127.0.0.1';
  const port = await server.listen(options.port ?? 0, host);
  const blockNumber = async () => Number(await request<string>('eth_blockNumber'));

  return {
    ...controls,
    ...info(),
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}`,
    port,
    accounts: HARDHAT_ACCOUNTS,
    provider,
    request,
    blockNumber,
    mine: async (n = 1) => {
      await request('hardhat_mine', [toQuantity(n)]);
      const head = await request<{ number: string; hash: string }>('eth_getBlockByNumber', ['latest', false]);
      return { number: Number(head.number), hash: head.hash };
    },
    setAutomine: async (on) => {
      await request('evm_setAutomine', [on]);
    },
    snapshot: () => request<string>('evm_snapshot'),
    revert: async (id) => {
      if (!(await request<boolean>('evm_revert', [id]))) throw new Error(`EVM devnet: no snapshot ${id}`);
      await request('hardhat_setPrevRandao', [hexlify(randomBytes(32))]);
    },
    injectFault: (spec) => faults.inject(spec),
    clearFaults: (id) => faults.clear(id),
    close: async () => {
      if (options.blockIntervalMs) await request('evm_setIntervalMining', [0]);
      await server.close();
    },
  };
}

export type { EvmTokenHandle } from './contracts.js';
export { ARTIFACTS_FILE, FAUCET_TOKENS } from './contracts.js';
export type { SendOptions, SendTokenOptions, TokenRef } from './controls.js';
export type { EvmFaultKind, EvmFaultSpec } from './faults.js';
export {
  DEPLOYER,
  type DevnetAccount,
  DISPERSE_ADDRESS,
  FAKE_TOKEN_ADDRESS,
  FAUCET,
  HARDHAT_ACCOUNTS,
  HARDHAT_MNEMONIC,
  NO_TOKENS,
  USDT6_ADDRESS,
  USDT18_ADDRESS,
} from './keys.js';
