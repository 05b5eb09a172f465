import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { databaseUrl } from '../helpers/db.js';

// What an operator review of the CLI found: `keys list` and `webhooks list` answered an unknown merchant with
// an empty list and exit 0 (every other command: `not_found`, exit 1); the treasury commands refused `erc20`
// where `chain rescan` takes it; and pausing a paused network overwrote who paused it and when.

const t = useTestApp();
const cli = (env: Record<string, string>, ...args: string[]) =>
  runCliInProcess(args, {
    DATABASE_URL: databaseUrl(t.dbName),
    REDIS_PREFIX: t.app.config.redisPrefix,
    LOG_LEVEL: 'warn',
    SWEEP_POLICY: JSON.stringify({ 'ERC20:test': { threshold: '100' } }),
    ...env,
  });
const json = (r: { stdout: string }) => JSON.parse(r.stdout);

describe('the CLI after the operator review', () => {
  it('answers keys list and webhooks list of an unknown merchant with not_found, exit 1', async () => {
    for (const args of [
      ['keys', 'list', '--merchant', 'mer_unknown', '--json'],
      ['webhooks', 'list', '--merchant', 'mer_unknown', '--mode', 'test', '--json'],
    ]) {
      const r = await cli({}, ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(json(r).error, args.join(' ')).toMatchObject({ code: 'not_found' });
    }
    const m = await t.merchant();
    const keys = await cli({}, 'keys', 'list', '--merchant', m.merchantId, '--json');
    expect(keys.code).toBe(0);
    expect(json(keys).keys.length).toBeGreaterThan(0);
    const hooks = await cli({}, 'webhooks', 'list', '--merchant', m.merchantId, '--mode', 'test', '--json');
    expect(hooks.code).toBe(0);
    expect(json(hooks)).toEqual({ endpoints: [] });
  });

  it('takes a treasury command’s network in any case, as chain rescan does', async () => {
    const r = await cli({}, 'treasury', 'sweep-now', '--network', 'erc20', '--mode', 'test', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ network: 'ERC20', mode: 'test' });
    const books = await cli({}, 'treasury', 'books', '--network', 'Erc20', '--json');
    expect(books.code).toBe(0);
  });

  it('keeps who paused a network and when, when it is paused again', async () => {
    const net = ['--network', 'ERC20', '--mode', 'test', '--json'];
    const first = await cli({ USER: 'alice' }, 'treasury', 'pause', ...net, '--reason', 'incident 1');
    expect(first.code).toBe(0);
    const again = await cli({ USER: 'bob' }, 'treasury', 'pause', ...net, '--reason', 'incident 1 too');
    expect(again.code).toBe(0);
    const stored = await t.app.pool.query('select changed_by from treasury_controls where chain = $1', [
      'ERC20:test',
    ]);
    expect(stored.rows).toEqual([{ changed_by: 'cli:alice' }]);
    expect(json(again).changedAt).toBe(json(first).changedAt);
    expect(json(first)).toMatchObject({ paused: true, changed: true, changedBy: 'cli:alice' });
    expect(json(again)).toEqual({ ...json(first), changed: false });
    const text = await cli({ USER: 'bob' }, 'treasury', 'pause', '--network', 'ERC20', '--mode', 'test');
    expect(text.stdout).toBe(
      `ERC20:test sweeping was already paused (by cli:alice at ${json(first).changedAt}): unchanged\n`,
    );
    const resumed = await cli({ USER: 'bob' }, 'treasury', 'resume', ...net);
    expect(json(resumed)).toMatchObject({ paused: false, changed: true, changedBy: 'cli:bob' });
    const audit = await t.app.pool.query<{ action: string; actor: string }>(
      `select action, actor from admin_audit where action in ('treasury.pause', 'treasury.resume') order by id`,
    );
    expect(audit.rows).toEqual([
      { action: 'treasury.pause', actor: 'cli:alice' },
      { action: 'treasury.resume', actor: 'cli:bob' },
    ]);
  });
});
