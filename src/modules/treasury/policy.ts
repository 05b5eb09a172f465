import { familyOf } from '../../chains/families.js';
import type { NetworkConfig } from '../../chains/registry.js';
import type { SweepPolicyInput } from '../../config-treasury.js';
import { parseAmount } from '../../lib/money.js';

// A network's sweep policy (SWEEP_POLICY) in the token's base units: sweep an address once its credited,
// unswept tokens reach `threshold`; while the hot wallet holds less than `hotTarget`, sweep any credited balance,
// largest first, until the sweeps under way would bring it there; move whatever the hot wallet holds above
// `hotCeiling` to `cold`. TRON networks also say how sweeps pay for energy (burning TRX, or energy delegated by a
// staking account) and how much leftover TRX on a deposit address is worth sending back.

export interface TronFeePolicy {
  fees: 'burn' | 'delegate';
  /** Delegate mode: the staking account, or null when the hot wallet stakes and delegates. */
  stakingAccount: string | null;
  /** Sun a deposit address's TRX must exceed the transfer's cost by to be swept back. */
  leftoverMin: bigint;
}

export interface SweepPolicy {
  threshold: bigint;
  hotTarget: bigint | null;
  hotCeiling: bigint | null;
  cold: string | null;
  disperse: string | null;
  /** TRON networks only (absent or null: burn, leftovers stay). */
  tron?: TronFeePolicy | null;
}

const TRX_DECIMALS = 6;

function units(text: string, decimals: number, what: string): bigint {
  if (/^0(\.0*)?$/.test(text)) return 0n;
  const r = parseAmount(text, decimals, 10n ** 40n);
  if (!r.ok) throw new Error(`SWEEP_POLICY ${what}: ${text} is not an amount of ${decimals}-decimal tokens`);
  return r.minor;
}

const FAMILY_FIELDS = ['tronFees', 'stakingAccount', 'leftoverMin'] as const;

/** The TRON fee fields, refused on a network whose family does not take them. */
function tronPolicy(net: NetworkConfig, p: SweepPolicyInput): TronFeePolicy | null {
  const family = familyOf(net.family);
  const takes = family.sweepPolicyFields ?? [];
  for (const field of FAMILY_FIELDS) {
    if (p[field] !== undefined && !takes.includes(field))
      throw new Error(`SWEEP_POLICY ${net.chain}: ${field} is not for ${family.label} networks`);
  }
  if (!takes.includes('tronFees')) return null;
  const staking = p.stakingAccount === undefined ? null : family.parsePayoutAddress(p.stakingAccount);
  if (staking && !staking.ok)
    throw new Error(
      `SWEEP_POLICY ${net.chain}.stakingAccount: ${p.stakingAccount} is not an address (${staking.why})`,
    );
  return {
    fees: p.tronFees ?? 'burn',
    stakingAccount: staking?.ok ? staking.address : null,
    leftoverMin: units(p.leftoverMin ?? '1', TRX_DECIMALS, `${net.chain}.leftoverMin`),
  };
}

export function resolvePolicy(net: NetworkConfig, p: SweepPolicyInput): SweepPolicy {
  const d = net.token.decimals;
  const policy = {
    threshold: units(p.threshold, d, `${net.chain}.threshold`),
    hotTarget: p.hotTarget === undefined ? null : units(p.hotTarget, d, `${net.chain}.hotTarget`),
    hotCeiling: p.hotCeiling === undefined ? null : units(p.hotCeiling, d, `${net.chain}.hotCeiling`),
    cold: p.cold ?? null,
    disperse: p.disperse ?? null,
    tron: tronPolicy(net, p),
  };
  if (policy.hotCeiling !== null && policy.hotTarget !== null && policy.hotCeiling < policy.hotTarget)
    throw new Error(`SWEEP_POLICY ${net.chain}: hotCeiling is below hotTarget`);
  return policy;
}
