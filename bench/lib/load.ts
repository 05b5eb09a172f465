import http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { sleep } from './proc.js';

// A closed-loop HTTP load generator: N clients, each sending its next request when the last one answered,
// over keep-alive connections (one socket per client), with a warm-up that is not counted.

export interface Reply {
  status: number;
  body: string;
  /** False when this request had to open a new TCP connection. */
  reused: boolean;
}

export class HttpClient {
  readonly agent: http.Agent;

  constructor(
    private readonly port: number,
    sockets: number,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  post(path: string, body: Buffer, headers: Record<string, string>): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          path,
          method: 'POST',
          agent: this.agent,
          headers: { ...headers, 'Content-Length': String(body.length) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              reused: req.reusedSocket,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface LoadOptions {
  clients: number;
  warmupMs: number;
  durationMs: number;
  /** Sends one request (a fresh body each time). */
  send: () => Promise<Reply>;
}

export interface LoadResult {
  seconds: number;
  /** 200 responses completed inside the measured window. */
  ok: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Every response over the whole run (warm-up included), by status or error code. */
  statuses: Map<string, number>;
  /** A few non-200 bodies or error messages, to show what went wrong. */
  samples: string[];
  /** 200s over the whole run, warm-up included (to compare with what the database committed). */
  okTotal: number;
  connectionsOpened: number;
  /** Paced runs only: the p99 from when each request actually left this process (not from when it was due). */
  sentP99Ms?: number;
  /** Paced runs only: this load generator's own event-loop delay p99 over the run (ms beyond the timer). */
  generatorDelayP99Ms?: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** What a load run counts: each response's status, a few failures' bodies, and the measured latencies. */
class Tally {
  readonly latencies: number[] = [];
  /** Paced runs: latency from when the request was sent, beside `latencies` (from when it was due). */
  readonly sentLatencies: number[] = [];
  readonly statuses = new Map<string, number>();
  readonly samples: string[] = [];
  okTotal = 0;
  connectionsOpened = 0;

  private count(key: string): void {
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
  }

  /** Sends one request and counts its outcome: a 200, another status, or no answer at all. */
  async send(send: () => Promise<Reply>): Promise<'ok' | 'refused' | 'error'> {
    try {
      const r = await send();
      if (!r.reused) this.connectionsOpened++;
      this.count(String(r.status));
      if (r.status === 200) {
        this.okTotal++;
        return 'ok';
      }
      if (this.samples.length < 5) this.samples.push(`${r.status} ${r.body.slice(0, 300)}`);
      return 'refused';
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.count(`error ${e.code ?? e.message ?? 'unknown'}`);
      if (this.samples.length < 5) this.samples.push(`error ${e.message ?? String(err)}`);
      return 'error';
    }
  }

  result(durationMs: number): LoadResult {
    const sorted = Float64Array.from(this.latencies).sort();
    const seconds = durationMs / 1000;
    return {
      seconds,
      ok: sorted.length,
      perSecond: sorted.length / seconds,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
      statuses: this.statuses,
      samples: this.samples,
      okTotal: this.okTotal,
      connectionsOpened: this.connectionsOpened,
    };
  }
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const start = performance.now();
  const measureFrom = start + opts.warmupMs;
  const end = measureFrom + opts.durationMs;
  const tally = new Tally();
  const client = async () => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      const outcome = await tally.send(opts.send);
      if (outcome === 'error') await sleep(10); // a dead server must not turn this loop into a spin
      const t1 = performance.now();
      if (outcome === 'ok' && t0 >= measureFrom && t1 <= end) tally.latencies.push(t1 - t0);
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, client));
  return tally.result(opts.durationMs);
}

/** Runs `task(i)` for i in [0, n) with at most `concurrency` at a time. */
export async function forEachConcurrent(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

export interface PacedOptions {
  perSecond: number;
  warmupMs: number;
  durationMs: number;
  send: () => Promise<Reply>;
}

/**
 * Open loop: one request every 1/perSecond s, each on time whatever the others do, its latency counted
 * from when it was due (so a server that falls behind shows it, rather than slowing the load down).
 */
export async function runPaced(opts: PacedOptions): Promise<LoadResult> {
  const start = performance.now();
  const measureFrom = start + opts.warmupMs;
  const end = measureFrom + opts.durationMs;
  const interval = 1000 / opts.perSecond;
  const tally = new Tally();
  const inFlight = new Set<Promise<void>>();
  const one = async (due: number) => {
    const sentAt = performance.now();
    const outcome = await tally.send(opts.send);
    if (outcome === 'ok' && due >= measureFrom && due < end) {
      const t = performance.now();
      tally.latencies.push(t - due);
      tally.sentLatencies.push(t - sentAt);
    }
  };
  // The generator's own stalls (GC, or no core free for it) delay requests past their due time, which the
  // latency from due counts; this and the latency from send tell them apart from the server's.
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  for (let n = 0; ; n++) {
    const due = start + n * interval;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const p = one(due).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  loop.disable();
  return {
    ...tally.result(opts.durationMs),
    sentP99Ms: percentile(Float64Array.from(tally.sentLatencies).sort(), 0.99),
    // The histogram records the interval between its timer's callbacks, the resolution included.
    generatorDelayP99Ms: Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
  };
}

const LOOP_RESOLUTION_MS = 1;
