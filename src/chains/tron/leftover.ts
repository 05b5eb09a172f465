import type { TronWeb } from 'tronweb';
import type { Leftover } from '../sweep/types.js';

// Leftover TRX on a swept deposit address (TRX a customer sent, what a burn-mode sweep did not burn, an
// activation): sent back to the hot wallet when that pays. A TransferContract uses only bandwidth: free when the
// address's 600 free bytes of the day (or staked bandwidth) cover its size, else its size × getTransactionFee
// burned from the address. It pays when what arrives, the balance less that cost, is at least `min`
// (SWEEP_POLICY leftoverMin). The size is that of the signed transfer of the whole balance, as java-tron counts it
// (the serialized transaction plus 64 bytes); the transfer of the balance less the cost is no longer.

const varintLength = (n: number) => {
  let len = 1;
  for (let v = n; v >= 0x80; v = Math.floor(v / 128)) len++;
  return len;
};

/** Bytes java-tron charges for a transaction of `rawBytes` raw data and one signature. */
export function chargedBytes(rawBytes: number): bigint {
  return BigInt(1 + varintLength(rawBytes) + rawBytes + 2 + 65 + 64);
}

type Post = <T>(path: string, body: Record<string, unknown>) => Promise<T>;

export async function leftoverOf(
  tw: TronWeb,
  post: Post,
  q: { address: string; hot: string; min: bigint; perByte: bigint },
): Promise<Leftover | null> {
  const account = await post<{ balance?: number }>('/wallet/getaccount', {
    address: q.address,
    visible: true,
  });
  const balance = BigInt(account.balance ?? 0);
  if (balance <= 0n || balance < q.min) return null;
  const probe = await tw.transactionBuilder.sendTrx(q.hot, Number(balance), q.address);
  const bytes = chargedBytes(probe.raw_data_hex.length / 2);
  const net = await post<{
    freeNetLimit?: number;
    freeNetUsed?: number;
    NetLimit?: number;
    NetUsed?: number;
  }>('/wallet/getaccountnet', { address: q.address, visible: true });
  const free = BigInt((net.freeNetLimit ?? 0) - (net.freeNetUsed ?? 0));
  const staked = BigInt((net.NetLimit ?? 0) - (net.NetUsed ?? 0));
  const cost = free >= bytes || staked >= bytes ? 0n : bytes * q.perByte;
  const amount = balance - cost;
  if (amount <= 0n || amount < q.min) return null;
  return {
    amount,
    feeParams: { bytes: bytes.toString(), maxCost: cost.toString(), balance: balance.toString() },
  };
}
