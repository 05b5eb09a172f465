/**
 * Compiles the server (src/, jobs/, schema/, migrations/) to JavaScript in dist/, one .js (and .js.map) per
 * .ts file in the same layout, so production runs `node dist/src/main.js` without compiling at start.
 *
 *   npm run build:server                          into dist/ (`npm run build` does this and the web pages)
 *   npm run build:server -- --outdir <dir>        elsewhere (test/e2e/compiled.test.ts builds an image's dist/)
 *
 * It is esbuild's per-file TypeScript transform with tsx's own options (keepNames, this tsconfig.json), so
 * the code that runs is the code development runs through tsx; types are checked by `npm run typecheck`,
 * not here. Nothing is bundled: node_modules stay as they are, and files the server reads at run time
 * (docs/openapi.yaml, web/dist, web/persisted-documents.json, contracts/artifacts.json) are found from the
 * project root (src/lib/paths.ts).
 */
import { rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--outdir');
const outdir = resolve(ROOT, i >= 0 ? (process.argv[i + 1] ?? '') : 'dist');
// It is emptied first: never the project itself or a folder above it.
if (!relative(outdir, ROOT).startsWith('..')) {
  console.error(`--outdir ${outdir} would hold the project: give a folder of its own`);
  process.exit(1);
}

const started = Date.now();
await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/**/*.ts', 'jobs/**/*.ts', 'schema/**/*.ts', 'migrations/*.ts'],
  outdir,
  outbase: '.',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  tsconfig: 'tsconfig.json',
  keepNames: true,
  sourcemap: true,
  logLevel: 'warning',
  metafile: true,
});
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js')).length;
console.log(`built ${files} files into ${relative(ROOT, outdir) || outdir} in ${Date.now() - started} ms`);
