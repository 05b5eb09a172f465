import { QUEUE } from '../jobs/queues.js';
import { loadConfig } from '../src/config.js';
import { type CpuSplit, cpuMeter, formatCpu } from './lib/cpu.js';
import { dropDatabase, PG_BASE, type WebhookCheck, webhookCheck } from './lib/db.js';
import { adminToken, createMerchant, fundUsers, type Merchant, signedPost, userId } from './lib/fixtures.js';
import { forEachConcurrent, HttpClient, percentile } from './lib/load.js';
import { callNodeScript, freePort, log, type ServerChild, sleep, startServer } from './lib/proc.js';
import { type PhaseLog, Receiver } from './lib/receiver.js';
import { countQueueEvents, dropRedisPrefix } from './lib/redis.js';
import { int, machineLines, ms, serverLogSummary, statusSummary, table } from './lib/report.js';
import { now } from './lib/subscribers.js';
import type { SendRequest, SendResult } from './webhooks-sender.js';

// `npm run bench -- webhooks`: the server in its own process (role all: API, outbox relay and webhook
// worker, WEBHOOK_* settings at their defaults), a local receiver in this process, 1 and then 10 endpoints
// subscribed to transfer.completed, and K signed REST transfers sent quickly by a few clients. Measured at
// the receiver: deliveries/s from the first to the last POST received, and from each transfer's commit (its
// HTTP response arriving here) to the POST arriving. Baseline in the same run: the same receiver hit by a
// plain loop of fetch POSTs of the same body, from a child process, with as many in flight as the worker
// allows itself (min(WEBHOOK_CONCURRENCY, endpoints × WEBHOOK_PER_ENDPOINT_CONCURRENCY)).
// WEBHOOK_TRANSFERS changes K (default 2000).

const BENCH_DB = 'novapay_bench_webhooks';
const REDIS_PREFIX = 'novapay-bench-webhooks';
const ENDPOINT_COUNTS = [1, 10];
const CLIENTS = 8;
const DONORS = 8;
const SHOP = 'bench_shop';
/** Waiting for deliveries: give up after this long without one, or this long in all. */
const STALL_MS = 30_000;
const DRAIN_MAX_MS = 300_000;
/** After the last expected delivery, wait this long for late duplicates. */
const LINGER_MS = 2_000;
const SETTINGS = ['WEBHOOK_CONCURRENCY', 'WEBHOOK_PER_ENDPOINT_CONCURRENCY', 'WEBHOOK_TIMEOUT_MS'];

interface Delivered {
  deliveries: number;
  expected: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  duplicates: number;
  /** Receipts whose transfer this bench did not send (or did not see answered). */
  unmatched: number;
  /** Per endpoint deliveries/s, slowest and fastest. */
  endpointRates: [number, number];
}

interface OursPhase {
  n: number;
  endpointIds: string[];
  transfers: { sent: number; ok: number; seconds: number; statuses: Map<string, number>; samples: string[] };
  waited: string;
  figures: Delivered;
  cpu: CpuSplit;
  db: WebhookCheck;
  /** BullMQ job events during the phase. */
  jobEvents: Record<string, number>;
  sample: { body: string; headers: Record<string, string> } | null;
}

interface BaselinePhase {
  n: number;
  concurrency: number;
  sent: SendResult;
  waited: string;
  figures: Delivered;
  cpu: CpuSplit;
}

function transferCount(): number {
  const raw = process.env.WEBHOOK_TRANSFERS ?? '2000';
  const k = Number(raw);
  if (!Number.isInteger(k) || k < 1 || k > 100_000)
    throw new Error(`WEBHOOK_TRANSFERS must be 1-100000, not '${raw}'`);
  return k;
}

const CREATE_ENDPOINT = `mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    __typename ... on WebhookEndpointWithSecret { endpoint { id } } ... on Error { code message }
  }
}`;
const DELETE_ENDPOINT = `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { __typename } }`;

async function createEndpoint(http: HttpClient, m: Merchant, url: string): Promise<string> {
  const input = { url, events: ['TRANSFER_COMPLETED'], description: 'bench' };
  const r = await signedPost(http, m, '/graphql', { query: CREATE_ENDPOINT, variables: { input } });
  const id = r.status === 200 ? JSON.parse(r.body)?.data?.createWebhookEndpoint?.endpoint?.id : undefined;
  if (typeof id !== 'string') throw new Error(`createWebhookEndpoint failed: HTTP ${r.status} ${r.body}`);
  return id;
}

async function deleteEndpoint(http: HttpClient, m: Merchant, id: string): Promise<void> {
  const r = await signedPost(http, m, '/graphql', { query: DELETE_ENDPOINT, variables: { id } });
  if (r.status !== 200 || JSON.parse(r.body)?.errors)
    throw new Error(`deleteWebhookEndpoint failed: ${r.body}`);
}

/** Waits until `count()` reaches `expected`, or nothing arrived for STALL_MS, or DRAIN_MAX_MS passed. */
async function waitFor(count: () => number, expected: number): Promise<string> {
  const started = performance.now();
  let last = -1;
  let lastMove = started;
  for (;;) {
    const c = count();
    const t = performance.now();
    if (c >= expected) return `all ${int(expected)} arrived`;
    if (c !== last) {
      last = c;
      lastMove = t;
    }
    if (t - lastMove > STALL_MS)
      return `STALLED: ${int(c)} of ${int(expected)} arrived, none for the last ${STALL_MS / 1000} s`;
    if (t - started > DRAIN_MAX_MS)
      return `GAVE UP after ${DRAIN_MAX_MS / 1000} s: ${int(c)} of ${int(expected)} arrived`;
    await sleep(100);
  }
}

function summarize(
  log: PhaseLog,
  expected: number,
  startOf: (transferId: string | null, sentAt: number | null) => number | undefined,
): Delivered {
  const r = log.receipts;
  const latencies: number[] = [];
  let unmatched = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  const byEndpoint = new Map<string, { n: number; first: number; last: number }>();
  for (const x of r) {
    first = Math.min(first, x.at);
    last = Math.max(last, x.at);
    const e = byEndpoint.get(x.endpoint) ?? { n: 0, first: x.at, last: x.at };
    e.n++;
    e.first = Math.min(e.first, x.at);
    e.last = Math.max(e.last, x.at);
    byEndpoint.set(x.endpoint, e);
    const start = startOf(x.transferId, x.sentAt);
    if (start === undefined) unmatched++;
    else latencies.push(x.at - start);
  }
  const sorted = Float64Array.from(latencies).sort();
  const seconds = (last - first) / 1000;
  const rates = [...byEndpoint.values()].map((e) => e.n / ((e.last - e.first) / 1000 || Number.NaN));
  return {
    deliveries: r.length,
    expected,
    seconds,
    perSecond: r.length / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    duplicates: log.duplicates,
    unmatched,
    endpointRates: [Math.min(...rates), Math.max(...rates)],
  };
}

interface Transfers {
  /** Transfer id → when its 200 arrived. */
  commits: Map<string, number>;
  statuses: Map<string, number>;
  samples: string[];
  seconds: number;
}

/** K signed transfers of 1 Star from the donors to the shop, CLIENTS at a time (closed loop). */
async function sendTransfers(k: number, http: HttpClient, merchant: Merchant): Promise<Transfers> {
  const commits = new Map<string, number>();
  const statuses = new Map<string, number>();
  const samples: string[] = [];
  const count = (key: string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
  const t0 = performance.now();
  await forEachConcurrent(k, CLIENTS, async (i) => {
    try {
      const r = await signedPost(http, merchant, '/api/v1/transfer', {
        fromUserId: userId(i % DONORS),
        toUserId: SHOP,
        amount: 1,
        description: 'bench',
      });
      const at = now();
      count(String(r.status));
      if (r.status === 200) commits.set((JSON.parse(r.body) as { id: string }).id, at);
      else if (samples.length < 5) samples.push(`${r.status} ${r.body.slice(0, 300)}`);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      count(`error ${e.code ?? e.message}`);
      if (samples.length < 5) samples.push(`error ${e.message}`);
      await sleep(10);
    }
  });
  return { commits, statuses, samples, seconds: (performance.now() - t0) / 1000 };
}

type QueueEventCounter = Awaited<ReturnType<typeof countQueueEvents>>;

async function measureOurs(
  n: number,
  k: number,
  ctx: {
    server: ServerChild;
    http: HttpClient;
    merchant: Merchant;
    receiver: Receiver;
    queueEvents: QueueEventCounter;
  },
): Promise<OursPhase> {
  const { server, http, merchant, receiver, queueEvents } = ctx;
  const phase = `ours${n}`;
  const plog = receiver.expect(phase);
  const endpointIds: string[] = [];
  for (let i = 0; i < n; i++) endpointIds.push(await createEndpoint(http, merchant, receiver.url(phase, i)));
  log(`ours, ${n} endpoint(s): ${int(k)} transfers, ${CLIENTS} clients`);

  const cpuDone = cpuMeter(server.pid);
  queueEvents.take();
  const transfers = await sendTransfers(k, http, merchant);
  const { commits } = transfers;
  log(
    `  transfers done in ${transfers.seconds.toFixed(1)} s (${statusSummary(transfers.statuses)}); waiting for deliveries`,
  );
  const expected = commits.size * n;
  const waited = await waitFor(() => plog.receipts.length, expected);
  const cpu = cpuDone();
  await sleep(LINGER_MS);
  const jobEvents = queueEvents.take();
  const figures = summarize(plog, expected, (id) => (id ? commits.get(id) : undefined));
  log(`  ${waited}: ${int(figures.perSecond)} deliveries/s, p50 ${ms(figures.p50)}, p99 ${ms(figures.p99)}`);
  const db = await webhookCheck(BENCH_DB, endpointIds);
  for (const id of endpointIds) await deleteEndpoint(http, merchant, id);
  const h = plog.sampleHeaders;
  const keep = ['content-type', 'user-agent', 'x-webhook-id', 'x-webhook-timestamp', 'x-signature'];
  const sample =
    plog.sampleBody && h
      ? {
          body: plog.sampleBody,
          headers: Object.fromEntries(keep.flatMap((name) => (h[name] ? [[name, String(h[name])]] : []))),
        }
      : null;
  return {
    n,
    endpointIds,
    transfers: {
      sent: k,
      ok: commits.size,
      seconds: transfers.seconds,
      statuses: transfers.statuses,
      samples: transfers.samples,
    },
    waited,
    figures,
    cpu,
    db,
    jobEvents,
    sample,
  };
}

async function measureBaseline(
  n: number,
  total: number,
  concurrency: number,
  sample: { body: string; headers: Record<string, string> },
  receiver: Receiver,
  timeoutMs: number,
): Promise<BaselinePhase> {
  const phase = `plain${n}`;
  const plog = receiver.expect(phase);
  log(
    `plain fetch, ${n} URL(s): ${int(total)} POSTs of ${sample.body.length} bytes, ${concurrency} in flight`,
  );
  const cpuDone = cpuMeter();
  const request: SendRequest = {
    urls: Array.from({ length: n }, (_, i) => receiver.url(phase, i)),
    total,
    concurrency,
    body: sample.body,
    headers: sample.headers,
    timeoutMs,
  };
  const sent = await callNodeScript<SendResult>('bench/webhooks-sender.ts', request, DRAIN_MAX_MS);
  const waited = await waitFor(() => plog.receipts.length, total);
  const cpu = cpuDone();
  await sleep(LINGER_MS);
  const figures = summarize(plog, total, (_id, sentAt) => sentAt ?? undefined);
  log(`  ${waited}: ${int(figures.perSecond)} POSTs/s, p50 ${ms(figures.p50)}, p99 ${ms(figures.p99)}`);
  return { n, concurrency, sent, waited, figures, cpu };
}

const pair = ([a, b]: [number, number]) => `${ms(a)} / ${ms(b)}`;
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');

function report(
  pairs: { ours: OursPhase; base: BaselinePhase | null }[],
  reference: { transfers: Transfers; cpu: CpuSplit },
  k: number,
  settings: { overridden: string[]; concurrency: number; perEndpoint: number; timeoutMs: number },
  server: ServerChild,
  exit: string,
  strays: number,
): string[] {
  const rows: string[][] = [];
  for (const { ours, base } of pairs) {
    const o = ours.figures;
    rows.push([
      `ours (outbox → BullMQ → fetch)`,
      String(ours.n),
      `${int(o.deliveries)} of ${int(o.expected)}`,
      int(o.perSecond),
      ms(o.p50),
      ms(o.p99),
    ]);
    if (!base) continue;
    const b = base.figures;
    rows.push([
      `plain fetch loop, ${base.concurrency} in flight`,
      String(base.n),
      `${int(b.deliveries)} of ${int(b.expected)}`,
      int(b.perSecond),
      ms(b.p50),
      ms(b.p99),
    ]);
    rows.push([
      '**ours / plain**',
      String(ours.n),
      '',
      ratio(o.perSecond, b.perSecond),
      ratio(o.p50, b.p50),
      ratio(o.p99, b.p99),
    ]);
  }
  const rt = reference.transfers;
  const lines = [
    ...table(['scenario', 'endpoints', 'deliveries', 'deliveries/s', 'latency p50', 'p99'], rows),
    '',
    `- no endpoint (reference): ${int(k)} transfers by ${CLIENTS} clients in ${rt.seconds.toFixed(1)} s` +
      ` (${int(k / rt.seconds)}/s; ${statusSummary(rt.statuses)})`,
    `  ${formatCpu(reference.cpu)}`,
    ...rt.samples.map((s) => `  sample non-200 transfer: ${s}`),
  ];
  for (const { ours, base } of pairs) {
    const o = ours.figures;
    const t = ours.transfers;
    const missing = o.expected - o.deliveries;
    lines.push(
      `- ours, ${ours.n} endpoint(s): ${int(t.sent)} transfers by ${CLIENTS} clients in ${t.seconds.toFixed(1)} s` +
        ` (${int(t.sent / t.seconds)}/s; ${statusSummary(t.statuses)}); ${ours.waited}`,
      `  deliveries: ${int(o.deliveries)} of ${int(o.expected)} in ${o.seconds.toFixed(1)} s from the first to the last` +
        `${missing > 0 ? ` — ${int(missing)} MISSING` : ''}; ${o.duplicates ? `${int(o.duplicates)} DUPLICATES` : 'no duplicates'}` +
        `${o.unmatched ? `; ${int(o.unmatched)} for transfers not sent by this phase` : ''}` +
        `; commit → receipt max ${ms(o.max)}`,
      `  per endpoint: ${ours.n > 1 ? `slowest ${int(o.endpointRates[0])}/s, fastest ${int(o.endpointRates[1])}/s` : `${int(o.endpointRates[0])}/s`}`,
      `  database: deliveries ${JSON.stringify(ours.db.deliveries)}; ${int(ours.db.attempts)} attempts logged` +
        `${ours.db.failedAttempts ? `, ${int(ours.db.failedAttempts)} FAILED: ${ours.db.errors.join('; ')}` : ', none failed'}`,
      `  where the time went (database clocks, p50 / p99): event → delivery row (relay) ${pair(ours.db.relayMs)};` +
        ` delivery row → delivered (queue, POST, bookkeeping) ${pair(ours.db.queueMs)}; the POST as the worker timed it` +
        ` ${pair(ours.db.postMs)}`,
      `  BullMQ job events: ${
        Object.entries(ours.jobEvents)
          .map(([e, c]) => `${e} ${int(c)}`)
          .join(', ') || 'none seen'
      }`,
      `  ${formatCpu(ours.cpu)}`,
      ...t.samples.map((s) => `  sample non-200 transfer: ${s}`),
    );
    if (base) {
      const b = base.figures;
      lines.push(
        `- plain fetch, ${base.n} URL(s): ${int(b.deliveries)} of ${int(b.expected)} received in ${b.seconds.toFixed(1)} s;` +
          ` sender saw ${JSON.stringify(base.sent.statuses)} in ${base.sent.seconds.toFixed(1)} s; ${base.waited}` +
          `${b.duplicates ? `; ${int(b.duplicates)} DUPLICATES` : ''}; latency max ${ms(b.max)}`,
        `  ${formatCpu(base.cpu, 'other (the sender process, kernel, other processes)')}`,
      );
    }
  }
  lines.push(
    `- server log at LOG_LEVEL=warn: ${server.lines.length ? `${server.lines.length} lines` : 'nothing'}`,
    ...serverLogSummary(server.lines),
    `- server stopped with SIGTERM: ${exit}; POSTs to the receiver outside any phase: ${strays}`,
    `- settings (${settings.overridden.length ? `SET IN THE ENVIRONMENT: ${settings.overridden.join(', ')}` : 'defaults'}): WEBHOOK_CONCURRENCY ${settings.concurrency}, WEBHOOK_PER_ENDPOINT_CONCURRENCY` +
      ` ${settings.perEndpoint}, WEBHOOK_TIMEOUT_MS ${settings.timeoutMs}; one server process (role all: API,` +
      ` outbox relay, webhook worker); receiver: node:http in the bench process, reads and parses the body, answers 200`,
    `- ours: ${int(k)} signed POST /api/v1/transfer of 1 Star per phase, ${CLIENTS} closed-loop clients from ${DONORS} donors;` +
      ` latency = receipt at the receiver − the transfer's HTTP response at the bench (same process, same clock);` +
      ` deliveries/s = deliveries / (last receipt − first receipt)`,
    `- plain fetch: the body of one real delivery (same size, same headers) POSTed ${int(k)} × endpoints times by` +
      ` a child process with fetch, min(WEBHOOK_CONCURRENCY, endpoints × per-endpoint cap) in flight;` +
      ` latency = receipt − the sender starting that POST`,
  );
  return lines;
}

export async function run(_args: string[]): Promise<void> {
  const k = transferCount();
  const started = new Date();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: `${PG_BASE}/${BENCH_DB}`,
    LOG_LEVEL: 'warn',
    REDIS_PREFIX,
    TRON_DEVNET: 'off', // no in-process TRON devnet: its blocks would share the server's event loop
  };
  // The defaults are what is measured; a WEBHOOK_* setting exported in the environment is passed on and
  // named in the report (for side experiments).
  const overridden = SETTINGS.filter((name) => env[name] !== undefined);
  const cfg = loadConfig({ ...env, MASTER_KEY: '0'.repeat(64) });
  const settings = {
    overridden,
    concurrency: cfg.webhookConcurrency,
    perEndpoint: cfg.webhookPerEndpointConcurrency,
    timeoutMs: cfg.webhookTimeoutMs,
  };
  const receiver = new Receiver();
  let server: ServerChild | null = null;
  let http: HttpClient | null = null;
  let queueEvents: QueueEventCounter | null = null;
  try {
    await dropDatabase(BENCH_DB);
    await dropRedisPrefix(REDIS_PREFIX);
    await receiver.start();
    const port = await freePort();
    log(`starting the server on 127.0.0.1:${port} (database ${BENCH_DB}); receiver on ${receiver.port}`);
    server = await startServer(port, env);
    const merchant = await createMerchant(env);
    http = new HttpClient(server.port, CLIENTS);
    await fundUsers(http, await adminToken(env), merchant.merchantId, DONORS, '1000000.00', DONORS);
    log(`merchant ${merchant.merchantId}; ${DONORS} donors funded`);
    queueEvents = await countQueueEvents(REDIS_PREFIX, QUEUE.webhooks);

    // The same transfers with no endpoint: what the API does here when there is nothing to deliver.
    log(`no endpoint: ${int(k)} transfers, ${CLIENTS} clients (reference)`);
    const aloneCpu = cpuMeter(server.pid);
    const alone = await sendTransfers(k, http, merchant);
    const reference = { transfers: alone, cpu: aloneCpu() };
    log(`  ${int(k / alone.seconds)} transfers/s (${statusSummary(alone.statuses)})`);

    const pairs: { ours: OursPhase; base: BaselinePhase | null }[] = [];
    for (const n of ENDPOINT_COUNTS) {
      const ours = await measureOurs(n, k, { server, http, merchant, receiver, queueEvents });
      const concurrency = Math.min(settings.concurrency, n * settings.perEndpoint);
      const base = ours.sample
        ? await measureBaseline(n, k * n, concurrency, ours.sample, receiver, settings.timeoutMs)
        : null;
      pairs.push({ ours, base });
    }
    http.close();
    http = null;
    const exit = await server.stop();
    log(`server stopped (${exit})`);
    const lines = [
      `webhooks benchmark, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '',
      ...(await machineLines()),
      '',
      ...report(pairs, reference, k, settings, server, exit, receiver.strays),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    http?.close();
    await queueEvents?.close();
    if (server) await server.stop();
    await receiver.stop();
    await dropDatabase(BENCH_DB).catch((e) => log(`could not drop ${BENCH_DB}: ${e.message}`));
    await dropRedisPrefix(REDIS_PREFIX).catch((e) =>
      log(`could not clear Redis ${REDIS_PREFIX}: ${e.message}`),
    );
  }
}
