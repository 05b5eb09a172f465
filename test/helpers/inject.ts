import type { App } from '../../src/app.js';
import { hmacSha256Hex } from '../../src/lib/crypto.js';

/** POST /api/v1/transfer into an in-process app, signed with `key`'s secret; `headers` add to the signed ones. */
export function injectTransfer(
  app: App,
  key: { apiKey: string; apiSecret: string },
  body: unknown,
  headers: Record<string, string> = {},
) {
  const raw = JSON.stringify(body);
  return app.server.inject({
    method: 'POST',
    url: '/api/v1/transfer',
    payload: raw,
    headers: {
      'content-type': 'application/json',
      'x-api-key': key.apiKey,
      'x-signature': hmacSha256Hex(key.apiSecret, raw),
      ...headers,
    },
  });
}
