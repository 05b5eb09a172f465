import type { HouseAsset, HouseBalance, HouseCode } from '../ledger/index.js';
import type { SweeperDeps } from './sweeper.js';

// Σ custody on chain against the house books, for one network and mode: the token and the chain's coin on the
// deposit addresses that hold or held custody, in the hot wallet and on the cold address. A difference is what
// the books do not explain (funds nobody recorded, unexpected payments, a posting missing), with the addresses
// that hold the deposit side. A hot wallet can serve several networks of one chain (the test devnet runs ERC20,
// BEP20 and POLYGON on one node, ERC20 and POLYGON with one token contract): its coin is compared with the sum of
// those networks' books, and its token with the sum of the networks that share the contract.
//
// The reconciliation job records each result: `ok`; `in_flight` when there is a difference while something is
// still moving (a treasury transaction or a payout of this wallet not settled, a payment seen but not credited),
// which settles by itself; `mismatch` when nothing moves and the books still differ: the ops alert.

export interface CustodyCheck {
  network: string;
  mode: string;
  asset: HouseAsset;
  place: 'deposits' | 'hot' | 'cold' | 'staking';
  onChain: bigint;
  books: bigint;
  /** onChain − books: positive when the chain holds more than the books say. */
  difference: bigint;
  /** Deposit addresses with a balance of this asset (the deposits place only). */
  addresses: { address: string; balance: bigint }[];
}

export interface Reconciliation {
  status: 'ok' | 'in_flight' | 'mismatch';
  checks: CustodyCheck[];
  alert: string | null;
}

const CODE: Record<CustodyCheck['place'], HouseCode> = {
  deposits: 'custody:deposits',
  hot: 'custody:hot',
  cold: 'custody:cold',
  staking: 'custody:staking',
};
const sum = (xs: { balance: bigint }[]) => xs.reduce((s, x) => s + x.balance, 0n);

/** The networks whose books share the hot wallet's balance of `asset` (the network itself included). */
function hotPeers(d: SweeperDeps, asset: HouseAsset): Set<string> {
  const { net, wallet } = d;
  const peers = wallet.networks.filter(
    (n) => n.mode === net.mode && (asset === 'native' || n.token.contract === net.token.contract),
  );
  return new Set([net.network, ...peers.map((n) => n.network)]);
}

export async function reconcileNetwork(d: SweeperDeps): Promise<CustodyCheck[]> {
  const { net, chain, wallet, store, ledger, policy } = d;
  const books: HouseBalance[] = await ledger.house.balances({ mode: net.mode });
  const bookOf = (asset: HouseAsset, place: CustodyCheck['place'], networks = new Set([net.network])) =>
    books
      .filter((b) => networks.has(b.network) && b.asset === asset && b.code === CODE[place])
      .reduce((s, b) => s + b.balance, 0n);
  const held: Record<HouseAsset, { address: string; balance: bigint }[]> = { token: [], native: [] };
  for (const address of await store.custodyAddresses(net.chain)) {
    const b = await chain.balances(address);
    if (b.token > 0n) held.token.push({ address, balance: b.token });
    if (b.native > 0n) held.native.push({ address, balance: b.native });
  }
  const hot = await wallet.balances();
  // TRON delegate mode: a staking account's TRX is all it owns (liquid, staked, lent, unfreezing); when the hot
  // wallet stakes, its staked TRX is custody:hot too.
  const lender = chain.lender;
  const hotNative = lender && !lender.separate ? await lender.owned() : hot.native;
  const check = (
    asset: HouseAsset,
    place: CustodyCheck['place'],
    onChain: bigint,
    booked: bigint,
    addresses: CustodyCheck['addresses'] = [],
  ): CustodyCheck => ({
    network: net.network,
    mode: net.mode,
    asset,
    place,
    onChain,
    books: booked,
    difference: onChain - booked,
    addresses,
  });
  const out = [
    check('token', 'deposits', sum(held.token), bookOf('token', 'deposits'), held.token),
    check('native', 'deposits', sum(held.native), bookOf('native', 'deposits'), held.native),
    check('token', 'hot', hot.token[net.network] ?? 0n, bookOf('token', 'hot', hotPeers(d, 'token'))),
    check('native', 'hot', hotNative, bookOf('native', 'hot', hotPeers(d, 'native'))),
  ];
  if (lender?.separate)
    out.push(check('native', 'staking', await lender.owned(), bookOf('native', 'staking')));
  if (policy.cold)
    out.push(check('token', 'cold', (await chain.balances(policy.cold)).token, bookOf('token', 'cold')));
  return out;
}

function describe(c: CustodyCheck): string {
  const sign = c.difference > 0n ? '+' : '';
  const where = c.addresses.length
    ? `; held by ${c.addresses
        .slice(0, 10)
        .map((a) => `${a.address} (${a.balance})`)
        .join(', ')}${c.addresses.length > 10 ? ` and ${c.addresses.length - 10} more` : ''}`
    : '';
  return `${c.network}:${c.mode} ${c.asset} ${c.place}: chain ${c.onChain}, books ${c.books} (${sign}${c.difference})${where}`;
}

/** Compares, records the result, and logs an error on a mismatch (the ops alert). */
export async function runReconciliation(d: SweeperDeps): Promise<Reconciliation> {
  const moving = await d.store.moving(d.net.chain, d.wallet.key);
  const checks = await reconcileNetwork(d);
  const differences = checks.filter((c) => c.difference !== 0n);
  const status = differences.length === 0 ? 'ok' : moving ? 'in_flight' : 'mismatch';
  const alert =
    status === 'mismatch'
      ? `house books differ from the chain: ${differences.map(describe).join('; ')}`
      : null;
  await d.store.recordReconciliation(d.net.chain, d.net.network, d.net.mode, status, differences, alert);
  if (alert) d.log.error({ chain: d.net.chain }, alert);
  return { status, checks, alert };
}
