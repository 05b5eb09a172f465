import { type CpuSplit, cpuMeter, formatCpu } from './lib/cpu.js';
import {
  checkpoint,
  dropDatabase,
  fundedUsers,
  type LedgerCheck,
  ledgerCheck,
  PG_BASE,
  vacuumAnalyze,
} from './lib/db.js';
import { adminToken, createMerchant, fundUsers, type Merchant, signedPost, userId } from './lib/fixtures.js';
import { HttpClient, type LoadResult, runLoad } from './lib/load.js';
import { Pgbench, type PgbenchResult } from './lib/pgbench.js';
import { freePort, log, type ServerChild, startServer } from './lib/proc.js';
import { int, machineLines, ms, serverLogSummary, statusSummary, table } from './lib/report.js';

// `npm run bench -- transfers`: signed POST /api/v1/transfer over real HTTP against a server in its own
// process, (a) between random users and (b) all into one hot payee, each next to pgbench's tpcb-like on the
// same PostgreSQL in the same run. BENCH_SECONDS sets the measured time of each phase (default 15).

const BENCH_DB = 'novapay_bench';
const PGBENCH_DB = 'novapay_pgbench';
const USERS = 10_000;
const CLIENTS = 32;
const PGBENCH_THREADS = 2;
const WARMUP_MS = 2_000;
const FUND_STARS = '1000000.00';
const HOT_PAYEE = 'hot_streamer';

interface Scenario {
  name: string;
  /** pgbench scale for the baseline: 50 spreads the rows, 1 puts every client on one branch row. */
  scale: number;
  pick: () => [from: string, to: string];
}

interface Measured {
  scenario: Scenario;
  load: LoadResult;
  ledger: LedgerCheck;
  /** Where the CPU went during the load (warm-up included), and during the pgbench run. */
  cpu: CpuSplit;
  pgbench?: PgbenchResult;
  pgbenchCpu?: CpuSplit;
}

interface Funding {
  seconds: number;
  retries: number;
}

const randomUser = () => Math.floor(Math.random() * USERS);

const SCENARIOS: Scenario[] = [
  {
    name: `(a) random payer → random payee, ${int(USERS)} users`,
    scale: 50,
    pick: () => {
      const from = randomUser();
      let to = Math.floor(Math.random() * (USERS - 1));
      if (to >= from) to++;
      return [userId(from), userId(to)];
    },
  },
  {
    name: `(b) random payer → one hot payee (${HOT_PAYEE})`,
    scale: 1,
    pick: () => [userId(randomUser()), HOT_PAYEE],
  },
];

function benchSeconds(): number {
  const raw = process.env.BENCH_SECONDS ?? '15';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 3600)
    throw new Error(`BENCH_SECONDS must be 1-3600, not '${raw}'`);
  return n;
}

function transferSender(http: HttpClient, m: Merchant, pick: Scenario['pick']) {
  return () => {
    const [fromUserId, toUserId] = pick();
    return signedPost(http, m, '/api/v1/transfer', { fromUserId, toUserId, amount: 1, description: 'bench' });
  };
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
  try {
    const t0 = Date.now();
    const retries = await fundUsers(http, token, merchant.merchantId, USERS, FUND_STARS, CLIENTS);
    const funded = await fundedUsers(BENCH_DB, merchant.merchantId, 100_000_000n);
    const funding = { seconds: (Date.now() - t0) / 1000, retries };
    log(`funded ${int(funded)} users in ${funding.seconds.toFixed(1)} s (${retries} 429 retries)`);
    if (funded !== USERS) throw new Error(`expected ${USERS} funded users, found ${funded}`);
    await vacuumAnalyze(BENCH_DB);

    const out: Measured[] = [];
    for (const scenario of SCENARIOS) {
      await checkpoint();
      log(`${scenario.name}: ${CLIENTS} clients, ${WARMUP_MS / 1000} s warm-up + ${seconds} s`);
      const from = new Date();
      const cpuDone = cpuMeter(server.pid);
      const load = await runLoad({
        clients: CLIENTS,
        warmupMs: WARMUP_MS,
        durationMs: seconds * 1000,
        send: transferSender(http, merchant, scenario.pick),
      });
      const cpu = cpuDone();
      const ledger = await ledgerCheck(BENCH_DB, from, new Date());
      log(`  ${int(load.perSecond)} transfers/s, p50 ${ms(load.p50Ms)}, p99 ${ms(load.p99Ms)}`);
      out.push({ scenario, load, ledger, cpu });
    }
    return { results: out, funding };
  } finally {
    http.close();
  }
}

async function measurePgbench(results: Measured[], seconds: number): Promise<void> {
  const pgbench = new Pgbench(PGBENCH_DB);
  try {
    for (const r of results) {
      log(`pgbench: init scale ${r.scenario.scale}`);
      await pgbench.init(r.scenario.scale);
      await checkpoint();
      log(`pgbench: tpcb-like, scale ${r.scenario.scale}, ${CLIENTS} clients, ${seconds} s`);
      const cpuDone = cpuMeter();
      r.pgbench = await pgbench.run(r.scenario.scale, CLIENTS, PGBENCH_THREADS, seconds);
      r.pgbenchCpu = cpuDone();
      log(`  ${int(r.pgbench.tps)} tps`);
    }
  } finally {
    await pgbench.drop();
  }
}

function report(
  { results, funding }: { results: Measured[]; funding: Funding },
  seconds: number,
  server: ServerChild,
  exit: string,
): string[] {
  const rows = results.map(({ scenario, load, pgbench }) => [
    scenario.name,
    int(load.perSecond),
    ms(load.p50Ms),
    ms(load.p99Ms),
    pgbench ? `${int(pgbench.tps)} (scale ${pgbench.scale})` : 'n/a',
    pgbench ? (load.perSecond / pgbench.tps).toFixed(2) : 'n/a',
  ]);
  const lines = [
    ...table(['scenario', 'ours transfers/s', 'p50', 'p99', 'pgbench tps', 'ratio (ours / pgbench)'], rows),
    '',
  ];
  for (const { scenario, load, ledger, cpu, pgbench, pgbenchCpu } of results) {
    const non200 = [...load.statuses].filter(([s]) => s !== '200').reduce((n, [, c]) => n + c, 0);
    const perCommit = ledger.batches ? (ledger.transfers / ledger.batches).toFixed(1) : 'n/a';
    lines.push(
      `- ${scenario.name.slice(0, 3)} responses (warm-up included): ${statusSummary(load.statuses)}` +
        `${non200 ? ` — ${int(non200)} NOT 200` : ''}; max latency ${ms(load.maxMs)};` +
        ` new TCP connections: ${load.connectionsOpened} (the rest reused)`,
      `  ${formatCpu(cpu)}`,
      `  ledger: ${int(ledger.transfers)} transfers committed for ${int(load.okTotal)} 200s` +
        `${ledger.transfers === load.okTotal ? ' (match)' : ' (MISMATCH)'}; ~${int(ledger.batches)} distinct` +
        ` commit timestamps ≈ ${perCommit} transfers per ledger batch; sum of balances ${ledger.balanceSum}`,
      `  outbox: ${ledger.unpublished ?? 'n/a (no events table)'} events still unpublished when the load stopped`,
    );
    if (pgbench) {
      lines.push(
        `  pgbench: latency average ${ms(pgbench.latencyAvgMs)}, ${pgbench.failed} failed transactions`,
        `  pgbench ${pgbenchCpu ? formatCpu(pgbenchCpu, 'pgbench + other processes') : ''}`,
      );
    }
    for (const s of load.samples) lines.push(`  sample non-200: ${s}`);
  }
  const logs = serverLogSummary(server.lines);
  lines.push(
    `- funding: ${int(USERS)} adjustBalance mutations (admin GraphQL, one idempotency key each),` +
      ` ${CLIENTS} at a time: ${funding.seconds.toFixed(1)} s = ${int(USERS / funding.seconds)}/s` +
      `${funding.retries ? `, ${funding.retries} retried after 429` : ''}; then VACUUM ANALYZE`,
    `- server log at LOG_LEVEL=warn: ${server.lines.length ? `${server.lines.length} lines` : 'nothing'}`,
    ...logs,
    `- server stopped with SIGTERM: ${exit}`,
    `- ours: ${CLIENTS} closed-loop clients, keep-alive HTTP/1.1 (node:http), signed POST /api/v1/transfer` +
      ` of 1 Star, server in a child process; ${WARMUP_MS / 1000} s warm-up not counted, then ${seconds} s`,
    `- pgbench: built-in tpcb-like, -c ${CLIENTS} -j ${PGBENCH_THREADS} -M prepared -T ${seconds}, no warm-up`,
  );
  return lines;
}

export async function run(_args: string[]): Promise<void> {
  const seconds = benchSeconds();
  const started = new Date();
  const env = {
    ...process.env,
    DATABASE_URL: `${PG_BASE}/${BENCH_DB}`,
    LOG_LEVEL: 'warn',
    REDIS_PREFIX: 'novapay-bench',
  };
  let server: ServerChild | null = null;
  try {
    await dropDatabase(BENCH_DB);
    await dropDatabase(PGBENCH_DB);
    const port = await freePort();
    log(`starting the server on 127.0.0.1:${port} (database ${BENCH_DB})`);
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
      ...report(measured, seconds, server, exit),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    if (server) await server.stop();
    await dropDatabase(BENCH_DB).catch((e) => log(`could not drop ${BENCH_DB}: ${e.message}`));
    await dropDatabase(PGBENCH_DB).catch((e) => log(`could not drop ${PGBENCH_DB}: ${e.message}`));
  }
}
