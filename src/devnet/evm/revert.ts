import { AbiCoder, keccak256, Transaction } from 'ethers';
import { ProviderError } from 'hardhat/internal/core/providers/errors.js';
import type { Faults } from './faults.js';

/**
 * The 'revert' fault: a token transfer that the node accepts, mines and that reverts (status 0, no Transfer log,
 * the gas it used burned), as on a real chain when the token refuses the transfer between the moment it was
 * estimated and the moment it runs (a balance that moved, a sender the token froze). The transaction itself is
 * the sender's, signed and unchanged: while it runs, the sender's balance in the token's storage reads zero, so
 * the token's own balance check reverts it; the balance is put back once the block is mined. Automine mines the
 * transaction inside eth_sendRawTransaction, so nothing else ever sees the zero.
 */

/** `balanceOf` is the token's fourth storage slot (name, symbol, totalSupply; decimals and owner are immutable). */
const BALANCE_SLOT = 3;
const ZERO_WORD = `0x${'0'.repeat(64)}`;

type Call = (method: string, params?: unknown[]) => Promise<unknown>;

/** The raw transaction, when a 'revert' fault takes it: sent to one of `tokens` by a sender with a fault. */
export function revertTarget(faults: Faults, raw: unknown, tokens: Set<string>): Transaction | null {
  if (!faults.hasRevert() || typeof raw !== 'string') return null;
  let tx: Transaction;
  try {
    tx = Transaction.from(raw);
  } catch {
    return null; // not a transaction: Hardhat answers it
  }
  if (!tx.from || !tx.to || !tokens.has(tx.to.toLowerCase())) return null;
  return faults.takeRevert(tx.from) ? tx : null;
}

/** Sends `raw` so that it reverts when it runs (see above); answers eth_sendRawTransaction's result. */
export async function sendReverting(call: Call, raw: string, tx: Transaction): Promise<unknown> {
  if (!(await call('hardhat_getAutomine')))
    throw new ProviderError(
      'devnet: the revert fault needs automine (the transaction would run later)',
      -32603,
    );
  const token = tx.to!;
  const slot = keccak256(AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], [tx.from, BALANCE_SLOT]));
  const saved = (await call('eth_getStorageAt', [token, slot, 'latest'])) as string;
  await call('hardhat_setStorageAt', [token, slot, ZERO_WORD]);
  try {
    return await call('eth_sendRawTransaction', [raw]);
  } finally {
    await call('hardhat_setStorageAt', [token, slot, saved]);
  }
}
