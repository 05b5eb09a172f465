// The kernel's vocabulary of tenancy, imported by every layer (modules, chains, schema, REST, jobs).

/** Live or test: a merchant's keys, users, balances and chains exist once per mode, never mixed. */
export type Mode = 'live' | 'test';
export const MODES: readonly Mode[] = ['live', 'test'];

/** Whose data a call is about: one merchant in one mode. */
export interface Tenant {
  merchantId: string;
  mode: Mode;
}
