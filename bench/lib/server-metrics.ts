import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getOrSet } from '../../src/lib/maps.js';

// What the server's own /metrics says about a phase: its garbage collector's pauses (prom-client's
// nodejs_gc_duration_seconds, by kind) and its event loop's delay (nodejs_eventloop_lag_*, whose histogram
// prom-client resets at every scrape, so a scrape at the end of a phase reads that phase). Read to explain a
// latency tail: a paced phase's p99 next to the GC pauses and event-loop stalls of the same seconds.
// prom-client's lag histogram is Node's monitorEventLoopDelay, which records the interval between the
// callbacks of a timer of eventLoopMonitoringPrecision (10 ms by default, as the app leaves it), so an idle
// loop reads ~10 ms: the delay is what lies beyond that interval.

/** prom-client's default eventLoopMonitoringPrecision (src/ops/metrics-instruments.ts keeps it). */
const LAG_RESOLUTION_MS = 10;

export interface GcKind {
  count: number;
  seconds: number;
  /** Pauses longer than 10 ms (the histogram's bucket edge). */
  over10ms: number;
}

export interface ServerMetrics {
  gc: Map<string, GcKind>;
  loopLagP99Ms: number;
  loopLagMaxMs: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? ([0-9.eE+-]+|NaN)$/;

/** One scrape of GET /metrics (admin bearer token); null when it does not answer 200. */
export async function scrapeMetrics(port: number, token: string): Promise<ServerMetrics | null> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) return null;
  const gc = new Map<string, GcKind>();
  const kindOf = (labels: string) => /kind="([^"]+)"/.exec(labels)?.[1] ?? '?';
  const entry = (kind: string) => getOrSet(gc, kind, () => ({ count: 0, seconds: 0, over10ms: 0 }));
  let p99 = 0;
  let max = 0;
  const upTo10ms = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const [, name, labels = '', raw] = m;
    const value = Number(raw);
    if (name === 'nodejs_gc_duration_seconds_count') entry(kindOf(labels)).count += value;
    else if (name === 'nodejs_gc_duration_seconds_sum') entry(kindOf(labels)).seconds += value;
    else if (name === 'nodejs_gc_duration_seconds_bucket' && /le="0\.01"/.test(labels))
      upTo10ms.set(kindOf(labels), (upTo10ms.get(kindOf(labels)) ?? 0) + value);
    else if (name === 'nodejs_eventloop_lag_p99_seconds') p99 = Math.max(0, value * 1000 - LAG_RESOLUTION_MS);
    else if (name === 'nodejs_eventloop_lag_max_seconds') max = Math.max(0, value * 1000 - LAG_RESOLUTION_MS);
  }
  for (const [kind, e] of gc) e.over10ms = e.count - (upTo10ms.get(kind) ?? e.count);
  return { gc, loopLagP99Ms: p99, loopLagMaxMs: max };
}

/** The GC pauses between two scrapes, and the event loop's delay over the second one's window, as one line. */
export function metricsLine(before: ServerMetrics | null, after: ServerMetrics | null): string {
  if (!before || !after) return 'server /metrics: not read';
  const parts: string[] = [];
  for (const [kind, a] of after.gc) {
    const b = before.gc.get(kind) ?? { count: 0, seconds: 0, over10ms: 0 };
    const n = a.count - b.count;
    if (n <= 0) continue;
    const over = a.over10ms - b.over10ms;
    parts.push(
      `${kind} ${n} (${((a.seconds - b.seconds) * 1000).toFixed(0)} ms${over > 0 ? `, ${over} over 10 ms` : ''})`,
    );
  }
  return (
    `server GC pauses: ${parts.join(', ') || 'none'}; event-loop delay beyond its ${LAG_RESOLUTION_MS} ms timer:` +
    ` p99 ${after.loopLagP99Ms.toFixed(1)} ms, max ${after.loopLagMaxMs.toFixed(1)} ms`
  );
}

/** The ledger's batches so far (novapay_ledger_batch_duration_seconds), of the process on `port`. */
export interface LedgerBatches {
  count: number;
  seconds: number;
  at: number;
}

export async function scrapeLedgerBatches(port: number, token: string): Promise<LedgerBatches | null> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
  }).catch(() => null);
  if (res?.status !== 200) return null;
  const out: LedgerBatches = { count: 0, seconds: 0, at: performance.now() };
  for (const line of (await res.text()).split('\n')) {
    const m = SAMPLE.exec(line);
    if (m?.[1] === 'novapay_ledger_batch_duration_seconds_count') out.count += Number(m[3]);
    else if (m?.[1] === 'novapay_ledger_batch_duration_seconds_sum') out.seconds += Number(m[3]);
  }
  return out;
}

/** The ledger's batches between two reads: how many, their mean, and the share of `slots` they kept busy. */
export function ledgerLine(before: LedgerBatches | null, after: LedgerBatches | null, slots: number): string {
  if (!before || !after) return 'ledger batches: not read';
  const n = after.count - before.count;
  const busy = (after.seconds - before.seconds) * 1000;
  const wall = after.at - before.at;
  const mean = n > 0 ? busy / n : 0;
  return `ledger batches: ${n} at ${((n * 1000) / wall).toFixed(0)}/s, mean ${mean.toFixed(2)} ms, ${((100 * busy) / (wall * slots)).toFixed(0)} % of ${slots} slots busy`;
}

/**
 * What could stall every request at once in a phase (a p99 is the fate of ~1 % of them): each server's GC
 * pauses and event-loop delay (its /metrics), and the bench process's own loop delay (it runs the load
 * generator and, in the webhooks bench, the receiver that timestamps every receipt). Call before the
 * phase; the function it returns gives a line per process.
 */
export async function stallMeter(
  servers: { name: string; port: number }[],
  token: string,
): Promise<() => Promise<string[]>> {
  const before = await Promise.all(servers.map((s) => scrapeMetrics(s.port, token)));
  const loop = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  loop.enable();
  return async () => {
    loop.disable();
    const after = await Promise.all(servers.map((s) => scrapeMetrics(s.port, token)));
    const own = (nanos: number) => Math.max(0, nanos / 1e6 - LAG_RESOLUTION_MS).toFixed(1);
    return [
      ...servers.map((s, i) => `${s.name} ${metricsLine(before[i]!, after[i]!)}`),
      `bench process: event-loop delay beyond its ${LAG_RESOLUTION_MS} ms timer: p99 ${own(loop.percentile(99))} ms, max ${own(loop.max)} ms`,
    ];
  };
}
