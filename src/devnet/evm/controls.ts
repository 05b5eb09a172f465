import { computeAddress, toQuantity } from 'ethers';
import { disperseInterface, type EvmTokenHandle, type Rpc, tokenInterface } from './contracts.js';
import {
  DEPLOYER,
  DISPERSE_ADDRESS,
  FAKE_TOKEN_ADDRESS,
  FAUCET,
  HARDHAT_ACCOUNTS,
  NO_TOKENS,
} from './keys.js';

/** A token handle (`devnet.usdt18`) or a contract address. */
export type TokenRef = string | Pick<EvmTokenHandle, 'address'>;

export interface SendOptions {
  /** Sender: an address or a private key (default: the faucet). Any address works (impersonated); it needs ETH. */
  from?: string;
}

export interface SendTokenOptions extends SendOptions {
  /**
   * Mine a transfer that reverts: `transfer(to, amount)` is sent from NO_TOKENS, which holds no tokens, so the
   * token's balance check reverts it (receipt status 0, no Transfer log). `from` is ignored.
   */
  revert?: boolean;
}

const GENESIS = new Set([...HARDHAT_ACCOUNTS, DEPLOYER, NO_TOKENS].map((a) => a.address.toLowerCase()));
const TOKEN_GAS = 100_000;

export interface Controls {
  sendToken(token: TokenRef, to: string, amount: bigint, opts?: SendTokenOptions): Promise<string>;
  sendEth(to: string, wei: bigint, opts?: SendOptions): Promise<string>;
  /** approve + Disperse.disperseToken: one transaction whose Transfer logs come from inner transferFrom calls. */
  disperseToken(
    token: TokenRef,
    payments: { to: string; amount: bigint }[],
    opts?: SendOptions,
  ): Promise<{ approveTxHash: string; txHash: string }>;
  /** FakeToken.emitTransfer: a forged Transfer(from, to, amount) log from the fake token, nothing moves. */
  emitFakeTransfer(to: string, amount: bigint, opts?: { from?: string; logFrom?: string }): Promise<string>;
  tokenBalance(token: TokenRef, address: string): Promise<bigint>;
  ethBalance(address: string): Promise<bigint>;
}

export function createControls(rpc: Rpc): Controls {
  const token = tokenInterface();
  const impersonated = new Set<string>();

  async function sender(from: string | undefined): Promise<string> {
    const address = from === undefined ? FAUCET.address : from.length === 66 ? computeAddress(from) : from;
    const key = address.toLowerCase();
    if (!GENESIS.has(key) && !impersonated.has(key)) {
      await rpc('hardhat_impersonateAccount', [address]);
      impersonated.add(key);
    }
    return address;
  }

  async function send(from: string | undefined, to: string, data: string, gas: number, value = 0n) {
    const tx = { from: await sender(from), to, data, gas: toQuantity(gas), value: toQuantity(value) };
    return (await rpc('eth_sendTransaction', [tx])) as string;
  }

  const addressOf = (t: TokenRef) => (typeof t === 'string' ? t : t.address);

  return {
    sendToken: (t, to, amount, opts = {}) =>
      send(
        opts.revert ? NO_TOKENS.address : opts.from,
        addressOf(t),
        token.encodeFunctionData('transfer', [to, amount]),
        TOKEN_GAS,
      ),
    sendEth: (to, wei, opts = {}) => send(opts.from, to, '0x', 21_000, wei),
    disperseToken: async (t, payments, opts = {}) => {
      const total = payments.reduce((s, p) => s + p.amount, 0n);
      const approveTxHash = await send(
        opts.from,
        addressOf(t),
        token.encodeFunctionData('approve', [DISPERSE_ADDRESS, total]),
        TOKEN_GAS,
      );
      const data = disperseInterface().encodeFunctionData('disperseToken', [
        addressOf(t),
        payments.map((p) => p.to),
        payments.map((p) => p.amount),
      ]);
      const txHash = await send(opts.from, DISPERSE_ADDRESS, data, 80_000 + 40_000 * payments.length);
      return { approveTxHash, txHash };
    },
    emitFakeTransfer: (to, amount, opts = {}) =>
      send(
        opts.from,
        FAKE_TOKEN_ADDRESS,
        token.encodeFunctionData('emitTransfer', [opts.logFrom ?? FAUCET.address, to, amount]),
        TOKEN_GAS,
      ),
    tokenBalance: async (t, address) => {
      const data = token.encodeFunctionData('balanceOf', [address]);
      return BigInt((await rpc('eth_call', [{ to: addressOf(t), data }, 'latest'])) as string);
    },
    ethBalance: async (address) => BigInt((await rpc('eth_getBalance', [address, 'latest'])) as string),
  };
}
