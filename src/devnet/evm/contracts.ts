import { readFileSync } from 'node:fs';
import { Interface, type InterfaceAbi, toQuantity } from 'ethers';
import { projectPath } from '../../lib/paths.js';
import {
  DEPLOYER,
  DISPERSE_ADDRESS,
  FAKE_TOKEN_ADDRESS,
  FAUCET,
  USDT6_ADDRESS,
  USDT18_ADDRESS,
} from './keys.js';

/** Compiled by scripts/build-contracts.ts from contracts/*.sol (solc-js 0.8.37, evmVersion paris). */
export const ARTIFACTS_FILE = projectPath('contracts', 'artifacts.json');

interface Artifact {
  abi: InterfaceAbi;
  bytecode: string;
}
type ContractName = 'TestUSDT' | 'FakeToken' | 'Disperse';

let cached: Record<ContractName, Artifact> | undefined;
export function artifacts(): Record<ContractName, Artifact> {
  cached ??= (
    JSON.parse(readFileSync(ARTIFACTS_FILE, 'utf8')) as { contracts: Record<ContractName, Artifact> }
  ).contracts;
  return cached;
}

export const tokenInterface = () => new Interface(artifacts().FakeToken.abi); // TestUSDT's ABI + emitTransfer
export const disperseInterface = () => new Interface(artifacts().Disperse.abi);

export interface EvmTokenHandle {
  address: string;
  name: string;
  symbol: string;
  decimals: number;
}

export const TOKEN_NAME = 'Tether USD';
export const TOKEN_SYMBOL = 'USDT';
export const USDT6: EvmTokenHandle = {
  address: USDT6_ADDRESS,
  name: TOKEN_NAME,
  symbol: TOKEN_SYMBOL,
  decimals: 6,
};
export const USDT18: EvmTokenHandle = {
  address: USDT18_ADDRESS,
  name: TOKEN_NAME,
  symbol: TOKEN_SYMBOL,
  decimals: 18,
};
/** Same name, symbol and decimals as USDT6 at another address: its Transfer logs must never be credited. */
export const FAKE_TOKEN: EvmTokenHandle = { ...USDT6, address: FAKE_TOKEN_ADDRESS };

/** Whole tokens minted to the faucet per token at start. */
export const FAUCET_TOKENS = 1_000_000_000_000n;

export type Rpc = (method: string, params?: unknown[]) => Promise<unknown>;

/**
 * Deploys USDT6, USDT18, FakeToken and Disperse from DEPLOYER (nonces 0–3) and mints FAUCET_TOKENS of each token
 * to the faucet (nonces 4–6), all in block 1, then checks every receipt and address. Call on a fresh chain.
 */
export async function deployDevnetContracts(rpc: Rpc): Promise<void> {
  const a = artifacts();
  const token = tokenInterface();
  const deploy = (art: Artifact, args: unknown[]) =>
    art.bytecode + new Interface(art.abi).encodeDeploy(args).slice(2);
  const mint = (t: EvmTokenHandle) => ({
    to: t.address,
    data: token.encodeFunctionData('mint', [FAUCET.address, FAUCET_TOKENS * 10n ** BigInt(t.decimals)]),
  });
  const txs: { to?: string; data: string; gas: number }[] = [
    { data: deploy(a.TestUSDT, [TOKEN_NAME, TOKEN_SYMBOL, 6]), gas: 3_000_000 },
    { data: deploy(a.TestUSDT, [TOKEN_NAME, TOKEN_SYMBOL, 18]), gas: 3_000_000 },
    { data: deploy(a.FakeToken, [TOKEN_NAME, TOKEN_SYMBOL, 6]), gas: 3_000_000 },
    { data: deploy(a.Disperse, []), gas: 3_000_000 },
    { ...mint(USDT6), gas: 200_000 },
    { ...mint(USDT18), gas: 200_000 },
    { ...mint(FAKE_TOKEN), gas: 200_000 },
  ];
  await rpc('evm_setAutomine', [false]);
  const hashes: string[] = [];
  for (const [nonce, tx] of txs.entries()) {
    const params = { from: DEPLOYER.address, ...tx, gas: toQuantity(tx.gas), nonce: toQuantity(nonce) };
    hashes.push((await rpc('eth_sendTransaction', [params])) as string);
  }
  await rpc('evm_mine');
  const expected = [USDT6_ADDRESS, USDT18_ADDRESS, FAKE_TOKEN_ADDRESS, DISPERSE_ADDRESS];
  for (const [i, hash] of hashes.entries()) {
    const r = (await rpc('eth_getTransactionReceipt', [hash])) as {
      status: string;
      contractAddress: string | null;
    };
    const want = expected[i];
    if (r.status !== '0x1' || (want && r.contractAddress?.toLowerCase() !== want.toLowerCase()))
      throw new Error(
        `EVM devnet: deployment step ${i} failed (status ${r.status}, address ${r.contractAddress})`,
      );
  }
}
