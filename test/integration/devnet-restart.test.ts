import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { TronAdapter } from '../../src/chains/tron/adapter.js';
import { startTronDevnet } from '../../src/devnet/tron/index.js';
import type { Logger } from '../../src/lib/logger.js';
import { ChainStore } from '../../src/modules/deposits/chain-store.js';
import { DepositCrediting } from '../../src/modules/deposits/crediting.js';
import { ChainScanner } from '../../src/modules/deposits/scanner.js';
import { useTronApp } from '../helpers/tron.js';

// `npm start` a second time on the same database starts a new in-process devnet: a new chain whose blocks
// are not the ones the scanner recorded. That is not a reorganisation to warn about: the scanner starts the
// new chain from its beginning (an info line), and a deposit paid on it is credited.
const t = useTronApp();

function capture() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, log: pino({ level: 'info' }, stream) as unknown as Logger };
}

describe('a restarted devnet', () => {
  it('is scanned from its start, without a reorganisation warning, and credits a deposit paid on it', async () => {
    const m = await t.merchant();
    t.devnet.mine(30);
    await t.scan();
    const before = await t.app.pool.query(`select next_block from chain_cursors where chain = 'TRC20:test'`);
    expect(Number(before.rows[0].next_block)).toBeGreaterThan(30);

    // The same network, now served by a fresh devnet (what the next `npm start` brings up).
    const fresh = await startTronDevnet({ solidDepth: 19 });
    try {
      const net = { ...t.app.chains.registry.get('TRC20', 'test')!, nodeUrl: fresh.url, devnet: true };
      const { lines, log } = capture();
      const scanner = new ChainScanner(
        net,
        new TronAdapter(net),
        new ChainStore(t.app.pool),
        new DepositCrediting(t.app.services.ledger, t.app.services.merchants, t.app.services.log),
        t.app.pool,
        log,
        { maxRangesPerPass: 50, initialLookback: 100 },
      );
      const r = await t.request({
        url: '/api/v1/deposit/create',
        as: m,
        body: { userId: 'after_restart', amount: 5, currency: 'USDT', network: 'TRC20' },
      });
      expect(r.status).toBe(200);
      fresh.sendUsdt(r.body.depositAddress, 5_000_000n);
      fresh.mine(20);
      const first = await scanner.pass();
      expect(first.error).toBeUndefined();
      const again = await scanner.pass();
      expect(again.credited + first.credited).toBe(1);
      expect(lines.filter((l) => l.level >= 40)).toEqual([]);
      expect(lines.map((l) => l.msg)).toContain(
        'the devnet is a new chain (restarted): scanning it from its start',
      );
      const bal = await t.request({ url: '/api/v1/balance/after_restart', as: m });
      expect(bal.body.balance).toBe(5);
    } finally {
      await fresh.close();
    }
  });
});
