import { useCallback, useRef, useState } from 'preact/hooks';
import { adminGql, errorText } from './api';
import { type Ops, PortalOps, PortalRetryAll, PortalRetryJob } from './documents';
import { useInterval } from './hooks';
import type { Note } from './types';

// The admin `ops` field (queues, chain scanners, webhook backlog), polled: the webhooks and chains panels show
// it, and what changed between two polls goes to the live feed (the API has no admin event subscription).

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function queueChanges(prev: Ops, next: Ops): string[] {
  const out: string[] = [];
  for (const q of next.queues) {
    const p = prev.queues.find((x) => x.name === q.name);
    if (!q.counts || !p?.counts) continue;
    const done = q.counts.completed - p.counts.completed;
    const failed = q.counts.failed - p.counts.failed;
    if (done > 0) out.push(`${q.name}: ${plural(done, 'job')} completed`);
    if (failed > 0) out.push(`${q.name}: ${plural(failed, 'job')} failed`);
  }
  return out;
}

function scannerChanges(prev: Ops, next: Ops): string[] {
  const out: string[] = [];
  for (const s of next.scanners) {
    const p = prev.scanners.find((x) => x.chain === s.chain);
    if (p && s.headBlock !== null && p.headBlock !== null && s.headBlock > p.headBlock) {
      out.push(
        `${s.chain}: head ${s.headBlock} (+${s.headBlock - p.headBlock}), lag ${s.lagBlocks ?? '?'} blocks`,
      );
    }
  }
  return out;
}

function webhookChanges(prev: Ops, next: Ops): string[] {
  const out: string[] = [];
  for (const b of next.webhookBacklog) {
    const p = prev.webhookBacklog.find((x) => x.endpointId === b.endpointId);
    if (b.failingSince && !p?.failingSince) out.push(`webhook ${b.url} is failing`);
  }
  for (const p of prev.webhookBacklog) {
    if (!next.webhookBacklog.some((b) => b.endpointId === p.endpointId))
      out.push(`webhook ${p.url} caught up`);
  }
  return out;
}

/** The feed lines for what changed between two polls of `ops`. */
export function diffOps(prev: Ops | null, next: Ops): string[] {
  if (!prev) return ['Connected: watching queues, scanners and webhooks.'];
  return [...queueChanges(prev, next), ...scannerChanges(prev, next), ...webhookChanges(prev, next)];
}

export type Retry = (queue: string, jobId: string | null) => Promise<void>;

/** `ops`, polled every `pollMs`; `retry` sends one failed job again (or, without a job id, every one). */
export function useOps(pollMs: number, note: Note) {
  const [ops, setOps] = useState<Ops | null>(null);
  const [error, setError] = useState<string | null>(null);
  const last = useRef<Ops | null>(null);

  const refresh = useCallback(async () => {
    try {
      const r = await adminGql(PortalOps, {});
      for (const line of diffOps(last.current, r.ops)) note(line);
      last.current = r.ops;
      setOps(r.ops);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [note]);
  useInterval(refresh, pollMs, true);

  const retry: Retry = useCallback(
    async (queue, jobId) => {
      try {
        if (jobId) {
          const r = await adminGql(PortalRetryJob, { queue, jobId });
          note(
            r.retryJob
              ? `${queue}: job ${jobId} sent again`
              : `${queue}: job ${jobId} was not failed any more`,
          );
        } else {
          const r = await adminGql(PortalRetryAll, { queue });
          note(`${queue}: ${r.retryAllFailed} failed job(s) sent again`);
        }
        await refresh();
      } catch (e) {
        note(`retry failed: ${errorText(e)}`);
      }
    },
    [note, refresh],
  );

  return { ops, error, retry };
}
