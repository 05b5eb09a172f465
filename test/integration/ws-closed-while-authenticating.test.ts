import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { hmacSha256Hex } from '../../src/lib/crypto.js';
import { useTestApp } from '../helpers/app.js';
import { eventually } from '../helpers/receiver.js';
import { rawSocket } from '../helpers/ws.js';

// A socket closed by its client while its connection_init was being checked was still indexed by its key once
// the check passed: its 'close' had fired already, so it stayed there for the life of the process, and the
// revocation sweep asked PostgreSQL about its key every 2 s. The check is held here, deterministically, by a
// transaction holding the same signature_uses row uncommitted (the server's insert waits for it).

const t = useTestApp();
let wsUrl = '';
beforeAll(async () => {
  wsUrl = `${(await t.app.listen(0, '127.0.0.1')).replace('http', 'ws')}/graphql`;
});

describe('a socket closed while its connection_init is checked', () => {
  it('is not kept among the sockets to close on revocation', async () => {
    const m = await t.merchant('test', { signatureVersion: 2 });
    const ts = String(Math.floor(Date.now() / 1000));
    const signature = hmacSha256Hex(m.apiSecret, `${ts}\nGET\n/graphql\n`);
    const sockets = t.app.sockets!;
    const before = sockets.indexedSockets();
    const blocker = new pg.Client({ connectionString: t.app.config.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query(
        `insert into signature_uses (id, expires_at) values ($1, now() + interval '1 hour')`,
        [`${m.keyId}:${signature}`],
      );
      const ws = new WebSocket(wsUrl, 'graphql-transport-ws');
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send(
        JSON.stringify({ type: 'connection_init', payload: { apiKey: m.apiKey, timestamp: ts, signature } }),
      );
      // The server's insert is waiting on the blocker's row.
      await eventually(async () => {
        // Polled from the pool: inside the blocker's transaction, pg_stat_activity is one snapshot.
        const r = await t.app.pool.query(
          `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database() and query like '%into signature_uses%'`,
        );
        return r.rows[0].n > 0;
      });
      ws.terminate();
      await new Promise((r) => ws.once('close', r));
      await blocker.query('rollback'); // the server's insert goes through: the check passes
    } finally {
      await blocker.end();
    }
    // Once the check is over (a later socket of the key is acked after it), the closed one is not indexed.
    const later = String(Math.floor(Date.now() / 1000) + 1);
    const next = await rawSocket(wsUrl, {
      apiKey: m.apiKey,
      timestamp: later,
      signature: hmacSha256Hex(m.apiSecret, `${later}\nGET\n/graphql\n`),
    });
    expect(next.acked).toBe(true);
    next.close();
    await next.closing;
    await eventually(() => sockets.indexedSockets() === before);
  });
});
