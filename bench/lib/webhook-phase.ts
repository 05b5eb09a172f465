import type { SendRequest, SendResult } from '../webhooks-sender.js';
import { cpuMeter } from './cpu.js';
import { checkpoint, vacuumAnalyze, type WebhookCheck, webhookCheck } from './db.js';
import { callNodeScript, log, sleep } from './proc.js';
import type { PhaseLog } from './receiver.js';
import { ms, statusSummary } from './report.js';
import { ledgerLine, scrapeLedgerBatches, stallMeter } from './server-metrics.js';
import {
  createEndpoint,
  deleteEndpoints,
  logFigures,
  sendTransfers,
  summarize,
  type Transfers,
  waitFor,
  waitForBacklog,
  waitForClosed,
} from './webhook-phases.js';
import type { ReportInput } from './webhook-report.js';
import type { Baseline, Ctx, Phase } from './webhook-types.js';

// One phase of `npm run bench -- webhooks` (bench/webhooks.ts runs them in order): its endpoints, its load,
// every delivery to its healthy endpoints, the database's view, its CPU and stall lines; the plain fetch
// baseline of a drain phase; the reference (the API with no endpoint).

export const BENCH_DB = 'novapay_bench_webhooks';
/** The API's LEDGER_MAX_IN_FLIGHT (the bench leaves it at its default). */
const LEDGER_SLOTS = Number(process.env.LEDGER_MAX_IN_FLIGHT ?? 2);
const LINGER_MS = 2_000;
/** Transfers before the reference is measured. */
const WARM_UP = 1_000;

const pids = (c: Ctx) => [c.api.pid, ...c.workers.map((w) => w.pid)];

/** Endpoints that neither hang nor answer 500 (the faults phase's `hang-0` and `fail-0`). */
const healthy = (e: string) => !e.startsWith('hang-') && !e.startsWith('fail-');

/** One phase: endpoints named `names`, then `load` (transfers), then every delivery to the healthy ones. */
export async function phase(
  c: Ctx,
  name: string,
  names: string[],
  load: () => Promise<Transfers>,
  drain = false,
) {
  await settleTables();
  const plog = c.receiver.expect(name);
  const ids: string[] = [];
  for (const n of names) ids.push(await createEndpoint(c.http, c.merchant, c.receiver.url(name, n)));
  log(`${name}: ${names.length} endpoint(s)${drain ? ', delivery paused while the backlog builds' : ''}`);
  if (drain) await c.pause.pause();
  const run = await loadAndDeliver(c, plog, ids, names, load, drain);
  await sleep(LINGER_MS);
  const figures = summarize(
    plog,
    run.expected,
    (id) => (id ? run.transfers.commits.get(id) : undefined),
    healthy,
  );
  logFigures(name, run.waited, figures);
  const db = await closeEndpoints(c, ids);
  return {
    name,
    endpoints: names.length,
    transfers: run.transfers,
    waited: run.waited,
    figures,
    cpu: run.cpu,
    db,
    sample: sampleOf(plog),
    ledger: run.ledger,
    stalls: run.stalls,
  } satisfies Phase;
}

/**
 * What autovacuum would have done between phases on any real deployment (this machine's PostgreSQL runs with
 * autovacuum = off), and what pgbench does before each of its runs: otherwise every phase inherits the dead
 * delivery rows of all the phases before it (80-110 k by the faults phase of a full run), and its claims
 * and outcome writes step over them. Then a checkpoint, so one does not land inside the measurement.
 */
async function settleTables(): Promise<void> {
  await vacuumAnalyze(BENCH_DB);
  await checkpoint();
}

/**
 * `load` with the meters running (stalls, CPU, the API's ledger batches), then, a drain phase's backlog built
 * and delivery resumed, every delivery to the healthy endpoints (or the wait given up).
 */
async function loadAndDeliver(
  c: Ctx,
  plog: PhaseLog,
  ids: string[],
  names: string[],
  load: () => Promise<Transfers>,
  drain: boolean,
) {
  const stallsDone = await stallMeter(
    [c.api, ...c.workers].map((x, i) => ({ name: i === 0 ? 'API' : `worker ${i}`, port: x.port })),
    c.token,
  );
  let cpuDone = cpuMeter(c.api.pid, pids(c));
  const batchesBefore = await scrapeLedgerBatches(c.api.port, c.token);
  const transfers = await load();
  const batches = ledgerLine(batchesBefore, await scrapeLedgerBatches(c.api.port, c.token), LEDGER_SLOTS);
  const expected = transfers.commits.size * names.filter(healthy).length;
  if (drain) {
    await waitForBacklog(BENCH_DB, ids, transfers.commits.size * names.length);
    // Stops its sampling timer (left running, it kept the bench process alive after the report) without
    // counting a phase whose numbers are not reported in the run's quiet line.
    cpuDone.cancel();
    cpuDone = cpuMeter(c.api.pid, pids(c));
    await c.pause.resume();
  }
  log(
    `  ${transfers.commits.size} transfers at ${Math.round(transfers.perSecond)}/s (${statusSummary(transfers.statuses)})`,
  );
  const waited = await waitFor(() => plog.receipts.filter((r) => healthy(r.endpoint)).length, expected);
  const cpu = cpuDone();
  const ledger = `while the transfers ran, ${batches}`;
  const stalls = await stallsDone();
  return { transfers, expected, waited, cpu, ledger, stalls };
}

/**
 * The endpoints' deliveries as the database has them, then the endpoints deleted and their backlog closed
 * (within this phase, not the next one's measurement).
 */
async function closeEndpoints(c: Ctx, ids: string[]): Promise<WebhookCheck> {
  const db = await webhookCheck(BENCH_DB, ids);
  await deleteEndpoints(c.http, c.merchant, ids);
  const closedMs = await waitForClosed(BENCH_DB, ids);
  if (closedMs > 1000) log(`  the deleted endpoints' backlog took ${ms(closedMs)} to close`);
  return db;
}

/** A delivery's body and the headers the plain fetch baseline sends again, once one arrived. */
function sampleOf(plog: PhaseLog): Phase['sample'] {
  const h = plog.sampleHeaders;
  const keep = ['content-type', 'user-agent', 'x-webhook-id', 'x-webhook-timestamp', 'x-signature'];
  return plog.sampleBody && h
    ? {
        body: plog.sampleBody,
        headers: Object.fromEntries(keep.flatMap((k) => (h[k] ? [[k, String(h[k])]] : []))),
      }
    : null;
}

export async function baseline(c: Ctx, n: number, concurrency: number, sample: NonNullable<Phase['sample']>) {
  const name = `plain${n}`;
  const plog = c.receiver.expect(name);
  const total = c.k * n;
  log(`plain fetch, ${n} URL(s): ${total} POSTs, ${concurrency} in flight`);
  const cpuDone = cpuMeter();
  const request: SendRequest = {
    urls: Array.from({ length: n }, (_, i) => c.receiver.url(name, i)),
    total,
    concurrency,
    body: sample.body,
    headers: sample.headers,
    timeoutMs: 10_000,
  };
  const sent = await callNodeScript<SendResult>('bench/webhooks-sender.ts', request, 300_000);
  const waited = await waitFor(() => plog.receipts.length, total);
  const cpu = cpuDone();
  const figures = summarize(plog, total, (_id, sentAt) => sentAt ?? undefined);
  logFigures(name, waited, figures);
  return { endpoints: n, concurrency, sent, figures, cpu } satisfies Baseline;
}

/**
 * The API with no endpoint, warmed up first, as every later phase is by the ones before it: measured cold
 * (the first transfers of a fresh process, before the JIT and the pools settle) the reference ran at 599/s
 * where the drain phases' transfers, with delivery paused, ran at 776-803/s, and live10 read 1.14x of it.
 */
export async function referencePhase(
  c: Ctx,
  closed: () => Promise<Transfers>,
): Promise<ReportInput['reference']> {
  log(`reference: ${WARM_UP} transfers to warm up, then ${c.k} transfers, no endpoint`);
  await sendTransfers(WARM_UP, c.http, c.merchant);
  const refCpu = cpuMeter(c.api.pid, pids(c));
  const before = await scrapeLedgerBatches(c.api.port, c.token);
  const transfers = await closed();
  const ledger = ledgerLine(before, await scrapeLedgerBatches(c.api.port, c.token), LEDGER_SLOTS);
  return { transfers, cpu: refCpu(), ledger };
}
