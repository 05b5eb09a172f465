import { AbiCoder, id } from 'ethers';
import { type EnergyCost, penaltyOf } from './energy.js';
import { DISPERSE_CONTRACT, FAKE_USDT_CONTRACT, USDT_CONTRACT } from './keys.js';
import type { StateWriter } from './state.js';

/**
 * The contracts the devnet runs, executed natively (no TVM): TRC20 tokens with balances, allowances and
 * Transfer/Approval logs, and a Disperse-like contract whose `disperseToken` moves tokens with
 * transferFrom, so a token's Transfer logs can come from an inner call of another contract.
 */

export interface Trc20Info {
  addressHex: string;
  name: string;
  symbol: string;
  decimals: number;
  /** TRON's USDT returns a zero word from transfer(); never use contractResult as the success flag. */
  transferReturnsZero: boolean;
}

export const TOKENS: readonly Trc20Info[] = [
  {
    addressHex: USDT_CONTRACT.addressHex,
    name: 'Tether USD',
    symbol: 'USDT',
    decimals: 6,
    transferReturnsZero: true,
  },
  {
    addressHex: FAKE_USDT_CONTRACT.addressHex,
    name: 'Tether USD',
    symbol: 'USDT',
    decimals: 6,
    transferReturnsZero: false,
  },
];

export interface Log {
  /** 41-hex of the emitting contract (json.ts prints it as 20-byte hex or base58). */
  address: string;
  topics: string[];
  data?: string;
}

export interface InternalTx {
  caller: string;
  to: string;
}

export interface CallResult {
  ok: boolean;
  /** Return data as hex ('' when reverted). */
  output: string;
  logs: Log[];
  internal: InternalTx[];
  /** Energy the call used, its dynamic-energy penalty included. */
  energy: number;
  /** The part of `energy` that is penalty (energy_penalty / energy_penalty_total). */
  penalty: number;
  /** Base energy used per contract, what its dynamic-energy usage counts. */
  usage: Record<string, number>;
  /** Text of a revert, for resMessage. */
  message?: string;
}

export interface Call {
  owner: string;
  contract: string;
  data: string;
  callValue: number;
  /** The contract's dynamic energy factor now (energy.ts). */
  factorOf: (contract: string) => number;
}

const sel = (signature: string) => id(signature).slice(2, 10);
export const SELECTORS = {
  balanceOf: sel('balanceOf(address)'),
  transfer: sel('transfer(address,uint256)'),
  transferFrom: sel('transferFrom(address,address,uint256)'),
  approve: sel('approve(address,uint256)'),
  allowance: sel('allowance(address,address)'),
  decimals: sel('decimals()'),
  symbol: sel('symbol()'),
  name: sel('name()'),
  totalSupply: sel('totalSupply()'),
  disperseToken: sel('disperseToken(address,address[],uint256[])'),
};
export const TRANSFER_TOPIC = id('Transfer(address,address,uint256)').slice(2);
export const APPROVAL_TOPIC = id('Approval(address,address,uint256)').slice(2);

/**
 * Energy of the token's calls, mainnet USDT's where measured: transfer() to a holder costs 14 650 base
 * energy + 49 635 penalty at the maximum factor = 64 285 (gettransactioninfobyid.usdt-success fixture); to an
 * address holding none it writes a new storage slot (SSTORE 20 000 instead of 5 000): 29 650 + 100 635 =
 * 130 285; balanceOf 935 + 3 127 = 4 062 (triggerconstantcontract.usdt-balanceOf fixture).
 */
export const COSTS = {
  view: { base: 935, penaltyAtMax: 3_127 },
  transfer: { base: 14_650, penaltyAtMax: 49_635 },
  transferNewHolder: { base: 29_650, penaltyAtMax: 100_635 },
  /** transferFrom also reads and writes the allowance. */
  transferFromExtra: 4_000,
  approve: { base: 22_000 },
  revert: { base: 1_300 },
  disperse: { base: 21_000 },
} satisfies Record<string, EnergyCost | number>;

const MAX_UINT256 = (1n << 256n) - 1n;
const coder = AbiCoder.defaultAbiCoder();

export const word = (n: bigint): string => n.toString(16).padStart(64, '0');
const addressWord = (hex41: string): string => hex41.slice(2).padStart(64, '0');
/** Reads an address word in either encoding (12 zero bytes, or 11 zero bytes and 41): the last 20 bytes. */
const wordAddress = (w: string): string => `41${w.slice(24)}`;

export function isContract(addressHex: string): boolean {
  return addressHex === DISPERSE_CONTRACT.addressHex || TOKENS.some((t) => t.addressHex === addressHex);
}

export function tokenInfo(addressHex: string): Trc20Info | undefined {
  return TOKENS.find((t) => t.addressHex === addressHex);
}

const tokKey = (token: string, holder: string) => `tok:${token}:${holder}`;
const alwKey = (token: string, owner: string, spender: string) => `alw:${token}:${owner}:${spender}`;

export function tokenBalance(
  state: { get(k: string): bigint | undefined },
  token: string,
  holder: string,
): bigint {
  return state.get(tokKey(token, holder)) ?? 0n;
}

/** Energy of `cost` in the context of `contract` (its base, its penalty at the contract's factor). */
interface Spent {
  energy: number;
  penalty: number;
  usage: Record<string, number>;
}

function spend(call: Call, contract: string, cost: EnergyCost): Spent {
  const penalty = penaltyOf(cost, call.factorOf(contract));
  return { energy: cost.base + penalty, penalty, usage: { [contract]: cost.base } };
}

function plus(a: Spent, b: Spent): Spent {
  const usage = { ...a.usage };
  for (const [c, e] of Object.entries(b.usage)) usage[c] = (usage[c] ?? 0) + e;
  return { energy: a.energy + b.energy, penalty: a.penalty + b.penalty, usage };
}

const revert = (spent: Spent, message = 'REVERT opcode executed'): CallResult => ({
  ok: false,
  output: '',
  logs: [],
  internal: [],
  ...spent,
  message,
});

const ok = (output: string, spent: Spent, logs: Log[] = [], internal: InternalTx[] = []): CallResult => ({
  ok: true,
  output,
  logs,
  internal,
  ...spent,
});

/** Moves a token balance; undefined when the balance is short. */
function moveTokens(
  state: StateWriter,
  token: string,
  from: string,
  to: string,
  amount: bigint,
): { log: Log; newHolder: boolean } | undefined {
  const fromBalance = tokenBalance(state, token, from);
  if (amount > fromBalance) return undefined;
  const newHolder = tokenBalance(state, token, to) === 0n && amount > 0n;
  state.set(tokKey(token, from), fromBalance - amount);
  state.set(tokKey(token, to), tokenBalance(state, token, to) + amount);
  const log: Log = {
    address: token,
    topics: [TRANSFER_TOPIC, addressWord(from), addressWord(to)],
    data: word(amount),
  };
  return { log, newHolder };
}

function args(data: string, count: number): string[] | undefined {
  const body = data.slice(8);
  if (body.length < count * 64) return undefined;
  return Array.from({ length: count }, (_, i) => body.slice(i * 64, i * 64 + 64));
}

function viewCall(state: StateWriter, t: Trc20Info, data: string): string | undefined {
  const selector = data.slice(0, 8);
  const s = SELECTORS;
  if (selector === s.decimals) return word(BigInt(t.decimals));
  if (selector === s.symbol) return coder.encode(['string'], [t.symbol]).slice(2);
  if (selector === s.name) return coder.encode(['string'], [t.name]).slice(2);
  if (selector === s.totalSupply) return word(state.get(`supply:${t.addressHex}`) ?? 0n);
  const [w0, w1] = args(data, selector === s.allowance ? 2 : 1) ?? [];
  if (selector === s.balanceOf && w0) return word(tokenBalance(state, t.addressHex, wordAddress(w0)));
  if (selector === s.allowance && w0 && w1) {
    return word(state.get(alwKey(t.addressHex, wordAddress(w0), wordAddress(w1))) ?? 0n);
  }
  return undefined;
}

function callToken(state: StateWriter, t: Trc20Info, sender: string, data: string, call: Call): CallResult {
  const selector = data.slice(0, 8);
  const token = t.addressHex;
  const s = SELECTORS;
  const cost = (c: EnergyCost) => spend(call, token, c);
  const view = viewCall(state, t, data);
  if (view !== undefined) return ok(view, cost(COSTS.view));
  const a = args(data, selector === s.transferFrom ? 3 : 2);
  if (!a) return revert(cost(COSTS.revert));
  const [w0, w1, w2] = a as [string, string, string];
  if (selector === s.approve) {
    const spender = wordAddress(w0);
    state.set(alwKey(token, sender, spender), BigInt(`0x${w1}`));
    const log = {
      address: token,
      topics: [APPROVAL_TOPIC, addressWord(sender), addressWord(spender)],
      data: w1,
    };
    return ok(word(1n), cost(COSTS.approve), [log]);
  }
  if (selector !== s.transfer && selector !== s.transferFrom) return revert(cost(COSTS.revert));
  const [from, to, amountWord] =
    selector === s.transfer ? [sender, wordAddress(w0), w1] : [wordAddress(w0), wordAddress(w1), w2];
  const amount = BigInt(`0x${amountWord}`);
  if (selector === s.transferFrom) {
    const allowed = state.get(alwKey(token, from, sender)) ?? 0n;
    if (amount > allowed) return revert(cost(COSTS.revert));
    if (allowed !== MAX_UINT256) state.set(alwKey(token, from, sender), allowed - amount);
  }
  const moved = moveTokens(state, token, from, to, amount);
  if (!moved) return revert(cost(COSTS.revert));
  const base = moved.newHolder ? COSTS.transferNewHolder : COSTS.transfer;
  const spent = selector === s.transfer ? cost(base) : cost({ base: base.base + COSTS.transferFromExtra });
  const returned = t.transferReturnsZero && selector === s.transfer ? 0n : 1n;
  return ok(word(returned), spent, [moved.log]);
}

function callDisperse(state: StateWriter, sender: string, data: string, call: Call): CallResult {
  let spent = spend(call, DISPERSE_CONTRACT.addressHex, COSTS.disperse);
  if (data.slice(0, 8) !== SELECTORS.disperseToken) return revert(spent);
  let decoded: [string, string[], bigint[]];
  try {
    decoded = coder.decode(
      ['address', 'address[]', 'uint256[]'],
      `0x${data.slice(8)}`,
    ) as unknown as typeof decoded;
  } catch {
    return revert(spent);
  }
  const [tokenEvm, recipients, values] = decoded;
  const t = tokenInfo(`41${tokenEvm.slice(2).toLowerCase()}`);
  if (!t || recipients.length !== values.length) return revert(spent);
  const logs: Log[] = [];
  const internal: InternalTx[] = [];
  for (let i = 0; i < recipients.length; i++) {
    const to = `41${(recipients[i] as string).slice(2).toLowerCase()}`;
    const inner = `${SELECTORS.transferFrom}${addressWord(sender)}${addressWord(to)}${word(values[i] as bigint)}`;
    const r = callToken(state, t, DISPERSE_CONTRACT.addressHex, inner, call);
    spent = plus(spent, r);
    if (!r.ok) return revert(spent);
    logs.push(...r.logs);
    internal.push({ caller: DISPERSE_CONTRACT.addressHex, to: t.addressHex });
  }
  return ok('', spent, logs, internal);
}

/** Runs a call on `state` (the caller rolls back the state when the result is not ok). */
export function executeCall(state: StateWriter, call: Call): CallResult {
  if (call.callValue) return revert(spend(call, call.contract, COSTS.revert));
  const data = call.data.toLowerCase();
  if (call.contract === DISPERSE_CONTRACT.addressHex) return callDisperse(state, call.owner, data, call);
  const t = tokenInfo(call.contract);
  return t ? callToken(state, t, call.owner, data, call) : revert(spend(call, call.contract, COSTS.revert));
}

/** Mints the genesis supply to `holder`. */
export function mint(state: StateWriter, token: string, holder: string, amount: bigint): void {
  state.set(tokKey(token, holder), tokenBalance(state, token, holder) + amount);
  state.set(`supply:${token}`, (state.get(`supply:${token}`) ?? 0n) + amount);
}
