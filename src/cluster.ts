import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { AppError } from './lib/errors.js';
import type { Logger } from './lib/logger.js';
import type { OpsMetrics } from './ops/metrics.js';

// API_PROCESSES > 1: several API processes share the HTTP port (node:cluster; the primary hands each new
// connection to one of them). The primary starts nothing that listens: it runs the workers (role `all`) or a
// quiet API app (role `api`) whose metrics read the database, forks the API processes, replaces one that dies,
// and stops them all on SIGTERM. A scrape of /metrics in any API process is answered by the primary with
// every process's counters summed (prom-client's aggregation) and the database gauges read once.

type Metrics = MetricObjectWithValues<MetricValue<string>>[];

const CHILD_ENV = 'NOVAPAY_API_PROCESS';
const ASK = 'novapay:metrics?';
const ANSWER = 'novapay:metrics';
const ASK_ALL = 'novapay:cluster-metrics?';
const ANSWER_ALL = 'novapay:cluster-metrics';
const SCRAPE_TIMEOUT_MS = 5_000;

interface Message {
  type?: string;
  id?: number;
  metrics?: Metrics;
  text?: string;
  error?: string;
}

/**
 * A scrape the cluster could not answer whole: a 503 the scraper retries (its next interval), not a 500, and
 * never a sum that leaves out a living process.
 */
function scrapeFailed(reason: string): AppError {
  return new AppError('service_unavailable', `The metrics scrape failed (${reason}); retry`);
}

/** True in an API process forked by `ApiProcesses`. */
export function isApiProcess(): boolean {
  return cluster.isWorker && process.env[CHILD_ENV] === '1';
}

/**
 * In an API process: answer the primary's requests for this process's metrics, and answer scrapes with the
 * cluster's metrics, asked of the primary.
 */
export function joinClusterMetrics(metrics: OpsMetrics): void {
  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (e: Error) => void }>();
  process.on('message', (m: Message) => {
    if (m.type === ASK) {
      metrics.localJson().then(
        (json) => process.send?.({ type: ANSWER, id: m.id, metrics: json }),
        (err: Error) => process.send?.({ type: ANSWER, id: m.id, error: err.message }),
      );
    } else if (m.type === ANSWER_ALL && m.id !== undefined) {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(scrapeFailed(m.error));
      else w?.resolve(m.text ?? '');
    }
  });
  metrics.delegateRender(
    () =>
      new Promise<string>((resolve, reject) => {
        const id = next++;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(scrapeFailed('the primary process did not answer'));
        }, SCRAPE_TIMEOUT_MS);
        waiting.set(id, {
          resolve: (t) => {
            clearTimeout(timer);
            resolve(t);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        process.send?.({ type: ASK_ALL, id });
      }),
  );
}

/** The primary's side: forks, replaces and stops the API processes, and aggregates their metrics. */
export class ApiProcesses {
  private stopping = false;
  private nextAsk = 0;
  private readonly asks = new Map<
    number,
    { pending: Set<number>; got: Metrics[]; done: () => void; fail: (reason: string) => void }
  >();

  constructor(
    private readonly count: number,
    private readonly env: Record<string, string>,
    private readonly log: Logger,
    /** The primary's own metrics (read from the database once per scrape), or null. */
    private readonly own: OpsMetrics | null,
  ) {}

  /** Forks the processes and resolves once each of them listens; rejects if one exits before that. */
  async start(): Promise<void> {
    cluster.on('message', (worker, m: Message) => this.onMessage(worker, m));
    cluster.on('exit', (worker, code, signal) => {
      // A scrape waiting for it sums the processes that are left (its counters went with it).
      for (const ask of this.asks.values())
        if (ask.pending.delete(worker.id) && ask.pending.size === 0) ask.done();
      if (this.stopping) return;
      this.log.error(
        { pid: worker.process.pid, code, signal },
        'an API process exited; starting another in its place',
      );
      this.fork();
    });
    await Promise.all(Array.from({ length: this.count }, () => this.forkListening()));
  }

  /** SIGTERM to every API process (each drains its requests as a single server does), then waits for them. */
  async stop(): Promise<void> {
    this.stopping = true;
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
    await Promise.all(
      alive.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            w.process.kill('SIGTERM');
          }),
      ),
    );
  }

  private fork(): Worker {
    return cluster.fork({ ...this.env, [CHILD_ENV]: '1' });
  }

  private forkListening(): Promise<void> {
    const worker = this.fork();
    return new Promise((resolve, reject) => {
      const early = (code: number | null) =>
        reject(new Error(`an API process exited with code ${code} before it listened`));
      worker.once('exit', early);
      worker.once('listening', () => {
        worker.off('exit', early);
        resolve();
      });
    });
  }

  private onMessage(worker: Worker, m: Message): void {
    if (m.type === ANSWER && m.id !== undefined) {
      const ask = this.asks.get(m.id);
      if (ask === undefined) return;
      if (!ask.pending.delete(worker.id)) return; // not asked, or answered twice
      if (m.error !== undefined) {
        ask.fail(`API process ${worker.process.pid}: ${m.error}`);
        return;
      }
      ask.got.push(m.metrics ?? []);
      if (ask.pending.size === 0) ask.done();
    } else if (m.type === ASK_ALL && m.id !== undefined) {
      const id = m.id;
      this.scrape().then(
        (text) => worker.send({ type: ANSWER_ALL, id, text }),
        (err: Error) => worker.send({ type: ANSWER_ALL, id, error: err.message }),
      );
    }
  }

  /** Every process's metrics, summed by prom-client's aggregation, with the primary's database gauges. */
  async scrape(): Promise<string> {
    const id = this.nextAsk++;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
    const got: Metrics[] = [];
    const children = new Promise<void>((resolve, reject) => {
      const fail = (reason: string) => {
        clearTimeout(timer);
        this.asks.delete(id);
        this.log.warn({ reason }, 'a metrics scrape failed');
        reject(new Error(reason));
      };
      const timer = setTimeout(() => {
        const late = [...(this.asks.get(id)?.pending ?? [])].map((w) => cluster.workers?.[w]?.process.pid);
        fail(`API process(es) ${late.join(', ')} did not answer within ${SCRAPE_TIMEOUT_MS} ms`);
      }, SCRAPE_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        this.asks.delete(id);
        resolve();
      };
      this.asks.set(id, { pending: new Set(workers.map((w) => w.id)), got, done, fail });
      if (workers.length === 0) done();
      for (const w of workers) w.send({ type: ASK, id });
    });
    const [own] = await Promise.all([this.own?.renderJson() ?? Promise.resolve([]), children]);
    return AggregatorRegistry.aggregate([own, ...got]).metrics();
  }
}
