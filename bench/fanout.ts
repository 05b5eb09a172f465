import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type CpuSplit, cpuMeter, formatCpu } from './lib/cpu.js';
import { dropDatabase, PG_BASE } from './lib/db.js';
import { goalLines, type PhaseSummary } from './lib/fanout-goals.js';
import { adminToken, createMerchant, fundUsers, type Merchant, signedPost, userId } from './lib/fixtures.js';
import { HttpClient, percentile } from './lib/load.js';
import {
  cpuSeconds,
  freePort,
  log,
  rssKiB,
  type ServerChild,
  sleep,
  startNodeScript,
  startServer,
} from './lib/proc.js';
import { dropRedisPrefix } from './lib/redis.js';
import { int, machineLines, ms, serverLogSummary, table } from './lib/report.js';
import { now, type OpenResult, type ReportResult, Subscribers } from './lib/subscribers.js';

// `npm run bench -- fanout`: N graphql-ws subscribers (bench/fanout-clients.ts, its own process) of one
// stream's donationReceived; donations are signed POST /api/v1/transfer with metadata.streamId. Per
// donation: from its commit (its HTTP response arriving here) to the last subscriber's receipt. Two phases
// on the same sockets: (1) donations one at a time, each sent once the last reached every socket (the
// fan-out latency itself), (2) 100 donations at a steady pace, one every 50 ms, not waiting for each other
// (a burst: 20 donations/s × N messages/s). The same client process against a bare graphql-yoga +
// graphql-ws server (bench/lib/bare-ws-server.ts, donations published in-process) in the same run.
// FANOUT_CLIENTS (default "1000,5000,10000") and FANOUT_INTERVAL_MS (default 50) change the shape. Every
// subscription has its own id (a UUID, as graphql-ws' createClient gives each); FANOUT_SUBSCRIPTION_IDS=same
// gives every socket the id "1" (bench/fanout-clients.ts).

const BENCH_DB = 'novapay_bench_fanout';
/** The N at which ours also runs as two API processes behind one Redis. */
const TWO_PROCESS_N = Number(process.env.FANOUT_TWO_PROCESS_N ?? 5000);
const REDIS_PREFIX = 'novapay-bench-fanout';
export const STREAM = 'bench_stream';
const DONOR = userId(0);
const STREAMER = 'bench_streamer';
const ISOLATED = 20;
const PACED = 100;
export const QUERY = `subscription { donationReceived(streamId: "${STREAM}") { id amount } }`;
const OPEN_CONCURRENCY = 100;
const OPEN_TIMEOUT_MS = 120_000;
const PROBES = 20;
const PROBE_WAIT_MS = 1_500;
/** A donation's HTTP request gives up after this long (the server may be far behind in a burst). */
const SEND_TIMEOUT_MS = 90_000;
/** One-at-a-time donations: how long to wait for one to reach every socket, and the pause after it. */
const ISOLATED_WAIT_MS = 30_000;
const ISOLATED_GAP_MS = 100;
/** Waiting for the last messages of a burst: give up after this long without progress, or in all. */
const STALL_MS = 15_000;
const DRAIN_MAX_MS = 180_000;
/** File descriptors per process beyond the sockets (pg pool, Redis, stdio, …). */
const FD_MARGIN = 200;
/** The open-files limit the bench raises itself (and so its children) to, for 10,000 sockets and more. */
const FD_WANTED = 65_536;
/** The slow phase: one socket in SLOW_EVERY reads for SLOW_READ_MS out of every SLOW_PERIOD_MS. */
const SLOW_EVERY = 20;
const SLOW_READ_MS = 20;
const SLOW_PERIOD_MS = 500;
/** After the sockets close, the server's RSS is read every second until it is back within 10 % of its start
 * (V8 returns freed pages when its memory reducer runs on an idle process), or this long in all. */
const CLOSED_SETTLE_MAX_MS = 30_000;

type Kind = 'probe' | 'isolated' | 'paced' | 'slow';

interface Sent {
  seq: number;
  id: string | null;
  sentAt: number;
  /** When the HTTP response arrived: the donation is committed (ours) or published (bare). */
  committedAt: number;
  status: string;
}

interface Target {
  name: 'ours' | 'ours×2' | 'bare';
  label: string;
  /** One server, or two API processes behind one Redis (the subscribers split between them). */
  start(): Promise<ServerChild[]>;
  connectionParams: Record<string, unknown>;
  send(http: HttpClient, seq: number, kind: Kind): Promise<{ status: number; id: string | null }>;
}

interface Phase {
  kind: 'isolated' | 'paced' | 'slow';
  /** CPU seconds the server processes used during the phase. */
  serverCpuSeconds: number;
  sent: Sent[];
  note: string;
  report?: ReportResult;
  cpu?: CpuSplit;
  clientCpu: number;
}

interface Run {
  target: Target;
  n: number;
  skipped?: string;
  /** The error that ended this run early. */
  failed?: string;
  open?: OpenResult;
  rssBeforeKiB: number;
  rssConnectedKiB: number;
  rssAfterKiB: number;
  /** After every socket closed (and a pause): should be back near rssBeforeKiB. */
  rssClosedKiB: number;
  /** Seconds after the sockets closed when rssClosedKiB was read. */
  rssClosedSeconds: number;
  /** Slow readers made for the slow phase. */
  slowSockets: number;
  probes: number;
  probeSeconds: number;
  phases: Phase[];
  serverLines: string[];
  serverExit: string;
  serverStopSeconds: number;
  clientsExit: string;
  clientsClose: string;
  clientsStderr: string[];
}

function shape(): { ns: number[]; intervalMs: number } {
  const ns = (process.env.FANOUT_CLIENTS ?? '1000,5000,10000').split(',').map(Number);
  if (!ns.every((n) => Number.isInteger(n) && n >= 1 && n <= 20_000))
    throw new Error(`FANOUT_CLIENTS must be a list of 1-20000, not '${process.env.FANOUT_CLIENTS}'`);
  const intervalMs = Number(process.env.FANOUT_INTERVAL_MS ?? '50');
  if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > 10_000)
    throw new Error(`FANOUT_INTERVAL_MS must be 1-10000, not '${process.env.FANOUT_INTERVAL_MS}'`);
  return { ns, intervalMs };
}

/** The soft RLIMIT_NOFILE of this process (children inherit it). */
function openFilesLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}

export async function streamToken(http: HttpClient, m: Merchant): Promise<string> {
  const query = `mutation { createStreamToken(streamId: "${STREAM}", ttlSeconds: 3600) {
    __typename ... on BrowserToken { token } ... on Error { message } } }`;
  const r = await signedPost(http, m, '/graphql', { query });
  const token = r.status === 200 ? JSON.parse(r.body)?.data?.createStreamToken?.token : undefined;
  if (typeof token !== 'string') throw new Error(`createStreamToken failed: HTTP ${r.status} ${r.body}`);
  return token;
}

function oursTarget(
  env: NodeJS.ProcessEnv,
  merchant: () => Merchant,
  token: () => string,
  two = false,
): Target {
  return {
    name: two ? 'ours×2' : 'ours',
    label: two
      ? 'ours, two API processes behind one Redis (sockets split between them)'
      : 'ours (NovaPayments: ledger → outbox relay → Redis → fan-out → graphql-ws)',
    start: async () => {
      const first = await startServer(await freePort(), env);
      if (!two) return [first];
      return [first, await startServer(await freePort(), env, ['--role', 'api'])];
    },
    get connectionParams() {
      return { token: token() };
    },
    send: async (http, seq, kind) => {
      const r = await signedPost(http, merchant(), '/api/v1/transfer', {
        fromUserId: DONOR,
        toUserId: STREAMER,
        amount: 1,
        description: `${kind} ${seq}`,
        metadata: { streamId: STREAM },
      });
      const id = r.status === 200 ? (JSON.parse(r.body) as { id?: string }).id : undefined;
      return { status: r.status, id: id ?? null };
    },
  };
}

function bareTarget(): Target {
  let run = 0;
  return {
    name: 'bare',
    label: 'bare (graphql-yoga in-process pub/sub + graphql-ws)',
    start: async () => {
      run++;
      return [await startNodeScript('bench/lib/bare-ws-server.ts', await freePort(), process.env)];
    },
    connectionParams: {},
    send: async (http, seq, kind) => {
      const id = `${kind}_${run}_${seq}`;
      const payload = {
        id,
        streamId: STREAM,
        fromUserId: DONOR,
        toUserId: STREAMER,
        amount: '1.00',
        description: `${kind} ${seq}`,
        metadata: { streamId: STREAM },
        createdAt: new Date().toISOString(),
      };
      const body = Buffer.from(JSON.stringify({ streamId: STREAM, payload }));
      const r = await http.post('/publish', body, { 'Content-Type': 'application/json' });
      return { status: r.status, id: r.status === 200 ? id : null };
    },
  };
}

async function sendOne(target: Target, http: HttpClient, seq: number, kind: Kind): Promise<Sent> {
  const sentAt = now();
  try {
    const r = await withTimeout(target.send(http, seq, kind), SEND_TIMEOUT_MS, 'donation');
    return { seq, id: r.id, sentAt, committedAt: now(), status: String(r.status) };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { seq, id: null, sentAt, committedAt: now(), status: `error ${e.code ?? e.message}` };
  }
}

/** Sends probes until every subscribed socket got one: only then is every subscription registered. */
async function probe(target: Target, http: HttpClient, subs: Subscribers, expected: number) {
  const started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < PROBES; i++) {
    const s = await sendOne(target, http, i, 'probe');
    if (s.id) ids.push(s.id);
    const until = performance.now() + PROBE_WAIT_MS;
    while (performance.now() < until) {
      await sleep(100);
      if (ids.length && (await subs.counts(ids)).covered >= expected)
        return { probes: i + 1, seconds: (performance.now() - started) / 1000 };
    }
  }
  const covered = ids.length ? (await subs.counts(ids)).covered : 0;
  throw new Error(`after ${PROBES} probes only ${covered} of ${expected} sockets received one`);
}

/** Waits until every subscribed socket got every donation, or nothing moved for STALL_MS. */
async function drain(subs: Subscribers, ids: string[], expected: number): Promise<string> {
  const started = performance.now();
  let last = -1;
  let lastMove = started;
  for (;;) {
    const total = (await subs.counts(ids)).counts.reduce((a, b) => a + b, 0);
    const t = performance.now();
    if (total >= expected * ids.length)
      return `every message arrived ${((t - started) / 1000).toFixed(1)} s after the last HTTP response`;
    if (total !== last) {
      last = total;
      lastMove = t;
    }
    if (t - lastMove > STALL_MS)
      return `STALLED: ${int(total)} of ${int(expected * ids.length)} messages, no progress for ${STALL_MS / 1000} s`;
    if (t - started > DRAIN_MAX_MS)
      return `GAVE UP after ${DRAIN_MAX_MS / 1000} s: ${int(total)} of ${int(expected * ids.length)} messages`;
    await sleep(250);
  }
}

async function phase(
  kind: Phase['kind'],
  servers: ServerChild[],
  subs: Subscribers,
  body: () => Promise<{ sent: Sent[]; note: string }>,
): Promise<Phase> {
  const cpuDone = cpuMeter(
    servers[0]!.pid,
    servers.slice(1).map((x) => x.pid),
  );
  const serverCpu = () => servers.reduce((a, x) => a + cpuSeconds(x.pid), 0);
  const server0 = serverCpu();
  const client0 = cpuSeconds(subs.pid);
  const wall0 = performance.now();
  const { sent, note } = await body();
  const cpu = cpuDone();
  const serverCpuSeconds = serverCpu() - server0;
  const clientCpu = (cpuSeconds(subs.pid) - client0) / ((performance.now() - wall0) / 1000);
  const report = await subs.report(sent.flatMap((s) => (s.id ? [s.id] : [])));
  return { kind, sent, note, report, cpu, clientCpu, serverCpuSeconds };
}

/** Donations one at a time: each is sent once the previous one reached every socket (or timed out). */
async function isolated(target: Target, http: HttpClient, subs: Subscribers, expected: number) {
  const sent: Sent[] = [];
  let late = 0;
  for (let i = 0; i < ISOLATED; i++) {
    const s = await sendOne(target, http, i, 'isolated');
    sent.push(s);
    if (!s.id) continue;
    const until = performance.now() + ISOLATED_WAIT_MS;
    for (;;) {
      if ((await subs.counts([s.id])).counts[0]! >= expected) break;
      if (performance.now() > until) {
        late++;
        break;
      }
      await sleep(20);
    }
    await sleep(ISOLATED_GAP_MS);
  }
  const note = late
    ? `${late} donation(s) had NOT reached every socket after ${ISOLATED_WAIT_MS / 1000} s`
    : 'each reached every socket before the next was sent';
  return { sent, note };
}

/** Donations at a steady pace, open loop: each is sent on time whether or not the last was answered. */
async function paced(
  target: Target,
  http: HttpClient,
  subs: Subscribers,
  expected: number,
  intervalMs: number,
  kind: 'paced' | 'slow' = 'paced',
) {
  const t0 = performance.now();
  const pending: Promise<Sent>[] = [];
  for (let i = 0; i < PACED; i++) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(sendOne(target, http, i, kind));
  }
  const sent = await Promise.all(pending);
  const note = await drain(
    subs,
    sent.flatMap((s) => (s.id ? [s.id] : [])),
    expected,
  );
  return { sent, note };
}

const rssOf = (servers: ServerChild[]) => servers.reduce((a, x) => a + rssKiB(x.pid), 0);

/** Fills `run` as it goes, so a run that fails half-way still reports what it saw. */
async function measure(run: Run, intervalMs: number): Promise<void> {
  const { target, n } = run;
  const servers = await target.start();
  run.serverLines = servers.flatMap((x) => x.lines);
  const http = new HttpClient(servers[0]!.port, PACED); // a socket per donation in flight: no queue in the bench
  let subs: Subscribers | null = null;
  try {
    await sleep(1000);
    run.rssBeforeKiB = rssOf(servers);
    subs = new Subscribers();
    run.clientsStderr = subs.stderr;
    log(`${target.name} N=${int(n)}: opening ${int(n)} sockets (${OPEN_CONCURRENCY} at a time)`);
    run.open = await subs.open({
      urls: servers.map((x) => `ws://127.0.0.1:${x.port}/graphql`),
      connectionParams: target.connectionParams,
      query: QUERY,
      n,
      concurrency: OPEN_CONCURRENCY,
      timeoutMs: OPEN_TIMEOUT_MS,
    });
    const expected = run.open.subscribed;
    log(
      `  ${int(expected)} subscribed in ${run.open.seconds.toFixed(1)} s` +
        (run.open.failed ? `, ${int(run.open.failed)} FAILED: ${JSON.stringify(run.open.failures)}` : ''),
    );
    if (expected === 0) throw new Error(`no socket subscribed: ${JSON.stringify(run.open.failures)}`);
    const p = await probe(target, http, subs, expected);
    run.probes = p.probes;
    run.probeSeconds = p.seconds;
    await sleep(1000);
    run.rssConnectedKiB = rssOf(servers);

    log(`  every socket got a probe; ${ISOLATED} donations one at a time`);
    const s = subs;
    run.phases.push(await phase('isolated', servers, s, () => isolated(target, http, s, expected)));
    log(`  ${run.phases[0]!.note}; ${PACED} donations, one every ${intervalMs} ms`);
    run.phases.push(await phase('paced', servers, s, () => paced(target, http, s, expected, intervalMs)));
    log(`  ${run.phases[1]!.note}`);
    if (target.name === 'ours') {
      run.slowSockets = await s.makeSlow(SLOW_EVERY, SLOW_READ_MS, SLOW_PERIOD_MS);
      const fast = expected - run.slowSockets;
      log(`  ${run.slowSockets} sockets now read slowly; ${PACED} donations, one every ${intervalMs} ms`);
      run.phases.push(
        await phase('slow', servers, s, () => paced(target, http, s, fast, intervalMs, 'slow')),
      );
      log(`  ${run.phases[2]!.note}`);
    }
    run.rssAfterKiB = rssOf(servers);
  } finally {
    http.close();
    if (subs) {
      const closed = await subs.stop();
      run.clientsExit = closed.exit;
      run.clientsClose = closed.sockets;
      const closedAt = performance.now();
      do {
        await sleep(1000);
        run.rssClosedKiB = rssOf(servers);
      } while (
        run.rssClosedKiB > 1.1 * run.rssBeforeKiB &&
        performance.now() - closedAt < CLOSED_SETTLE_MAX_MS
      );
      run.rssClosedSeconds = Math.round((performance.now() - closedAt) / 1000);
    }
    const t = performance.now();
    run.serverExit = (await Promise.all(servers.map((x) => x.stop()))).join(', ');
    run.serverStopSeconds = (performance.now() - t) / 1000;
  }
}

interface Figures {
  donations: number;
  complete: number;
  p50: number;
  p99: number;
  max: number;
  sendP50: number;
  sendP99: number;
  firstP50: number;
  responseP50: number;
  responseMax: number;
  eventsPerSecond: number;
  delivered: number;
  expectedMessages: number;
}

function figures(r: Run, p: Phase): Figures {
  // In the slow phase the slow readers are reported on their own.
  const expected = (r.open?.subscribed ?? 0) - (p.kind === 'slow' ? r.slowSockets : 0);
  const stats = new Map((p.report?.ids ?? []).map((s) => [s.id, s]));
  const lastLat: number[] = [];
  const sendLat: number[] = [];
  const firstLat: number[] = [];
  const response = Float64Array.from(p.sent.map((s) => s.committedAt - s.sentAt)).sort();
  let delivered = 0;
  let firstCommit = Number.POSITIVE_INFINITY;
  let lastReceipt = Number.NEGATIVE_INFINITY;
  for (const s of p.sent) {
    if (!s.id) continue;
    const st = stats.get(s.id);
    firstCommit = Math.min(firstCommit, s.committedAt);
    if (!st || st.count === 0) continue;
    delivered += st.count;
    lastReceipt = Math.max(lastReceipt, st.last);
    firstLat.push(st.first - s.committedAt);
    if (st.count >= expected) {
      lastLat.push(st.last - s.committedAt);
      sendLat.push(st.last - s.sentAt);
    }
  }
  const sorted = Float64Array.from(lastLat).sort();
  const sendSorted = Float64Array.from(sendLat).sort();
  return {
    donations: p.sent.length,
    complete: lastLat.length,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    sendP50: percentile(sendSorted, 0.5),
    sendP99: percentile(sendSorted, 0.99),
    firstP50: percentile(Float64Array.from(firstLat).sort(), 0.5),
    responseP50: percentile(response, 0.5),
    responseMax: response.length ? response[response.length - 1]! : Number.NaN,
    eventsPerSecond: delivered / ((lastReceipt - firstCommit) / 1000),
    delivered,
    expectedMessages: expected * p.sent.filter((s) => s.id).length,
  };
}

/** Server CPU per message delivered, in µs. */
const cpuPerMessage = (p: Phase, f: Figures) => (p.serverCpuSeconds * 1e6) / f.delivered;
const us = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)} µs` : 'n/a');
const kbPerConnection = (r: Run) =>
  ((r.rssConnectedKiB - r.rssBeforeKiB) * 1.024) / (r.open?.subscribed ?? Number.NaN);
const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');
const mib = (kib: number) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(0)} MiB` : 'n/a');
const kb = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

function tableRows(runs: Run[], intervalMs: number): string[][] {
  const rows: string[][] = [];
  const byN = new Map<number, Run[]>();
  for (const r of runs) byN.set(r.n, [...(byN.get(r.n) ?? []), r]);
  const kinds = [
    { kind: 'isolated', label: 'one at a time' },
    { kind: 'paced', label: `every ${intervalMs} ms` },
    { kind: 'slow', label: `every ${intervalMs} ms, 1 in ${SLOW_EVERY} reading slowly` },
  ] as const;
  for (const [n, pair] of byN) {
    for (const { kind, label } of kinds) {
      const f = new Map<string, Figures>();
      for (const r of pair) {
        const p = r.phases.find((x) => x.kind === kind);
        if (!p && kind === 'slow') continue;
        if (!p) {
          const why = r.skipped ? `skipped: ${r.skipped}` : 'FAILED (see below)';
          rows.push([r.target.name, int(n), label, why, '', '', '', '', '', '']);
          continue;
        }
        const x = figures(r, p);
        f.set(r.target.name, x);
        rows.push([
          r.target.name,
          int(n),
          label,
          ms(x.p50),
          ms(x.p99),
          ms(x.sendP50),
          ms(x.sendP99),
          kind === 'isolated' ? '—' : int(x.eventsPerSecond),
          us(cpuPerMessage(p, x)),
          kb(kbPerConnection(r)),
          `${x.complete} of ${x.donations}`,
        ]);
      }
      const o = f.get('ours');
      const b = f.get('bare');
      const ro = pair.find((r) => r.target.name === 'ours');
      const rb = pair.find((r) => r.target.name === 'bare');
      if (o && b && ro && rb) {
        rows.push([
          '**ours / bare**',
          int(n),
          label,
          ratio(o.p50, b.p50),
          ratio(o.p99, b.p99),
          ratio(o.sendP50, b.sendP50),
          ratio(o.sendP99, b.sendP99),
          kind === 'paced' ? ratio(o.eventsPerSecond, b.eventsPerSecond) : '—',
          ratio(
            cpuPerMessage(ro.phases.find((x) => x.kind === kind)!, o),
            cpuPerMessage(rb.phases.find((x) => x.kind === kind)!, b),
          ),
          ratio(kbPerConnection(ro), kbPerConnection(rb)),
          '',
        ]);
      }
    }
  }
  return rows;
}

function runLines(r: Run): string[] {
  if (r.skipped) return [`- ${r.target.name} N=${int(r.n)}: skipped (${r.skipped})`];
  const lines: string[] = [];
  if (r.failed) lines.push(`- ${r.target.name} N=${int(r.n)}: RUN FAILED: ${r.failed.slice(0, 1000)}`);
  if (!r.open) return lines;
  const open = r.open;
  lines.push(
    `- ${r.target.label}, N=${int(r.n)}: ${int(open.subscribed)} of ${int(r.n)} sockets subscribed in` +
      ` ${open.seconds.toFixed(1)} s${open.failed ? ` — ${int(open.failed)} FAILED ${JSON.stringify(open.failures)}` : ''};` +
      ` ${r.probes} probe(s) until every socket had one (${r.probeSeconds.toFixed(1)} s)`,
    `  server RSS: ${mib(r.rssBeforeKiB)} before connecting, ${mib(r.rssConnectedKiB)} with every socket` +
      ` subscribed, ${mib(r.rssAfterKiB)} after the donations, ${mib(r.rssClosedKiB)} ${r.rssClosedSeconds} s after` +
      ` every socket closed (${ratio(r.rssClosedKiB, r.rssBeforeKiB)} of before)`,
  );
  for (const p of r.phases) {
    const f = figures(r, p);
    const statuses = new Map<string, number>();
    for (const s of p.sent) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
    const rep = p.report;
    const dup = rep?.ids.reduce((a, s) => a + s.duplicates, 0) ?? 0;
    const perSocket = rep?.perSocket.map(([k, c]) => `${int(c)} got ${k}`).join(', ') ?? 'n/a';
    lines.push(
      `  ${p.kind === 'isolated' ? 'one at a time' : p.kind === 'slow' ? `paced burst with ${r.slowSockets} slow readers` : 'paced burst'}: HTTP ${[...statuses].map(([s, c]) => `${s}: ${c}`).join(', ')}` +
        ` (response p50 ${ms(f.responseP50)}, max ${ms(f.responseMax)}); ${p.note}`,
      `    messages: ${int(f.delivered)} of ${int(f.expectedMessages)} delivered` +
        `${f.delivered < f.expectedMessages ? ` — ${int(f.expectedMessages - f.delivered)} MISSING` : ''}` +
        `${dup ? `, ${int(dup)} DUPLICATES` : ', no duplicates'}; per socket: ${perSocket}`,
      `    commit → first client p50 ${ms(f.firstP50)}; commit → last client max ${ms(f.max)}`,
    );
    if (p.cpu) {
      lines.push(
        `    ${formatCpu(p.cpu)}; of "other", the client process ${Number.isFinite(p.clientCpu) ? p.clientCpu.toFixed(2) : 'n/a'}`,
      );
    }
    if (rep) {
      const other = Object.entries(rep.other);
      const closes = Object.entries(rep.closes);
      if (other.length) lines.push(`    OTHER MESSAGES: ${other.map(([k, c]) => `${k} ×${c}`).join(', ')}`);
      if (closes.length)
        lines.push(`    SOCKETS LOST after subscribing: ${closes.map(([k, c]) => `${k} ×${c}`).join(', ')}`);
      for (const s of rep.samples.slice(0, 3)) lines.push(`    sample: ${s}`);
      if (p.kind === 'slow') {
        lines.push(
          `    slow readers: ${int(rep.slow.sockets)}, ${int(rep.slow.open)} still open, ${int(rep.slow.received)} messages read;` +
            ` closed: ${
              Object.entries(rep.slow.closes)
                .map(([k, c]) => `${k} ×${c}`)
                .join(', ') || 'none'
            }`,
        );
      }
      if (rep.open < (r.open?.subscribed ?? 0) - r.slowSockets)
        lines.push(`    sockets still open: ${int(rep.open)} of ${int(r.open?.subscribed ?? 0)}`);
    }
  }
  lines.push(
    `  sockets closed by the client process: ${r.clientsClose} (${r.clientsExit}); server log:` +
      ` ${r.serverLines.length ? `${r.serverLines.length} lines` : 'nothing'}; then SIGTERM: ${r.serverExit}` +
      ` after ${r.serverStopSeconds.toFixed(1)} s`,
    ...serverLogSummary(r.serverLines, 6).map((l) => `  ${l}`),
    ...r.clientsStderr.slice(0, 5).map((l) => `  client process stderr: ${l.slice(0, 200)}`),
  );
  return lines;
}

/** Every measured phase, as the goals (bench/lib/fanout-goals.ts) read it. */
function summaries(runs: Run[]): PhaseSummary[] {
  return runs.flatMap((r) =>
    r.phases.map((p) => {
      const f = figures(r, p);
      return {
        target: r.target.name,
        n: r.n,
        kind: p.kind as PhaseSummary['kind'],
        p99: f.p99,
        sendP99: f.sendP99,
        complete: f.complete,
        donations: f.donations,
        delivered: f.delivered,
        expectedMessages: f.expectedMessages,
        cpuPerMessageUs: cpuPerMessage(p, f),
        kbPerConnection: kbPerConnection(r),
        rssBeforeKiB: r.rssBeforeKiB,
        rssClosedKiB: r.rssClosedKiB,
        rssClosedSeconds: r.rssClosedSeconds,
      };
    }),
  );
}

function report(runs: Run[], intervalMs: number, fdLimit: number): string[] {
  const header = [
    'scenario',
    'N sockets',
    'donations',
    'commit → last client p50',
    'p99',
    'send → last client p50',
    'p99',
    'events/s delivered',
    'server CPU per message',
    'KB RSS per connection',
    'reached every socket',
  ];
  return [
    ...table(header, tableRows(runs, intervalMs)),
    '',
    ...goalLines(summaries(runs)),
    '',
    ...runs.flatMap(runLines),
    `- each run: a fresh server process and N fresh sockets; probes until every socket has one, then` +
      ` ${ISOLATED} donations one at a time (each sent ${ISOLATED_GAP_MS} ms after the last reached every socket),` +
      ` then ${PACED} donations one every ${intervalMs} ms, open loop (offered ${int(1000 / intervalMs)} donations/s,` +
      ` i.e. ${int(1000 / intervalMs)} × N messages/s)`,
    `- commit = the HTTP response of the transfer (ours) or of POST /publish (bare) arriving at the bench;` +
      ` send = the request leaving the bench; receipt = the client process reading the frame (same machine,` +
      ` performance.timeOrigin + performance.now() in both processes); events/s = messages received /` +
      ` (last receipt − first commit); KB per connection = (server VmRSS with every socket subscribed −` +
      ` VmRSS before connecting) / N`,
    `- subscription: ${QUERY}; ours authenticates each socket with a stream token in connection_init;` +
      ` raw graphql-transport-ws clients, ${OPEN_CONCURRENCY} connecting at a time, each subscription's id` +
      ` ${process.env.FANOUT_SUBSCRIPTION_IDS === 'same' ? '"1" (FANOUT_SUBSCRIPTION_IDS=same)' : 'a UUID of its own, as createClient gives'}`,
    `- open files limit (ulimit -n) ${Number.isFinite(fdLimit) ? int(fdLimit) : 'unlimited'}: the client` +
      ` process and each server hold one descriptor per socket`,
  ];
}

function emptyRun(target: Target, n: number): Run {
  return {
    target,
    n,
    rssBeforeKiB: Number.NaN,
    rssConnectedKiB: Number.NaN,
    rssAfterKiB: Number.NaN,
    rssClosedKiB: Number.NaN,
    rssClosedSeconds: 0,
    slowSockets: 0,
    probes: 0,
    probeSeconds: 0,
    phases: [],
    serverLines: [],
    serverExit: 'not started',
    serverStopSeconds: 0,
    clientsExit: 'not started',
    clientsClose: 'n/a',
    clientsStderr: [],
  };
}

/** A fanout server's environment: its own database and Redis prefix, warnings only. */
export function serverEnv(database: string, redisPrefix: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: `${PG_BASE}/${database}`,
    LOG_LEVEL: 'warn',
    REDIS_PREFIX: redisPrefix,
    // No in-process devnets: their blocks would share the server's event loop.
    TRON_DEVNET: 'off',
    EVM_DEVNET: 'off',
    // Every subscriber connects from 127.0.0.1 with the one stream token: a whole audience behind one address.
    PAGE_TOKEN_RATE_LIMIT_PER_SECOND: '1000000',
    WS_MAX_PENDING_PER_ADDRESS: '1000000',
    WS_MAX_SOCKETS_PER_ADDRESS: '10000000',
  };
}

/**
 * Raises this process's open-files limit when `needed` descriptors per process do not fit (children started
 * later inherit it); prlimit is util-linux. Only a limit still too low is worth a line.
 */
function raiseFileLimit(needed: number): void {
  if (openFilesLimit() >= needed) return;
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${FD_WANTED}:${FD_WANTED}`], {
      stdio: 'ignore',
    });
  } catch {
    // Not permitted here: the check below says whether that matters.
  }
  if (openFilesLimit() < needed)
    log(`WARNING: ${needed} open files needed per process, the limit is ${openFilesLimit()} (ulimit -n)`);
}

export async function run(_args: string[]): Promise<void> {
  const { ns, intervalMs } = shape();
  raiseFileLimit(Math.max(...ns) + FD_MARGIN);
  const fdLimit = openFilesLimit();
  const started = new Date();
  const env = serverEnv(BENCH_DB, REDIS_PREFIX);
  let merchant: Merchant | null = null;
  let token = '';
  const ours = oursTarget(
    env,
    () => merchant!,
    () => token,
  );
  const bare = bareTarget();
  const oursTwo = oursTarget(
    env,
    () => merchant!,
    () => token,
    true,
  );
  const runs: Run[] = [];
  log(`open files limit (ulimit -n): ${fdLimit}`);
  try {
    await dropDatabase(BENCH_DB);
    await dropRedisPrefix(REDIS_PREFIX);
    {
      // Set-up on a first server: the database, a merchant, a funded donor and a stream token.
      const server = await startServer(await freePort(), env);
      const http = new HttpClient(server.port, 4);
      try {
        merchant = await createMerchant(env);
        const admin = await adminToken(env);
        await fundUsers(http, admin, merchant.merchantId, 1, '1000000.00', 1);
        token = await streamToken(http, merchant);
        log(`merchant ${merchant.merchantId}; donor ${DONOR} funded; stream token for ${STREAM}`);
      } finally {
        http.close();
        await server.stop();
      }
    }
    for (const n of ns) {
      for (const target of n === TWO_PROCESS_N ? [ours, oursTwo, bare] : [ours, bare]) {
        const r = emptyRun(target, n);
        runs.push(r);
        if (n + FD_MARGIN > fdLimit) {
          r.skipped = `ulimit -n is ${fdLimit}: ${int(n)} sockets do not fit (raise it: ulimit -n ${n + 1000})`;
          log(`${target.name} N=${int(n)}: ${r.skipped}`);
          continue;
        }
        try {
          await measure(r, intervalMs);
        } catch (err) {
          r.failed = (err as Error).message;
          log(`${target.name} N=${int(n)} FAILED: ${r.failed}`);
        }
      }
    }
    const lines = [
      `fanout benchmark, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '',
      ...(await machineLines()),
      '',
      ...report(runs, intervalMs, fdLimit),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    await dropDatabase(BENCH_DB).catch((e) => log(`could not drop ${BENCH_DB}: ${e.message}`));
    await dropRedisPrefix(REDIS_PREFIX).catch((e) =>
      log(`could not clear Redis ${REDIS_PREFIX}: ${e.message}`),
    );
  }
}
