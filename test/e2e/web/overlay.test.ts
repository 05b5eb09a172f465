import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild } from '../../../src/http/web.js';
import { TokenService } from '../../../src/modules/merchants/tokens.js';
import { type TestMerchant, useTestApp } from '../../helpers/app.js';
import { liveChannel, untilSubscribed } from '../../helpers/ws.js';
import { guard, launchBrowser, screenshotPath } from './browser.js';

// The donation overlay in Chromium: alerts in order, once each, one at a time, even in a burst; a demo mode;
// clear messages for bad links. (Reconnecting after a server restart: overlay-reconnect.test.ts.)
const t = useTestApp({ outboxPollMs: 50 }, { role: 'all' });
let browser: Browser;
let base: string;

const STREAM_TOKEN = `mutation($s: ID!) { createStreamToken(streamId: $s) { ... on BrowserToken { token } ... on Error { code message } } }`;

beforeAll(async () => {
  await ensureWebBuild();
  base = await t.app.listen(0, '127.0.0.1');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

type Shown = { id: string; donor: string; amount: string; message: string | null };
const shown = (page: Page) => page.evaluate(() => window.__alerts as Shown[]);

async function donate(m: TestMerchant, streamId: string, n: string) {
  const r = await t.request({
    url: '/api/v1/transfer',
    as: m,
    body: {
      fromUserId: 'fan',
      toUserId: 'streamer',
      amount: '1.50',
      description: `message ${n}`,
      metadata: { streamId, donorName: `donor ${n}` },
    },
  });
  expect(r.status).toBe(200);
  return r.body.id as string;
}

/** Opens the overlay and waits until its subscription delivers (a probe donation shows up). */
async function openOverlay(m: TestMerchant, streamId: string, token: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const checks = await guard(page, base);
  const res = await page.goto(`${base}/overlay?t=${token}&hold=250`, { waitUntil: 'load' });
  expect(res?.status()).toBe(200);
  await page.locator('[data-conn="live"]').waitFor();
  await untilSubscribed(t.app.config.redisUrl, liveChannel(t.app, 'donation', m, streamId));
  await donate(m, streamId, 'probe');
  await untilShown(page, 1);
  return { page, checks };
}

async function untilShown(page: Page, n: number, timeoutMs = 20_000) {
  await page.waitForFunction((k) => window.__alerts.length >= k, n, { timeout: timeoutMs });
  return shown(page);
}

describe('donation overlay', () => {
  it('shows two donations in order, and a burst of 10 once each, in order, one at a time', async () => {
    const m = await t.merchant();
    await t.credit(m, 'fan', '1000');
    const token = (await t.graphql(m, STREAM_TOKEN, { s: 'stream_web' })).body.data.createStreamToken.token;
    const { page, checks } = await openOverlay(m, 'stream_web', token);
    // Transparent for the streaming software.
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(
      'rgba(0, 0, 0, 0)',
    );
    const start = (await untilShown(page, 1)).length;

    // Count how many alerts are on screen at once while the test runs: never more than one.
    await page.evaluate(() => {
      const w = window as unknown as { __maxOnScreen: number };
      w.__maxOnScreen = 0;
      new MutationObserver(() => {
        w.__maxOnScreen = Math.max(
          w.__maxOnScreen,
          document.querySelectorAll('[data-testid="alert"]').length,
        );
      }).observe(document.body, { subtree: true, childList: true });
    });

    const two = [await donate(m, 'stream_web', 'A'), await donate(m, 'stream_web', 'B')];
    const afterTwo = (await untilShown(page, start + 2)).slice(start);
    expect(afterTwo.map((a) => a.id)).toEqual(two);
    expect(afterTwo.map((a) => [a.donor, a.amount, a.message])).toEqual([
      ['donor A', '1.50', 'message A'],
      ['donor B', '1.50', 'message B'],
    ]);
    await page.getByTestId('alert').waitFor({ state: 'detached' });

    const burst: string[] = [];
    for (let i = 0; i < 10; i++) burst.push(await donate(m, 'stream_web', `burst ${i}`));
    const all = await untilShown(page, start + 12, 30_000);
    // Nothing more may come: donations reach the page in order (one relay, one Redis channel, one socket,
    // a first-in first-out queue), so a later marker shows after anything still on its way.
    const marker = await donate(m, 'stream_web', 'marker');
    const final = await untilShown(page, start + 13);
    expect(final.length).toBe(start + 13);
    expect(final.at(-1)!.id).toBe(marker);
    expect(all.slice(start + 2).map((a) => a.id)).toEqual(burst);
    expect(new Set(final.map((a) => a.id)).size).toBe(final.length);
    expect(await page.evaluate(() => (window as unknown as { __maxOnScreen: number }).__maxOnScreen)).toBe(1);
    expect(checks.foreign).toEqual([]);
    expect(checks.problems).toEqual([]);
    await page.close();
  });

  it('has a demo mode for layout (screenshot)', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 360 } });
    const checks = await guard(page, base);
    await page.goto(`${base}/overlay?demo=1&hold=60000`, { waitUntil: 'load' });
    await page.getByTestId('alert').waitFor();
    await page.locator('.alert.show').waitFor();
    expect(await page.getByTestId('donor').textContent()).toBe('nova_fan_42');
    await page.screenshot({ path: screenshotPath('overlay.png'), omitBackground: true });
    expect(checks.problems).toEqual([]);
    await page.close();
  });

  it('explains a wrong, expired or refused link instead of showing nothing', async () => {
    const m = await t.merchant();
    const tenant = { merchantId: m.merchantId, mode: m.mode };
    const expired = (await t.app.services.tokens.issueStreamToken(tenant, 'stream_x', -60)).token;
    const foreign = (await new TokenService(randomBytes(32)).issueStreamToken(tenant, 'stream_x', 600)).token;
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const checks = await guard(page, base);
    const cases: [string, RegExp][] = [
      ['/overlay', /overlay link is not valid/],
      ['/overlay?t=garbage', /overlay link is not valid/],
      [`/overlay?t=${expired}`, /overlay link has expired/],
      [`/overlay?t=${foreign}`, /overlay link is no longer valid/],
    ];
    for (const [path, message] of cases) {
      await page.goto(`${base}${path}`, { waitUntil: 'load' });
      await page.getByTestId('overlay-error').waitFor();
      expect(await page.getByTestId('overlay-error').textContent(), path).toMatch(message);
    }
    expect(checks.problems).toEqual([]);
    await page.close();
  });
});
