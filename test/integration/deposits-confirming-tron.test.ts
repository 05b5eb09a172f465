import { describe, expect, it } from 'vitest';
import { creditDeposits } from '../../src/modules/deposits/credit-rows.js';
import { untilPublished } from '../helpers/outbox.js';
import { eventually } from '../helpers/receiver.js';
import { createTronDeposit, tronDepositSteps, useTronApp } from '../helpers/tron.js';
import { liveChannel, untilSubscribed, wsClient } from '../helpers/ws.js';

// A payment seen on chain and still gathering confirmations shows on the deposit before it is credited:
// `amountConfirming` (what is confirming) and `confirmingTxHash` (the latest payment confirming), next to the
// credited `amountReceived` and `txHash` (docs/deposits.md, "What a deposit shows while it confirms"). Reorgs
// take an orphaned payment out again; crediting moves it over, once.
const t = useTronApp();
const USDT = 1_000_000n;

const { get, balance, mineAndScan } = tronDepositSteps(t);

/** The deposit's `deposit.updated` payloads, oldest first. */
async function updates(id: string) {
  const r = await t.app.pool.query(
    `select payload from events where type = 'deposit.updated' and payload->>'id' = $1 order by created_at, id`,
    [id],
  );
  return r.rows.map((x) => x.payload);
}

const PROGRESS = `status confirmations amountReceived amountConfirming txHash confirmingTxHash`;

describe('a deposit while its payments confirm', () => {
  it('shows the payments seen (summed, latest hash), drops an orphaned one, and moves them over when credited', async () => {
    const address = await t.app.listen(0, '127.0.0.1');
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'confirming_1', 10);
    expect(await get(m, d.id)).toMatchObject({ amountConfirming: 0, confirmingTxHash: null });
    const token = new URL((await get(m, d.id)).paymentUrl).searchParams.get('t')!;
    await untilPublished(t.app.pool, m.merchantId);
    const c = wsClient(`${address.replace('http', 'ws')}/graphql`, { token });
    const sub = c.subscribe<any>(`subscription($id: ID!) { depositUpdated(id: $id) { id ${PROGRESS} } }`, {
      id: d.id,
    });
    await untilSubscribed(t.app.config.redisUrl, liveChannel(t.app, 'deposit', m, d.id));

    const first = await t.devnet.sendUsdt(d.depositAddress, 7n * USDT);
    await mineAndScan(1);
    expect(await get(m, d.id)).toMatchObject({
      status: 'confirming',
      confirmations: 1,
      amountReceived: 0,
      txHash: null,
      amountConfirming: 7,
      confirmingTxHash: first,
    });
    const live = await eventually(() =>
      sub.values.find(
        (v) => v.depositUpdated.status === 'CONFIRMING' && v.depositUpdated.confirmations === 1,
      ),
    );
    expect(live.depositUpdated).toMatchObject({
      amountConfirming: '7',
      confirmingTxHash: first,
      txHash: null,
    });
    const gql = await t.graphql(m, `query($id: ID!) { deposit(id: $id) { ${PROGRESS} } }`, { id: d.id });
    expect(gql.body.data.deposit).toMatchObject({
      status: 'CONFIRMING',
      amountReceived: '0',
      amountConfirming: '7',
      confirmingTxHash: first,
    });

    // A second payment adds up; the hash is the latest payment's.
    await mineAndScan(2);
    const second = await t.devnet.sendUsdt(d.depositAddress, 3n * USDT);
    await mineAndScan(1);
    expect(await get(m, d.id)).toMatchObject({
      status: 'confirming',
      confirmations: 4,
      amountReceived: 0,
      amountConfirming: 10,
      confirmingTxHash: second,
    });
    expect((await updates(d.id)).at(-1)).toMatchObject({ amountConfirming: '10', confirmingTxHash: second });

    // The second payment's block is reorganised away: it leaves the amount, the hash goes back to the first.
    const r = t.devnet.reorg(1, { reincludeTransactions: false });
    expect(r.txids).toEqual([second]);
    expect((await t.scan()).reorgAt).toBeDefined();
    expect(await get(m, d.id)).toMatchObject({
      status: 'confirming',
      amountReceived: 0,
      amountConfirming: 7,
      confirmingTxHash: first,
    });
    expect((await updates(d.id)).at(-1)).toMatchObject({ amountConfirming: '7', confirmingTxHash: first });
    await eventually(() => sub.values.at(-1)?.depositUpdated.amountConfirming === '7');

    // It comes back in a later block; the first is credited alone, then the second.
    t.devnet.reincludeOrphans();
    await mineAndScan(1);
    expect(await get(m, d.id)).toMatchObject({
      confirmations: 5,
      amountConfirming: 10,
      confirmingTxHash: second,
    });
    await mineAndScan(14); // the first payment's 19th confirmation, the second's 15th
    expect(await get(m, d.id)).toMatchObject({
      status: 'confirmed',
      amountReceived: 7,
      txHash: first,
      amountConfirming: 3,
      confirmingTxHash: second,
      flags: ['underpaid'],
    });
    expect(await balance(m, 'confirming_1')).toBe(7);
    await mineAndScan(4);
    expect(await get(m, d.id)).toMatchObject({
      status: 'confirmed',
      amountReceived: 10,
      txHash: second,
      amountConfirming: 0,
      confirmingTxHash: null,
      flags: ['multiple'],
    });
    await mineAndScan(3);
    expect(await balance(m, 'confirming_1')).toBe(10); // each payment credited once
    await eventually(() => sub.values.at(-1)?.depositUpdated.amountReceived === '10');
    expect(sub.values.at(-1).depositUpdated).toMatchObject({ amountConfirming: '0', confirmingTxHash: null });
    await c.dispose();
  });

  it('shows payments credited in one batch each as it stood right after that payment', async () => {
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'confirming_2', 5);
    const a = await t.devnet.sendUsdt(d.depositAddress, 2n * USDT);
    const b = await t.devnet.sendUsdt(d.depositAddress, 3n * USDT);
    await mineAndScan(1);
    const seen = await get(m, d.id);
    expect(seen).toMatchObject({ status: 'confirming', amountReceived: 0, amountConfirming: 5 });
    expect([a, b]).toContain(seen.confirmingTxHash);
    await mineAndScan(19);
    expect(await get(m, d.id)).toMatchObject({
      status: 'confirmed',
      amountReceived: 5,
      amountConfirming: 0,
      confirmingTxHash: null,
    });
    const credited = (await updates(d.id)).filter((u) => u.status === 'confirmed');
    expect(credited.map((u) => [u.amountReceived, u.amountConfirming])).toEqual([
      [credited[0]!.amountReceived, String(5 - Number(credited[0]!.amountReceived))],
      ['5', '0'],
    ]);
    expect(credited[0]!.confirmingTxHash).toBe(credited[1]!.txHash);
    expect(credited[1]!.confirmingTxHash).toBeNull();
    expect(await balance(m, 'confirming_2')).toBe(5);
  });

  it('a top-up of a credited deposit shows as confirming while amountReceived stays what was credited', async () => {
    const m = await t.merchant();
    const d = await createTronDeposit(t, m, 'confirming_3', 4);
    const paid = await t.devnet.sendUsdt(d.depositAddress, 2n * USDT);
    await mineAndScan(20);
    expect(await get(m, d.id)).toMatchObject({ status: 'confirmed', amountReceived: 2, txHash: paid });
    const topUp = await t.devnet.sendUsdt(d.depositAddress, 2n * USDT);
    await mineAndScan(1);
    expect(await get(m, d.id)).toMatchObject({
      status: 'confirmed',
      amountReceived: 2,
      txHash: paid,
      amountConfirming: 2,
      confirmingTxHash: topUp,
      flags: ['underpaid'],
    });
    expect((await updates(d.id)).at(-1)).toMatchObject({ amountConfirming: '2', confirmingTxHash: topUp });
    expect(await balance(m, 'confirming_3')).toBe(2);
  });
});

describe('a payment seen again while another of the same deposit is being credited', () => {
  it('shows exactly the transfers still seen once both commit, the crediting one first (fails without the row lock)', async () => {
    const m = await t.merchant();
    const chain = 'TRC20:test';
    const store = t.app.workers!.scanning.store;
    const d = await createTronDeposit(t, m, 'race_seen', 3);
    const observed = (n: number) => ({
      txHash: `race-${n}-${d.id}`,
      logIndex: 0,
      blockNumber: n, // below the head: a rescan's observations, the cursor stays
      blockHash: `race-block-${n}`,
      blockTimeMs: Date.now(),
      tokenContract: t.devnet.usdt.address,
      from: t.devnet.faucet.address,
      to: d.depositAddress,
      amountMinor: BigInt(n) * USDT,
    });
    await store.record(chain, { blocks: [], transfers: [observed(1)], unexpected: [] }, null);
    // The second payment was seen, then orphaned by a reorg (as ChainStore.rollback leaves it): seen again, its
    // row is updated, not inserted, so no foreign-key check on the deposit's row makes the scanner wait.
    await store.record(chain, { blocks: [], transfers: [observed(2)], unexpected: [] }, null);
    await t.app.pool.query(`update chain_transfers set status = 'orphaned' where tx_hash = $1`, [
      observed(2).txHash,
    ]);
    const [first] = (await store.uncredited(chain)).filter((x) => x.deposit_id === d.id);
    const row = (await t.app.pool.query('select * from deposits where id = $1', [d.id])).rows[0];
    // The crediting transaction's bookkeeping (the ledger posting left out: a dust credit has none) holds the
    // deposit's row while the scanner records the second payment; it commits once the scanner waits for it.
    const crediting = await t.app.pool.connect();
    try {
      await crediting.query('begin');
      await creditDeposits(crediting, [
        {
          credit: { deposit: row, transfer: first!, units: USDT, stars: 100n, confirmations: 19 },
          transactionId: null,
          balanceMinor: null,
        },
      ]);
      const pid = (await crediting.query('select pg_backend_pid() as pid')).rows[0].pid;
      const seen = store.record(chain, { blocks: [], transfers: [observed(2)], unexpected: [] }, null);
      let recorded = false;
      void seen.then(() => {
        recorded = true;
      });
      // Until the scanner waits for the crediting transaction (or, were it not to wait, has finished).
      await eventually(async () => {
        const r = await t.app.pool.query(
          'select 1 from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
          [pid],
        );
        return recorded || r.rowCount! > 0;
      });
      await crediting.query('commit');
      await seen;
    } finally {
      crediting.release();
    }
    expect(await get(m, d.id)).toMatchObject({
      status: 'confirmed',
      amountReceived: 1,
      txHash: observed(1).txHash,
      amountConfirming: 2,
      confirmingTxHash: observed(2).txHash,
    });
    expect((await updates(d.id)).at(-1)).toMatchObject({
      amountConfirming: '2',
      confirmingTxHash: observed(2).txHash,
    });
  });
});
