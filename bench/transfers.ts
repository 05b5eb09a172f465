import { type CpuSplit, cpuMeter, formatCpu } from './lib/cpu.js';
import {
  checkpoint,
  dropDatabase,
  fundedUsers,
  type LedgerCheck,
  ledgerCheck,
  outboxDrained,
  PG_BASE,
  vacuumAnalyze,
} from './lib/db.js';
import { adminToken, createMerchant, fundUsers } from './lib/fixtures.js';
import { HttpClient, type LoadResult } from './lib/load.js';
import { Pgbench, type PgbenchResult } from './lib/pgbench.js';
import { descendants, freePort, log, type ServerChild, startServer } from './lib/proc.js';
import { int, machineLines, ms, serverLogSummary, statusSummary, table } from './lib/report.js';
import { metricsLine, scrapeMetrics } from './lib/server-metrics.js';
import { goalLines } from './lib/transfer-goals.js';
import { PHASES, type Phase, type PhaseContext, USERS } from './lib/transfer-phases.js';

// `npm run bench -- transfers`: signed POST /api/v1/transfer over real HTTP against a server in its own
// process(es): random pairs and one hot payee next to pgbench's tpcb-like on the same PostgreSQL in the same
// run, then random pairs paced at half that rate, with idempotency keys, through GraphQL, and
// `adjustBalance`. BENCH_SECONDS sets the measured time of each phase (default 15); BENCH_API_PROCESSES
// the server's API_PROCESSES (default: that of the environment, else 1). BENCH_PROFILE_WINDOWS=1 logs each
// phase's window on the monotonic clock in µs (the clock of a V8 profile's timestamps) and its 200s, so a
// server profile (BENCH_SERVER_NODE_ARGS="--cpu-prof …") can be cut into phases and divided by requests.

const BENCH_DB = 'novapay_bench';
const PGBENCH_DB = 'novapay_pgbench';
const CLIENTS = 32;
/** Connections the paced phase may open: far more than it ever has in flight. */
const PACED_SOCKETS = 512;
const PGBENCH_THREADS = 2;
const WARMUP_MS = 2_000;
const FUND_STARS = '1000000.00';

export interface Measured {
  phase: Phase;
  /** Which pass over the phases (BENCH_ROUNDS): ratios are taken within a round, between phases minutes apart at most. */
  round: number;
  load: LoadResult;
  ledger: LedgerCheck;
  /** Where the CPU went during the load (warm-up included), and during the pgbench run. */
  cpu: CpuSplit;
  pgbench?: PgbenchResult;
  pgbenchCpu?: CpuSplit;
  /** How long after the load stopped the outbox had published every event (null: not within 10 s). */
  outboxMs: number | null;
  /** The server's GC pauses and event-loop delay over the phase (bench/lib/server-metrics.ts). */
  metrics: string;
}

interface Funding {
  seconds: number;
  retries: number;
}

function benchSeconds(): number {
  const raw = process.env.BENCH_SECONDS ?? '15';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 3600)
    throw new Error(`BENCH_SECONDS must be 1-3600, not '${raw}'`);
  return n;
}

async function measureServer(
  server: ServerChild,
  env: NodeJS.ProcessEnv,
  seconds: number,
): Promise<{ results: Measured[]; funding: Funding }> {
  const merchant = await createMerchant(env);
  const token = await adminToken(env);
  log(`merchant ${merchant.merchantId}; funding ${int(USERS)} users with ${FUND_STARS} Stars each`);
  const http = new HttpClient(server.port, CLIENTS);
  // The paced phase is an open loop: its requests must not wait for a connection of the generator's own
  // pool (with 32, every server hiccup queued requests here, counted as the server's latency, and the
  // server's idle-connection timeout made them open thousands of new connections).
  const pacedHttp = new HttpClient(server.port, PACED_SOCKETS);
  try {
    const t0 = Date.now();
    const retries = await fundUsers(http, token, merchant.merchantId, USERS, FUND_STARS, CLIENTS);
    const funded = await fundedUsers(BENCH_DB, merchant.merchantId, 100_000_000n);
    const funding = { seconds: (Date.now() - t0) / 1000, retries };
    log(`funded ${int(funded)} users in ${funding.seconds.toFixed(1)} s (${retries} 429 retries)`);
    if (funded !== USERS) throw new Error(`expected ${USERS} funded users, found ${funded}`);
    await vacuumAnalyze(BENCH_DB);

    const ctx: PhaseContext = {
      http,
      pacedHttp,
      merchant,
      adminToken: token,
      clients: CLIENTS,
      warmupMs: WARMUP_MS,
      durationMs: seconds * 1000,
      done: new Map(),
    };
    const out: Measured[] = [];
    const only = process.env.BENCH_PHASES?.split(',');
    const phases = PHASES.filter((p) => !only || only.includes(p.key));
    const rounds = benchRounds();
    // Every other round runs the phases backwards (a, e, e, a, …): a host that speeds up or slows down over
    // the run favours the later phase of a pair, and the reversed rounds cancel that in the median.
    for (let round = 1; round <= rounds; round++)
      for (const phase of round % 2 === 1 ? phases : [...phases].reverse())
        out.push(await measurePhase(server, ctx, token, phase, round, seconds));
    return { results: out, funding };
  } finally {
    http.close();
    pacedHttp.close();
  }
}

async function measurePhase(
  server: ServerChild,
  ctx: PhaseContext,
  token: string,
  phase: Phase,
  round: number,
  seconds: number,
): Promise<Measured> {
  await checkpoint();
  log(
    `${phase.name}${round > 1 ? ` (round ${round})` : ''}: ${CLIENTS} clients, ${WARMUP_MS / 1000} s warm-up + ${seconds} s`,
  );
  const from = new Date();
  const metrics0 = await scrapeMetrics(server.port, token);
  const cpuDone = cpuMeter(server.pid, descendants(server.pid));
  const startedUs = process.hrtime.bigint() / 1000n;
  const load = await phase.run(ctx);
  const cpu = cpuDone();
  if (process.env.BENCH_PROFILE_WINDOWS)
    log(`profile-window ${phase.key} ${startedUs} ${process.hrtime.bigint() / 1000n} ${load.okTotal}`);
  const metrics = metricsLine(metrics0, await scrapeMetrics(server.port, token));
  ctx.done.set(phase.key, load);
  const outboxMs = await outboxDrained(BENCH_DB, 10_000);
  const type = phase.key === 'f' ? 'adjustment' : 'transfer';
  const ledger = await ledgerCheck(BENCH_DB, from, new Date(), type);
  log(`  ${int(load.perSecond)}/s, p50 ${ms(load.p50Ms)}, p99 ${ms(load.p99Ms)}`);
  return { phase, round, load, ledger, cpu, outboxMs, metrics };
}

/**
 * BENCH_ROUNDS (default 1): passes over the selected phases, in order (a, e, a, e, …). On a host whose speed
 * drifts from minute to minute, a ratio of two phases is read per round and the goal judged on their median.
 */
function benchRounds(): number {
  const raw = process.env.BENCH_ROUNDS ?? '1';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new Error(`BENCH_ROUNDS must be 1-20, not '${raw}'`);
  return n;
}

async function measurePgbench(results: Measured[], seconds: number): Promise<void> {
  const pgbench = new Pgbench(PGBENCH_DB);
  try {
    for (const r of results) {
      const scale = r.phase.pgbenchScale;
      if (scale === undefined) continue;
      log(`pgbench: init scale ${scale}`);
      await pgbench.init(scale);
      await checkpoint();
      log(`pgbench: tpcb-like, scale ${scale}, ${CLIENTS} clients, ${seconds} s`);
      const cpuDone = cpuMeter();
      r.pgbench = await pgbench.run(scale, CLIENTS, PGBENCH_THREADS, seconds);
      r.pgbenchCpu = cpuDone();
      log(`  ${int(r.pgbench.tps)} tps`);
    }
  } finally {
    await pgbench.drop();
  }
}

function phaseLines({
  phase,
  load,
  ledger,
  cpu,
  pgbench,
  pgbenchCpu,
  outboxMs,
  metrics,
}: Measured): string[] {
  const non200 = [...load.statuses].filter(([s]) => s !== '200').reduce((n, [, c]) => n + c, 0);
  const perCommit = ledger.batches ? (ledger.transfers / ledger.batches).toFixed(1) : 'n/a';
  const serverCores = cpu.server + cpu.workers;
  const lines = [
    `- ${phase.name.slice(0, 3)} responses (warm-up included): ${statusSummary(load.statuses)}` +
      `${non200 ? ` — ${int(non200)} NOT 200` : ''}; max latency ${ms(load.maxMs)};` +
      ` new TCP connections: ${load.connectionsOpened} (the rest reused)`,
    ...(load.sentP99Ms === undefined
      ? []
      : [
          `  paced: p99 ${ms(load.p99Ms)} from when each request was due, ${ms(load.sentP99Ms)} from when it was` +
            ` sent; the load generator's own event-loop delay p99 ${ms(load.generatorDelayP99Ms ?? Number.NaN)}`,
        ]),
    `  ${formatCpu(cpu)}; server CPU per request ${((serverCores * 1000) / Math.max(1, load.okTotal / (load.seconds + WARMUP_MS / 1000))).toFixed(3)} ms`,
    `  ledger: ${int(ledger.transfers)} postings committed for ${int(load.okTotal)} 200s` +
      `${ledger.transfers === load.okTotal ? ' (match)' : ' (MISMATCH)'}; ~${int(ledger.batches)} distinct` +
      ` commit timestamps ≈ ${perCommit} per ledger batch; sum of balances ${ledger.balanceSum}`,
    `  outbox: ${ledger.unpublished ?? 'n/a'} events unpublished when the load stopped;` +
      ` ${outboxMs === null ? 'NOT all published 10 s later' : `all published ${int(outboxMs)} ms after it`}`,
    `  ${metrics} (one API process's /metrics, warm-up included)`,
  ];
  if (pgbench) {
    lines.push(
      `  pgbench: latency average ${ms(pgbench.latencyAvgMs)}, ${pgbench.failed} failed transactions`,
      `  pgbench ${pgbenchCpu ? formatCpu(pgbenchCpu, 'pgbench + other processes') : ''}`,
    );
  }
  for (const s of load.samples) lines.push(`  sample non-200: ${s}`);
  return lines;
}

function report(
  { results, funding }: { results: Measured[]; funding: Funding },
  seconds: number,
  server: ServerChild,
  exit: string,
  processes: number,
): string[] {
  const rows = results.map(({ phase, round, load, pgbench }) => [
    round > 1 ? `${phase.name} (round ${round})` : phase.name,
    int(load.perSecond),
    ms(load.p50Ms),
    ms(load.p99Ms),
    pgbench ? `${int(pgbench.tps)} (scale ${pgbench.scale})` : '',
    pgbench ? (load.perSecond / pgbench.tps).toFixed(2) : '',
  ]);
  const lines = [
    ...table(['scenario', 'ours /s', 'p50', 'p99', 'pgbench tps', 'ratio (ours / pgbench)'], rows),
    '',
    ...goalLines(results),
    '',
  ];
  for (const m of results) lines.push(...phaseLines(m));
  lines.push(
    `- funding: ${int(USERS)} adjustBalance mutations (admin GraphQL, one idempotency key each),` +
      ` ${CLIENTS} at a time: ${funding.seconds.toFixed(1)} s = ${int(USERS / funding.seconds)}/s` +
      `${funding.retries ? `, ${funding.retries} retried after 429` : ''}; then VACUUM ANALYZE`,
    `- server: API_PROCESSES=${processes}; log at LOG_LEVEL=warn: ${server.lines.length ? `${server.lines.length} lines` : 'nothing'}`,
    ...serverLogSummary(server.lines),
    `- server stopped with SIGTERM: ${exit}`,
    `- ours: ${CLIENTS} closed-loop clients (paced phases: open loop on up to ${PACED_SOCKETS} connections,` +
      ` latency from when each request was due),` +
      ` keep-alive HTTP/1.1 (node:http), 1 Star each, server in child processes; ${WARMUP_MS / 1000} s warm-up not counted, then ${seconds} s`,
    `- pgbench: built-in tpcb-like, -c ${CLIENTS} -j ${PGBENCH_THREADS} -M prepared -T ${seconds}, no warm-up`,
  );
  return lines;
}

export async function run(_args: string[]): Promise<void> {
  const seconds = benchSeconds();
  const started = new Date();
  const processes = Number(process.env.BENCH_API_PROCESSES ?? process.env.API_PROCESSES ?? '1');
  const env = {
    ...process.env,
    DATABASE_URL: `${PG_BASE}/${BENCH_DB}`,
    LOG_LEVEL: 'warn',
    REDIS_PREFIX: 'novapay-bench',
    API_PROCESSES: String(processes),
    // (f) measures adjustBalance, not the admin token's default limit of 1,000 requests/s.
    ADMIN_RATE_LIMIT_PER_SECOND: '1000000',
  };
  let server: ServerChild | null = null;
  try {
    await dropDatabase(BENCH_DB);
    await dropDatabase(PGBENCH_DB);
    const port = await freePort();
    log(`starting the server on 127.0.0.1:${port} (database ${BENCH_DB}, API_PROCESSES=${processes})`);
    server = await startServer(port, env);
    const measured = await measureServer(server, env, seconds);
    const exit = await server.stop();
    log(`server stopped (${exit})`);
    await measurePgbench(measured.results, seconds);
    const lines = [
      `transfers benchmark, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '',
      ...(await machineLines()),
      '',
      ...report(measured, seconds, server, exit, processes),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    if (server) await server.stop();
    await dropDatabase(BENCH_DB).catch((e) => log(`could not drop ${BENCH_DB}: ${e.message}`));
    await dropDatabase(PGBENCH_DB).catch((e) => log(`could not drop ${PGBENCH_DB}: ${e.message}`));
  }
}
