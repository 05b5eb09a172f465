import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSRF_COOKIE, CSRF_HEADER, ensureWebBuild, PORTAL_COOKIE } from '../../../src/http/web.js';
import type { TestMerchant } from '../../helpers/app.js';
import { useTronApp } from '../../helpers/tron.js';
import { guard, launchBrowser, screenshotPath } from './browser.js';

// The ops portal in Chromium: admin-token sign-in for an HttpOnly, SameSite=Strict session; approve and
// reject (with a reason, refunded) end to end with the audit trail; every portal route and admin GraphQL field
// refuses without the session, and GraphQL refuses the session cookie without its CSRF header.
//
// Role 'api': no background workers. TODO(payouts): once jobs/payouts lands, run this with role 'all' and
// assert that the approved row moves on to 'completed' (the portal would need withdrawalUpdated for admins over
// graphql-ws, or an admin read of one withdrawal, to follow it: see docs/web.md).
const t = useTronApp({}, 'api');
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';
let browser: Browser;
let base: string;
let admin: string;

beforeAll(async () => {
  await ensureWebBuild();
  base = await t.app.listen(0, '127.0.0.1');
  browser = await launchBrowser();
  admin = (await t.app.services.tokens.issueAdmin(3600, 'ops')).token;
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

    const ops = await gqlRaw('{ ops }');
    expect(ops.body.errors[0].extensions.code).toBe('forbidden');
    const retry = await gqlRaw('mutation { retryAllFailed(queue: "webhooks") }');
    expect(retry.body.errors[0].extensions.code).toBe('forbidden');
    const approve = await gqlRaw('mutation { approveWithdrawal(id: "pay_x") { __typename } }');
    expect(approve.body.data.approveWithdrawal.__typename).toBe('ForbiddenError');
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
    const noHeader = await gqlRaw('{ ops }', { cookie });
    expect(noHeader.body.errors[0].extensions.code).toBe('forbidden');
    const wrongHeader = await gqlRaw('{ ops }', { cookie, [CSRF_HEADER]: 'a'.repeat(64) });
    expect(wrongHeader.body.errors[0].extensions.code).toBe('forbidden');
    const good = await gqlRaw('{ ops }', { cookie, [CSRF_HEADER]: ok.cookies[CSRF_COOKIE]! });
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

describe('ops portal in a browser', () => {
  it('signs in, approves one withdrawal and rejects another with a reason (refunded, audited)', async () => {
    const m = await t.merchant();
    await t.credit(m, 'creator_1', '1000');
    const toApprove = await withdraw(m, 'creator_1', '200');
    const toReject = await withdraw(m, 'creator_1', '300');
    expect(await balance(m, 'creator_1')).toBe(500);

    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const checks = await guard(page, base);
    await page.goto(`${base}/portal?poll=1000`, { waitUntil: 'load' });
    expect(new URL(page.url()).pathname).toBe('/portal/login');
    await page.getByLabel('Admin token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('login-error').waitFor();
    await page.getByLabel('Admin token').fill(admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/portal`);
    const cookies = await context.cookies(base);
    const session = cookies.find((c) => c.name === PORTAL_COOKIE)!;
    expect([session.httpOnly, session.sameSite, session.path]).toEqual([true, 'Strict', '/']);
    expect(cookies.find((c) => c.name === CSRF_COOKIE)?.httpOnly).toBe(false);
    await page.getByRole('heading', { name: 'Chain scanners and queues' }).waitFor();
    await page.getByTestId('queues').waitFor();
    await page.getByTestId('feed').getByText('Connected').waitFor();

    // Approve.
    await page.getByTestId('withdrawal-id').fill(toApprove);
    await page.getByRole('button', { name: 'Add' }).click();
    const a = await row(page, toApprove);
    await a.getByTestId('approve').click();
    await a.and(page.locator('[data-status="approved"]')).waitFor();
    expect(await a.getByTestId('withdrawal-status').textContent()).toMatch(/approved/i);
    expect(await a.getByTestId('audit').textContent()).toMatch(/approved by admin:ops/);
    expect(await a.textContent()).toContain('200.00 Stars');
    // TODO(payouts): with the payout worker (jobs/payouts) running, expect this row to reach 'completed'.

    // Reject: the reason is required.
    await page.getByTestId('withdrawal-id').fill(toReject);
    await page.getByRole('button', { name: 'Add' }).click();
    const r = await row(page, toReject);
    await r.getByTestId('reject').click();
    expect(await r.getByTestId('confirm-reject').isDisabled()).toBe(true);
    await r.getByTestId('reject-reason').fill('wallet on the sanctions list (ticket 7781)');
    await r.getByTestId('confirm-reject').click();
    await r.and(page.locator('[data-status="rejected"]')).waitFor();
    const audit = await r.getByTestId('audit').textContent();
    expect(audit).toMatch(/rejected by admin:ops/);
    expect(audit).toContain('wallet on the sanctions list (ticket 7781)');
    expect(audit).toContain('refunded');
    expect(await balance(m, 'creator_1')).toBe(800); // 1000 − 200 approved; the 300 came back

    // Adding an id again keeps one row, already decided (no buttons).
    await page.getByTestId('withdrawal-id').fill(toApprove);
    await page.getByRole('button', { name: 'Add' }).click();
    expect(await (await row(page, toApprove)).count()).toBe(1);
    expect(await (await row(page, toApprove)).getByTestId('approve').count()).toBe(0);

    await page.screenshot({ path: screenshotPath('portal.png'), fullPage: true });

    await page.getByTestId('logout').click();
    await page.waitForURL(`${base}/portal/login`);
    await page.goto(`${base}/portal`, { waitUntil: 'load' });
    expect(new URL(page.url()).pathname).toBe('/portal/login');
    expect(checks.foreign).toEqual([]);
    expect(checks.problems).toEqual([]);
    await context.close();
  });
});
