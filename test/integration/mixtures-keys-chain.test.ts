import { describe, it } from 'vitest';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { DEPOSIT, WITHDRAWAL } from '../helpers/mixtures.js';
import { oneKeyOnEveryDoor } from '../helpers/mixtures-keys.js';
import { useTronApp } from '../helpers/tron.js';

// The one-key-on-every-door property (test/helpers/mixtures-keys.ts) for the other money-moving writes: a
// withdrawal (a ledger posting, claimed in its batch) and a deposit address (a standalone claim).
const t = useTronApp({}, 'api');
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';
const RUNS = Number(process.env.MX_RUNS ?? 8);

describe('one idempotency key on every door at once, for withdrawals and deposits', () => {
  it('creates at most one withdrawal, and answers each request as documented', {
    timeout: 60_000,
  }, async () => {
    const m = await t.merchant();
    // Both payers funded: every request that wins the key succeeds (a refusal the ledger decided, such as an
    // unknown payer's not_found, would be the key's stored answer, which this property does not model).
    await t.credit(m, 'kw_a', '1000000');
    await t.credit(m, 'kw_b', '1000000');
    const w = (amount: string, extra = '') =>
      `{"userId":"kw_a","amount":${amount},"walletAddress":"${WALLET}","network":"TRC20"${extra}}`;
    await oneKeyOnEveryDoor(
      t,
      m,
      WITHDRAWAL,
      {
        same: [
          w('"20.00"'),
          w('20'),
          `{"network":"TRC20","walletAddress":"${WALLET}","amount":"20","userId":"kw_a"}`,
        ],
        other: [w('"21"'), w('"20"').replace('kw_a', 'kw_b')],
        invalid: [w('"-20"'), w('"20"', ',"amout":1'), w('"20.001"'), w('"20"').replace(WALLET, 'T123')],
      },
      RUNS,
    );
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });

  it('creates at most one deposit, and answers each request as documented', { timeout: 60_000 }, async () => {
    const m = await t.merchant();
    const dep = (amount: string, extra = '') =>
      `{"userId":"kd_a","amount":${amount},"currency":"USDT","network":"TRC20"${extra}}`;
    await oneKeyOnEveryDoor(
      t,
      m,
      DEPOSIT,
      {
        same: [
          dep('"10.00"'),
          dep('10'),
          '{"network":"TRC20","currency":"USDT","amount":"10","userId":"kd_a"}',
        ],
        other: [dep('"11"'), dep('"10"', ',"metadata":{"order":"o1"}')],
        invalid: [dep('"-10"'), dep('"10"', ',"amout":1'), dep('"10"').replace('USDT', 'EUR'), dep('"0"')],
      },
      RUNS,
    );
  });
});
