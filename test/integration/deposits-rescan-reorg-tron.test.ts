import { describe, expect, it } from 'vitest';
import { createTronDeposit, tronDepositSteps, useTronApp } from '../helpers/tron.js';

// `chain rescan` while the workers run, with the chain reorganising: only the live scanner follows
// reorganisations (its stored block hashes), so what a rescan records must be what the live scanner has passed
// with the same hashes, or deep enough to credit (ChainStore.recordRescanned). Found by
// mixtures-scanner-tron.test.ts: a payment the rescan recorded in the tip, then reorganised away, was credited.
const t = useTronApp({}, 'all', { gate: true });
const { balance, mineAndScan } = tronDepositSteps(t);
const CHAIN = 'TRC20:test';
const USDT = 1_000_000n;

const scanner = () => t.app.workers!.scanning.scanners.get(CHAIN)!;
const cursor = async () => (await t.app.workers!.scanning.store.cursor(CHAIN))!;
const transfers = async (depositId: string) =>
  (
    await t.app.pool.query(
      'select tx_hash, status, block_number::int as block, block_hash from chain_transfers where deposit_id = $1 order by id',
      [depositId],
    )
  ).rows;

describe('a rescan to the head, ahead of the live scanner, then a reorganisation', () => {
  it('credits nothing for the payment dropped, and the one re-included once, in its new block', async () => {
    const m = await t.merchant();
    const dropped = await createTronDeposit(t, m, 'rescan_dropped', 5);
    const moved = await createTronDeposit(t, m, 'rescan_moved', 5);
    await mineAndScan(2);
    const gone = t.devnet.sendUsdt(dropped.depositAddress, 5n * USDT);
    t.devnet.mine(2);
    const back = t.devnet.sendUsdt(moved.depositAddress, 5n * USDT);
    t.devnet.mine(1);
    // The operator's rescan reaches the head; the live scanner has not scanned these three blocks yet.
    const r = await scanner().rescan(await cursor(), null);
    expect(r.transfers).toBe(2);
    // Both blocks are replaced: the first payment is dropped, the second lands one block later.
    const reorg = t.devnet.reorg(3, { reincludeTransactions: false });
    expect(reorg.txids).toEqual([gone, back]);
    t.devnet.chain.orphans = t.devnet.chain.orphans.filter((x) => x.txID === back);
    t.devnet.reincludeOrphans();
    await mineAndScan(1);
    await mineAndScan(25);
    expect(await balance(m, 'rescan_dropped')).toBe(0);
    expect(await transfers(dropped.id)).toEqual([]);
    const found = t.devnet.chain.findTx(back)!;
    expect(await transfers(moved.id)).toEqual([
      { tx_hash: back, status: 'credited', block: found.block.number, block_hash: found.block.blockID },
    ]);
    expect(await balance(m, 'rescan_moved')).toBe(5);
  });

  it('records nothing of a block it read before a reorganisation the live scanner has rolled back since', async () => {
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'rescan_race', 5);
    const other = await createTronDeposit(t, m, 'rescan_race_other', 5);
    await mineAndScan(2);
    const from = await cursor();
    const gone = t.devnet.sendUsdt(d.depositAddress, 5n * USDT);
    t.devnet.mine(1);
    t.devnet.sendUsdt(other.depositAddress, 5n * USDT); // a contract call in the next block too
    t.devnet.mine(1);
    await mineAndScan(1); // the live scanner has passed both, the payment seen
    expect((await transfers(d.id)).map((x) => x.status)).toEqual(['seen']);
    // The rescan has read the blocks (the old chain) and waits for the second block's logs...
    const hold = t.gate.hold(
      (x) => x.path === '/wallet/gettransactioninfobyblocknum' && JSON.parse(x.body).num === from + 1,
    );
    const rescan = scanner().rescan(from, from + 1);
    await hold.arrived;
    // ...while the chain drops both payments and the live scanner rolls back.
    t.devnet.reorg(3, { reincludeTransactions: false });
    t.devnet.chain.orphans = [];
    expect((await t.scan()).reorgAt).toBeDefined();
    expect((await transfers(d.id)).map((x) => x.status)).toEqual(['orphaned']);
    hold.release();
    await rescan;
    await mineAndScan(1);
    await mineAndScan(25);
    expect(t.devnet.chain.findTx(gone)).toBeUndefined();
    expect((await transfers(d.id)).map((x) => x.status)).toEqual(['orphaned']);
    expect(await balance(m, 'rescan_race')).toBe(0);
    expect(await balance(m, 'rescan_race_other')).toBe(0);
  });

  it('credits only what it found: not a payment the live scanner saw in a block replaced since', async () => {
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'rescan_stale', 5);
    await mineAndScan(2);
    const gone = t.devnet.sendUsdt(d.depositAddress, 5n * USDT);
    await mineAndScan(1); // seen in block b
    const b = t.devnet.chain.findTx(gone)!.block.number;
    t.devnet.mine(10);
    // Block b and the ten above it are replaced without the payment, then the chain grows to b's 19th block;
    // the live scanner has not run since.
    t.devnet.reorg(11, { reincludeTransactions: false });
    t.devnet.chain.orphans = [];
    t.devnet.mine(8);
    expect(t.devnet.head().number).toBe(b + 18);
    const r = await scanner().rescan(b, null);
    expect(r).toMatchObject({ transfers: 0, credited: 0 });
    expect(await balance(m, 'rescan_stale')).toBe(0);
    expect((await t.scan()).reorgAt).toBe(b - 1);
    await mineAndScan(20);
    expect((await transfers(d.id)).map((x) => x.status)).toEqual(['orphaned']);
    expect(await balance(m, 'rescan_stale')).toBe(0);
  });
});
