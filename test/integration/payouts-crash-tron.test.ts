import { randomBytes } from 'node:crypto';
import { TronWeb } from 'tronweb';
import { describe, expect, it } from 'vitest';
import type { HotWallet } from '../../src/chains/payout/types.js';
import { loadConfig } from '../../src/config.js';
import type { TestMerchant } from '../helpers/app.js';
import { checkLedgerInvariants } from '../helpers/invariants.js';
import { createdWithdrawal } from '../helpers/payout-state.js';
import { MANUAL_SCAN_CONFIG, payoutOnce } from '../helpers/scan.js';
import { tronTokenBalance, useTronApp } from '../helpers/tron.js';

// A payout pass that dies around its broadcast (the worker killed between storing the signed transaction and
// sending it, or between sending it and recording that it was sent): the next pass must send that same stored
// transaction, never build a second one, and the withdrawal completes once, with the token paid once and the
// hold settled once.
const HOT_KEY = randomBytes(32).toString('hex');
const HOT = TronWeb.address.fromPrivateKey(HOT_KEY) as string;
const t = useTronApp({
  ...MANUAL_SCAN_CONFIG,
  payouts: { ...loadConfig().payouts, monitorMs: 600_000, tronPrivateKey: HOT_KEY },
});
const APPROVE = `mutation($id: ID!) { approveWithdrawal(id: $id) { __typename ... on Error { code } } }`;
const fresh = () => TronWeb.address.fromPrivateKey(randomBytes(32).toString('hex')) as string;

const tokenBalance = (address: string) => tronTokenBalance(t.devnet, address);

async function approved(m: TestMerchant, user: string, to: string): Promise<string> {
  const id = await createdWithdrawal(t, m, { userId: user, credit: '100', amount: 100, wallet: to });
  const { token } = await t.app.services.tokens.issueAdmin(300, 'ops');
  const ok = await t.graphql({ bearer: token }, APPROVE, { id });
  expect(ok.body.data.approveWithdrawal.__typename).toBe('Withdrawal');
  return id;
}

const hotWallet = (): HotWallet => [...t.app.workers!.payouts.processors.values()][0]!.wallet;

describe('a payout pass killed around its broadcast', () => {
  for (const when of ['before', 'after'] as const) {
    it(`sends the stored transaction once when it dies ${when} sending`, async () => {
      t.devnet.sendUsdt(HOT, 1_000_000_000n);
      t.devnet.sendTrx(HOT, 2_000_000_000n);
      t.devnet.mine();
      const m = await t.merchant();
      const to = fresh();
      const id = await approved(m, `crash_${when}`, to);
      const wallet = hotWallet();
      const broadcast = wallet.broadcast;
      wallet.broadcast = async (net, raw) => {
        if (when === 'after') await broadcast.call(wallet, net, raw);
        throw new Error('worker killed');
      };
      try {
        await expect(payoutOnce(t.app)).rejects.toThrow('worker killed');
      } finally {
        wallet.broadcast = broadcast;
      }
      await payoutOnce(t.app);
      t.devnet.mine(20);
      await payoutOnce(t.app);
      const w = await t.app.pool.query('select status from withdrawals where id = $1', [id]);
      expect(w.rows[0].status).toBe('completed');
      const txs = await t.app.pool.query('select status from payout_transactions where withdrawal_id = $1', [
        id,
      ]);
      expect(txs.rows.map((r) => r.status)).toEqual(['mined']);
      expect(await tokenBalance(to)).toBe(94_000_000n);
      await payoutOnce(t.app);
      expect(await tokenBalance(to)).toBe(94_000_000n);
      await checkLedgerInvariants(t.app.pool, { merchantId: m.merchantId });
    });
  }
});
