import { evm } from './evm/index.js';
import type { ChainFamily, Family } from './family.js';
import { tron } from './tron/index.js';

// The chain families this build supports. Adding one is a folder with an index.ts exporting its
// ChainFamily (src/chains/family.ts) and a line here (and its name in `Family`).

let table: Record<Family, ChainFamily> | null = null;

/** Every family, by name (built on first use: the families' files import back into src/chains). */
export function families(): Record<Family, ChainFamily> {
  table ??= { tron, evm };
  return table;
}

/** The family of a network or wallet. */
export function familyOf(name: Family): ChainFamily {
  return families()[name];
}

export type { ChainFamily, Family } from './family.js';
