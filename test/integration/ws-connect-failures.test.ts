import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { ERROR_STATUS } from '../../src/lib/errors.js';
import { useTestApp } from '../helpers/app.js';
import { databaseUrl, setDatabaseOpen } from '../helpers/db.js';
import { keyInit, rawSocket } from '../helpers/ws.js';

// connection_init that fails for a reason other than the credential. A database that refuses connections (a
// failover) closed the socket with 4401 `unauthorized`, while HTTP answers 503 service_unavailable: graphql-ws
// clients take 4401 as final and stop reconnecting, so every overlay and payment page of a merchant stayed dark
// after a blip; it is now 1013 (try again later), which they retry. And a field of the wrong JSON type
// ({"timestamp":{"toString":1}}) threw a TypeError that was closed as 4401 `unauthorized`, a reason no error code
// names: every refusal of connection_init's fields is now an error code of the API.

const t = useTestApp();
const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
let wsUrl = '';
let closed = false;

async function closeDatabase(open: boolean) {
  closed = !open;
  await setDatabaseOpen(admin, t.dbName, t.app.pool, open);
}

beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
  await admin.connect();
});

afterAll(async () => {
  if (closed) await closeDatabase(true);
  await admin.end();
});

describe('connection_init', () => {
  it('is closed with 1013 service_unavailable while the database refuses connections, and acked after', async () => {
    const m = await t.merchant();
    await closeDatabase(false);
    try {
      const during = await rawSocket(wsUrl, keyInit(m));
      expect(during.acked).toBe(false);
      expect(during.closed()).toEqual({ code: 1013, reason: 'service_unavailable' });
    } finally {
      await closeDatabase(true);
    }
    const after = await rawSocket(wsUrl, keyInit(m));
    expect(after.acked).toBe(true);
    after.close();
  });

  it('refuses fields of any JSON type with an error code of the API, never a bare unauthorized', async () => {
    const m = await t.merchant();
    const ts = String(Math.floor(Date.now() / 1000));
    const good = { apiKey: m.apiKey, timestamp: ts, signature: hmacSha256Hex(m.apiSecret, ts) };
    const json = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constant({ toString: 1 }),
      fc.constant({ valueOf: 'x', toString: [] }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('apiKey', 'timestamp', 'signature', 'signatureVersion', 'nonce'),
        json,
        async (field, value) => {
          const s = await rawSocket(wsUrl, { ...good, [field]: value });
          if (s.acked) {
            s.close();
            return;
          }
          const c = s.closed()!;
          expect([4401, 4403, 4429]).toContain(c.code);
          expect(Object.keys(ERROR_STATUS)).toContain(c.reason);
        },
      ),
      { numRuns: 60, examples: [['timestamp', { toString: 1 }]] },
    );
  });
});
