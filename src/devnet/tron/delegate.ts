import { acct, BANDWIDTH, ENERGY, type ResourceCode, resourceCode, TRX_PRECISION } from './account.js';
import { isContract } from './contracts.js';
import { BLOCK_INTERVAL_MS, DELEGATE_PERIOD_BLOCKS, PARAMS } from './params.js';
import { headSlot, increaseV2, recovered, stakeInUse, updateUsage } from './resources.js';
import { type Actuator, big, notExists } from './stake.js';
import type { StateReader, StateWriter } from './state.js';

/**
 * DelegateResourceContract and UnDelegateResourceContract as java-tron runs them. A delegation is kept per
 * (from, to, locked?) like DelegatedResourceCapsule.createDbKeyV2: `dr:<from>:<to>:<lock>:<r>` holds the
 * amount and `drx:…` the lock's expiry (ms); `dix:<addr>` the account's index (JSON {from, to}), as
 * getdelegatedresourceaccountindexv2 prints it. Locked delegations cannot be taken back before expiry.
 */

const drKey = (from: string, to: string, lock: boolean, r: ResourceCode) =>
  `${from}:${to}:${lock ? 1 : 0}:${r}`;

export interface Delegation {
  amount: bigint;
  expireMs: number;
}

export function delegation(
  s: StateReader,
  from: string,
  to: string,
  lock: boolean,
  r: ResourceCode,
): Delegation {
  const k = drKey(from, to, lock, r);
  return { amount: s.get(`dr:${k}`) ?? 0n, expireMs: Number(s.get(`drx:${k}`) ?? 0n) };
}

function setDelegation(
  s: StateWriter,
  from: string,
  to: string,
  lock: boolean,
  r: ResourceCode,
  d: Delegation,
) {
  const k = drKey(from, to, lock, r);
  s.set(`dr:${k}`, d.amount);
  s.set(`drx:${k}`, BigInt(d.expireMs));
}

export interface DelegationIndex {
  from: string[];
  to: string[];
}

export function delegationIndex(s: StateReader, a: string): DelegationIndex | undefined {
  const t = s.text(`dix:${a}`);
  return t ? (JSON.parse(t) as DelegationIndex) : undefined;
}

function updateIndex(s: StateWriter, a: string, change: (i: DelegationIndex) => DelegationIndex): void {
  s.setText(`dix:${a}`, JSON.stringify(change(delegationIndex(s, a) ?? { from: [], to: [] })));
}

const without = (list: string[], a: string) => list.filter((x) => x !== a);

/** delegatedResourceStore.unLockExpireResource: a lock that expired by `nowMs` joins the unlocked record. */
function unlockExpired(s: StateWriter, from: string, to: string, nowMs: number): void {
  for (const r of [BANDWIDTH, ENERGY]) {
    const locked = delegation(s, from, to, true, r);
    if (locked.amount > 0n && locked.expireMs < nowMs) {
      const open = delegation(s, from, to, false, r);
      setDelegation(s, from, to, false, r, { amount: open.amount + locked.amount, expireMs: 0 });
      setDelegation(s, from, to, true, r, { amount: 0n, expireMs: 0 });
    }
  }
}

/** The stake an owner can delegate of a resource: frozenV2 less the stake its own usage occupies. */
export function canDelegate(s: StateReader, a: string, r: ResourceCode, now: bigint): bigint {
  const usage = recovered(s, a, r, now);
  const left = acct.frozen(s, a, r) - stakeInUse(s, a, r, usage);
  return left > 0n ? left : 0n;
}

function lockPeriod(v: Record<string, unknown>): bigint {
  const p = big(v.lock_period);
  return p === 0n ? BigInt(DELEGATE_PERIOD_BLOCKS) : p;
}

const RESOURCE_ERROR = 'ResourceCode error, valid ResourceCode[BANDWIDTH、ENERGY]';

export const delegateResource: Actuator = {
  validate(s, v, owner, clock) {
    if (!acct.exists(s, owner)) return notExists(owner);
    const amount = big(v.balance);
    if (amount < TRX_PRECISION) return 'delegateBalance must be greater than or equal to 1 TRX';
    const r = resourceCode(v.resource);
    if (r !== BANDWIDTH && r !== ENERGY) return RESOURCE_ERROR;
    if (canDelegate(s, owner, r, headSlot(clock)) < amount) {
      const name = r === ENERGY ? 'FreezeEnergyV2' : 'FreezeBandwidthV2';
      return `delegateBalance must be less than or equal to available ${name} balance`;
    }
    const receiver = String(v.receiver_address ?? '');
    if (receiver === owner) return 'receiverAddress must not be the same as ownerAddress';
    if (!acct.exists(s, receiver)) return notExists(receiver);
    if (v.lock === true) {
      const period = lockPeriod(v);
      if (period < 0n || period > BigInt(PARAMS.maxDelegateLockPeriod)) {
        return `The lock period of delegate resource cannot be less than 0 and cannot exceed ${PARAMS.maxDelegateLockPeriod}!`;
      }
      const remain = delegation(s, owner, receiver, true, r).expireMs - clock.headMs;
      if (Number(period) * BLOCK_INTERVAL_MS < remain) {
        const name = r === ENERGY ? 'ENERGY' : 'BANDWIDTH';
        return `The lock period for ${name} this time cannot be less than the remaining time[${remain}ms] of the last lock period for ${name}!`;
      }
    }
    if (isContract(receiver)) return 'Do not allow delegate resources to contract addresses';
    return undefined;
  },
  execute(s, v, owner, clock) {
    const r = resourceCode(v.resource) as ResourceCode;
    const amount = big(v.balance);
    const receiver = String(v.receiver_address);
    const lock = v.lock === true;
    unlockExpired(s, owner, receiver, clock.headMs);
    const current = delegation(s, owner, receiver, lock, r);
    const expireMs = lock ? clock.headMs + Number(lockPeriod(v)) * BLOCK_INTERVAL_MS : current.expireMs;
    setDelegation(s, owner, receiver, lock, r, { amount: current.amount + amount, expireMs });
    updateIndex(s, owner, (i) => ({ from: i.from, to: [...without(i.to, receiver), receiver] }));
    updateIndex(s, receiver, (i) => ({ from: [...without(i.from, owner), owner], to: i.to }));
    acct.addAcquired(s, receiver, r, amount);
    acct.addDelegatedOut(s, owner, r, amount);
    acct.addFrozen(s, owner, r, -amount);
    return {};
  },
};

export const unDelegateResource: Actuator = {
  validate(s, v, owner, clock) {
    if (!acct.exists(s, owner)) return `Account[${owner}] does not exist`;
    const receiver = String(v.receiver_address ?? '');
    if (receiver === owner) return 'receiverAddress must not be the same as ownerAddress';
    const r = resourceCode(v.resource);
    const open = (res: ResourceCode) => delegation(s, owner, receiver, false, res);
    const locked = (res: ResourceCode) => delegation(s, owner, receiver, true, res);
    const none = [BANDWIDTH, ENERGY].every((x) => open(x).amount === 0n && locked(x).amount === 0n);
    if (none) return 'delegated Resource does not exist';
    const amount = big(v.balance);
    if (amount <= 0n) return 'unDelegateBalance must be more than 0 TRX';
    if (r !== BANDWIDTH && r !== ENERGY) return 'ResourceCode error.valid ResourceCode[BANDWIDTH、Energy]';
    const unlocked = open(r).amount + (locked(r).expireMs < clock.headMs ? locked(r).amount : 0n);
    if (unlocked < amount) {
      return r === ENERGY
        ? `insufficient delegateFrozenBalance(Energy), request=${amount}, unlock_balance=${unlocked}`
        : `insufficient delegatedFrozenBalance(BANDWIDTH), request=${amount}, unlock_balance=${unlocked}`;
    }
    return undefined;
  },
  execute(s, v, owner, clock) {
    const r = resourceCode(v.resource) as ResourceCode;
    const amount = big(v.balance);
    const receiver = String(v.receiver_address);
    const now = headSlot(clock);
    const moved = takeBackUsage(s, receiver, r, amount, now);
    unlockExpired(s, owner, receiver, clock.headMs);
    const open = delegation(s, owner, receiver, false, r);
    setDelegation(s, owner, receiver, false, r, { amount: open.amount - amount, expireMs: 0 });
    acct.addDelegatedOut(s, owner, r, -amount);
    acct.addFrozen(s, owner, r, amount);
    if (moved > 0n) {
      // the owner takes over the usage that came with the stake (ResourceProcessor.unDelegateIncreaseV2)
      acct.setUsage(s, owner, r, increaseV2(s, owner, r, moved, now));
      acct.setConsumeTime(s, owner, r, now);
    }
    const left = [BANDWIDTH, ENERGY].some(
      (x) =>
        delegation(s, owner, receiver, false, x).amount > 0n ||
        delegation(s, owner, receiver, true, x).amount > 0n,
    );
    if (!left) {
      updateIndex(s, owner, (i) => ({ from: i.from, to: without(i.to, receiver) }));
      updateIndex(s, receiver, (i) => ({ from: without(i.from, owner), to: i.to }));
    }
    return {};
  },
};

/** The receiver's usage share that leaves with `amount` of delegated stake; lowers its acquired stake. */
function takeBackUsage(
  s: StateWriter,
  receiver: string,
  r: ResourceCode,
  amount: bigint,
  now: bigint,
): bigint {
  if (!acct.exists(s, receiver)) return 0n;
  updateUsage(s, receiver, r, now);
  const acquired = acct.acquired(s, receiver, r);
  if (acquired < amount) {
    acct.setAcquired(s, receiver, r, 0n);
    return 0n;
  }
  const total = r === ENERGY ? PARAMS.totalEnergyCurrentLimit : PARAMS.totalNetLimit;
  const maxUsage = BigInt(
    Math.trunc((Number(amount) / Number(TRX_PRECISION)) * (total / Number(acct.totalWeight(s, r)))),
  );
  const usage = acct.usage(s, receiver, r);
  const share = BigInt(Math.trunc(Number(usage) * (Number(amount) / Number(acct.allFrozen(s, receiver, r)))));
  const moved = share < maxUsage ? share : maxUsage;
  acct.addAcquired(s, receiver, r, -amount);
  acct.setUsage(s, receiver, r, usage - moved);
  return moved;
}
