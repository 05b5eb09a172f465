import { type Job, UnrecoverableError } from 'bullmq';
import { z } from 'zod';

// Any producer can add a job to our queues (the BullMQ dashboard, a script, an older release), so a processor
// never trusts job.data: each one parses it here first. A job whose data does not fit fails for good (no
// retry can fix it) with a message naming the queue, the job and what is wrong, never a TypeError.

/** A webhook retry mirror (jobs/webhooks.ts). */
export const webhookJobData = z.object({ eventId: z.string().min(1), endpointId: z.string().min(1) });
/** A chain's scan pass (jobs/scanning.ts). */
export const scanJobData = z.object({ chain: z.string().min(1) });
/** A sweep pass (jobs/sweeps.ts); `address` is ops' sweepAddress. No data at all is a plain pass. */
export const sweepJobData = z
  .object({ address: z.string().min(1).optional() })
  .nullish()
  .transform((d) => d ?? {});

/** job.data parsed by `schema`, or an UnrecoverableError saying which fields are wrong. */
export function jobData<T extends z.ZodType>(
  schema: T,
  job: Pick<Job, 'id' | 'name' | 'queueName' | 'data'>,
): z.infer<T> {
  const parsed = schema.safeParse(job.data);
  if (parsed.success) return parsed.data;
  const what = parsed.error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  throw new UnrecoverableError(`invalid job data for ${job.queueName} job ${job.name} (${job.id}): ${what}`);
}
