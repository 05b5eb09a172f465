import type { HouseAsset, HouseCode } from '../ledger/house.js';
import type { SweeperDeps } from './sweeper.js';

// Σ custody on chain against the house books, for one network and mode: the token and the chain's coin on the
// deposit addresses that hold or held custody, in the hot wallet and on the cold address. A difference is what
// the books do not explain (funds nobody recorded, unexpected payments, a posting missing), with the addresses
// that hold the deposit side. On a chain that carries several networks (the test devnet: ERC20, BEP20 and
// POLYGON on one node), the hot wallet's coin is shared: compare the sum of those networks' books instead.

export interface CustodyCheck {
  network: string;
  mode: string;
  asset: HouseAsset;
  place: 'deposits' | 'hot' | 'cold';
  onChain: bigint;
  books: bigint;
  /** onChain − books: positive when the chain holds more than the books say. */
  difference: bigint;
  /** Deposit addresses with a balance of this asset (the deposits place only). */
  addresses: { address: string; balance: bigint }[];
}

const CODE: Record<CustodyCheck['place'], HouseCode> = {
  deposits: 'custody:deposits',
  hot: 'custody:hot',
  cold: 'custody:cold',
};

export async function reconcileNetwork(d: SweeperDeps): Promise<CustodyCheck[]> {
  const { net, chain, wallet, store, ledger, policy } = d;
  const books = await ledger.house.balances({ network: net.network, mode: net.mode });
  const bookOf = (asset: HouseAsset, place: CustodyCheck['place']) =>
    books.find((b) => b.asset === asset && b.code === CODE[place])?.balance ?? 0n;
  const held: Record<HouseAsset, { address: string; balance: bigint }[]> = { token: [], native: [] };
  for (const address of await store.custodyAddresses(net.chain)) {
    const b = await chain.balances(address);
    if (b.token > 0n) held.token.push({ address, balance: b.token });
    if (b.native > 0n) held.native.push({ address, balance: b.native });
  }
  const hot = await wallet.balances();
  const check = (
    asset: HouseAsset,
    place: CustodyCheck['place'],
    onChain: bigint,
    addresses: CustodyCheck['addresses'] = [],
  ): CustodyCheck => {
    const b = bookOf(asset, place);
    return {
      network: net.network,
      mode: net.mode,
      asset,
      place,
      onChain,
      books: b,
      difference: onChain - b,
      addresses,
    };
  };
  const sum = (xs: { balance: bigint }[]) => xs.reduce((s, x) => s + x.balance, 0n);
  const out = [
    check('token', 'deposits', sum(held.token), held.token),
    check('native', 'deposits', sum(held.native), held.native),
    check('token', 'hot', hot.token[net.network] ?? 0n),
    check('native', 'hot', hot.native),
  ];
  if (policy.cold) out.push(check('token', 'cold', (await chain.balances(policy.cold)).token));
  return out;
}
