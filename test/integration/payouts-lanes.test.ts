import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { TronWeb } from 'tronweb';
import { describe, expect, it } from 'vitest';
import { bullPrefix, payoutQueueName } from '../../jobs/queues.js';
import { loadConfig } from '../../src/config.js';
import { eventually } from '../helpers/receiver.js';
import { MANUAL_SCAN_CONFIG, payoutOnce } from '../helpers/scan.js';
import { useTronApp } from '../helpers/tron.js';

// A payout pass follows the wallet's open withdrawals a few at a time (lanes), under the wallet's advisory
// lock. When one lane's node call failed, the pass returned (and let go of the lock) at once while the other
// lanes went on without it: marking transactions mined, replacing and rebroadcasting them beside the next pass
// (the 3 s monitor, an approval), which followed the same withdrawals. A pass now ends when all its lanes have.

const HOT_KEY = randomBytes(32).toString('hex');
const HOT = TronWeb.address.fromPrivateKey(HOT_KEY) as string;
const t = useTronApp(
  {
    ...MANUAL_SCAN_CONFIG,
    payouts: { ...loadConfig().payouts, monitorMs: 600_000, tronPrivateKey: HOT_KEY },
  },
  'all',
  { gate: true },
);
const APPROVE = `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename ... on Withdrawal { status } } }`;
const fresh = () => TronWeb.address.fromPrivateKey(randomBytes(32).toString('hex')) as string;

async function approvedWithdrawal(userId: string, merchant: Awaited<ReturnType<typeof t.merchant>>) {
  await t.credit(merchant, userId, '10');
  const w = await t.request({
    url: '/api/v1/withdraw/create',
    as: merchant,
    body: { userId, amount: 10, walletAddress: fresh(), network: 'TRC20' },
  });
  expect(w.status).toBe(200);
  const { token } = await t.app.services.tokens.issueAdmin(300, 'ops');
  const ok = await t.graphql({ bearer: token }, APPROVE, { id: w.body.id });
  expect(ok.body.data.approveWithdrawal.status).toBe('APPROVED');
  return w.body.id as string;
}

async function txOf(withdrawalId: string) {
  const r = await t.app.pool.query<{ tx_hash: string; status: string }>(
    'select tx_hash, status from payout_transactions where withdrawal_id = $1 order by id',
    [withdrawalId],
  );
  expect(r.rows).toHaveLength(1);
  return r.rows[0]!;
}

describe('a payout pass', () => {
  it('lets go of the wallet only once every lane has ended, when one lane fails', async () => {
    t.devnet.sendUsdt(HOT, 1_000_000_000n);
    t.devnet.sendTrx(HOT, 2_000_000_000n);
    t.devnet.mine();
    const m = await t.merchant();
    const a = await approvedWithdrawal('lane_a', m);
    const b = await approvedWithdrawal('lane_b', m);
    await payoutOnce(t.app); // signs and broadcasts both
    t.devnet.mine(); // both in a block: 1 confirmation of the 19 a completion waits for
    const [txA, txB] = [await txOf(a), await txOf(b)];
    expect([txA.status, txB.status]).toEqual(['broadcast', 'broadcast']);

    // No pass of the worker's own may take the requests armed below: the approvals' and the start's are done.
    const processor = [...t.app.workers!.payouts.processors.values()][0]!;
    const queue = new Queue(payoutQueueName(processor.wallet.key), {
      connection: t.app.queues.webhooks.opts.connection,
      prefix: bullPrefix(t.app.config.redisPrefix),
    });
    try {
      await eventually(async () => {
        const c = await queue.getJobCounts('waiting', 'active', 'prioritized');
        return (c.waiting ?? 0) + (c.active ?? 0) + (c.prioritized ?? 0) === 0;
      });
    } finally {
      await queue.close();
    }

    // One lane's lookup fails (the node answers 503); the other's is held until that failure was answered.
    const lookup = (hash: string) => (r: { path: string; body: string }) =>
      r.path === '/wallet/gettransactioninfobyid' && r.body.includes(hash);
    const held = t.gate.hold(lookup(txB.tx_hash));
    const refused = t.gate.refuse(lookup(txA.tx_hash), 503);
    const pass = processor.tick();
    await Promise.all([held.arrived, refused.answered]);
    held.release();
    const result = await pass;
    expect(result.skipped).toBeUndefined();

    // When the pass returned, the lane of b had done its work: its transaction is marked mined. Before, the
    // pass returned on a's failure, while b's lookup was still on its way.
    expect((await txOf(b)).status).toBe('mined');
    expect((await txOf(a)).status).toBe('broadcast');
  });
});
