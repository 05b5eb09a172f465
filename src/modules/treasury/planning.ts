import { recordCold, recordTopUp } from './signing.js';
import type { Candidate, TreasuryTxRow } from './store.js';
import type { SweeperDeps, SweepPassResult } from './sweeper.js';

// What a sweep pass starts: new sweeps by the policy, top-ups for the sweeps that need gas, and the move of the
// hot wallet's excess to cold. Only credited tokens are swept (a deposit's amount received, less what its sweeps
// moved), never more than the address holds: a payment still confirming stays where it is until it is credited.

const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * New sweeps: every address at or above the threshold, and while the hot wallet is below its target any. The
 * addresses ops named (`sweepAddress`) are planned first, whatever the threshold, if they have credited tokens
 * to sweep. Returns what became of each of those.
 */
export async function plan(
  d: SweeperDeps,
  result: SweepPassResult,
  forced: readonly string[] = [],
): Promise<Map<string, string>> {
  const { net, store } = d;
  const outcomes = new Map<string, string>();
  const before = result.planned;
  for (const address of forced) {
    const [c] = await store.candidates(net.chain, 1n, 1, address);
    const planned = c ? await planOne(d, result, c, 0n) : 0n;
    outcomes.set(address, planned > 0n ? 'planned' : 'nothing credited left to sweep, or a sweep under way');
    if (planned === 0n)
      d.log.warn({ chain: net.chain, address }, 'sweepAddress: nothing to sweep there any more');
  }
  // What ops asked for counts against this pass's share.
  await planByPolicy(d, result, result.planned - before);
  return outcomes;
}

async function planByPolicy(d: SweeperDeps, result: SweepPassResult, alreadyPlanned: number): Promise<void> {
  const { net, store, policy } = d;
  const open = await store.open(net.chain, 'sweep');
  const hot = (await d.wallet.balances()).token[net.network] ?? 0n;
  // A transfer to a wallet that holds none of the token costs more (a new storage slot: ~52 k gas on EVM, 130 k
  // energy on TRON, against ~35 k and 64 k): while the hot wallet holds none, sweep one address first, and size
  // the others' top-ups once it has landed.
  // Otherwise each pass starts up to maxPerPass more while fewer than maxOpen are under way: sweeps waiting for
  // their confirmations do not hold back the next addresses.
  const room =
    hot === 0n ? (open.count > 0 ? 0 : 1) : Math.min(d.maxPerPass - alreadyPlanned, d.maxOpen - open.count);
  if (room <= 0) return;
  let missing = policy.hotTarget === null ? 0n : policy.hotTarget - hot - open.amount;
  const candidates = await store.candidates(net.chain, missing > 0n ? 1n : policy.threshold, room);
  for (const c of candidates) {
    if (missing <= 0n && BigInt(c.unswept) < policy.threshold) continue;
    missing -= await planOne(d, result, c, missing > 0n ? 1n : policy.threshold);
  }
}

/** Plans the sweep of one address if it holds at least `atLeast` (≥ 1) credited units; the amount planned. */
async function planOne(d: SweeperDeps, result: SweepPassResult, c: Candidate, atLeast: bigint) {
  const { net, chain, store } = d;
  const bal = await chain.balances(c.address);
  const amount = min(BigInt(c.unswept), bal.token);
  if (amount <= 0n || amount < atLeast) return 0n;
  const cost = await chain.sweepCost(c.address, amount);
  const topup = cost.need > bal.native ? cost.need - bal.native : 0n;
  const row = await store.createSweep({
    chain: net.chain,
    network: net.network,
    mode: net.mode,
    kind: 'sweep',
    from_address: c.address,
    address_index: c.address_index,
    deposit_id: c.deposit_id,
    to_address: chain.hotAddress,
    amount: amount.toString(),
    topup: topup.toString(),
    fee_params: cost.feeParams,
    // delegate mode: an address that exists waits for its energy; one that does not is first sent 1 sun
    status: topup > 0n ? 'funding' : cost.feeParams.fees === 'delegate' ? 'delegating' : 'ready',
  });
  if (!row) return 0n;
  result.planned++;
  return amount;
}

/**
 * Top-ups from the hot wallet for the sweeps waiting for gas, as many addresses per transaction as the chain
 * batches, each stored before it is sent and sent in nonce order. False when the hot wallet cannot pay them
 * (an alert in the log; the sweeps wait).
 */
export async function fund(
  d: SweeperDeps,
  result: SweepPassResult,
  send: (tx: TreasuryTxRow) => Promise<boolean>,
): Promise<boolean> {
  const { net, chain, store, wallet, log } = d;
  const waiting = await store.byStatus(net.chain, 'funding', d.maxPerPass, true);
  if (!waiting.length) return true;
  let native = (await wallet.balances()).native;
  for (let i = 0; i < waiting.length; i += chain.topUpBatch) {
    const batch = waiting.slice(i, i + chain.topUpBatch);
    const value = batch.reduce((s, w) => s + BigInt(w.topup), 0n);
    if (native < value) {
      log.error(
        { chain: net.chain, wallet: wallet.key, needs: value.toString(), has: native.toString() },
        `sweep top-ups waiting: hot wallet ${wallet.address} has too little of the chain's coin`,
      );
      return false;
    }
    const tx = await recordTopUp(store, batch, {
      nonces: chain.usesNonces ? 'hot' : 'none',
      signerKey: wallet.key,
      seed: () => wallet.chainNonce(),
      prepare: () =>
        chain.prepareTopUp(batch.map((s) => ({ address: s.from_address, amount: BigInt(s.topup) }))),
    });
    if (!tx) continue;
    native -= value + BigInt(tx.fee_params.maxCost ?? '0');
    result.toppedUp += batch.length;
    if (!(await send(tx))) return false; // the next nonces wait until this one is accepted
  }
  return true;
}

/** Whatever the hot wallet holds above its ceiling (less what payouts have in flight) goes to cold, one move at a time. */
export async function moveToCold(
  d: SweeperDeps,
  result: SweepPassResult,
  send: (tx: TreasuryTxRow) => Promise<boolean>,
): Promise<void> {
  const { net, chain, store, wallet, policy } = d;
  if (policy.hotCeiling === null || !policy.cold) return;
  if ((await store.open(net.chain, 'cold')).count > 0) return;
  const balances = await wallet.balances();
  const payouts = await d.payouts.inFlight(wallet.key);
  const held = (balances.token[net.network] ?? 0n) - (payouts.units[net.network] ?? 0n);
  const excess = held - policy.hotCeiling;
  if (excess <= 0n) return;
  const cold = policy.cold;
  const tx = await recordCold(
    store,
    {
      chain: net.chain,
      network: net.network,
      mode: net.mode,
      kind: 'cold',
      from_address: wallet.address,
      address_index: null,
      deposit_id: null,
      to_address: cold,
      amount: excess.toString(),
      topup: '0',
      fee_params: {},
      status: 'signed',
    },
    {
      nonces: chain.usesNonces ? 'hot' : 'none',
      signerKey: wallet.key,
      seed: () => wallet.chainNonce(),
      prepare: () => wallet.prepare(net, cold, excess),
    },
  );
  if (!tx) return;
  result.cold++;
  await send(tx);
}
