import { describe, expect, it } from 'vitest';
import { startRevocationSweep } from '../../src/http/ws-revocation-sweep.js';
import { useTestApp } from '../helpers/app.js';
import { capturedLog } from '../helpers/log.js';
import { eventually } from '../helpers/receiver.js';

// The sweep asks PostgreSQL which of the keys behind a process's open sockets were revoked, every 2 s.
// - One process serves 10,000+ sockets; their keys are asked in one query. It bound one parameter per key
//   (MikroORM's `$in`), and PostgreSQL takes at most 65,535 per statement: past that every sweep failed, and
//   no revoked key's socket was ever closed. The keys now go as one array.
// - While PostgreSQL is away every sweep fails: it logged a warning every 2 s per process. It now logs once
//   when the sweeps start failing and once when they work again, with how many failed.

const t = useTestApp();

describe('the WebSocket revocation sweep of keys', () => {
  it('answers for 70,000 keys in one sweep', async () => {
    const live = await t.merchant();
    const gone = await t.merchant();
    await t.app.services.merchants.revokeKey(gone.keyId);
    const unknown = Array.from({ length: 70_000 }, (_, i) => `key_unknown_${i}`);
    const revoked = await t.app.services.merchants.revokedKeyIds([live.keyId, ...unknown, gone.keyId]);
    expect(revoked).toHaveLength(70_001);
    expect(revoked).not.toContain(live.keyId);
    expect(revoked).toContain(gone.keyId);
  });

  it('logs one warning while PostgreSQL fails its sweeps and one line when they work again', async () => {
    const { log, lines } = capturedLog<{ level: number; msg: string; failedSweeps?: number }>();
    const m = await t.merchant();
    let sweeps = 0;
    const sweep = startRevocationSweep(
      {
        keyIds: () => {
          sweeps++;
          return [m.keyId];
        },
        tokenIds: () => [],
        closeForKey: () => undefined,
        closeForToken: () => undefined,
      },
      { ...t.app.services, log },
      20,
    );
    try {
      await eventually(() => sweeps >= 2, 10_000, 10);
      // PostgreSQL cannot answer the sweep's query (the table is away) for many sweeps, then can again.
      await t.app.pool.query('alter table api_keys rename to api_keys_away');
      const from = sweeps;
      await eventually(() => sweeps >= from + 10, 10_000, 10);
      await t.app.pool.query('alter table api_keys_away rename to api_keys');
      await eventually(() => lines.some((l) => l.level === 30), 10_000, 10);
      const more = sweeps;
      await eventually(() => sweeps >= more + 3, 10_000, 10);
    } finally {
      sweep.stop();
      await t.app.pool.query('alter table if exists api_keys_away rename to api_keys');
    }
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'could not check open sockets for revocations; logged again when a sweep works'],
      [30, 'open sockets are checked for revocations again'],
    ]);
    expect(lines[1]!.failedSweeps).toBeGreaterThanOrEqual(10);
  });
});
