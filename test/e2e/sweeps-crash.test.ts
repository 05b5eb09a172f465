import { Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { DISPERSE_ADDRESS } from '../../src/devnet/evm/index.js';
import { fundHot, requestDeposit, useEvmApp } from '../helpers/evm.js';
import {
  apiSideConfig,
  crashThroughSweeps,
  expectNoSecretsLogged,
  freshSeed,
  signerProcess,
} from '../helpers/signer-crash.js';
import { expectSettledBooks } from '../helpers/treasury.js';

// The signer as its own process (`--role signer`, SIGNER_ROLE=signer, the seed in HD_MNEMONIC), killed with
// SIGKILL right after it stored a signed top-up (its broadcast held up by the node), right after it stored a
// signed sweep, right after the sweeps were broadcast, and while they confirm; each time a new signer resumes.
// On chain: one top-up and one sweep per address, nothing twice; the books balance and match the chain; and no
// line any of the five signers printed (at debug level) holds the seed or a key. The TRON twin:
// sweeps-crash-tron.test.ts (the steps are test/helpers/signer-crash.ts).

// The API side derives deposit addresses from the xpubs of that seed, as a production API would.
const SEED = freshSeed();
const HOT = Wallet.createRandom();
const E6 = 1_000_000n;
const t = useEvmApp(apiSideConfig({ evmPrivateKey: HOT.privateKey }), { automine: false });

const signer = signerProcess(
  () => t.app,
  SEED,
  () => ({
    EVM_TEST_RPC_URL: t.devnet.url,
    EVM_TEST_USDT6_CONTRACT: t.devnet.usdt6.address,
    EVM_TEST_USDT18_CONTRACT: t.devnet.usdt18.address,
    EVM_TEST_CONFIRMATIONS: '12',
    PAYOUT_EVM_PRIVATE_KEY: HOT.privateKey,
    SWEEP_POLICY: JSON.stringify({ 'ERC20:test': { threshold: '1', disperse: DISPERSE_ADDRESS } }),
  }),
);
afterAll(() => signer.dispose());

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

    // One Disperse top-up for both addresses, then a sweep each, the signer killed at every step.
    const txs = await crashThroughSweeps(
      signer,
      t.app.pool,
      {
        holdBroadcast: () => {
          const id = t.devnet.injectFault({
            method: 'eth_sendRawTransaction',
            kind: 'slow',
            delayMs: 60_000,
          });
          return () => t.devnet.clearFaults(id);
        },
        mine: (n) => t.devnet.mine(n),
        confirmations: 12,
      },
      { sweeps: 2, topups: 1 },
    );
    expect(await nonceOf(HOT.address)).toBe(1);
    for (const a of addresses) expect(await nonceOf(a)).toBe(1);

    // The tokens are in the hot wallet, and the books say so, to the wei of every fee.
    let fees = 0n;
    for (const x of txs) {
      const r = await t.devnet.request<{ gasUsed: string; effectiveGasPrice: string }>(
        'eth_getTransactionReceipt',
        [x.tx_hash],
      );
      fees += BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice);
    }
    await expectSettledBooks(t.app, 'ERC20', {
      hotToken: 11n * E6 + 1n,
      hotNative: await ethOf(HOT.address),
      depositsNative: (await ethOf(addresses[0]!)) + (await ethOf(addresses[1]!)),
      fees,
    });

    // Five signers' debug logs, start to finish: neither the seed nor any key is in them.
    await expectNoSecretsLogged(signer, t.app.pool, {
      family: 'evm',
      mnemonic: SEED.mnemonic,
      hotKey: HOT.privateKey,
      addresses,
    });
  });
});
