import type { Ops } from './documents';

// What changed between two readings of the admin `ops` status (queues, chain scanners, webhook backlog), as
// lines for the live feed; the readings come from the `opsHealth` subscription (live.ts).

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

/** The feed lines for what changed between two readings of `ops`. */
export function diffOps(prev: Ops | null, next: Ops): string[] {
  if (!prev) return ['Connected: watching queues, scanners and webhooks.'];
  return [...queueChanges(prev, next), ...scannerChanges(prev, next), ...webhookChanges(prev, next)];
}
