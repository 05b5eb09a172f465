import { Wallet } from 'ethers';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISPERSE_ADDRESS } from '../../../src/devnet/evm/index.js';
import { ensureWebBuild } from '../../../src/http/web.js';
import { fundHot, requestDeposit } from '../../helpers/evm.js';
import { eventually } from '../../helpers/receiver.js';
import { useSweptEvmApp } from '../../helpers/treasury.js';
import { guard, launchBrowser, screenshotPath } from './browser.js';

// The portal's sweeping controls (web/src/portal/treasury-controls.tsx) in Chromium against a real app that
// sweeps ERC20 test mode on the hardhat devnet (role all, the signer in the worker): pause asks for a reason
// first and shows in the panel from ops.treasury; every button of the network is disabled while its mutation is
// in flight; a refusal shows the API's code and message; sweep now queues a pass on the network's BullMQ queue
// that the signer runs; sweep address queues the sweep of one deposit address below the threshold, which the
// pass plans. Every action is audited with the admin.

const HOT = Wallet.createRandom();
const { t, queueIdle } = useSweptEvmApp(HOT.privateKey, { threshold: '100', disperse: DISPERSE_ADDRESS });
const E6 = 1_000_000n;
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

async function signIn(page: Page) {
  await page.goto(`${base}/portal?poll=1000`, { waitUntil: 'load' });
  await page.getByLabel('Admin token').fill(admin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/portal`);
  await page.getByTestId('feed').getByText('Connected').waitFor();
}

/** Holds the next request of `operation` to /graphql until `release()`: the button's in-flight state shows. */
async function hold(page: Page, operation: string) {
  let arrived!: () => void;
  let release!: () => void;
  const seen = new Promise<void>((r) => {
    arrived = r;
  });
  const released = new Promise<void>((r) => {
    release = r;
  });
  let held = false;
  await page.route('**/graphql', async (route) => {
    const body = route.request().postDataJSON() as { operationName?: string } | null;
    if (!held && body?.operationName === operation) {
      held = true;
      arrived();
      await released;
    }
    await route.fallback();
  });
  return { seen, release };
}

/** The outcome line once it shows `state` ('done' or 'refused'), and its text. */
async function outcome(controls: Locator, state: 'done' | 'refused', text: string | RegExp) {
  const line = controls.locator(`[data-testid="treasury-outcome"][data-outcome="${state}"]`, {
    hasText: text,
  });
  await line.waitFor();
  return {
    text: (await line.textContent()) ?? '',
    code: await line.getAttribute('data-code'),
    job: await line.getAttribute('data-job'),
  };
}

const sweepOf = async (address: string) =>
  (
    await t.app.pool.query<{ status: string; amount: string }>(
      `select status, amount::text from sweeps where from_address = $1 and kind = 'sweep' order by id desc limit 1`,
      [address],
    )
  ).rows[0];
const pausedRows = async () =>
  (await t.app.pool.query(`select 1 from treasury_controls where chain = 'ERC20:test' and paused`)).rowCount;

describe('treasury controls in the portal', () => {
  it('pauses after a confirmation, refuses while paused, resumes, sweeps now and one address, shows refusals', {
    timeout: 180_000,
  }, async () => {
    await queueIdle(); // the pass the signer queues at start has run: the passes here are the buttons'
    await fundHot(t, HOT.address, 10n ** 19n);
    const m = await t.merchant();
    const small = await requestDeposit(t, m, 'small', 'ERC20', '5'); // below the threshold of 100
    await t.devnet.sendToken(t.devnet.usdt6, small.depositAddress, 5n * E6);
    await t.devnet.mine(12);
    await t.scan('ERC20:test');

    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const checks = await guard(page, base);
    await signIn(page);
    const sweeping = page.getByTestId('treasury-ERC20-TEST').locator('td').nth(1);
    await sweeping.getByText('on', { exact: true }).waitFor();
    const controls = page.getByTestId('treasury-controls-ERC20-TEST');

    // Pause asks first: the button only opens the reason and the confirmation, which needs a reason.
    await controls.getByTestId('pause-sweeping').click();
    const confirm = controls.getByTestId('confirm-pause');
    expect(await confirm.isDisabled()).toBe(true);
    expect(await pausedRows()).toBe(0);
    await controls.getByTestId('pause-reason').fill('hot wallet rotation');
    // In flight, every button of the network is disabled.
    const held = await hold(page, 'PortalPauseSweeping');
    await confirm.click();
    await held.seen;
    expect(await controls.getByTestId('sweep-now').isDisabled()).toBe(true);
    expect(await confirm.isDisabled()).toBe(true);
    expect(await controls.getAttribute('aria-busy')).toBe('true');
    held.release();
    await outcome(controls, 'done', 'Paused by admin:ops: hot wallet rotation');
    // The pause shows in the table from ops.treasury, and the control offers resume.
    await sweeping.getByText('paused by admin:ops').waitFor();
    expect(await pausedRows()).toBe(1);
    expect(await controls.getByTestId('sweep-now').isEnabled()).toBe(true);

    // Refused while paused: the code and the message; nothing queued.
    await controls.getByTestId('sweep-now').click();
    const paused = await outcome(controls, 'refused', 'is paused');
    expect(paused.code).toBe('conflict');
    expect(paused.text).toContain('Refused: sweeping of ERC20 (test) is paused; resume it first (conflict)');

    await controls.getByTestId('resume-sweeping').click();
    await outcome(controls, 'done', 'Resumed by admin:ops');
    await sweeping.getByText('on', { exact: true }).waitFor();

    // Sweep now: the job id shown is a pass on the network's queue, which the signer runs.
    await controls.getByTestId('sweep-now').click();
    const now = await outcome(controls, 'done', 'Sweep pass queued: job');
    expect(now.job).toMatch(/^ops-/);
    expect(now.text).toContain(now.job!);
    const queue = t.app.queues.sweeps('ERC20:test');
    const job = await queue.getJob(now.job!);
    expect(job?.name).toBe('sweep');
    expect(job?.data).toEqual({});
    await eventually(async () => (await job!.getState()) === 'completed', 30_000);
    expect(await sweepOf(small.depositAddress)).toBeUndefined(); // 5 USDT is below the threshold

    // A refused sweepAddress shows its message: an address that is no deposit address.
    const stranger = Wallet.createRandom().address;
    await controls.getByTestId('sweep-address-input').fill(stranger);
    await controls.getByTestId('sweep-address').click();
    const unknown = await outcome(controls, 'refused', 'not found');
    expect(unknown.code).toBe('not_found');
    expect(unknown.text).toContain(`Deposit address on ERC20 (test) '${stranger}' not found`);

    // Sweep address: below the threshold, queued with its unswept units; the pass plans its sweep.
    await controls.getByTestId('sweep-address-input').fill(small.depositAddress);
    await controls.getByTestId('sweep-address').click();
    const one = await outcome(controls, 'done', `Sweep of ${small.depositAddress} queued`);
    expect(one.text).toContain(`(${5n * E6} token units unswept)`);
    const addressJob = await queue.getJob(one.job!);
    expect(addressJob?.data).toEqual({ address: small.depositAddress });
    await eventually(async () => (await sweepOf(small.depositAddress))?.amount === String(5n * E6), 30_000);
    // Its sweep is under way now: asked again, refused with the API's reason.
    await controls.getByTestId('sweep-address-input').fill(small.depositAddress);
    await controls.getByTestId('sweep-address').click();
    expect((await outcome(controls, 'refused', 'under way')).code).toBe('conflict');

    // Each answer also went to the live feed; every action is audited with the admin.
    await page
      .getByTestId('feed')
      .getByText(`treasury ERC20 test: Sweep pass queued: job ${now.job}`)
      .waitFor();
    const audit = await t.app.pool.query<{ action: string; actor: string; reason: string | null }>(
      `select action, actor, reason from admin_audit where action like 'treasury.%' order by id`,
    );
    expect(audit.rows).toEqual([
      { action: 'treasury.pause', actor: 'admin:ops', reason: 'hot wallet rotation' },
      { action: 'treasury.resume', actor: 'admin:ops', reason: null },
      { action: 'treasury.sweep_now', actor: 'admin:ops', reason: null },
      { action: 'treasury.sweep_address', actor: 'admin:ops', reason: null },
    ]);

    await page.locator('#treasury').screenshot({ path: screenshotPath('portal-treasury.png') });
    expect(checks.foreign).toEqual([]);
    expect(checks.problems).toEqual([]);
    await context.close();
  });
});
