import {
  acct,
  BANDWIDTH,
  ENERGY,
  RESOURCE_NAMES,
  type ResourceCode,
  resourceCode,
  TRON_POWER,
  TRX_PRECISION,
  type UnfreezeV2,
} from './account.js';
import { FROZEN_PERIOD_MS, PARAMS, UNFREEZE_MAX_TIMES } from './params.js';
import type { Clock } from './resources.js';
import type { StateReader, StateWriter } from './state.js';

/**
 * Stake 2.0 actuators as java-tron runs them (FreezeBalanceV2Actuator, UnfreezeBalanceV2Actuator,
 * WithdrawExpireUnfreezeActuator, CancelAllUnfreezeV2Actuator): validate() gives the text java-tron puts
 * after "Contract validate error : ", execute() changes the state and returns what the transaction info
 * prints (withdraw_expire_amount, cancel_unfreezeV2_amount). Times are the head block's (ms).
 */

export type Value = Record<string, unknown>;

export interface StakeOutcome {
  withdraw_expire_amount?: number;
  cancel_unfreezeV2_amount?: { key: string; value: number }[];
}

export interface Actuator {
  validate(s: StateReader, v: Value, owner: string, clock: Clock): string | undefined;
  execute(s: StateWriter, v: Value, owner: string, clock: Clock): StakeOutcome;
}

export const big = (v: unknown): bigint => {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n;
};

export const notExists = (a: string) => `Account[${a}] not exists`;

/** Moves stake between frozenV2 and the network's total weight, in whole TRX as java-tron does. */
export function addStake(s: StateWriter, a: string, r: ResourceCode, delta: bigint): void {
  const before = acct.frozenWithDelegated(s, a, r) / TRX_PRECISION;
  acct.addFrozen(s, a, r, delta);
  acct.addTotalWeight(s, r, acct.frozenWithDelegated(s, a, r) / TRX_PRECISION - before);
}

/** Credits the unfreezings that expired by `nowMs` and keeps the others; returns the amount. */
function withdrawExpired(s: StateWriter, a: string, nowMs: number): bigint {
  const list = acct.unfrozen(s, a);
  const expired = list.filter((u) => u.expire <= nowMs).reduce((sum, u) => sum + BigInt(u.amount), 0n);
  if (expired > 0n) {
    acct.addBalance(s, a, expired);
    acct.setUnfrozen(
      s,
      a,
      list.filter((u) => u.expire > nowMs),
    );
  }
  return expired;
}

const freezeV2: Actuator = {
  validate(s, v, owner) {
    if (!acct.exists(s, owner)) return notExists(owner);
    const amount = big(v.frozen_balance);
    if (amount <= 0n) return 'frozenBalance must be positive';
    if (amount < TRX_PRECISION) return 'frozenBalance must be greater than or equal to 1 TRX';
    if (amount > acct.balance(s, owner)) return 'frozenBalance must be less than or equal to accountBalance';
    if (resourceCode(v.resource) === undefined)
      return 'ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY、TRON_POWER]';
    return undefined;
  },
  execute(s, v, owner) {
    const amount = big(v.frozen_balance);
    addStake(s, owner, resourceCode(v.resource) as ResourceCode, amount);
    acct.addBalance(s, owner, -amount);
    return {};
  },
};

const unfreezeV2: Actuator = {
  validate(s, v, owner, clock) {
    if (!acct.exists(s, owner)) return `Account[${owner}] does not exist`;
    const r = resourceCode(v.resource);
    if (r === undefined) return 'ResourceCode error.valid ResourceCode[BANDWIDTH、Energy、TRON_POWER]';
    const frozen = acct.frozen(s, owner, r);
    if (frozen <= 0n) return `no frozenBalance(${['BANDWIDTH', 'Energy', 'TronPower'][r]})`;
    const amount = big(v.unfreeze_balance);
    if (amount <= 0n || amount > frozen) return `Invalid unfreeze_balance, [${amount}] is error`;
    const unfreezing = acct.unfrozen(s, owner).filter((u) => u.expire > clock.headMs).length;
    if (unfreezing >= UNFREEZE_MAX_TIMES) return 'Invalid unfreeze operation, unfreezing times is over limit';
    return undefined;
  },
  execute(s, v, owner, clock) {
    const withdrawn = withdrawExpired(s, owner, clock.headMs);
    const r = resourceCode(v.resource) as ResourceCode;
    const amount = big(v.unfreeze_balance);
    const entry: UnfreezeV2 = {
      type: r,
      amount: Number(amount),
      expire: clock.headMs + (clock.unfreezeDelayMs ?? PARAMS.unfreezeDelayDays * FROZEN_PERIOD_MS),
    };
    acct.setUnfrozen(s, owner, [...acct.unfrozen(s, owner), entry]);
    addStake(s, owner, r, -amount);
    return withdrawn > 0n ? { withdraw_expire_amount: Number(withdrawn) } : {};
  },
};

const withdrawExpireUnfreeze: Actuator = {
  validate(s, _v, owner, clock) {
    if (!acct.exists(s, owner)) return notExists(owner);
    const expired = acct.unfrozen(s, owner).filter((u) => u.expire <= clock.headMs);
    if (expired.reduce((sum, u) => sum + u.amount, 0) <= 0) return 'no unFreeze balance to withdraw ';
    return undefined;
  },
  execute(s, _v, owner, clock) {
    return { withdraw_expire_amount: Number(withdrawExpired(s, owner, clock.headMs)) };
  },
};

const cancelAllUnfreezeV2: Actuator = {
  validate(s, _v, owner) {
    if (!acct.exists(s, owner)) return notExists(owner);
    if (acct.unfrozen(s, owner).length === 0) return 'No unfreezeV2 list to cancel';
    return undefined;
  },
  execute(s, _v, owner, clock) {
    const cancelled = [0n, 0n, 0n];
    let withdrawn = 0n;
    for (const u of acct.unfrozen(s, owner)) {
      if (u.expire > clock.headMs) {
        addStake(s, owner, u.type, BigInt(u.amount));
        cancelled[u.type] = (cancelled[u.type] ?? 0n) + BigInt(u.amount);
      } else withdrawn += BigInt(u.amount);
    }
    acct.setUnfrozen(s, owner, []);
    if (withdrawn > 0n) acct.addBalance(s, owner, withdrawn);
    // java-tron prints the map of a protobuf message as [{key, value}], zero values without `value`
    const amounts = [BANDWIDTH, ENERGY, TRON_POWER].map((r) => ({
      key: RESOURCE_NAMES[r],
      value: Number(cancelled[r]),
    }));
    return {
      ...(withdrawn > 0n ? { withdraw_expire_amount: Number(withdrawn) } : {}),
      cancel_unfreezeV2_amount: amounts,
    };
  },
};

export const STAKE_ACTUATORS: Record<string, Actuator> = {
  FreezeBalanceV2Contract: freezeV2,
  UnfreezeBalanceV2Contract: unfreezeV2,
  WithdrawExpireUnfreezeContract: withdrawExpireUnfreeze,
  CancelAllUnfreezeV2Contract: cancelAllUnfreezeV2,
};
