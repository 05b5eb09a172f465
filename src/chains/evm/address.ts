import { getAddress, isAddress } from 'ethers';

/** A payout address: hex, with a correct checksum when it is mixed-case, never the zero address. */
export function parseEvmPayoutAddress(
  value: string,
): { ok: true; address: string } | { ok: false; why: string } {
  // ethers also takes 40 hex digits without 0x: refused here (and BigInt below would have thrown on them).
  if (!/^0x[0-9a-fA-F]{40}$/.test(value))
    return { ok: false, why: 'is not a valid EVM address (0x and 40 hex digits)' };
  const mixed = /[a-f]/.test(value.slice(2)) && /[A-F]/.test(value.slice(2));
  if (!isAddress(value) || (mixed && getAddress(value) !== value))
    return { ok: false, why: 'is not a valid EVM address (check its checksum)' };
  if (BigInt(value) === 0n) return { ok: false, why: 'is the zero address: tokens sent there are burnt' };
  return { ok: true, address: getAddress(value) };
}
