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

/** How many of a page's events `guard` keeps for a failed wait's message (the latest). */
const EVENTS_KEPT = 200;

/**
 * In the page, before its own scripts: each WebSocket's open, close (code and reason) and error as a console
 * line, which `guard` records. Playwright's websocket events carry no close code, and a page that never goes
 * live is explained by how its sockets ended.
 */
function logSockets() {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      this.addEventListener('open', () => console.debug(`[socket] open ${String(url)}`));
      this.addEventListener('close', (e) => console.debug(`[socket] closed ${e.code} ${e.reason}`));
      this.addEventListener('error', () => console.debug('[socket] error'));
    }
  };
}

/**
 * Blocks and records every request to another origin, and records page errors and CSP violations, so a
 * test can assert the page works from this server alone. `events` keeps what the page did (console lines,
 * its sockets' opens and closes, failed requests and answers of 400 and up) for a failed wait's message.
 */
export async function guard(page: Page, base: string) {
  const origin = new URL(base).origin;
  const foreign: string[] = [];
  const problems: string[] = [];
  const events: string[] = [];
  const started = Date.now();
  const note = (line: string) => {
    events.push(`+${Date.now() - started}ms ${line}`);
    if (events.length > EVENTS_KEPT) events.shift();
  };
  await page.addInitScript(logSockets);
  await page.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || new URL(url).origin === origin) await route.continue();
    else {
      foreign.push(url);
      await route.abort('blockedbyclient');
    }
  });
  page.on('pageerror', (err) => {
    problems.push(`page error: ${err.message}`);
    note(`page error: ${err.message}`);
  });
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
    note(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('crash', () => note('the page crashed'));
  page.on('requestfailed', (r) => note(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) note(`answer ${r.status()}: ${r.url()}`);
  });
  return { foreign, problems, events };
}

/** What a page shows and has done so far (`guard`'s events): the message of a wait on it that timed out. */
export async function pageReport(page: Page, events: string[]): Promise<string> {
  const shown = await page
    .evaluate(() => ({
      conn: document.querySelector('[data-conn]')?.getAttribute('data-conn') ?? '(none)',
      // biome-ignore lint/performance/useDomNodeTextContent: what the page shows, not hidden text
      text: document.body?.innerText.trim() ?? '',
    }))
    .catch((err: Error) => ({ conn: '(unknown)', text: `(could not read the page: ${err.message})` }));
  return [
    `page ${page.url()}`,
    `data-conn: ${shown.conn}`,
    `visible text: ${shown.text || '(none)'}`,
    `page events (${events.length}, latest last):`,
    ...events.map((e) => `  ${e}`),
  ].join('\n');
}

declare global {
  interface Window {
    /** The overlay's list of alerts shown, in order (web/src/overlay/main.tsx). */
    __alerts: { id: string; donor: string; amount: string; message: string | null }[];
  }
}
