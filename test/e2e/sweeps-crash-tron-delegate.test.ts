import { randomBytes } from 'node:crypto';
import { TronWeb } from 'tronweb';
import { afterAll, describe, expect, it } from 'vitest';
import { apiSideConfig, expectNoSecretsLogged, freshSeed, signerProcess } from '../helpers/signer-crash.js';
import { houseBooks } from '../helpers/treasury.js';
import { fundTron, tronSignerEnv } from '../helpers/treasury-tron.js';
import { createTronDeposit, useTronApp } from '../helpers/tron.js';

// Signer crashes in TRON delegate mode: a `--role signer` process is killed with SIGKILL right after it stored a
// loan of energy (its broadcast held), right after it stored a sweep, once the sweeps are broadcast, while they
// confirm, and right after it stored a reclaim; each time a new signer resumes. On chain each address got one
// DelegateResourceContract and one UnDelegateResourceContract from the staking account, and nothing is lent any
// more; the books reconcile and the staking key is in no log line.

const SEED = freshSeed();
const HOT_KEY = randomBytes(32).toString('hex');
const HOT = TronWeb.address.fromPrivateKey(HOT_KEY) as string;
const STAKE_KEY = randomBytes(32).toString('hex');
const STAKE = TronWeb.address.fromPrivateKey(STAKE_KEY) as string;
const E6 = 1_000_000n;
const TRX = 1_000_000n;
const t = useTronApp(apiSideConfig({ tronPrivateKey: HOT_KEY }));

const signer = signerProcess(
  () => t.app,
  SEED,
  () =>
    tronSignerEnv(
      t.devnet,
      HOT_KEY,
      { threshold: '1', tronFees: 'delegate', stakingAccount: STAKE },
      { TRON_STAKING_PRIVATE_KEY: STAKE_KEY },
    ),
);
afterAll(() => signer.dispose());

const n = (r: { n: number } | null) => r?.n ?? 0;
const TXS = `select count(*) filter (where kind = $1 and ($2::text is null or status = $2))::int as n
  from treasury_transactions`;
const SWEEPS = `select count(*) filter (where status = $1)::int as n from sweeps where kind = 'sweep'`;
const until = (sql: string, params: unknown[], want: number) =>
  signer.untilRow<{ n: number }>(sql, params, (r) => n(r) === want);
const holdBroadcast = () => {
  const id = t.devnet.injectFault({ path: '/wallet/broadcasttransaction', kind: 'slow', delayMs: 60_000 });
  return () => t.devnet.clearFaults(id);
};
const contracts = (type: string) =>
  t.devnet.chain.blocks.flatMap((b) =>
    b.txs
      .map((x) => x.tx.raw_data.contract[0]!)
      .filter((c) => c.type === type && c.parameter.value.owner_address === TronWeb.address.toHex(STAKE))
      .map((c) => TronWeb.address.fromHex(String(c.parameter.value.receiver_address))),
  );

describe('signer crashes (TRON sweeps with delegated energy)', () => {
  it('SIGKILL after storing a loan, a sweep, while they land and after storing a reclaim: one loan and one reclaim each', {
    timeout: 300_000,
  }, async () => {
    await fundTron(t, 'hot', HOT, 'native', 1_000n * TRX);
    await fundTron(t, 'hot', HOT, 'token', E6);
    await fundTron(t, 'staking', STAKE, 'native', 100_100n * TRX);
    t.devnet.freezeBalance(STAKE_KEY, 100_000n * TRX, 'ENERGY');
    t.devnet.mine();
    const m = await t.merchant();
    const addresses: string[] = [];
    for (const [i, amount] of [7n * E6, 3n * E6 + 1n].entries()) {
      const d = await createTronDeposit(t, m, `u${i}`, Number(amount / E6));
      addresses.push(d.depositAddress);
      t.devnet.sendUsdt(d.depositAddress, amount);
      // the customer also sent 2 TRX: the address exists, so its sweep waits for energy at once
      await fundTron(t, 'deposits', d.depositAddress, 'native', 2n * TRX);
    }
    t.devnet.mine(19);
    await t.scan();

    // 1. The node holds the first loan's broadcast: the signer has stored it and waits. Kill it.
    let release = holdBroadcast();
    await signer.start();
    await until(TXS, ['delegate', null], 1);
    await signer.kill();
    release();
    const first = (
      await t.app.pool.query(`select tx_hash, status from treasury_transactions where kind = 'delegate'`)
    ).rows;
    expect(first).toEqual([{ tx_hash: expect.any(String), status: 'signed' }]);

    // 2. A new signer sends the stored loan (not a new one) and the other; once they are in a block the sweeps are
    //    signed, the first sweep's broadcast held. Kill it there.
    await signer.start();
    await until(TXS, ['delegate', 'broadcast'], 2);
    release = holdBroadcast();
    t.devnet.mine(1);
    await until(SWEEPS, ['signed'], 1);
    await signer.kill();
    release();

    // 3. Sent, unmined: kill. 4. In a block, confirming: kill.
    await signer.start();
    await until(SWEEPS, ['broadcast'], 2);
    await signer.kill();
    t.devnet.mine(1);
    await signer.start();
    await until(SWEEPS, ['confirming'], 2);
    await signer.kill();

    // 5. Deep enough: the sweeps settle and their loans are reclaimed; kill right after the first reclaim is stored.
    t.devnet.mine(19);
    release = holdBroadcast();
    await signer.start();
    await until(TXS, ['undelegate', null], 1);
    await signer.kill();
    release();

    // 6. The last signer sends the stored reclaim, the other, follows them to the end and stops cleanly.
    await signer.start();
    await until(TXS, ['undelegate', 'broadcast'], 2);
    t.devnet.mine(20);
    await until(TXS, ['undelegate', 'confirmed'], 2);
    await until(SWEEPS, ['completed'], 2);
    expect(await signer.stop()).toBe(0);

    // One loan and one reclaim per address, on chain and stored; the first of each stored is the one that landed.
    expect(contracts('DelegateResourceContract').sort()).toEqual([...addresses].sort());
    expect(contracts('UnDelegateResourceContract').sort()).toEqual([...addresses].sort());
    const stored = await t.app.pool.query<{ kind: string; tx_hash: string; status: string }>(
      `select kind, tx_hash, status from treasury_transactions where kind in ('delegate', 'undelegate', 'sweep') order by id`,
    );
    expect(stored.rows.every((x) => x.status === 'confirmed')).toBe(true);
    expect(stored.rows.filter((x) => x.kind === 'delegate')[0]!.tx_hash).toBe(first[0]!.tx_hash);
    for (const a of addresses) {
      expect(t.devnet.tokenBalance(a)).toBe(0n);
      const lent = await fetch(`${t.devnet.url}/wallet/getdelegatedresourcev2`, {
        method: 'POST',
        body: JSON.stringify({ fromAddress: STAKE, toAddress: a, visible: true }),
      });
      expect(await lent.json()).toEqual({});
    }
    const b = await houseBooks(t.app, 'TRC20');
    expect(b['token custody:hot']).toBe(11n * E6 + 1n);
    expect(b['token custody:deposits'] ?? 0n).toBe(0n);

    // Five signers' debug logs: neither the seed, nor any key, nor the staking key.
    await expectNoSecretsLogged(signer, t.app.pool, {
      family: 'tron',
      mnemonic: SEED.mnemonic,
      hotKey: HOT_KEY,
      addresses,
    });
    expect(signer.output()).not.toContain(STAKE_KEY);
  });
});
