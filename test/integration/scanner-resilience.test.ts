import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CHAIN_QUEUE } from '../../jobs/scanning.js';
import { loadConfig } from '../../src/config.js';
import type { TestMerchant } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';
import { startPrivateRedis } from '../helpers/redis-server.js';
import { useTronApp } from '../helpers/tron.js';

// The scanners keep going by themselves when Redis loses its data, and say so when they cannot: a worker on a
// Redis of its own (flushing the shared one would hurt other test runs), scanning on its shipped schedule.
const redis = await startPrivateRedis();
// Registered before the app's own hooks, so it runs after the app stopped (hooks run in reverse).
afterAll(async () => {
  await redis.stop();
});
const shipped = loadConfig();
const STALL_MS = 2_000; // the setting under test: a few seconds instead of a minute
const t = useTronApp({
  redisUrl: redis.url,
  chainScanIntervalMs: shipped.chainScanIntervalMs,
  depositExpiryIntervalMs: shipped.depositExpiryIntervalMs,
  chainScannerStallMs: STALL_MS,
});

async function payDeposit(m: TestMerchant, userId: string): Promise<string> {
  const d = await t.request({
    url: '/api/v1/deposit/create',
    as: m,
    body: { userId, amount: 5, currency: 'USDT', network: 'TRC20' },
  });
  const sim = await t.graphql(
    m,
    'mutation($id: ID!) { simulateDeposit(depositId: $id) { __typename ... on SimulatedPayment { txHash } } }',
    { id: d.body.id },
  );
  expect(sim.body.data.simulateDeposit.__typename).toBe('SimulatedPayment');
  return d.body.id;
}

/** Mines a block every 50 ms until the deposit is credited (the scheduled scanner does the rest). */
async function untilCredited(m: TestMerchant, id: string, timeoutMs = 30_000) {
  await eventually(
    async () => {
      t.devnet.mine(1);
      const r = await t.request({ url: `/api/v1/deposit/${id}`, as: m });
      return r.body.status === 'confirmed';
    },
    timeoutMs,
    50,
  );
}

async function readyz() {
  const r = await t.app.server.inject({ method: 'GET', url: '/readyz' });
  return { status: r.statusCode, body: r.json() };
}

async function stalledMetric(): Promise<string | undefined> {
  const admin = (await t.app.services.tokens.issueAdmin(600)).token;
  const r = await t.app.server.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${admin}` },
  });
  return /^novapay_chain_scanner_stalled\{chain="TRC20:test",network="TRC20",mode="test"\} (\d)$/m.exec(
    r.body,
  )?.[1];
}

describe('when Redis loses its data under a running worker', () => {
  it('re-creates the scan schedules by itself and keeps crediting deposits', {
    timeout: 90_000,
  }, async () => {
    const m = await t.merchant();
    await untilCredited(m, await payDeposit(m, 'before_flush'));
    const queue = t.app.workers!.scanning.queue;
    expect(await queue.getJobScheduler('scan:TRC20:test')).toBeDefined();

    const admin = new Redis(redis.url);
    await admin.flushall();
    admin.disconnect();
    expect(await queue.getJobScheduler('scan:TRC20:test')).toBeUndefined();

    await eventually(async () => (await queue.getJobScheduler('scan:TRC20:test')) !== undefined, 20_000);
    const cursor = async () =>
      Number(
        (await t.app.pool.query("select next_block from chain_cursors where chain = 'TRC20:test'")).rows[0]
          .next_block,
      );
    const before = await cursor();
    await untilCredited(m, await payDeposit(m, 'after_flush'));
    expect(await cursor()).toBeGreaterThan(before);
    expect((await t.request({ url: '/api/v1/balance/after_flush', as: m })).body.balance).toBe(5);
    expect(queue.name).toBe(CHAIN_QUEUE);
  });
});

describe('a stalled scanner', () => {
  it('fails /readyz with a check naming it and shows in /metrics, until it moves again', {
    timeout: 60_000,
  }, async () => {
    await eventually(async () => (await readyz()).status === 200, 20_000);
    expect((await readyz()).body.checks).toMatchObject({ 'scanner:TRC20:test': true });
    expect(await stalledMetric()).toBe('0');

    // Every pass now fails on its block range while the chain keeps producing blocks.
    t.devnet.injectFault({
      path: '/wallet/getblockbylimitnext',
      kind: '503',
      times: Number.POSITIVE_INFINITY,
    });
    const timer = setInterval(() => t.devnet.mine(1), 100);
    try {
      await eventually(async () => (await readyz()).status === 503, 20_000);
      const r = await readyz();
      expect(r.body).toMatchObject({
        status: 'not_ready',
        checks: { postgres: true, redis: true, migrations: true, 'scanner:TRC20:test': false },
      });
      expect(await stalledMetric()).toBe('1');

      t.devnet.clearFaults();
      await eventually(async () => (await readyz()).status === 200, 20_000);
      expect(await stalledMetric()).toBe('0');
    } finally {
      clearInterval(timer);
      t.devnet.clearFaults();
    }
  });
});
