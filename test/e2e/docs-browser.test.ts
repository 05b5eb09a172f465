import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPENAPI_FILE } from '../../src/http/docs.js';
import { useTestApp } from '../helpers/app.js';
import { launchBrowser } from './web/browser.js';

// /docs as a person sees it: a headless Chromium (the system's, else the one npm ci brings in
// @sparticuz/chromium: web/browser.ts) opens the page served by a listening app and waits
// until Swagger UI has rendered every documented operation and webhook. Nothing may be fetched from another
// host (every such request is blocked and counted), and the page must run without errors or CSP violations.
// The screenshot is kept in docs/screenshots/docs.png.

const SCREENSHOT = fileURLToPath(new URL('../../docs/screenshots/docs.png', import.meta.url));
const doc = parse(readFileSync(OPENAPI_FILE, 'utf8'));

const t = useTestApp();
let browser: Browser;
let base: string;

beforeAll(async () => {
  base = await t.app.listen(0, '127.0.0.1');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe('/docs in a browser', () => {
  it('renders every documented operation and webhook from this server alone', async () => {
    const origin = new URL(base).origin;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const foreign: string[] = [];
    const local: string[] = [];
    const problems: string[] = [];
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith('data:') || new URL(url).origin === origin) {
        local.push(url);
        await route.continue();
      } else {
        foreign.push(url);
        await route.abort('blockedbyclient');
      }
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) {
        problems.push(`console ${msg.type()}: ${msg.text()}`);
      }
    });

    const res = await page.goto(`${base}/docs`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);

    // Every documented operation, found by the path and method Swagger UI renders it with.
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item).filter((k) => k === 'get' || k === 'post')) {
        const op = page.locator(`.opblock-${method} .opblock-summary-path[data-path="${path}"]`);
        await op.first().waitFor({ state: 'visible', timeout: 20_000 });
      }
    }
    await page.getByText('Internal transfer between users').first().waitFor();
    await page.getByText('NovaPayments API', { exact: false }).first().waitFor();
    for (const event of Object.keys(doc.webhooks)) {
      await page.getByText(event, { exact: true }).first().waitFor({ timeout: 20_000 });
    }
    // Requests need an HMAC signature the page cannot make: no "Try it out".
    expect(await page.getByRole('button', { name: 'Try it out' }).count()).toBe(0);

    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // An operation opens with its parameters, request body and responses.
    await page.locator('.opblock-post .opblock-summary-path[data-path="/api/v1/transfer"]').first().click();
    await page.getByText('Idempotency-Key', { exact: true }).first().waitFor();
    await page.getByText('insufficient_funds', { exact: false }).first().waitFor();
    await page.close();

    expect(foreign, 'requests to other hosts').toEqual([]);
    expect(problems).toEqual([]);
    expect(local.some((u) => u.endsWith('/api/v1/openapi.json'))).toBe(true);
    expect(local.some((u) => u.endsWith('/docs/assets/swagger-ui-bundle.js'))).toBe(true);
    expect(existsSync(SCREENSHOT)).toBe(true);
  });
});
