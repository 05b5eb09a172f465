import type { Job, Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';

// Any producer (the BullMQ dashboard, a script) can add a job with any data: the processors fail such a job
// for good with a message naming what is wrong, never a TypeError (jobs/job-data.ts).

const t = useTestApp({}, { role: 'worker' });

async function failedReason(queue: Queue, job: Job): Promise<string> {
  const reason = await eventually(async () => {
    const j = await queue.getJob(job.id!);
    return j && (await j.getState()) === 'failed' ? j.failedReason : null;
  });
  return reason!;
}

describe('job data from any producer', () => {
  it('webhooks: null, a non-object or missing fields fail cleanly, without retries', async () => {
    const queue = t.app.queues.webhooks as unknown as Queue;
    const cases: [unknown, RegExp][] = [
      [null, /invalid job data for webhooks job retry \(.+\): .*expected object, received null/],
      ['evt_1', /invalid job data for webhooks job retry .*expected object, received string/],
      [{}, /eventId: .*expected string, received undefined; endpointId: /],
      [{ eventId: 'evt_1', endpointId: 7 }, /endpointId: .*expected string, received number/],
    ];
    for (const [data, reason] of cases) {
      const job = await queue.add('retry', data, { attempts: 3 });
      const why = await failedReason(queue, job);
      expect(why).toMatch(reason);
      expect(why).not.toMatch(/TypeError|Cannot (read|destructure)/);
      expect((await queue.getJob(job.id!))!.attemptsMade).toBe(1);
    }
  });

  it('chain-scan: a scan job without a chain fails cleanly', async () => {
    const queue = t.app.workers!.scanning.queue;
    for (const data of [null, { chain: 5 }]) {
      const job = await queue.add('scan', data);
      const why = await failedReason(queue, job);
      expect(why).toMatch(/invalid job data for chain-scan job scan \(.+\): .*expected (object|string)/);
    }
  });
});
