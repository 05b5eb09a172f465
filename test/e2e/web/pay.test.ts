import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_MANIFEST } from '../../../src/http/trusted-documents.js';
import { ensureWebBuild } from '../../../src/http/web.js';
import type { TestMerchant } from '../../helpers/app.js';
import { useTronApp } from '../../helpers/tron.js';
import { guard, launchBrowser, screenshotPath } from './browser.js';

// The hosted payment page behind paymentUrl, in Chromium: a TRC20 deposit paid on the devnet turns from
// waiting to seen (with confirmations) to paid, live, without a reload; bad links explain themselves.
const t = useTronApp();
const TRUSTED = JSON.parse(readFileSync(WEB_MANIFEST, 'utf8')) as Record<string, string>;
let browser: Browser;
let base: string;

beforeAll(async () => {
  await ensureWebBuild(); // a fresh clone has no web/dist yet
  base = await t.app.listen(0, '127.0.0.1');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

async function createDeposit(m: TestMerchant, amount: string) {
  const r = await t.request({
    url: '/api/v1/deposit/create',
    as: m,
    body: { userId: 'payer_web', amount, currency: 'USDT', network: 'TRC20' },
  });
  expect(r.status).toBe(200);
  return r.body as { id: string; depositAddress: string; paymentUrl: string; expiresAt: string };
}

/** The paymentUrl on this test server (PUBLIC_BASE_URL names the configured port, not the test's). */
function onTestServer(paymentUrl: string): string {
  const u = new URL(paymentUrl);
  return `${base}${u.pathname}${u.search}`;
}

async function text(page: Page, testId: string) {
  return ((await page.getByTestId(testId).textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

describe('payment page', () => {
  it('shows the address, QR code and countdown, then turns to paid without a reload', async () => {
    const m = await t.merchant();
    const d = await createDeposit(m, '25.50');
    expect(new URL(d.paymentUrl).pathname).toBe(`/pay/${d.id}`);

    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const checks = await guard(page, base);
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });
    const res = await page.goto(onTestServer(d.paymentUrl), { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    expect(res?.headers()['referrer-policy']).toBe('no-referrer');
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");

    await page.getByTestId('address').waitFor();
    expect(await text(page, 'address')).toBe(d.depositAddress);
    expect(await text(page, 'amount')).toBe('25.5 USDT');
    expect(await text(page, 'network')).toBe('TRON (TRC20)');
    await page.getByTestId('qr').waitFor();
    expect(await page.getByTestId('qr').getAttribute('alt')).toContain(d.depositAddress);
    expect(await text(page, 'status')).toContain('Waiting for payment');
    expect(await text(page, 'countdown')).toMatch(/^Time left: (\d+:)?\d{1,2}:\d{2}$/);
    await page.locator('[data-conn="live"]').waitFor();
    // Nothing secret in the page: no API key or secret, only the deposit's own token in the address.
    const html = await page.content();
    expect(html).not.toContain(m.apiKey);
    expect(html).not.toContain(m.apiSecret);
    await page.screenshot({ path: screenshotPath('pay-desktop.png'), fullPage: true });

    // The same page at phone width: everything readable, nothing wider than the screen.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await phone.goto(onTestServer(d.paymentUrl), { waitUntil: 'load' });
    await phone.getByTestId('qr').waitFor();
    await phone.locator('[data-conn="live"]').waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: screenshotPath('pay-phone.png'), fullPage: true });
    await phone.close();

    // Pay it on the devnet; the scanner sees it, then confirms it.
    const sim = await t.graphql(
      m,
      'mutation($id: ID!) { simulateDeposit(depositId: $id) { __typename ... on Error { code message } } }',
      { id: d.id },
    );
    expect(sim.body.data.simulateDeposit.__typename).toBe('SimulatedPayment');
    t.devnet.mine(1);
    await t.scan();
    await page.getByText('Payment seen on chain').waitFor({ timeout: 15_000 });
    await page.getByText('Confirmations: 1 of 19').waitFor({ timeout: 15_000 });
    t.devnet.mine(18);
    await t.scan();
    await page.locator('[data-status="confirmed"]').waitFor({ timeout: 15_000 });
    expect(await text(page, 'status')).toContain('Paid');
    expect(await text(page, 'received')).toBe('25.5 USDT');
    expect(await page.getByTestId('address').count()).toBe(0);
    expect(navigations).toBe(1); // no reload: the subscription did it

    expect(checks.foreign).toEqual([]);
    expect(checks.problems).toEqual([]);
    await page.close();
  });

  it('puts an EIP-681 token transfer in the QR code of an EVM deposit', async () => {
    const m = await t.merchant();
    const d = await createDeposit(m, '12.5');
    // The API names the token of the deposit's network (no chain id for this TRON test network).
    const q = await t.graphql(
      m,
      'query($id: ID!) { deposit(id: $id) { tokenContract tokenDecimals chainId } }',
      {
        id: d.id,
      },
    );
    expect(q.body.data.deposit).toEqual({
      tokenContract: t.devnet.usdt.address,
      tokenDecimals: 6,
      chainId: null,
    });

    // No EVM chain runs here: the page's own deposit read is answered as an EVM deposit would be.
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const checks = await guard(page, base);
    const evm = {
      depositAddress: '0x8ba1f109551bD432803012645Ac136ddd64DBA72',
      tokenContract: '0x55d398326f99059fF775485246999027B3197955',
      tokenDecimals: 18,
    };
    let chainId: number | null = 56;
    await page.route('**/graphql', async (route) => {
      // The page sends its trusted document by id; the test runs the same document's text.
      const body = route.request().postDataJSON() as { documentId?: string; operationName?: string };
      if (route.request().method() !== 'POST' || body.operationName !== 'PaymentPage')
        return route.continue();
      const text = TRUSTED[body.documentId ?? '']!;
      const real = (await t.graphql(m, text, { id: d.id })).body.data.deposit;
      await route.fulfill({
        json: { data: { deposit: { ...real, ...evm, network: 'BEP20', chainId } } },
      });
    });
    const units = '12500000000000000000'; // 12.5 × 10^18, exact
    for (const [chain, part] of [
      [56, '@56'],
      [null, ''],
    ] as const) {
      chainId = chain;
      await page.goto(onTestServer(d.paymentUrl), { waitUntil: 'load' });
      await page.getByTestId('qr').waitFor();
      expect(await text(page, 'network')).toBe('BNB Smart Chain (BEP20)');
      expect(await page.getByTestId('qr').getAttribute('alt')).toBe(
        `QR code of ethereum:${evm.tokenContract}${part}/transfer?address=${evm.depositAddress}&uint256=${units}`,
      );
    }
    expect(checks.foreign).toEqual([]);
    expect(checks.problems).toEqual([]);
    await page.close();
  });

  it('explains a wrong, foreign or missing token instead of showing a blank page', async () => {
    const m = await t.merchant();
    const a = await createDeposit(m, '1');
    const b = await createDeposit(m, '2');
    const tokenOfB = new URL(b.paymentUrl).searchParams.get('t')!;
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const checks = await guard(page, base);
    const cases: [string, RegExp][] = [
      [`/pay/${a.id}?t=not-a-token`, /payment link is not valid/],
      [`/pay/${a.id}?t=${tokenOfB}`, /belongs to another payment/],
      [`/pay/${a.id}`, /payment link is incomplete/],
    ];
    for (const [path, message] of cases) {
      await page.goto(`${base}${path}`, { waitUntil: 'load' });
      await page.getByTestId('pay-error').waitFor();
      expect(await text(page, 'pay-error'), path).toMatch(message);
    }
    // A token made with another key (shape right, signature wrong) is refused by the server.
    const forged = tokenOfB.replace(/\.[^.]+$/, '.AAAA');
    await page.goto(`${base}/pay/${b.id}?t=${forged}`, { waitUntil: 'load' });
    await page.getByTestId('pay-error').waitFor();
    expect(await text(page, 'pay-error')).toMatch(/payment link is not valid/);
    expect(checks.foreign).toEqual([]);
    expect(checks.problems).toEqual([]);
    await page.close();
  });
});
