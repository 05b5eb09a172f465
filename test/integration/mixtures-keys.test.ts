import { describe, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { TRANSFER } from '../helpers/mixtures.js';
import { oneKeyOnEveryDoor } from '../helpers/mixtures-keys.js';

// One idempotency key sent at once through the three doors with the same transfer (written differently:
// another key order, a number for a string), another transfer, and input that fails validation
// (test/helpers/mixtures-keys.ts). Found two batches posting one key (idempotency-claim-race.test.ts).
const t = useTestApp();

describe('one idempotency key on every door at once', () => {
  it('makes at most one transfer, and answers each request as documented', { timeout: 60_000 }, async () => {
    const m = await t.merchant();
    await t.credit(m, 'k_a', '1000000');
    await oneKeyOnEveryDoor(
      t,
      m,
      TRANSFER,
      {
        same: [
          '{"fromUserId":"k_a","toUserId":"k_b","amount":"1.50"}',
          '{"amount":1.5,"toUserId":"k_b","fromUserId":"k_a"}',
          '{"toUserId":"k_b","fromUserId":"k_a","amount":"1.5"}',
        ],
        other: [
          '{"fromUserId":"k_a","toUserId":"k_b","amount":"1.51"}',
          '{"fromUserId":"k_a","toUserId":"k_c","amount":"1.50"}',
          '{"fromUserId":"k_a","toUserId":"k_b","amount":"1.50","description":"x"}',
        ],
        invalid: [
          '{"fromUserId":"k_a","toUserId":"k_b","amount":"-1.50"}',
          '{"fromUserId":"k_a","toUserId":"k_b","amount":"1.50","amout":1}',
          '{"fromUserId":"k_a","toUserId":"k_a","amount":"1.50"}',
          '{"fromUserId":"k_a","toUserId":"k_b","amount":"1.505"}',
        ],
      },
      Number(process.env.MX_RUNS ?? 15),
    );
    await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
  });
});
