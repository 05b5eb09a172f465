import { readFileSync } from 'node:fs';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bullPrefix, startPassId } from '../../jobs/queues.js';
import { CHAIN_QUEUE } from '../../jobs/scanning.js';
import { createInstruments } from '../../src/ops/metrics-instruments.js';
import { refreshQueues } from '../../src/ops/metrics-sources.js';
import { ROOT } from '../helpers/process.js';
import { eventually } from '../helpers/receiver.js';

// After a short PostgreSQL outage the runs of the repeatable queues that ran meanwhile stay failed (kept for
// ops by removeOnFail), although the next run carried on from the stored cursor and healed everything.
// NovaPayQueueFailedJobs must not fire (fifteen minutes later, and for good) for those: it reads
// novapay_queue_failed_unresolved_jobs, which no longer counts a scheduler's failed run once a later run of the
// same schedule completed, while a failed one-off job still counts.

const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: null,
});
const prefix = bullPrefix(`test-superseded-${process.pid}-${Date.now()}`);
const queue = new Queue(CHAIN_QUEUE, { connection, prefix });
let databaseAway = true;
const worker = new Worker(
  CHAIN_QUEUE,
  async (job) => {
    if (job.name === 'once' || databaseAway) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    return { scanned: true };
  },
  { connection, prefix, concurrency: 2 },
);
worker.on('error', () => undefined);

afterAll(async () => {
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
});

/** The two series the dashboard and the alert read, from one refresh with the worker paused (no run between). */
async function scrape(): Promise<{ failed: number; unresolved: number }> {
  const registry = new Registry();
  const i = createInstruments(registry);
  await refreshQueues([queue], i, 3000);
  const value = async (name: string, labels: Record<string, string>) => {
    const m = (await registry.getSingleMetric(name)!.get()).values;
    return m.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
  };
  return {
    failed: (await value('novapay_queue_jobs', { queue: CHAIN_QUEUE, state: 'failed' }))!,
    unresolved: (await value('novapay_queue_failed_unresolved_jobs', { queue: CHAIN_QUEUE }))!,
  };
}

describe('failed runs of a repeatable queue', () => {
  it('stop counting toward NovaPayQueueFailedJobs once a later run of the same schedule completed', async () => {
    const keep = { removeOnComplete: 100, removeOnFail: 100 };
    await queue.upsertJobScheduler(
      'scan:TEST',
      { every: 100 },
      { name: 'scan', data: { chain: 'TEST' }, opts: keep },
    );
    // A second schedule, and the pass a worker queues at start ahead of it (as payout and sweep workers do).
    await queue.upsertJobScheduler('monitor', { every: 100 }, { name: 'tick', data: {}, opts: keep });
    await queue.add('tick', {}, { jobId: startPassId('monitor'), removeOnFail: 100 });
    await queue.add('once', {}, { jobId: 'one-off', removeOnFail: 100 });
    // PostgreSQL is away: the scheduled runs fail one after another, the start pass and the one-off job too.
    await eventually(async () => (await queue.getFailedCount()) >= 6);
    await worker.pause();
    const during = await scrape();
    expect(during.failed).toBeGreaterThanOrEqual(6);
    expect(during.unresolved).toBe(during.failed);

    // PostgreSQL is back: the next run completes, carrying on from the stored cursor.
    databaseAway = false;
    worker.resume();
    const completed = async () => (await queue.getCompleted(0, 100)).map((j) => j.repeatJobKey);
    await eventually(async () => {
      const done = await completed();
      return done.includes('scan:TEST') && done.includes('monitor');
    });
    await worker.pause();
    const after = await scrape();
    expect(after.failed).toBe(during.failed); // still there for ops to read
    expect(after.unresolved).toBe(1); // only the one-off job still calls for someone
  });

  it('is what the alert reads', () => {
    const rules = (
      parse(readFileSync(`${ROOT}monitoring/prometheus/alerts.yml`, 'utf8')) as {
        groups: { rules: { alert: string; expr: string }[] }[];
      }
    ).groups.flatMap((g) => g.rules);
    const rule = rules.find((r) => r.alert === 'NovaPayQueueFailedJobs');
    expect(rule?.expr).toMatch(/novapay_queue_failed_unresolved_jobs/);
  });
});
