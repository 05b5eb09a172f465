import { describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../src/modules/events/index.js';
import { useTestApp } from '../helpers/app.js';
import { capturedLog } from '../helpers/log.js';
import { eventually } from '../helpers/receiver.js';

// While PostgreSQL cannot answer the outbox relay (here: its table is away), every pass fails. The relay logged
// a warning at every pass (each poll, each NOTIFY), from every worker; it now logs one when its passes start
// failing and one info line, with how many failed, when one works again.

const t = useTestApp();

describe('the outbox relay while PostgreSQL fails its passes', () => {
  it('logs one warning and, when a pass works again, one line with how many failed', async () => {
    const { log, lines } = capturedLog<{ level: number; msg: string; failedPasses?: number }>();
    // Passes are counted where they start: each takes a connection from the pool.
    let passes = 0;
    const pool = new Proxy(t.app.pool, {
      get(target, prop, receiver) {
        if (prop === 'connect') {
          return () => {
            passes++;
            return target.connect();
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const relay = new OutboxRelay({
      pool,
      databaseUrl: t.app.config.databaseUrl,
      pubsub: t.app.services.pubsub,
      fanOut: async () => undefined,
      log,
      batchSize: 100,
      pollMs: 20,
      coalesceMs: 0,
    });
    await relay.start();
    try {
      await eventually(() => passes >= 2, 10_000, 10);
      await t.app.pool.query('alter table events rename to events_away');
      const from = passes;
      await eventually(() => passes >= from + 10, 10_000, 10);
      await t.app.pool.query('alter table events_away rename to events');
      await eventually(() => lines.some((l) => l.level === 30), 10_000, 10);
    } finally {
      await relay.stop();
      await t.app.pool.query('alter table if exists events_away rename to events');
    }
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'outbox relay pass failed; events wait for the next pass (logged again when a pass works)'],
      [30, 'outbox relay passes work again'],
    ]);
    expect(lines[1]!.failedPasses).toBeGreaterThanOrEqual(9);
  });
});
