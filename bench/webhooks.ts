import { loadConfig } from '../src/config.js';
import { dropDatabase, PG_BASE } from './lib/db.js';
import { adminToken, createMerchant, fundUsers } from './lib/fixtures.js';
import { HttpClient } from './lib/load.js';
import { freePort, log, type ServerChild, startServer } from './lib/proc.js';
import { Receiver } from './lib/receiver.js';
import { dropRedisPrefix } from './lib/redis.js';
import { machineLines, serverLogSummary } from './lib/report.js';
import { BENCH_DB, baseline, phase, referencePhase } from './lib/webhook-phase.js';
import {
  CLIENTS,
  DeliveryPause,
  DONORS,
  range,
  selectedPhases,
  sendAtRate,
  sendTransfers,
  type Transfers,
  transferCount,
} from './lib/webhook-phases.js';
import { type ReportInput, report } from './lib/webhook-report.js';
import type { Baseline, Ctx, Phase } from './lib/webhook-types.js';

// `npm run bench -- webhooks` (issue 13). The API in one process (`--role api`) and webhook delivery in
// worker processes (`--role worker`), WEBHOOK_* settings at their defaults; a local receiver in this
// process. Phases, each against its baseline in the same run:
// - reference: K transfers with no endpoint (the API's own rate);
// - drain, 1 and 10 endpoints: delivery paused from the dashboard while K transfers build a backlog, then
//   resumed: deliveries/s from the first to the last receipt, against a plain fetch loop of the same bodies
//   with the same number in flight (min(WEBHOOK_CONCURRENCY, endpoints × per-endpoint cap));
// - live, 10 endpoints: K transfers while delivery runs: the API's rate against the reference;
// - rate: 500 transfers/s for 10 s to one endpoint: commit → receipt latency while delivery keeps up;
// - faults: 8 healthy endpoints alone, then with one that never answers and one that answers 500, both at
//   100 transfers/s;
// - scale: the drain of 10 endpoints with two worker processes against one, the one measured just before (the
//   second worker warmed by a drain that is not measured).
// WEBHOOK_TRANSFERS changes K (default 2000). BENCH_PHASES runs only the phases named (comma-separated, from
// reference, drain1, drain10, live10, rate1, healthy8, faults, scale10; default: all of them), e.g.
// BENCH_PHASES=healthy8,faults; the report then has the goals of the phases that ran and their details.
// WEBHOOK_FAULT_ROUNDS=N runs healthy8 and faults N times (every other round faults first) and judges the
// faults goal on the rounds' median ratio: each p99 is the fate of ~16 transfers. WEBHOOK_LIVE_ROUNDS=N does
// the same for the reference and live10 (every other round live10 first): on a slow host the reference alone
// moved from 410 to 640 transfers/s between runs of the same code.

const REDIS_PREFIX = 'novapay-bench-webhooks';
const RATE = { perSecond: 500, seconds: 10 };
/** WEBHOOK_FAULT_ROUNDS: how many times the healthy8/faults pair runs (default 1). */
const FAULT_ROUNDS = Math.max(1, Math.min(10, Number(process.env.WEBHOOK_FAULT_ROUNDS ?? 1) || 1));
/** WEBHOOK_LIVE_ROUNDS: how many times the reference/live10 pair runs (default 1). */
const LIVE_ROUNDS = Math.max(1, Math.min(10, Number(process.env.WEBHOOK_LIVE_ROUNDS ?? 1) || 1));
/** The faults phase and its all-healthy twin run at the same event rate, so only the faults differ. */
const FAULT_RATE = { perSecond: 100, seconds: 15 };
/** Transfers of the unmeasured drain that warms the scale phase's second worker. */
const SCALE_WARM_TRANSFERS = 500;
const SETTINGS = ['WEBHOOK_CONCURRENCY', 'WEBHOOK_PER_ENDPOINT_CONCURRENCY', 'WEBHOOK_TIMEOUT_MS'];

async function startWorker(env: NodeJS.ProcessEnv): Promise<ServerChild> {
  return startServer(await freePort(), env, ['--role', 'worker']);
}

type Measured = Omit<ReportInput, 'k' | 'rateSpec' | 'cfg' | 'overridden'>;

/** The phases BENCH_PHASES selects, in their order; `addWorker` starts the scale phase's second worker. */
async function runPhases(
  c: Ctx,
  cfg: ReturnType<typeof loadConfig>,
  addWorker: () => Promise<ServerChild>,
): Promise<Measured> {
  const want = selectedPhases();
  const only = <T>(name: string, run: () => Promise<T>) => (want.has(name) ? run() : undefined);
  const closed = () => sendTransfers(c.k, c.http, c.merchant);
  const reference = await only('reference', () => referencePhase(c, closed));
  const drains: { ours: Phase; base: Baseline | null }[] = [];
  for (const n of [1, 10]) {
    if (!want.has(`drain${n}`)) continue;
    const ours = await phase(c, `drain${n}`, range(n), closed, true);
    const concurrency = Math.min(cfg.webhookConcurrency, n * cfg.webhookPerEndpointConcurrency);
    drains.push({ ours, base: ours.sample ? await baseline(c, n, concurrency, ours.sample) : null });
  }
  const live = await only('live10', () => phase(c, 'live10', range(10), closed));
  const liveRounds: Measured['liveRounds'] = [{ reference, live }];
  for (let r = 1; r < LIVE_ROUNDS; r++) liveRounds.push(await liveRound(c, r, only, closed));
  const rate = await only('rate1', () =>
    phase(c, 'rate1', ['0'], () => sendAtRate(RATE.perSecond, RATE.seconds, c.http, c.merchant)),
  );
  const steady = () => sendAtRate(FAULT_RATE.perSecond, FAULT_RATE.seconds, c.http, c.merchant);
  // The faults goal compares two p99s, each decided by ~16 transfers of a 15 s phase: WEBHOOK_FAULT_ROUNDS
  // runs the pair N times, every other round faults first, and the goal is judged on the rounds' median.
  const faultRounds: { healthy8?: Phase; faults?: Phase }[] = [];
  for (let r = 0; r < FAULT_ROUNDS; r++) {
    const suffix = r === 0 ? '' : `-r${r + 1}`;
    const round: { healthy8?: Phase; faults?: Phase } = {};
    for (const which of r % 2 === 0 ? (['healthy8', 'faults'] as const) : (['faults', 'healthy8'] as const))
      round[which] = await only(which, () =>
        which === 'healthy8'
          ? phase(c, `healthy8${suffix}`, range(8), steady)
          : phase(c, `faults${suffix}`, [...range(8), 'hang-0', 'fail-0'], steady),
      );
    faultRounds.push(round);
  }
  const scale = await only('scale10', async () => {
    // Its own one-worker baseline, just before: drain10 ran minutes earlier, on smaller tables.
    const one = await phase(c, 'scale10-one', range(10), closed, true);
    c.workers.push(await addWorker());
    // The new worker's code is not yet optimised (the first was warmed by every phase before): a drain of
    // SCALE_WARM_TRANSFERS with both, not measured, before the measured one.
    await phase(
      c,
      'scale10-warm',
      range(10),
      () => sendTransfers(SCALE_WARM_TRANSFERS, c.http, c.merchant),
      true,
    );
    return { one, two: await phase(c, 'scale10', range(10), closed, true) };
  });
  return { reference, drains, live, liveRounds, rate, faultRounds, scaleOne: scale?.one, scale: scale?.two };
}

/** Round r (from 1) of the reference/live10 pair after the first: live10 first in every other round. */
async function liveRound(
  c: Ctx,
  r: number,
  only: <T>(name: string, run: () => Promise<T>) => Promise<T> | undefined,
  closed: () => Promise<Transfers>,
): Promise<Measured['liveRounds'][number]> {
  const round: Measured['liveRounds'][number] = {};
  for (const which of r % 2 === 1 ? ['live10', 'reference'] : ['reference', 'live10']) {
    if (which === 'live10')
      round.live = await only('live10', () => phase(c, `live10-r${r + 1}`, range(10), closed));
    else round.reference = await only('reference', () => referencePhase(c, closed));
  }
  return round;
}

export async function run(_args: string[]): Promise<void> {
  const k = transferCount();
  const started = new Date();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: `${PG_BASE}/${BENCH_DB}`,
    LOG_LEVEL: 'warn',
    REDIS_PREFIX,
    TRON_DEVNET: 'off',
    EVM_DEVNET: 'off',
  };
  const overridden = SETTINGS.filter((name) => env[name] !== undefined);
  const cfg = loadConfig({ ...env, MASTER_KEY: '0'.repeat(64) });
  const receiver = new Receiver();
  const pause = new DeliveryPause(REDIS_PREFIX);
  const servers: ServerChild[] = [];
  let http: HttpClient | null = null;
  try {
    await dropDatabase(BENCH_DB);
    await dropRedisPrefix(REDIS_PREFIX);
    await receiver.start();
    const api = await startServer(await freePort(), env, ['--role', 'api']);
    servers.push(api);
    const worker = await startWorker(env);
    servers.push(worker);
    const merchant = await createMerchant(env);
    http = new HttpClient(api.port, CLIENTS);
    const token = await adminToken(env);
    await fundUsers(http, token, merchant.merchantId, DONORS, '1000000.00', DONORS);
    const c: Ctx = { api, workers: [worker], http, merchant, receiver, pause, k, token };
    const measured = await runPhases(c, cfg, async () => {
      const w = await startWorker(env);
      servers.push(w);
      return w;
    });
    http.close();
    http = null;
    const exits: string[] = [];
    for (const s of servers.splice(0).reverse()) exits.push(await s.stop());
    const lines = [
      `webhooks benchmark, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '',
      ...(await machineLines()),
      '',
      ...report({ k, ...measured, rateSpec: RATE, cfg, overridden }),
      `- servers stopped with SIGTERM: ${exits.join(', ')}; log lines at warn or worse: ${[api, ...c.workers].map((s) => s.lines.length).join(' / ')}` +
        `; POSTs outside any phase: ${receiver.strays}; to the faulty endpoints: ${receiver.hanging} unanswered, ${receiver.failed} answered 500`,
      ...[api, ...c.workers].flatMap((s, i) =>
        s.lines.length > 0 ? [`- ${i === 0 ? 'API' : `worker ${i}`} log:`, ...serverLogSummary(s.lines)] : [],
      ),
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    http?.close();
    for (const s of servers) await s.stop();
    await pause.close();
    await receiver.stop();
    await dropDatabase(BENCH_DB).catch((e) => log(`could not drop ${BENCH_DB}: ${e.message}`));
    await dropRedisPrefix(REDIS_PREFIX).catch((e) =>
      log(`could not clear Redis ${REDIS_PREFIX}: ${e.message}`),
    );
  }
}
