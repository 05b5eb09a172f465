import { TronWeb } from 'tronweb';

/** TRON's base58 form of 0x41000…0: like EVM's zero address, nobody holds its key. */
const TRON_ZERO_ADDRESS = 'T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb';

/** The base58check address of the account whose 20 bytes are `evmHex`. */
export function tronAddressFromEvm(evmHex: string): string {
  return TronWeb.address.fromHex(`41${evmHex.slice(2)}`);
}

/** A payout address: base58check, never the zero address. */
export function parseTronPayoutAddress(
  value: string,
): { ok: true; address: string } | { ok: false; why: string } {
  if (!/^T[1-9A-HJ-NP-Za-km-z]{33}$/.test(value) || !TronWeb.isAddress(value))
    return { ok: false, why: 'is not a valid TRON address' };
  if (value === TRON_ZERO_ADDRESS)
    return { ok: false, why: 'is the zero address: tokens sent there are burnt' };
  return { ok: true, address: value };
}
