import { acct, BANDWIDTH } from './account.js';
import { hexToBase58 } from './keys.js';
import { PARAMS } from './params.js';
import { type Clock, consume, freeNetLeft, headSlot, netLeft, useFreeNet } from './resources.js';
import type { StateWriter } from './state.js';
import { type TxJson, transactionSize } from './tx.js';

/**
 * What a transaction pays before its contract runs, in java-tron's order (Manager.processTransaction):
 * bandwidth (BandwidthProcessor.consume: staked bandwidth, else the 600 free bytes a day, else 1 000 sun a
 * byte; a transfer that creates an account uses staked bandwidth or 0.1 TRX, never the free bytes), then
 * 1 TRX when it carries more than one signature, then 1 TRX when it carries a memo (raw_data.data).
 */

/** A transaction java-tron would not accept: the broadcast answer's code and message. */
export class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface NetBill {
  net_usage?: number;
  net_fee?: number;
}

const RESOURCE_INSUFFICIENT = () => new Refusal('BANDWITH_ERROR', 'Account resource insufficient error.');

function burn(s: StateWriter, owner: string, fee: bigint, timeMs: number): boolean {
  if (acct.balance(s, owner) < fee) return false;
  acct.addBalance(s, owner, -fee);
  acct.touch(s, owner, timeMs);
  return true;
}

export function createsAccount(s: StateWriter, tx: TxJson): boolean {
  const c = tx.raw_data.contract[0];
  return c?.type === 'TransferContract' && !acct.exists(s, String(c.parameter.value.to_address ?? ''));
}

export function chargeBandwidth(s: StateWriter, tx: TxJson, owner: string, clock: Clock): NetBill {
  if (!acct.exists(s, owner)) {
    throw new Refusal(
      'CONTRACT_VALIDATE_ERROR',
      `Contract validate error : account [${hexToBase58(owner)}] does not exist`,
    );
  }
  const bytes = BigInt(transactionSize(tx));
  const now = headSlot(clock);
  const staked = netLeft(s, owner, now) >= bytes;
  if (createsAccount(s, tx)) {
    if (staked) {
      consume(s, owner, BANDWIDTH, bytes, now, clock.headMs);
      return { net_usage: Number(bytes) };
    }
    if (!burn(s, owner, BigInt(PARAMS.createAccountFee), clock.headMs)) throw RESOURCE_INSUFFICIENT();
    return { net_fee: PARAMS.createAccountFee };
  }
  if (staked) {
    consume(s, owner, BANDWIDTH, bytes, now, clock.headMs);
    return { net_usage: Number(bytes) };
  }
  if (freeNetLeft(s, owner, now) >= bytes) {
    useFreeNet(s, owner, bytes, now, clock.headMs);
    return { net_usage: Number(bytes) };
  }
  const fee = bytes * BigInt(PARAMS.transactionFee);
  if (!burn(s, owner, fee, clock.headMs)) throw RESOURCE_INSUFFICIENT();
  return { net_fee: Number(fee) };
}

/** The multi-signature and memo fees (sun), burnt from the owner. */
export function chargeExtras(s: StateWriter, tx: TxJson, owner: string, clock: Clock): number {
  let fees = 0;
  if ((tx.signature?.length ?? 0) > 1) {
    if (!burn(s, owner, BigInt(PARAMS.multiSignFee), clock.headMs)) throw RESOURCE_INSUFFICIENT();
    fees += PARAMS.multiSignFee;
  }
  if (tx.raw_data.data) {
    if (!burn(s, owner, BigInt(PARAMS.memoFee), clock.headMs)) throw RESOURCE_INSUFFICIENT();
    fees += PARAMS.memoFee;
  }
  return fees;
}
