import { randomBytes } from 'node:crypto';
import { TronWeb } from 'tronweb';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../helpers/process.js';
import { eventually } from '../helpers/receiver.js';
import { MANUAL_SCAN_CONFIG } from '../helpers/scan.js';
import { useTronApp } from '../helpers/tron.js';

// The payout worker as its own process (`--role worker`), killed with SIGKILL right after it stored a signed
// transaction (its broadcast held up by the node), right after the broadcast, and while confirming; each time
// a new worker resumes. Exactly one transfer reaches the chain and the ledger balances.

const HOT_KEY = randomBytes(32).toString('hex');
const HOT = TronWeb.address.fromPrivateKey(HOT_KEY) as string;
const t = useTronApp(MANUAL_SCAN_CONFIG, 'api');
const port = 43_000 + Math.floor(Math.random() * 2000);
let worker: Awaited<ReturnType<typeof startServer>> | null = null;

afterAll(() => {
  if (worker?.child.exitCode === null) worker.child.kill('SIGKILL');
});

function startWorker() {
  const c = t.app.config;
  return startServer(
    {
      DATABASE_URL: c.databaseUrl,
      REDIS_URL: c.redisUrl,
      REDIS_PREFIX: c.redisPrefix,
      TRON_DEVNET: 'off',
      EVM_DEVNET: 'off',
      TRON_TEST_NODE_URL: t.devnet.url,
      TRC20_TEST_USDT_CONTRACT: t.devnet.usdt.address,
      TRC20_CONFIRMATIONS: '19',
      PAYOUT_TRON_PRIVATE_KEY: HOT_KEY,
      PAYOUT_MONITOR_MS: '200',
      CHAIN_SCAN_INTERVAL_MS: '600000',
      LOG_LEVEL: 'debug',
      NODE_ENV: 'development',
    },
    port,
    ['--role', 'worker'],
  );
}

async function kill() {
  worker!.child.kill('SIGKILL');
  await worker!.exited;
  worker = null;
}

/** Waits for the withdrawal to reach a state; on a timeout the worker's log says why. */
async function until(id: string, pred: (r: { status: string; payout_state: string | null }) => boolean) {
  try {
    await eventually(async () => pred(await state(id)), 30_000);
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; state ${JSON.stringify(await state(id))}\n${worker?.output().slice(-4000)}`,
    );
  }
}

const state = async (id: string) =>
  (await t.app.pool.query('select status, payout_state from withdrawals where id = $1', [id])).rows[0];

describe('payout worker crashes', () => {
  it('SIGKILL after signing, after broadcasting and while confirming: one transfer, balanced ledger', async () => {
    t.devnet.sendUsdt(HOT, 1_000_000_000n);
    t.devnet.sendTrx(HOT, 1_000_000_000n);
    t.devnet.mine();
    const m = await t.merchant();
    await t.credit(m, 'crash', '200');
    const to = TronWeb.address.fromPrivateKey(randomBytes(32).toString('hex')) as string;
    const w = await t.request({
      url: '/api/v1/withdraw/create',
      as: m,
      body: { userId: 'crash', amount: 200, walletAddress: to, network: 'TRC20' },
    });
    const { token } = await t.app.services.tokens.issueAdmin(300, 'ops');
    const ok = await t.graphql(
      { bearer: token },
      `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename } }`,
      {
        id: w.body.id,
      },
    );
    expect(ok.body.data.approveWithdrawal.__typename).toBe('Withdrawal');

    // 1. The node holds the broadcast: the worker has stored the signed transaction and waits. Kill it.
    const fault = t.devnet.injectFault({
      path: '/wallet/broadcasttransaction',
      kind: 'slow',
      delayMs: 60_000,
    });
    worker = await startWorker();
    await until(w.body.id, (r) => r.payout_state === 'signed');
    await kill();
    t.devnet.clearFaults(fault);
    expect(t.devnet.pendingCount()).toBe(0);
    const [stored] = (
      await t.app.pool.query('select tx_hash from payout_transactions where withdrawal_id = $1', [w.body.id])
    ).rows;

    // 2. A new worker sends the stored transaction (not a new one). Kill it once it is broadcast.
    worker = await startWorker();
    await until(w.body.id, (r) => r.payout_state === 'broadcast');
    await kill();
    expect(t.devnet.pendingCount()).toBe(1);

    // 3. In a block; the next worker sees it confirming. Kill it there.
    t.devnet.mine();
    worker = await startWorker();
    await until(w.body.id, (r) => r.payout_state === 'confirming');
    await kill();

    // 4. Confirmed: the last worker completes it, then stops cleanly.
    t.devnet.mine(19);
    worker = await startWorker();
    await until(w.body.id, (r) => r.status === 'completed');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    worker = null;

    const txs = await t.app.pool.query(
      'select tx_hash, status from payout_transactions where withdrawal_id = $1',
      [w.body.id],
    );
    expect(txs.rows).toEqual([{ tx_hash: stored.tx_hash, status: 'mined' }]);
    const grid = await (
      await fetch(`${t.devnet.url}/v1/accounts/${to}/transactions/trc20?only_to=true`)
    ).json();
    expect(grid.data).toHaveLength(1);
    expect(grid.data[0]).toMatchObject({ transaction_id: stored.tx_hash, value: '188000000' });
    const unbalanced = await t.app.pool.query(
      `select transaction_id from ledger_entries group by transaction_id having sum(amount_minor) <> 0`,
    );
    expect(unbalanced.rows).toEqual([]);
    const books = await t.app.pool.query<{ code: string; b: string }>(
      `select code, balance_minor::text as b from accounts where merchant_id = $1 and kind = 'system' order by code`,
      [m.merchantId],
    );
    expect(Object.fromEntries(books.rows.map((r) => [r.code, r.b]))).toMatchObject({
      fee_revenue: '1200',
      'outflow:TRC20': '18800',
      payouts_in_flight: '0',
    });
  });
});
