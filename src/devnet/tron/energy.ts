import { DYNAMIC_ENERGY_FACTOR_DECIMAL, PARAMS } from './params.js';
import type { Clock } from './resources.js';
import type { StateReader, StateWriter } from './state.js';

/**
 * Dynamic energy (TIP-491) as java-tron keeps it per contract (ContractStateCapsule): `energy_factor` is the
 * extra share every opcode of the contract costs on top of its base energy (34 000 = +340 %, mainnet's
 * maximum), re-evaluated once per maintenance cycle (6 h): it rises 20 % when the contract used more than
 * the threshold (5e9 energy) in the last cycle and decays otherwise. The devnet USDT is "busy" like mainnet's
 * (always above the threshold), so it stays at the maximum; other contracts start at 0. State keys:
 * `cs:<contract>:usage|factor|cycle|busy`.
 *
 * Penalties: java-tron adds `floor(opEnergy × factor / 10 000)` per opcode, so rounding makes a call's
 * penalty a little less than base × factor. A cost with a penalty measured on mainnet at the maximum factor
 * (`penaltyAtMax`) scales that figure; others use base × factor.
 */

export interface ContractState {
  energy_usage: number;
  energy_factor: number;
  update_cycle: number;
}

export interface EnergyCost {
  base: number;
  /** The penalty mainnet charged for this cost at the maximum factor, when it was measured. */
  penaltyAtMax?: number;
}

const key = (c: string, field: string) => `cs:${c}:${field}`;

export function currentCycle(clock: Clock): number {
  return Math.floor((clock.headMs - clock.genesisMs) / PARAMS.maintenanceTimeIntervalMs) + 1;
}

function stored(s: StateReader, c: string): ContractState & { busy: boolean } {
  return {
    energy_usage: Number(s.get(key(c, 'usage')) ?? 0n),
    energy_factor: Number(s.get(key(c, 'factor')) ?? 0n),
    update_cycle: Number(s.get(key(c, 'cycle')) ?? 0n),
    busy: (s.get(key(c, 'busy')) ?? 0n) === 1n,
  };
}

/** ContractStateCapsule.catchUpToCycle: the contract's state as of `cycle` (pure). */
export function caughtUp(s: StateReader, c: string, cycle: number): ContractState {
  const st = stored(s, c);
  const last = st.update_cycle;
  if (last === cycle)
    return { energy_usage: st.energy_usage, energy_factor: st.energy_factor, update_cycle: last };
  if (last > cycle || last === 0) return { energy_usage: 0, energy_factor: 0, update_cycle: cycle };
  const decimal = DYNAMIC_ENERGY_FACTOR_DECIMAL;
  const inc = PARAMS.dynamicEnergyIncreaseFactor;
  const raise = (f: number) =>
    Math.min(PARAMS.dynamicEnergyMaxFactor, Math.trunc((f + decimal) * (1 + inc / decimal)) - decimal);
  if (st.busy) {
    let factor = st.energy_factor;
    for (let i = last; i < cycle && factor < PARAMS.dynamicEnergyMaxFactor; i++) factor = raise(factor);
    return { energy_usage: 0, energy_factor: factor, update_cycle: cycle };
  }
  let factor = st.energy_factor;
  let at = last;
  if (st.energy_usage > PARAMS.dynamicEnergyThreshold) {
    at += 1;
    factor = raise(factor);
  }
  if (cycle - at > 0) {
    const decrease = (1 - inc / 4 / decimal) ** (cycle - at);
    factor = Math.max(0, Math.trunc((factor + decimal) * decrease) - decimal);
  }
  return { energy_usage: 0, energy_factor: factor, update_cycle: cycle };
}

/** The factor a call of the contract pays now. */
export function contractFactor(s: StateReader, c: string, clock: Clock): number {
  return caughtUp(s, c, currentCycle(clock)).energy_factor;
}

/** Stores the caught-up state before a call runs (Program.updateContextContractFactor). */
export function catchUpContract(s: StateWriter, c: string, clock: Clock): void {
  const st = caughtUp(s, c, currentCycle(clock));
  s.set(key(c, 'usage'), BigInt(st.energy_usage));
  s.set(key(c, 'factor'), BigInt(st.energy_factor));
  s.set(key(c, 'cycle'), BigInt(st.update_cycle));
}

export function addContractUsage(s: StateWriter, c: string, energy: number): void {
  s.set(key(c, 'usage'), (s.get(key(c, 'usage')) ?? 0n) + BigInt(energy));
}

/** Sets a contract's state (genesis, and the setEnergyFactor control). */
export function setContractState(
  s: StateWriter,
  c: string,
  factor: number,
  cycle: number,
  busy?: boolean,
): void {
  s.set(key(c, 'factor'), BigInt(factor));
  s.set(key(c, 'cycle'), BigInt(cycle));
  s.set(key(c, 'usage'), 0n);
  if (busy !== undefined) s.set(key(c, 'busy'), busy ? 1n : 0n);
}

/** The penalty of a cost at `factor`. */
export function penaltyOf(cost: EnergyCost, factor: number): number {
  if (factor <= 0) return 0;
  if (cost.penaltyAtMax !== undefined) {
    return Math.floor((cost.penaltyAtMax * factor) / PARAMS.dynamicEnergyMaxFactor);
  }
  return Math.floor((cost.base * factor) / DYNAMIC_ENERGY_FACTOR_DECIMAL);
}
