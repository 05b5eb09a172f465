import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHouseInvariants } from '../helpers/invariants.js';
import { houseBooks } from '../helpers/treasury.js';
import { payTronDeposits, useSweptTronApp } from '../helpers/treasury-tron.js';

// Delegate mode without a stakingAccount: the hot wallet stakes and lends. Its staked TRX stays custody:hot (the
// reconciliation counts all it owns, not only its liquid balance), its loans' fees are booked from custody:hot,
// and no staking account appears in the books.

const HOT_KEY = randomBytes(32).toString('hex');
const {
  t,
  hot: HOT,
  sweeper,
  pass,
  fund,
} = useSweptTronApp(HOT_KEY, { threshold: '1', tronFees: 'delegate' });
const TRX = 1_000_000n;
const N = 5;

describe('TRON sweeps with energy delegated by the hot wallet', () => {
  it('lends from the hot wallet, books its loans there, and reconciles its staked TRX as hot', {
    timeout: 120_000,
  }, async () => {
    await fund('native', 100_100n * TRX);
    await fund('token', TRX);
    t.devnet.freezeBalance(HOT_KEY, 100_000n * TRX, 'ENERGY');
    t.devnet.mine();
    const m = await t.merchant();
    const { deposits, total } = await payTronDeposits(t, m, N);
    t.devnet.mine(19);
    await t.scan();
    expect(await pass()).toMatchObject({ planned: N, toppedUp: N });
    for (let i = 0; ; i++) {
      if (i > 20) throw new Error('sweeps did not finish');
      t.devnet.mine(i < 3 ? 1 : 19);
      await pass();
      const open = await t.app.pool.query(
        `select 1 from treasury_transactions where status in ('signed', 'broadcast', 'mined')
         union all select 1 from sweeps where status not in ('completed', 'failed') or (delegate_tx_id is not null and undelegate_tx_id is null)`,
      );
      if (open.rowCount === 0) break;
    }
    for (const d of deposits) expect(t.devnet.tokenBalance(d.depositAddress)).toBe(0n);
    const lent = await t.app.pool.query<{ kind: string; signer_key: string; status: string }>(
      `select kind, signer_key, status from treasury_transactions where kind in ('delegate', 'undelegate')`,
    );
    expect(lent.rows).toHaveLength(2 * N);
    expect(
      lent.rows.every((x) => x.signer_key === `tron:TRC20:test:${HOT}` && x.status === 'confirmed'),
    ).toBe(true);
    const b = await houseBooks(t.app, 'TRC20');
    expect(b['token custody:hot']).toBe(total + TRX);
    expect(b['native custody:staking']).toBeUndefined();
    // all the hot wallet owns: what it holds liquid and the 100 000 TRX it staked
    expect(b['native custody:hot']).toBe(t.devnet.trxBalance(HOT) + 100_000n * TRX);
    expect((await sweeper().reconcile())?.status).toBe('ok');
    await checkHouseInvariants(t.app.pool);
  });
});
