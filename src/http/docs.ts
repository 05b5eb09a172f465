import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import { projectPath } from '../lib/paths.js';
import { browserScope, pageHeaders, serveAssets } from './browser.js';

// Merchant docs: docs/openapi.yaml served as JSON at /api/v1/openapi.json and rendered at /docs by Swagger UI,
// whose files come from the swagger-ui-dist package through @fastify/static (no CDN, works offline). Both
// routes sit on the root server, outside the /api/v1 plugin, so they need no API key.

/** The document's source, from the project root so it does not depend on the working directory. */
export const OPENAPI_FILE = projectPath('docs', 'openapi.yaml');
export const OPENAPI_JSON_URL = '/api/v1/openapi.json';
export const DOCS_URL = '/docs';
const ASSET_PREFIX = '/docs/assets';
const ASSET_CACHE = 'public, max-age=3600';

const require = createRequire(import.meta.url);
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

/** The renderer's files that the page loads. Nothing else is served from node_modules. */
const RENDERER_FILES = new Set([
  'swagger-ui-bundle.js',
  'swagger-ui.css',
  'favicon-32x32.png',
  'favicon-16x16.png',
]);
const ASSET_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

// The start-up script is a file of ours rather than an inline <script>, so the page's CSP can allow scripts
// from this server only. "Try it out" is off: requests need an HMAC signature the browser cannot make
// without the API secret, and the docs page should send nothing anywhere.
const INIT_JS = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(OPENAPI_JSON_URL)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    supportedSubmitMethods: [],
    tryItOutEnabled: false,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
  });
});
`;

const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>NovaPayments API reference</title>
  <link rel="icon" type="image/png" sizes="32x32" href="${ASSET_PREFIX}/favicon-32x32.png">
  <link rel="icon" type="image/png" sizes="16x16" href="${ASSET_PREFIX}/favicon-16x16.png">
  <link rel="stylesheet" href="${ASSET_PREFIX}/swagger-ui.css">
  <link rel="stylesheet" href="${ASSET_PREFIX}/docs.css">
</head>
<body>
  <noscript>The API reference needs JavaScript. The document itself is at <a href="${OPENAPI_JSON_URL}">${OPENAPI_JSON_URL}</a>.</noscript>
  <div id="swagger-ui"></div>
  <script src="${ASSET_PREFIX}/swagger-ui-bundle.js"></script>
  <script src="${ASSET_PREFIX}/docs-init.js"></script>
</body>
</html>
`;

const PAGE_CSS = `body { margin: 0; background: #fafafa; }
.swagger-ui .information-container { padding-top: 12px; }
`;

// Everything the page may load comes from this server; inline styles are Swagger UI's own (React style props).
const CSP: Record<string, string[]> = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/** Reads and parses docs/openapi.yaml; throws with the file name when it is missing or not valid YAML. */
export function loadOpenApiDocument(file: string = OPENAPI_FILE): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the OpenAPI document ${file}: ${(err as Error).message}`);
  }
  const doc = parse(text, { prettyErrors: true }) as unknown;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc) || !('openapi' in doc)) {
    throw new Error(`${file} is not an OpenAPI document`);
  }
  return doc as Record<string, unknown>;
}

/** GET /api/v1/openapi.json, GET /docs and the renderer's files. */
export async function registerDocs(server: FastifyInstance): Promise<void> {
  // Parsed and serialised once at start-up; a request only sends the bytes.
  const json = JSON.stringify(loadOpenApiDocument());

  server.get(OPENAPI_JSON_URL, async (_req, reply) => {
    reply.header('Cache-Control', 'no-cache');
    reply.type('application/json; charset=utf-8');
    return json;
  });

  await browserScope(server, async (pages) => {
    pages.get(DOCS_URL, { helmet: pageHeaders(CSP) }, async (_req, reply) => {
      reply.header('Cache-Control', 'no-cache');
      reply.type('text/html; charset=utf-8');
      return PAGE_HTML;
    });
    pages.get(`${DOCS_URL}/`, async (_req, reply) => reply.redirect(DOCS_URL, 301));

    // The page's own two files, then Swagger UI's from the swagger-ui-dist package.
    for (const [name, body] of [
      ['docs-init.js', INIT_JS],
      ['docs.css', PAGE_CSS],
    ] as const) {
      pages.get(`${ASSET_PREFIX}/${name}`, async (_req, reply) => {
        reply.header('X-Content-Type-Options', 'nosniff');
        reply.header('Cache-Control', ASSET_CACHE);
        reply.type(ASSET_TYPES[extname(name)]!);
        return body;
      });
    }
    await serveAssets(pages, {
      prefix: `${ASSET_PREFIX}/`,
      root: SWAGGER_UI_DIR,
      types: ASSET_TYPES,
      allow: (name) => RENDERER_FILES.has(name),
      maxAge: '1h',
    });
  });
}
