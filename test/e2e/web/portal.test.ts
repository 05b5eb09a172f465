import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { TronWeb } from 'tronweb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { CSRF_COOKIE, CSRF_HEADER, ensureWebBuild, PORTAL_COOKIE } from '../../../src/http/web.js';
import { TreasuryControls, TreasuryService } from '../../../src/modules/treasury/index.js';
import type { TestMerchant } from '../../helpers/app.js';
import { payoutOnce } from '../../helpers/scan.js';
import { useTronApp } from '../../helpers/tron.js';
import { guard, launchBrowser, screenshotPath } from './browser.js';

// The ops portal in Chromium: admin-token sign-in for an HttpOnly, SameSite=Strict session; the withdrawals
// list across merchants; approve (then the payout worker pays it on the TRON devnet and the row reaches
// completed without a reload) and reject (with a reason, refunded) end to end with the audit trail; every
// portal route and admin GraphQL field refuses without the session, and GraphQL refuses the session cookie
// without its CSRF header.
//
// Role 'all' with a hot wallet: the payout worker runs. Its scheduled pass is far away (monitorMs), so the test
// drives the payout by hand (payoutOnce, then mining the 19 confirmations) like the payout integration tests.
const HOT_KEY = randomBytes(32).toString('hex');
const HOT = TronWeb.address.fromPrivateKey(HOT_KEY) as string;
const t = useTronApp(
  { payouts: { ...loadConfig().payouts, monitorMs: 600_000, tronPrivateKey: HOT_KEY } },
  'all',
);
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';
let browser: Browser;
let base: string;
let admin: string;

beforeAll(async () => {
  await ensureWebBuild();
  base = await t.app.listen(0, '127.0.0.1');
  browser = await launchBrowser();
  admin = (await t.app.services.tokens.issueAdmin(3600, 'ops')).token;
  t.devnet.sendUsdt(HOT, 1_000_000_000n); // 1000 USDT
  t.devnet.sendTrx(HOT, 2_000_000_000n); // for energy and bandwidth
  t.devnet.mine();
});

afterAll(async () => {
  await browser?.close();
});

async function withdraw(m: TestMerchant, userId: string, amount: string) {
  const r = await t.request({
    url: '/api/v1/withdraw/create',
    as: m,
    body: { userId, amount, walletAddress: WALLET, network: 'TRC20' },
  });
  expect(r.status).toBe(200);
  expect(r.body.status).toBe('pending_approval');
  return r.body.id as string;
}

const balance = async (m: TestMerchant, u: string) =>
  (await t.request({ url: `/api/v1/balance/${u}`, as: m })).body.balance;

async function gqlRaw(query: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: r.status, body: (await r.json()) as any };
}

/** Signs in over HTTP and returns the cookies it set (name → value). */
async function signIn(token: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${base}/portal/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ token }),
  });
  const cookies: Record<string, string> = {};
  for (const c of r.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair!.indexOf('=');
    cookies[pair!.slice(0, eq)] = decodeURIComponent(pair!.slice(eq + 1));
  }
  return { status: r.status, cookies, setCookie: r.headers.getSetCookie(), body: (await r.json()) as any };
}

async function row(page: Page, id: string) {
  return page.locator(`[data-testid="withdrawal-row"][data-id="${id}"]`);
}

describe('ops portal without a session', () => {
  it('refuses every portal route and every admin GraphQL field', async () => {
    for (const path of ['/portal', '/portal/', '/portal/withdrawals', '/portal/x/y']) {
      const html = await fetch(`${base}${path}`, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect([path, html.status, html.headers.get('location')]).toEqual([path, 303, '/portal/login']);
      const api = await fetch(`${base}${path}`, { redirect: 'manual' });
      expect([path, api.status]).toEqual([path, 401]);
    }
    expect((await fetch(`${base}/portal/login`)).status).toBe(200); // the login page itself is open

    const ops = await gqlRaw('{ ops { at } }');
    expect(ops.body.errors[0].extensions.code).toBe('forbidden');
    const retry = await gqlRaw('mutation { retryAllFailed(queue: "webhooks") }');
    expect(retry.body.errors[0].extensions.code).toBe('forbidden');
    const approve = await gqlRaw('mutation { approveWithdrawal(id: "pay_x") { __typename } }');
    expect(approve.body.data.approveWithdrawal.__typename).toBe('ForbiddenError');
    const list = await gqlRaw('{ withdrawals(first: 5) { totalCount } }');
    expect(list.body.errors[0].extensions.code).toBe('forbidden');
    const one = await gqlRaw('{ withdrawal(id: "pay_x") { id } }');
    expect(one.body.errors[0].extensions.code).toBe('forbidden');
    expect((await fetch(`${base}/portal/logout`, { method: 'POST' })).status).toBe(200);
  });

  it('signs in with an admin token only, same-origin, and needs the CSRF header for GraphQL', async () => {
    expect((await signIn('garbage')).status).toBe(401);
    const m = await t.merchant();
    const stream = await t.app.services.tokens.issueStreamToken(
      { merchantId: m.merchantId, mode: m.mode },
      's',
      600,
    );
    expect((await signIn(stream.token)).status).toBe(403);
    expect((await signIn(admin, { origin: 'https://evil.example' })).status).toBe(403);

    const ok = await signIn(admin, { origin: base });
    expect(ok.status).toBe(200);
    const session = ok.setCookie.find((c) => c.startsWith(`${PORTAL_COOKIE}=`))!;
    expect(session).toMatch(/; Path=\/;/);
    expect(session).toContain('HttpOnly');
    expect(session).toContain('SameSite=Strict');
    const csrf = ok.setCookie.find((c) => c.startsWith(`${CSRF_COOKIE}=`))!;
    expect(csrf).not.toContain('HttpOnly');
    expect(ok.cookies[PORTAL_COOKIE]).not.toBe(admin); // a session token of its own, not the CLI token

    const cookie = `${PORTAL_COOKIE}=${ok.cookies[PORTAL_COOKIE]}; ${CSRF_COOKIE}=${ok.cookies[CSRF_COOKIE]}`;
    const noHeader = await gqlRaw('{ ops { at } }', { cookie });
    expect(noHeader.body.errors[0].extensions.code).toBe('forbidden');
    const wrongHeader = await gqlRaw('{ ops { at } }', { cookie, [CSRF_HEADER]: 'a'.repeat(64) });
    expect(wrongHeader.body.errors[0].extensions.code).toBe('forbidden');
    const good = await gqlRaw('{ ops { queues { name } } }', {
      cookie,
      [CSRF_HEADER]: ok.cookies[CSRF_COOKIE]!,
    });
    expect(good.body.errors).toBeUndefined();
    expect(Array.isArray(good.body.data.ops.queues)).toBe(true);
    // The session is for GraphQL and the portal, never for REST.
    const rest = await fetch(`${base}/api/v1/balance/x`, {
      headers: { cookie, [CSRF_HEADER]: ok.cookies[CSRF_COOKIE]! },
    });
    expect(rest.status).toBe(401);
    // The queue dashboard opens with the cookie the sign-in set for it.
    const queues = await fetch(`${base}/admin/queues`, {
      redirect: 'manual',
      headers: { cookie: `novapay_admin=${ok.cookies.novapay_admin}` },
    });
    expect(queues.status).toBe(200);
  });
});

async function signInInBrowser(page: Page) {
  await page.goto(`${base}/portal?poll=1000`, { waitUntil: 'load' });
  expect(new URL(page.url()).pathname).toBe('/portal/login');
  await page.getByLabel('Admin token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('login-error').waitFor();
  await page.getByLabel('Admin token').fill(admin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/portal`);
  const cookies = await page.context().cookies(base);
  const session = cookies.find((c) => c.name === PORTAL_COOKIE)!;
  expect([session.httpOnly, session.sameSite, session.path]).toEqual([true, 'Strict', '/']);
  expect(cookies.find((c) => c.name === CSRF_COOKIE)?.httpOnly).toBe(false);
  await page.getByRole('heading', { name: 'Chain scanners and queues' }).waitFor();
  await page.getByTestId('queues').waitFor();
  await page.getByTestId('feed').getByText('Connected').waitFor();
}

describe('ops portal in a browser', () => {
  it('lists withdrawals, approves one (paid and followed to completed) and rejects another (refunded)', async () => {
    const m = await t.merchant();
    await t.credit(m, 'creator_1', '1000');
    const toApprove = await withdraw(m, 'creator_1', '200');
    const toReject = await withdraw(m, 'creator_1', '300');
    expect(await balance(m, 'creator_1')).toBe(500);
    const other = await t.merchant();
    await t.credit(other, 'streamer_9', '150');
    const waiting = await withdraw(other, 'streamer_9', '150');

    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const checks = await guard(page, base);
    await signInInBrowser(page);

    // The admin list: every merchant's withdrawals waiting for approval, with merchant, user, amount and wallet.
    const a = await row(page, toApprove);
    const r = await row(page, toReject);
    const w = await row(page, waiting);
    for (const x of [a, r, w]) await x.and(page.locator('[data-status="pending_approval"]')).waitFor();
    const aText = await a.textContent();
    for (const part of [m.merchantId, 'creator_1', '200.00 Stars', WALLET, 'TRC20'])
      expect(aText).toContain(part);
    expect(await w.textContent()).toContain(other.merchantId);
    expect(await page.getByTestId('withdrawals-gap').count()).toBe(0);

    // Approve, then the payout worker pays it on the devnet: the row follows to completed without a reload.
    await a.getByTestId('approve').click();
    await a.and(page.locator('[data-status="approved"], [data-status="processing"]')).waitFor();
    expect(await a.getByTestId('audit').textContent()).toMatch(/approved by admin:ops/);
    await payoutOnce(t.app);
    // The row follows the payout's steps as their live messages come (signed, then broadcast): wait for the
    // step payoutOnce left it at, not for the first message that makes the row processing.
    await a
      .and(page.locator('[data-status="processing"]'))
      .and(page.locator('[data-payout-state="broadcast"], [data-payout-state="confirming"]'))
      .waitFor();
    expect(await a.getByTestId('payout-state').textContent()).toMatch(/broadcast|confirming/);
    t.devnet.mine(19);
    await payoutOnce(t.app);
    await a.and(page.locator('[data-status="completed"]')).waitFor({ timeout: 15_000 });
    expect(await a.getByTestId('withdrawal-status').textContent()).toMatch(/completed/i);
    expect(await a.getByTestId('payout-state').textContent()).toMatch(/^completed, \d+ confirmations$/);
    expect(await a.getByTestId('audit').textContent()).toMatch(/completed by /);
    await page.getByTestId('feed').getByText(`${toApprove} completed`).waitFor();

    // Reject: the reason is required.
    await r.getByTestId('reject').click();
    expect(await r.getByTestId('confirm-reject').isDisabled()).toBe(true);
    await r.getByTestId('reject-reason').fill('wallet on the sanctions list (ticket 7781)');
    await r.getByTestId('confirm-reject').click();
    await r.and(page.locator('[data-status="rejected"]')).waitFor();
    const audit = await r.getByTestId('audit').textContent();
    expect(audit).toMatch(/rejected by admin:ops/);
    expect(audit).toContain('wallet on the sanctions list (ticket 7781)');
    expect(audit).toContain('refunded');
    expect(await balance(m, 'creator_1')).toBe(800); // 1000 − 200 paid out; the 300 came back

    // Finding an id shown already keeps one row, decided (no buttons); an unknown id says so.
    await page.getByTestId('withdrawal-id').fill(toApprove);
    await page.getByRole('button', { name: 'Find' }).click();
    expect(await (await row(page, toApprove)).count()).toBe(1);
    expect(await (await row(page, toApprove)).getByTestId('approve').count()).toBe(0);
    await page.getByTestId('withdrawal-id').fill('pay_missing');
    await page.getByRole('button', { name: 'Find' }).click();
    expect(await page.getByTestId('withdrawal-find-error').textContent()).toContain(
      'no withdrawal pay_missing',
    );

    await page.screenshot({ path: screenshotPath('portal.png'), fullPage: true });

    // The status filter asks the API: completed lists the paid one.
    await page.getByTestId('withdrawal-filter-status').selectOption('COMPLETED');
    await page.getByTestId('withdrawals-total').getByText('1 matching').waitFor();

    await page.getByTestId('logout').click();
    await page.waitForURL(`${base}/portal/login`);
    await page.goto(`${base}/portal`, { waitUntil: 'load' });
    expect(new URL(page.url()).pathname).toBe('/portal/login');
    expect(checks.foreign).toEqual([]);
    expect(checks.problems).toEqual([]);
    await context.close();
  });

  it('shows the treasury by network from the house books, with whether its sweeping is paused', async () => {
    const treasury = new TreasuryService(t.app.services.ledger);
    for (const [asset, amount] of [
      ['token', '1000000000'],
      ['native', '2000000000'],
    ] as const)
      await treasury.recordFunding({
        network: 'TRC20',
        mode: 'test',
        asset,
        to: 'hot',
        amount,
        reference: `portal-treasury-${asset}`,
      });
    // TRX put into a staking account that lends energy (delegate mode): its own column.
    await treasury.recordFunding({
      network: 'TRC20',
      mode: 'test',
      asset: 'native',
      to: 'staking',
      amount: '3000000000',
      reference: 'portal-treasury-staking',
    });
    // Ops paused its sweeping (the service behind pauseSweeping, as if TRC20 test were swept here).
    const controls = new TreasuryControls(t.app.pool, ['TRC20:test'], async () => undefined);
    await controls.setPaused('TRC20', 'test', true, 'portal test', 'admin:ops');
    const books = await t.app.services.ledger.house.balances({ network: 'TRC20', mode: 'test' });
    const hot = (asset: string) => books.find((b) => b.asset === asset && b.code === 'custody:hot')!.balance;

    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const checks = await guard(page, base);
    await signInInBrowser(page);
    await page.getByRole('heading', { name: 'Treasury' }).waitFor();
    const cells = page.getByTestId('treasury-TRC20-TEST').locator('td');
    await cells.first().waitFor();
    expect(await cells.allTextContents()).toEqual([
      'TRC20 test',
      'paused by admin:ops',
      '0',
      String(hot('token')),
      '0',
      String(hot('native')),
      '3000000000',
      '0 / 0',
      expect.stringMatching(/^\d+$/),
      'not yet compared',
    ]);
    expect(checks.foreign).toEqual([]);
    expect(checks.problems).toEqual([]);
    await context.close();
  });
});
