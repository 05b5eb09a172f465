import { acct, BANDWIDTH, ENERGY, type ResourceCode, TRX_PRECISION } from './account.js';
import { BLOCK_INTERVAL_MS, PARAMS, USAGE_PRECISION, WINDOW_PRECISION, WINDOW_SLOTS } from './params.js';
import type { StateReader, StateWriter } from './state.js';

/**
 * java-tron's resource accounting (ResourceProcessor, BandwidthProcessor, EnergyProcessor with Stake 2.0 and
 * CancelAllUnfreezeV2 on): an account's usage of a resource decays linearly to zero over a 24 h window of
 * 3 s slots, a limit is its stake's share of the network total (`stake / TotalWeight × TotalLimit`), and
 * usage added while older usage is still recovering stretches the window by their weighted remaining time.
 * Integer steps follow java-tron's longs (bigint here) and its doubles (number here), so figures match.
 */

/** The head block's time and the genesis time: slots count from genesis, as getHeadSlot() does. */
export interface Clock {
  headMs: number;
  genesisMs: number;
  /** How long an unfreezing takes (default getUnfreezeDelayDays, 14 days). */
  unfreezeDelayMs?: number;
}

export const headSlot = (c: Clock): bigint =>
  BigInt(Math.floor((c.headMs - c.genesisMs) / BLOCK_INTERVAL_MS));

const divideCeil = (a: bigint, b: bigint) => a / b + (a % b > 0n ? 1n : 0n);
const maxB = (a: bigint, b: bigint) => (a > b ? a : b);
const minB = (a: bigint, b: bigint) => (a < b ? a : b);

/** An average usage recorded at `lastTime`, decayed linearly to `now` over `window` slots (a double, as in Java). */
function decayed(average: bigint, lastTime: bigint, now: bigint, window: bigint): bigint {
  if (lastTime === now) return average;
  if (lastTime + window <= now) return 0n;
  const decay = Number(window - (now - lastTime)) / Number(window);
  return BigInt(Math.round(Number(average) * decay));
}

/** The usage left at `now` of `lastUsage` recorded at `lastTime`, plus `usage` (ResourceProcessor.increase). */
export function increase(
  lastUsage: bigint,
  usage: bigint,
  lastTime: bigint,
  now: bigint,
  window = WINDOW_SLOTS,
) {
  const averageLast = decayed(divideCeil(lastUsage * USAGE_PRECISION, window), lastTime, now, window);
  const average = divideCeil(usage * USAGE_PRECISION, window);
  return ((averageLast + average) * window) / USAGE_PRECISION;
}

export function windowSizeV2(s: StateReader, a: string, r: ResourceCode): bigint {
  const v = acct.windowV2(s, a, r);
  return v === 0n ? WINDOW_SLOTS * WINDOW_PRECISION : v;
}

export function windowSize(s: StateReader, a: string, r: ResourceCode): bigint {
  const v = acct.windowV2(s, a, r);
  return v < WINDOW_PRECISION ? WINDOW_SLOTS : v / WINDOW_PRECISION;
}

/** The account's usage of a staked resource recovered to `now` (read only). */
export function recovered(s: StateReader, a: string, r: ResourceCode, now: bigint): bigint {
  return increase(acct.usage(s, a, r), 0n, acct.consumeTime(s, a, r), now, windowSize(s, a, r));
}

/** ResourceProcessor.increaseV2: adds `usage` at `now`, stores the merged window; returns the new usage. */
export function increaseV2(s: StateWriter, a: string, r: ResourceCode, usage: bigint, now: bigint): bigint {
  const lastUsage = acct.usage(s, a, r);
  const lastTime = acct.consumeTime(s, a, r);
  const oldWindow = windowSize(s, a, r);
  const oldWindowV2 = windowSizeV2(s, a, r);
  const averageLast = decayed(divideCeil(lastUsage * USAGE_PRECISION, oldWindow), lastTime, now, oldWindow);
  const average = divideCeil(usage * USAGE_PRECISION, WINDOW_SLOTS);
  const newUsage = (averageLast * oldWindow + average * WINDOW_SLOTS) / USAGE_PRECISION;
  const remain = (averageLast * oldWindow) / USAGE_PRECISION;
  if (remain === 0n || newUsage === 0n) {
    acct.setWindowV2(s, a, r, WINDOW_SLOTS * WINDOW_PRECISION);
    return newUsage;
  }
  const remainWindow = oldWindowV2 - (now - lastTime) * WINDOW_PRECISION;
  const merged = divideCeil(remain * remainWindow + usage * WINDOW_SLOTS * WINDOW_PRECISION, newUsage);
  acct.setWindowV2(s, a, r, minB(merged, WINDOW_SLOTS * WINDOW_PRECISION));
  return newUsage;
}

/** Stores `usage` more of a staked resource at `now` (EnergyProcessor.useEnergy / useAccountNet). */
export function consume(
  s: StateWriter,
  a: string,
  r: ResourceCode,
  usage: bigint,
  now: bigint,
  timeMs: number,
) {
  acct.setUsage(s, a, r, increaseV2(s, a, r, usage, now));
  acct.setConsumeTime(s, a, r, now);
  acct.touch(s, a, timeMs);
}

/** Brings the stored usage up to `now` without adding any (the processors' updateUsage). */
export function updateUsage(s: StateWriter, a: string, r: ResourceCode, now: bigint): void {
  acct.setUsage(s, a, r, increaseV2(s, a, r, 0n, now));
  acct.setConsumeTime(s, a, r, now);
}

function totalWeight(s: StateReader, r: ResourceCode): bigint {
  return acct.totalWeight(s, r);
}

/** calculateGlobalNetLimitV2 / calculateGlobalEnergyLimitV2: the stake's share of the network's limit. */
export function resourceLimit(s: StateReader, a: string, r: ResourceCode): bigint {
  const weight = totalWeight(s, r);
  if (weight === 0n) return 0n;
  const total = r === ENERGY ? PARAMS.totalEnergyCurrentLimit : PARAMS.totalNetLimit;
  const stake = Number(acct.allFrozen(s, a, r)) / Number(TRX_PRECISION);
  return BigInt(Math.trunc(stake * (total / Number(weight))));
}

/** Energy the account can still use from its stake (EnergyProcessor.getAccountLeftEnergyFromFreeze). */
export function leftEnergy(s: StateReader, a: string, now: bigint): bigint {
  return maxB(resourceLimit(s, a, ENERGY) - recovered(s, a, ENERGY, now), 0n);
}

/**
 * The stake a resource's usage occupies, in sun (DelegateResourceActuator / getcandelegatedmaxsize): usage ×
 * TotalWeight / TotalLimit, less what others delegated to the account (FreezeV2Util.getV2*Usage).
 */
export function stakeInUse(s: StateReader, a: string, r: ResourceCode, usage: bigint): bigint {
  const total = r === ENERGY ? PARAMS.totalEnergyCurrentLimit : PARAMS.totalNetLimit;
  const ratio = Number(totalWeight(s, r)) / total;
  const inSun = BigInt(Math.trunc(Number(usage) * Number(TRX_PRECISION) * ratio));
  return maxB(0n, inSun - acct.acquired(s, a, r));
}

/** Free bandwidth left to the account at `now` (600 bytes a day). */
export function freeNetLeft(s: StateReader, a: string, now: bigint): bigint {
  const used = increase(acct.freeUsage(s, a), 0n, acct.freeTime(s, a), now);
  return maxB(BigInt(PARAMS.freeNetLimit) - used, 0n);
}

/** Charges `bytes` of free bandwidth at `now` (BandwidthProcessor.useFreeNet). */
export function useFreeNet(s: StateWriter, a: string, bytes: bigint, now: bigint, timeMs: number): void {
  const used = increase(acct.freeUsage(s, a), 0n, acct.freeTime(s, a), now);
  acct.setFree(s, a, increase(used, bytes, now, now), now);
  acct.touch(s, a, timeMs);
}

/** Staked bandwidth left to the account at `now`. */
export function netLeft(s: StateReader, a: string, now: bigint): bigint {
  return maxB(resourceLimit(s, a, BANDWIDTH) - recovered(s, a, BANDWIDTH, now), 0n);
}

export { maxB, minB };
