import type { NetworkConfig } from '../../chains/registry.js';
import type { SweepPolicyInput } from '../../config-treasury.js';
import { parseAmount } from '../../lib/money.js';

// A network's sweep policy (SWEEP_POLICY) in the token's base units: sweep an address once its credited,
// unswept tokens reach `threshold`; while the hot wallet holds less than `hotTarget`, sweep any credited balance,
// largest first, until the sweeps under way would bring it there; move whatever the hot wallet holds above
// `hotCeiling` to `cold`.

export interface SweepPolicy {
  threshold: bigint;
  hotTarget: bigint | null;
  hotCeiling: bigint | null;
  cold: string | null;
  disperse: string | null;
}

function units(text: string, decimals: number, what: string): bigint {
  if (/^0(\.0*)?$/.test(text)) return 0n;
  const r = parseAmount(text, decimals, 10n ** 40n);
  if (!r.ok) throw new Error(`SWEEP_POLICY ${what}: ${text} is not an amount of ${decimals}-decimal tokens`);
  return r.minor;
}

export function resolvePolicy(net: NetworkConfig, p: SweepPolicyInput): SweepPolicy {
  const d = net.token.decimals;
  const policy = {
    threshold: units(p.threshold, d, `${net.chain}.threshold`),
    hotTarget: p.hotTarget === undefined ? null : units(p.hotTarget, d, `${net.chain}.hotTarget`),
    hotCeiling: p.hotCeiling === undefined ? null : units(p.hotCeiling, d, `${net.chain}.hotCeiling`),
    cold: p.cold ?? null,
    disperse: p.disperse ?? null,
  };
  if (policy.hotCeiling !== null && policy.hotTarget !== null && policy.hotCeiling < policy.hotTarget)
    throw new Error(`SWEEP_POLICY ${net.chain}: hotCeiling is below hotTarget`);
  return policy;
}
