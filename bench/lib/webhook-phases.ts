import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { type WebhookCheck, webhookCheck } from './db.js';
import { type Merchant, signedPost, userId } from './fixtures.js';
import { forEachConcurrent, type HttpClient, percentile } from './load.js';
import { log, sleep } from './proc.js';
import type { PhaseLog } from './receiver.js';
import { int, ms } from './report.js';
import { now } from './subscribers.js';

// The building blocks of `npm run bench -- webhooks`: endpoints, transfers (closed loop or at a fixed
// rate), waiting for deliveries, pausing delivery to build a backlog, and the figures of a phase.

export const CLIENTS = 8;
export const DONORS = 8;
export const SHOP = 'bench_shop';
/** Waiting for deliveries: give up after this long without one, or this long in all. */
const STALL_MS = 30_000;
const DRAIN_MAX_MS = 300_000;

export interface Delivered {
  deliveries: number;
  expected: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  duplicates: number;
  unmatched: number;
  /** Per endpoint deliveries/s, slowest and fastest. */
  endpointRates: [number, number];
  /**
   * The slowest 1 % of deliveries (at or above p99): how many transfers they were for, and in how many
   * 100-ms windows of those transfers' commits. The p99 of a phase whose transfers go to 8 endpoints is the
   * fate of ~1 % of its transfers; a few windows mean a few stalls, not a slower path.
   */
  tail: { transfers: number; windows: number; worst: string[] };
}

export interface Transfers {
  /** Transfer id → when its 200 arrived. */
  commits: Map<string, number>;
  statuses: Map<string, number>;
  samples: string[];
  seconds: number;
  perSecond: number;
}

const CREATE_ENDPOINT = `mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    __typename ... on WebhookEndpointWithSecret { endpoint { id } } ... on Error { code message }
  }
}`;
const DELETE_ENDPOINT = `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { __typename } }`;

export async function createEndpoint(http: HttpClient, m: Merchant, url: string): Promise<string> {
  const input = { url, events: ['TRANSFER_COMPLETED'], description: 'bench' };
  const r = await signedPost(http, m, '/graphql', { query: CREATE_ENDPOINT, variables: { input } });
  const id = r.status === 200 ? JSON.parse(r.body)?.data?.createWebhookEndpoint?.endpoint?.id : undefined;
  if (typeof id !== 'string') throw new Error(`createWebhookEndpoint failed: HTTP ${r.status} ${r.body}`);
  return id;
}

export async function deleteEndpoints(http: HttpClient, m: Merchant, ids: string[]): Promise<void> {
  for (const id of ids) {
    const r = await signedPost(http, m, '/graphql', { query: DELETE_ENDPOINT, variables: { id } });
    if (r.status !== 200 || JSON.parse(r.body)?.errors)
      throw new Error(`deleteWebhookEndpoint failed: ${r.body}`);
  }
}

/** Pauses and resumes delivery the way ops do it: BullMQ's `webhooks` queue on the dashboard. */
export class DeliveryPause {
  private readonly redis = new Redis({ maxRetriesPerRequest: null });
  private readonly queue: Queue;

  constructor(redisPrefix: string) {
    this.queue = new Queue('webhooks', { connection: this.redis, prefix: `${redisPrefix}:bull` });
  }

  pause = () => this.queue.pause();
  resume = () => this.queue.resume();

  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }
}

async function transfer(http: HttpClient, m: Merchant, i: number, t: Transfers): Promise<void> {
  const count = (key: string) => t.statuses.set(key, (t.statuses.get(key) ?? 0) + 1);
  try {
    const r = await signedPost(http, m, '/api/v1/transfer', {
      fromUserId: userId(i % DONORS),
      toUserId: SHOP,
      amount: 1,
      description: 'bench',
    });
    const at = now();
    count(String(r.status));
    if (r.status === 200) t.commits.set((JSON.parse(r.body) as { id: string }).id, at);
    else if (t.samples.length < 5) t.samples.push(`${r.status} ${r.body.slice(0, 300)}`);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    count(`error ${e.code ?? e.message}`);
    if (t.samples.length < 5) t.samples.push(`error ${e.message}`);
    await sleep(10);
  }
}

const emptyTransfers = (): Transfers => ({
  commits: new Map(),
  statuses: new Map(),
  samples: [],
  seconds: 0,
  perSecond: 0,
});

/** K signed transfers of 1 Star from the donors to the shop, CLIENTS at a time (closed loop). */
export async function sendTransfers(k: number, http: HttpClient, m: Merchant): Promise<Transfers> {
  const t = emptyTransfers();
  const t0 = performance.now();
  await forEachConcurrent(k, CLIENTS, (i) => transfer(http, m, i, t));
  t.seconds = (performance.now() - t0) / 1000;
  t.perSecond = t.commits.size / t.seconds;
  return t;
}

/** `perSecond` transfers a second for `seconds` (open loop: each starts on time, whatever the others do). */
export async function sendAtRate(perSecond: number, seconds: number, http: HttpClient, m: Merchant) {
  const t = emptyTransfers();
  const total = perSecond * seconds;
  const t0 = performance.now();
  const running: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = (i / perSecond) * 1000;
    const wait = due - (performance.now() - t0);
    if (wait > 1) await sleep(wait);
    running.push(transfer(http, m, i, t));
  }
  await Promise.all(running);
  t.seconds = (performance.now() - t0) / 1000;
  t.perSecond = t.commits.size / t.seconds;
  return t;
}

/** Waits until `count()` reaches `expected`, or nothing arrived for STALL_MS, or DRAIN_MAX_MS passed. */
export async function waitFor(count: () => number, expected: number): Promise<string> {
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
    await sleep(50);
  }
}

/** Reads these endpoints' deliveries every `everyMs` until `done` holds for them (true), 600 times at most. */
async function pollDeliveries(
  database: string,
  endpointIds: string[],
  done: (c: WebhookCheck) => boolean,
  everyMs: number,
): Promise<boolean> {
  for (let i = 0; i < 600; i++) {
    if (done(await webhookCheck(database, endpointIds))) return true;
    await sleep(everyMs);
  }
  return false;
}

/** Waits until the database holds `expected` pending deliveries for these endpoints (a built backlog). */
export async function waitForBacklog(
  database: string,
  endpointIds: string[],
  expected: number,
): Promise<void> {
  if (await pollDeliveries(database, endpointIds, (c) => (c.deliveries.pending ?? 0) >= expected, 100))
    return;
  throw new Error(`the backlog never reached ${int(expected)} pending deliveries`);
}

/**
 * After a phase deletes its endpoints, waits until none of their deliveries is pending (the worker fails a
 * deleted endpoint's backlog unsent): that write belongs to the phase that made the backlog, not to the
 * next one's measurement. Returns how long it took.
 */
export async function waitForClosed(database: string, endpointIds: string[]): Promise<number> {
  const started = performance.now();
  if (await pollDeliveries(database, endpointIds, (c) => !c.deliveries.pending, 50))
    return performance.now() - started;
  throw new Error('the deleted endpoints still had pending deliveries after 30 s');
}

/** The slowest deliveries' transfers and 100-ms windows, the worst three windows with their (UTC) times. */
function tailOf(slow: { latency: number; start: number; transfer: string | null }[]): Delivered['tail'] {
  const windows = new Map<number, number>();
  for (const x of slow)
    windows.set(Math.floor(x.start / 100), (windows.get(Math.floor(x.start / 100)) ?? 0) + 1);
  const worst = [...windows]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([w, n]) => `${new Date(w * 100).toISOString().slice(11, 21)} ×${n}`);
  return { transfers: new Set(slow.map((x) => x.transfer)).size, windows: windows.size, worst };
}

export function summarize(
  plog: PhaseLog,
  expected: number,
  startOf: (transferId: string | null, sentAt: number | null) => number | undefined,
  endpoints?: (endpoint: string) => boolean,
): Delivered {
  const r = endpoints ? plog.receipts.filter((x) => endpoints(x.endpoint)) : plog.receipts;
  const latencies: number[] = [];
  const timed: { latency: number; start: number; transfer: string | null }[] = [];
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
    else {
      latencies.push(x.at - start);
      timed.push({ latency: x.at - start, start, transfer: x.transferId });
    }
  }
  const sorted = Float64Array.from(latencies).sort();
  const p99 = percentile(sorted, 0.99);
  const slow = timed.filter((x) => x.latency >= p99);
  const seconds = (last - first) / 1000;
  const rates = [...byEndpoint.values()].map((e) => e.n / ((e.last - e.first) / 1000 || Number.NaN));
  return {
    deliveries: r.length,
    expected,
    seconds,
    perSecond: r.length / seconds,
    p50: percentile(sorted, 0.5),
    p99,
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    duplicates: plog.duplicates,
    unmatched,
    endpointRates: [Math.min(...rates), Math.max(...rates)],
    tail: tailOf(slow),
  };
}

export function logFigures(what: string, waited: string, f: Delivered): void {
  log(`  ${what}: ${waited}: ${int(f.perSecond)} deliveries/s, p50 ${ms(f.p50)}, p99 ${ms(f.p99)}`);
}

export const PHASES = ['reference', 'drain1', 'drain10', 'live10', 'rate1', 'healthy8', 'faults', 'scale10'];

/** The phases BENCH_PHASES selects (all when unset). */
export function selectedPhases(): Set<string> {
  const raw = process.env.BENCH_PHASES?.trim();
  if (!raw) return new Set(PHASES);
  const names = raw.split(',').map((x) => x.trim());
  const unknown = names.filter((n) => !PHASES.includes(n));
  if (unknown.length > 0)
    throw new Error(`BENCH_PHASES: unknown phase(s) ${unknown.join(', ')}; known: ${PHASES.join(', ')}`);
  return new Set(names);
}

export function transferCount(): number {
  const raw = process.env.WEBHOOK_TRANSFERS ?? '2000';
  const k = Number(raw);
  if (!Number.isInteger(k) || k < 1 || k > 100_000)
    throw new Error(`WEBHOOK_TRANSFERS must be 1-100000, not '${raw}'`);
  return k;
}

/** Endpoint names `${prefix}0` … `${prefix}${n - 1}`. */
export const range = (n: number, prefix = '') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
