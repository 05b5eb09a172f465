import { Queue, Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { bullPrefix, payoutQueueName } from '../../jobs/queues.js';
import { useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';

// `retryJob` and `retryAllFailed` as the portal and an operator call them: a queue name the process does not
// know is a clear `not_found`, never an `internal_error` logged with its stack; and the payout queue of a hot
// wallet a worker registered after this API process started (the portal lists it, read by another API process
// behind the load balancer) is found at once, not only after the 15 s look for new queues.

const t = useTestApp({}, { role: 'api' });

const WALLET = 'evm:31337:0x00000000000000000000000000000000000Ops5';
const opened: Queue[] = [];
const workers: Worker<unknown, unknown>[] = [];

afterAll(async () => {
  for (const w of workers) await w.close();
  for (const q of opened) {
    await q.obliterate({ force: true });
    await q.close();
  }
});

async function admin(): Promise<string> {
  return (await t.app.services.tokens.issueAdmin(600)).token;
}

const RETRY_ALL = 'mutation($q: String!) { retryAllFailed(queue: $q) }';
const RETRY_ONE = 'mutation($q: String!, $id: ID!) { retryJob(queue: $q, jobId: $id) }';

describe('retrying failed jobs from the ops console', () => {
  it('answers not_found for a queue nobody has, naming it', async () => {
    const bearer = await admin();
    for (const [query, variables] of [
      [RETRY_ALL, { q: 'no-such-queue' }],
      [RETRY_ONE, { q: 'no-such-queue', id: '1' }],
    ] as const) {
      const r = await t.graphql({ bearer }, query, variables);
      expect(r.body.data).toBeNull();
      expect(r.body.errors[0]).toMatchObject({
        message: "Queue 'no-such-queue' not found",
        extensions: { code: 'not_found', param: 'queue' },
      });
    }
  });

  it("retries the failed jobs of a hot wallet's payout queue registered after the start", async () => {
    // A worker elsewhere registers a hot wallet; its payout queue holds a failed job.
    await t.app.pool.query(
      `insert into hot_wallets (key, family, address, networks) values ($1, 'evm', $2, '{ERC20:test}')`,
      [WALLET, WALLET.split(':')[2]],
    );
    const name = payoutQueueName(WALLET);
    const connection = t.app.queues.webhooks.opts.connection;
    const prefix = bullPrefix(t.app.config.redisPrefix);
    const q = new Queue(name, { connection, prefix });
    opened.push(q);
    // Every run of the job fails (the worker's database was away, say).
    const worker = new Worker<unknown, unknown>(
      name,
      async () => {
        throw new Error('connect ECONNREFUSED');
      },
      { connection, prefix },
    );
    worker.on('error', () => undefined);
    workers.push(worker);
    await q.add('tick', {}, { jobId: 'failed-tick' });
    const failedAfter = (runs: number) =>
      eventually(async () => {
        const job = await q.getJob('failed-tick');
        return !!job && (await job.getState()) === 'failed' && job.attemptsMade === runs;
      });
    await failedAfter(1);

    const bearer = await admin();
    const one = await t.graphql({ bearer }, RETRY_ONE, { q: name, id: 'failed-tick' });
    expect(one.body).toEqual({ data: { retryJob: true } });
    await failedAfter(2);
    const all = await t.graphql({ bearer }, RETRY_ALL, { q: name });
    expect(all.body).toEqual({ data: { retryAllFailed: 1 } });
    await failedAfter(3);
  });
});
