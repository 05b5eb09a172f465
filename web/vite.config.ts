import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The browser pages served by the API (src/http/web.ts): one multi-page build, no dev server needed. Every
// asset is emitted under /web/assets/ and served by the API itself: no CDN, nothing fetched from elsewhere.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/web/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2020',
    sourcemap: false,
    // Inlined data: URLs would need a looser CSP; everything is a file.
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        pay: fileURLToPath(new URL('pay.html', import.meta.url)),
        overlay: fileURLToPath(new URL('overlay.html', import.meta.url)),
        portal: fileURLToPath(new URL('portal.html', import.meta.url)),
        login: fileURLToPath(new URL('login.html', import.meta.url)),
      },
    },
  },
});
