import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { TronWeb } from 'tronweb';
import { describe, expect, it } from 'vitest';
import type { TestMerchant } from '../helpers/app.js';
import { fuzzParams } from '../helpers/fuzz.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { createTronDeposit, useTronApp } from '../helpers/tron.js';

// Where a payout may go: the user's own wallet, never an address of this service (a deposit address of any
// merchant, a hot wallet, the token contract) nor a malformed one; and a mixture of good and bad requests
// sent at once, for more than the balance in all, moves exactly the good ones that fit and never overdraws.
const t = useTronApp({}, 'api');
const WALLET = 'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH';
const HOT = TronWeb.address.fromPrivateKey(randomBytes(32).toString('hex')) as string;

const withdraw = (m: TestMerchant, body: Record<string, unknown>) =>
  t.request({ url: '/api/v1/withdraw/create', as: m, body });
const balance = async (m: TestMerchant, u: string) =>
  (await t.request({ url: `/api/v1/balance/${u}`, as: m })).body.balance as number;

async function ownAddresses(m: TestMerchant) {
  await t.app.pool.query(
    `insert into hot_wallets (key, family, address, networks) values ($1, 'tron', $2, '{TRC20}')
     on conflict do nothing`,
    [`test-hot-${HOT}`, HOT],
  );
  const other = await t.merchant();
  return {
    'own deposit address': (await createTronDeposit(t, m, 'someone', 5)).depositAddress,
    "another merchant's deposit address": (await createTronDeposit(t, other, 'x', 5)).depositAddress,
    'hot wallet': HOT,
    'token contract': t.devnet.usdt.address,
  };
}

describe('payout addresses', () => {
  it("refuses this service's own addresses, holding nothing", async () => {
    const m = await t.merchant();
    await t.credit(m, 'u', '100');
    for (const [what, walletAddress] of Object.entries(await ownAddresses(m))) {
      const r = await withdraw(m, { userId: 'u', amount: 50, walletAddress, network: 'TRC20' });
      expect([what, r.status, r.body.error?.code, r.body.error?.param]).toEqual([
        what,
        400,
        'invalid_address',
        'walletAddress',
      ]);
      expect(r.body.error.message).not.toMatch(/deposit address of|merchant_/);
    }
    expect(await balance(m, 'u')).toBe(100);
  });

  it('a concurrent mixture moves exactly the good requests that fit the balance', {
    timeout: 60_000,
  }, async () => {
    const probe = await t.merchant();
    const own = Object.values(await ownAddresses(probe));
    const badAddresses = [
      ...own,
      'TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdX', // checksum
      'T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb', // zero address
      WALLET.toLowerCase(),
      '0x52908400098527886E0F7030069857D2E4169EE7',
      ` ${WALLET}`,
      '',
    ];
    const request = fc.oneof(
      fc.record({ kind: fc.constant('good' as const), amount: fc.integer({ min: 10, max: 60 }) }),
      fc.record({
        kind: fc.constant('bad' as const),
        amount: fc.constantFrom<unknown>(30, 0, '0.001', -10, 10.005, '1e2', 1e21, null),
        address: fc.constantFrom(...badAddresses),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 2, maxLength: 10 }), async (requests) => {
        const m = await t.merchant();
        await t.credit(m, 'u', '100');
        const answers = await Promise.all(
          requests.map((r) =>
            withdraw(m, {
              userId: 'u',
              amount: r.amount,
              walletAddress: r.kind === 'good' ? WALLET : r.address,
              network: 'TRC20',
            }),
          ),
        );
        let held = 0;
        for (const [i, r] of requests.entries()) {
          const a = answers[i]!;
          expect(a.status, JSON.stringify([r, a.body])).toBeLessThan(500);
          if (r.kind === 'bad') expect(a.status, JSON.stringify([r, a.body])).toBe(400);
          else if (a.status === 200) held += r.amount;
          else expect(a.body.error.code, JSON.stringify([r, a.body])).toBe('insufficient_funds');
        }
        // Every good one that was refused could not fit beside those accepted.
        const refusedGood = requests.filter((r, i) => r.kind === 'good' && answers[i]!.status !== 200);
        for (const r of refusedGood) expect(held + (r.amount as number)).toBeGreaterThan(100);
        expect(await balance(m, 'u')).toBe(100 - held);
        const rows = await t.app.pool.query(
          'select coalesce(sum(amount_minor), 0)::text s, count(*)::int n from withdrawals where merchant_id = $1',
          [m.merchantId],
        );
        expect(rows.rows[0]).toEqual({
          s: String(held * 100),
          n: answers.filter((a) => a.status === 200).length,
        });
      }),
      fuzzParams(),
    );
    await checkLedgerInvariants(t.app.pool);
  });
});
