import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Services } from '../context.js';
import { projectPath } from '../lib/paths.js';

// Building the browser pages (web/, Vite) into web/dist: see web.ts for how they are served. Outside
// production a missing or stale build is made with Vite's API; production never builds at run time.

export const WEB_ROOT = projectPath('web');
export const WEB_DIST = join(WEB_ROOT, 'dist');
export const PAGES = ['pay', 'overlay', 'portal', 'login'] as const;

// ---- The build -------------------------------------------------------------------------------------------

/** 'missing' without a build, 'stale' when a source file under web/ is newer than the build. */
export function webBuildState(): 'ok' | 'missing' | 'stale' {
  let builtAt = Number.POSITIVE_INFINITY;
  for (const p of PAGES) {
    const f = join(WEB_DIST, `${p}.html`);
    if (!existsSync(f)) return 'missing';
    builtAt = Math.min(builtAt, statSync(f).mtimeMs);
  }
  return newestSource(WEB_ROOT) > builtAt ? 'stale' : 'ok';
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'dist' || e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs);
  }
  return newest;
}

let building: Promise<void> | null = null;

/**
 * Builds web/ into web/dist unless an up-to-date build is there. Callers in one process share one build;
 * processes building at once each build into a folder of their own and move it into place, so web/dist is
 * never half written.
 */
export function ensureWebBuild(log?: Services['log']): Promise<void> {
  if (webBuildState() === 'ok') return Promise.resolve();
  building ??= buildWeb(log).finally(() => {
    building = null;
  });
  return building;
}

async function buildWeb(log?: Services['log']): Promise<void> {
  const started = Date.now();
  const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const tmp = join(WEB_ROOT, `.dist-${tag}`);
  const { build } = await import('vite');
  try {
    await build({
      configFile: join(WEB_ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: tmp, emptyOutDir: true },
    });
    if (webBuildState() === 'ok') return; // another process finished first
    const old = existsSync(WEB_DIST) ? join(WEB_ROOT, `.dist-old-${tag}`) : null;
    if (old) await rename(WEB_DIST, old).catch(() => undefined);
    await rename(tmp, WEB_DIST).catch((err: NodeJS.ErrnoException) => {
      if (webBuildState() === 'missing') throw err;
    });
    if (old) await rm(old, { recursive: true, force: true });
    log?.info({ ms: Date.now() - started, dir: WEB_DIST }, 'built the web pages');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
