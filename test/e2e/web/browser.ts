import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

// Shared by the browser tests of the web pages: the system's Chromium when there is one (Debian's package),
// else the Chromium that `npm ci` brought inside @sparticuz/chromium (no download at install or run time), so
// the README's two commands are the whole set-up. Headless, with the flags of test/e2e/docs-browser.test.ts;
// a page that may not fetch anything from another host; screenshots kept in docs/screenshots/.

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

/** The Chromium to drive: the system's, or the one unpacked from the npm package (into /tmp, once). */
async function chromiumPath(): Promise<string> {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  if (existsSync(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM;
  const { default: packaged } = await import('@sparticuz/chromium');
  return packaged.executablePath();
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumPath(),
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return `${SCREENSHOTS}${name}`;
}

/**
 * Blocks and records every request to another origin, and records page errors and CSP violations, so a
 * test can assert the page works from this server alone.
 */
export async function guard(page: Page, base: string) {
  const origin = new URL(base).origin;
  const foreign: string[] = [];
  const problems: string[] = [];
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || new URL(url).origin === origin) await route.continue();
    else {
      foreign.push(url);
      await route.abort('blockedbyclient');
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return { foreign, problems };
}

declare global {
  interface Window {
    /** The overlay's list of alerts shown, in order (web/src/overlay/main.tsx). */
    __alerts: { id: string; donor: string; amount: string; message: string | null }[];
  }
}
