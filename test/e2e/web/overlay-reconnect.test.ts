import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild } from '../../../src/http/web.js';
import { type TestMerchant, useTestApp } from '../../helpers/app.js';
import { databaseUrl } from '../../helpers/db.js';
import { testPort } from '../../helpers/ports.js';
import { startServer } from '../../helpers/process.js';
import { liveChannel, untilSubscribed } from '../../helpers/ws.js';
import { guard, launchBrowser, pageReport } from './browser.js';

// The overlay survives its API server being killed and started again: it shows that it is reconnecting,
// reconnects by itself (with backoff) and shows the next donation. The page's server is the real server in a
// process of its own (src/main.ts) on this file's database and Redis prefix; donations are made through the
// in-process app, whose outbox relay publishes them through Redis to whichever server the overlay is on.
const t = useTestApp({ outboxPollMs: 50 }, { role: 'all' });
const port = testPort();
const base = `http://127.0.0.1:${port}`;
let server: Awaited<ReturnType<typeof startServer>> | null = null;
let browser: Browser;
let env: Record<string, string>;

const STREAM_TOKEN = `mutation($s: ID!) { createStreamToken(streamId: $s) { ... on BrowserToken { token } } }`;

beforeAll(async () => {
  await ensureWebBuild();
  env = {
    DATABASE_URL: databaseUrl(t.dbName),
    // Named, not found by the server's start-up probe of the local default (0.7 s): under load a probe that
    // timed out would start a private Redis, which the in-process app's donations never reach.
    REDIS_URL: t.app.config.redisUrl,
    REDIS_PREFIX: t.app.config.redisPrefix,
    MASTER_KEY: t.app.config.masterKey.toString('hex'),
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    TRON_DEVNET: 'off',
    EVM_DEVNET: 'off',
  };
  server = await startServer(env, port);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
});

async function donate(m: TestMerchant, n: string) {
  const r = await t.request({
    url: '/api/v1/transfer',
    as: m,
    body: {
      fromUserId: 'fan',
      toUserId: 'streamer',
      amount: '2.00',
      description: n,
      metadata: { streamId: 'live_1' },
    },
  });
  expect(r.status).toBe(200);
  return r.body.id as string;
}

/** The last `n` lines of a server's output. */
const lastLines = (output: string, n: number) => output.trimEnd().split('\n').slice(-n).join('\n');

/**
 * Waits until the overlay shows connection state `state`; when it does not in time, the error says what the
 * page showed and did (its sockets' closes, console, failed requests) and what the server logged last.
 */
async function untilConn(page: Page, events: string[], state: string, timeout = 30_000) {
  try {
    await page.locator(`[data-conn="${state}"]`).waitFor({ timeout });
  } catch (err) {
    const child = server?.child;
    const how = !child
      ? 'no server'
      : child.exitCode === null && child.signalCode === null
        ? `server pid ${child.pid} running`
        : `server pid ${child.pid} ended (exit code ${child.exitCode}, signal ${child.signalCode})`;
    const output = server ? lastLines(server.output(), 40) : '';
    throw new Error(
      `the overlay did not show '${state}' in ${timeout} ms (${(err as Error).message.split('\n')[0]})\n` +
        `${await pageReport(page, events)}\n${how}; its last log lines:\n${output}`,
    );
  }
}

const count = (page: Page) => page.evaluate(() => window.__alerts.length);

/**
 * Once the overlay's server has subscribed to the stream's channel (its subscription is live again), one
 * donation shows as one more alert. The in-process app serves no socket, so the server is the only subscriber.
 */
async function untilDelivering(page: Page, m: TestMerchant, label: string) {
  const before = await count(page);
  await untilSubscribed(t.app.config.redisUrl, liveChannel(t.app, 'donation', m, 'live_1'), 30_000);
  await donate(m, label);
  await page.waitForFunction((k) => window.__alerts.length > k, before, { timeout: 20_000 });
}

describe('overlay and a server restart', () => {
  it('reconnects by itself after the server is killed and started again', async () => {
    const m = await t.merchant();
    await t.credit(m, 'fan', '1000');
    const token = (await t.graphql(m, STREAM_TOKEN, { s: 'live_1' })).body.data.createStreamToken.token;
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const checks = await guard(page, base);
    await page.goto(`${base}/overlay?t=${token}&hold=150`, { waitUntil: 'load' });
    await untilConn(page, checks.events, 'live');
    await untilDelivering(page, m, 'before');

    server!.child.kill('SIGKILL');
    await server!.exited;
    await untilConn(page, checks.events, 'reconnecting', 15_000);
    expect(await page.getByTestId('reconnecting').textContent()).toContain('Reconnecting');

    server = await startServer(env, port);
    await untilConn(page, checks.events, 'live');
    expect(await page.getByTestId('reconnecting').count()).toBe(0);
    await untilDelivering(page, m, 'after');
    const shown = await page.evaluate(() => window.__alerts.map((a) => a.id));
    expect(new Set(shown).size).toBe(shown.length);
    expect(checks.foreign).toEqual([]);
    expect(checks.problems).toEqual([]);
    await page.close();
  });
});
