import type { StateReader, StateWriter } from './state.js';

/**
 * An account's fields in the state map, named after java-tron's AccountCapsule. Keys (41-hex address `a`,
 * resource code `r`: 0 BANDWIDTH, 1 ENERGY, 2 TRON_POWER):
 *
 *   trx:a  balance (sun; the account exists when set)      ctime:a  create time (ms)
 *   fz:a:r  frozenV2 amount (own stake not delegated)        dlo:a:r  delegated_frozenV2_balance_for_* (out)
 *   acq:a:r acquired_delegated_frozenV2_balance_for_* (in)  unf:a  unfrozenV2 list (JSON text)
 *   use:a:r usage of staked net (0) / energy (1)            lct:a:r  its latest consume time (slot)
 *   win:a:r its window size ×1000 (java-tron's WindowSizeV2) fnu:a / fnt:a  free net usage / its time (slot)
 *   lop:a   latest operation time (ms)                      perm:a  permissions (JSON text, absent = default)
 *   dp:w:r  the network's total stake weight of a resource (TotalNetWeight, TotalEnergyWeight, ...)
 */

export type ResourceCode = 0 | 1 | 2;
export const BANDWIDTH: ResourceCode = 0;
export const ENERGY: ResourceCode = 1;
export const TRON_POWER: ResourceCode = 2;
export const RESOURCE_NAMES = ['BANDWIDTH', 'ENERGY', 'TRON_POWER'] as const;

export const TRX_PRECISION = 1_000_000n;

/** A protobuf enum field as it arrives in JSON: absent = BANDWIDTH, a name, or a number. */
export function resourceCode(v: unknown): ResourceCode | undefined {
  if (v === undefined || v === null || v === '' || v === 0 || v === 'BANDWIDTH') return BANDWIDTH;
  if (v === 1 || v === 'ENERGY') return ENERGY;
  if (v === 2 || v === 'TRON_POWER') return TRON_POWER;
  return undefined;
}

export interface UnfreezeV2 {
  type: ResourceCode;
  amount: number;
  expire: number;
}

const n = (s: StateReader, key: string) => s.get(key) ?? 0n;
const add = (s: StateWriter, key: string, delta: bigint) => s.set(key, n(s, key) + delta);

export const acct = {
  exists: (s: StateReader, a: string) => s.get(`trx:${a}`) !== undefined,
  balance: (s: StateReader, a: string) => n(s, `trx:${a}`),
  addBalance: (s: StateWriter, a: string, delta: bigint) => add(s, `trx:${a}`, delta),
  frozen: (s: StateReader, a: string, r: ResourceCode) => n(s, `fz:${a}:${r}`),
  addFrozen: (s: StateWriter, a: string, r: ResourceCode, d: bigint) => add(s, `fz:${a}:${r}`, d),
  delegatedOut: (s: StateReader, a: string, r: ResourceCode) => n(s, `dlo:${a}:${r}`),
  addDelegatedOut: (s: StateWriter, a: string, r: ResourceCode, d: bigint) => add(s, `dlo:${a}:${r}`, d),
  acquired: (s: StateReader, a: string, r: ResourceCode) => n(s, `acq:${a}:${r}`),
  addAcquired: (s: StateWriter, a: string, r: ResourceCode, d: bigint) => add(s, `acq:${a}:${r}`, d),
  setAcquired: (s: StateWriter, a: string, r: ResourceCode, v: bigint) => s.set(`acq:${a}:${r}`, v),
  /** Own stake plus what others delegated to the account: what its resource limit is computed from. */
  allFrozen: (s: StateReader, a: string, r: ResourceCode) => n(s, `fz:${a}:${r}`) + n(s, `acq:${a}:${r}`),
  /** Own stake including what it delegated away: its weight in TotalNetWeight/TotalEnergyWeight. */
  frozenWithDelegated: (s: StateReader, a: string, r: ResourceCode) =>
    n(s, `fz:${a}:${r}`) + n(s, `dlo:${a}:${r}`),
  unfrozen: (s: StateReader, a: string): UnfreezeV2[] => JSON.parse(s.text(`unf:${a}`) ?? '[]'),
  setUnfrozen: (s: StateWriter, a: string, list: UnfreezeV2[]) => s.setText(`unf:${a}`, JSON.stringify(list)),
  usage: (s: StateReader, a: string, r: ResourceCode) => n(s, `use:${a}:${r}`),
  setUsage: (s: StateWriter, a: string, r: ResourceCode, v: bigint) => s.set(`use:${a}:${r}`, v),
  consumeTime: (s: StateReader, a: string, r: ResourceCode) => n(s, `lct:${a}:${r}`),
  setConsumeTime: (s: StateWriter, a: string, r: ResourceCode, slot: bigint) => s.set(`lct:${a}:${r}`, slot),
  /** WindowSizeV2 (×1000); 0 or absent means the full window, as in AccountCapsule.getWindowSizeV2. */
  windowV2: (s: StateReader, a: string, r: ResourceCode) => n(s, `win:${a}:${r}`),
  setWindowV2: (s: StateWriter, a: string, r: ResourceCode, v: bigint) => s.set(`win:${a}:${r}`, v),
  freeUsage: (s: StateReader, a: string) => n(s, `fnu:${a}`),
  freeTime: (s: StateReader, a: string) => n(s, `fnt:${a}`),
  setFree: (s: StateWriter, a: string, usage: bigint, slot: bigint) => {
    s.set(`fnu:${a}`, usage);
    s.set(`fnt:${a}`, slot);
  },
  touch: (s: StateWriter, a: string, timeMs: number) => s.set(`lop:${a}`, BigInt(timeMs)),
  totalWeight: (s: StateReader, r: ResourceCode) => n(s, `dp:w:${r}`),
  addTotalWeight: (s: StateWriter, r: ResourceCode, d: bigint) => add(s, `dp:w:${r}`, d),
};

/** Creates an account as TransferActuator does: balance, create time (the head block's time). */
export function createAccount(s: StateWriter, a: string, sun: bigint, timeMs: number): void {
  s.set(`ctime:${a}`, BigInt(timeMs));
  s.set(`trx:${a}`, sun);
}
