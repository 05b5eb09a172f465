import { randomBytes } from 'node:crypto';
import { HDNodeWallet, Mnemonic, Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { accountXpub } from '../../src/chains/hd.js';
import { loadConfig } from '../../src/config.js';
import { DISPERSE_ADDRESS } from '../../src/devnet/evm/index.js';
import { fundHot, requestDeposit, useEvmApp } from '../helpers/evm.js';
import { checkHouseInvariants } from '../helpers/invariants.js';
import { MANUAL_SCAN_CONFIG } from '../helpers/scan.js';
import { workerProcess } from '../helpers/worker-process.js';

// The signer as its own process (`--role signer`, SIGNER_ROLE=signer, the seed in HD_MNEMONIC), killed with
// SIGKILL right after it stored a signed top-up (its broadcast held up by the node), right after it stored a
// signed sweep, right after the sweeps were broadcast, and while they confirm; each time a new signer resumes.
// On chain: one top-up and one sweep per address, nothing twice; the books balance and match the chain; and no
// line any of the five signers printed (at debug level) holds the seed or a key.

const MNEMONIC = Mnemonic.fromEntropy(randomBytes(16)).phrase;
const HOT = Wallet.createRandom();
// The API side derives deposit addresses from the xpubs of that seed, as a production API would.
process.env.EVM_XPUB = accountXpub(MNEMONIC, 'evm');
process.env.TRON_XPUB = accountXpub(MNEMONIC, 'tron');
const E6 = 1_000_000n;
const base = loadConfig();
const t = useEvmApp(
  {
    ...MANUAL_SCAN_CONFIG,
    payouts: { ...MANUAL_SCAN_CONFIG.payouts, evmPrivateKey: HOT.privateKey },
    // This process scans and pays out; only the signer process sweeps.
    treasury: { ...base.treasury, signerRole: 'signer' },
  },
  { automine: false },
);

const signer = workerProcess(
  () => t.app.pool,
  () => ({
    DATABASE_URL: t.app.config.databaseUrl,
    REDIS_URL: t.app.config.redisUrl,
    REDIS_PREFIX: t.app.config.redisPrefix,
    TRON_DEVNET: 'off',
    EVM_DEVNET: 'off',
    EVM_TEST_RPC_URL: t.devnet.url,
    EVM_TEST_USDT6_CONTRACT: t.devnet.usdt6.address,
    EVM_TEST_USDT18_CONTRACT: t.devnet.usdt18.address,
    EVM_TEST_CONFIRMATIONS: '12',
    PAYOUT_EVM_PRIVATE_KEY: HOT.privateKey,
    SIGNER_ROLE: 'signer',
    HD_MNEMONIC: MNEMONIC,
    EVM_XPUB: accountXpub(MNEMONIC, 'evm'),
    TRON_XPUB: accountXpub(MNEMONIC, 'tron'),
    SWEEP_POLICY: JSON.stringify({ 'ERC20:test': { threshold: '1', disperse: DISPERSE_ADDRESS } }),
    SWEEP_INTERVAL_MS: '200',
  }),
  ['--role', 'signer'],
);
afterAll(() => signer.dispose());

const SWEEPS = `select count(*) filter (where status = $1)::int as n, count(*)::int as total from sweeps where kind = 'sweep'`;
const TXS = `select kind, tx_hash, status from treasury_transactions order by id`;
const ethOf = async (a: string) => BigInt(await t.devnet.request<string>('eth_getBalance', [a, 'latest']));
const nonceOf = async (a: string) =>
  Number(await t.devnet.request<string>('eth_getTransactionCount', [a, 'latest']));

describe('signer crashes (EVM sweeps)', () => {
  it('SIGKILL after signing a top-up, after signing a sweep, after broadcasting and while confirming: nothing twice', {
    timeout: 300_000,
  }, async () => {
    // Gas, and a token balance (so both addresses are sized and topped up in the first pass).
    await fundHot(t, HOT.address, 10n ** 19n, E6);
    await t.devnet.mine();
    const m = await t.merchant();
    const addresses: string[] = [];
    for (const [i, amount] of [7n * E6, 3n * E6 + 1n].entries()) {
      const d = await requestDeposit(t, m, `u${i}`, 'ERC20', String(amount / E6));
      addresses.push(d.depositAddress);
      await t.devnet.sendToken(t.devnet.usdt6, d.depositAddress, amount);
    }
    await t.devnet.mine(12);
    await t.scan('ERC20:test');

    // 1. The node holds the top-up's broadcast: the signer has stored it signed and waits. Kill it.
    let fault = t.devnet.injectFault({ method: 'eth_sendRawTransaction', kind: 'slow', delayMs: 60_000 });
    await signer.start();
    await signer.untilRow<{ n: number }>(
      `select count(*)::int as n from sweeps where topup_tx_id is not null`,
      [],
      (r) => r?.n === 2,
    );
    await signer.kill();
    t.devnet.clearFaults(fault);
    const [topup] = (await t.app.pool.query(TXS)).rows;
    expect(topup).toMatchObject({ kind: 'topup', status: 'signed' });

    // 2. A new signer sends the stored top-up (not a new one). Once it is in a block the sweeps are signed; the
    //    node holds the first sweep's broadcast. Kill it there.
    await signer.start();
    await signer.untilRow<{ status: string }>(
      `select status from treasury_transactions where kind = 'topup'`,
      [],
      (r) => r?.status === 'broadcast',
    );
    fault = t.devnet.injectFault({ method: 'eth_sendRawTransaction', kind: 'slow', delayMs: 60_000 });
    await t.devnet.mine();
    await signer.untilRow<{ n: number }>(SWEEPS, ['signed'], (r) => r?.n === 1);
    await signer.kill();
    t.devnet.clearFaults(fault);
    const signedSweep = (
      await t.app.pool.query(`select tx_hash from treasury_transactions where kind = 'sweep'`)
    ).rows;
    expect(signedSweep).toHaveLength(1);

    // 3. The next signer sends the stored sweep and signs the other; kill it once both are broadcast (unmined).
    await signer.start();
    await signer.untilRow<{ n: number }>(SWEEPS, ['broadcast'], (r) => r?.n === 2);
    await signer.kill();

    // 4. In a block: the next signer sees both confirming. Kill it there.
    await t.devnet.mine();
    await signer.start();
    await signer.untilRow<{ n: number }>(SWEEPS, ['confirming'], (r) => r?.n === 2);
    await signer.kill();

    // 5. Deep enough: the last signer settles everything, then stops cleanly.
    await t.devnet.mine(12);
    await signer.start();
    await signer.untilRow<{ n: number }>(SWEEPS, ['completed'], (r) => r?.n === 2);
    await signer.untilRow<{ status: string }>(
      `select status from treasury_transactions where kind = 'topup'`,
      [],
      (r) => r?.status === 'confirmed',
    );
    expect(await signer.stop()).toBe(0);

    // One top-up (the one stored first) and one sweep per address, each sent by the signer that stored it or the next.
    const txs = (await t.app.pool.query(TXS)).rows;
    expect(txs.map((x) => `${x.kind} ${x.status}`)).toEqual([
      'topup confirmed',
      'sweep confirmed',
      'sweep confirmed',
    ]);
    expect(txs[0]!.tx_hash).toBe(topup!.tx_hash);
    expect(txs[1]!.tx_hash).toBe(signedSweep[0]!.tx_hash);
    expect(await nonceOf(HOT.address)).toBe(1);
    for (const a of addresses) expect(await nonceOf(a)).toBe(1);

    // The tokens are in the hot wallet, and the books say so, to the wei of every fee.
    const house = Object.fromEntries(
      (await t.app.services.ledger.house.balances({ network: 'ERC20', mode: 'test' })).map((b) => [
        `${b.asset} ${b.code}`,
        b.balance,
      ]),
    );
    expect(house['token custody:deposits']).toBe(0n);
    expect(house['token custody:hot']).toBe(11n * E6 + 1n);
    expect(house['native custody:hot']).toBe(await ethOf(HOT.address));
    expect(house['native custody:deposits']).toBe(
      (await ethOf(addresses[0]!)) + (await ethOf(addresses[1]!)),
    );
    let fees = 0n;
    for (const x of txs) {
      const r = await t.devnet.request<{ gasUsed: string; effectiveGasPrice: string }>(
        'eth_getTransactionReceipt',
        [x.tx_hash],
      );
      fees += BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice);
    }
    expect(house['native network_fees']).toBe(fees);
    await checkHouseInvariants(t.app.pool);

    // Five signers' debug logs, start to finish: neither the seed nor any key is in them.
    const output = signer.output();
    expect(output).toContain('sweep pass');
    expect(output).toContain('signer: deposit address keys opened');
    const node = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), "m/44'/60'/0'/0");
    const secrets = [MNEMONIC, MNEMONIC.split(' ').slice(0, 3).join(' '), HOT.privateKey.slice(2)];
    const indexes = await t.app.pool.query<{ address_index: bigint; address: string }>(
      'select address_index, address from deposits where address = any($1)',
      [addresses],
    );
    expect(indexes.rows).toHaveLength(2);
    for (const r of indexes.rows) {
      const key = node.deriveChild(Number(r.address_index));
      expect(key.address).toBe(r.address);
      secrets.push(key.privateKey.slice(2));
    }
    for (const s of secrets) expect(output).not.toContain(s);
  });
});
