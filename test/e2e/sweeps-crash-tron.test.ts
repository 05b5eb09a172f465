import { randomBytes } from 'node:crypto';
import { TronWeb } from 'tronweb';
import { afterAll, describe, expect, it } from 'vitest';
import {
  apiSideConfig,
  crashThroughSweeps,
  expectNoSecretsLogged,
  freshSeed,
  signerProcess,
} from '../helpers/signer-crash.js';
import { expectSettledBooks } from '../helpers/treasury.js';
import { fundTronHot, type TronInfo, tronSignerEnv } from '../helpers/treasury-tron.js';
import { createTronDeposit, useTronApp } from '../helpers/tron.js';

// The TRON twin of sweeps-crash.test.ts (same five signers and kills, test/helpers/signer-crash.ts), sweeping
// TRC20 by burning TRX: a top-up per address (a TransferContract from the hot wallet, which also creates the
// account), then its USDT transfer. TRON has no nonces: a stored transaction can be sent again only until it
// expires, so each resumed signer must send the very one stored, never build another. Checked on chain (the
// node's receipts and TronGrid), in the books to the sun, and in the signers' logs.

const SEED = freshSeed();
const HOT_KEY = randomBytes(32).toString('hex');
const HOT = TronWeb.address.fromPrivateKey(HOT_KEY) as string;
const E6 = 1_000_000n;
const t = useTronApp(apiSideConfig({ tronPrivateKey: HOT_KEY }));

const signer = signerProcess(
  () => t.app,
  SEED,
  () => tronSignerEnv(t.devnet, HOT_KEY, { threshold: '1' }),
);
afterAll(() => signer.dispose());

const info = async (txid: string) =>
  (await (
    await fetch(`${t.devnet.url}/wallet/gettransactioninfobyid`, {
      method: 'POST',
      body: JSON.stringify({ value: txid }),
    })
  ).json()) as TronInfo;

describe('signer crashes (TRON sweeps)', () => {
  it('SIGKILL after signing a top-up, after signing a sweep, after broadcasting and while confirming: nothing twice', {
    timeout: 300_000,
  }, async () => {
    // TRX, and USDT (so a transfer to the hot wallet costs the same for both and both are planned in one pass).
    await fundTronHot(t, HOT, 'native', 1_000_000_000n);
    await fundTronHot(t, HOT, 'token', E6);
    const m = await t.merchant();
    const addresses: string[] = [];
    for (const [i, amount] of [7n * E6, 3n * E6 + 1n].entries()) {
      const d = await createTronDeposit(t, m, `u${i}`, Number(amount / E6));
      addresses.push(d.depositAddress);
      t.devnet.sendUsdt(d.depositAddress, amount);
    }
    t.devnet.mine(19);
    await t.scan();

    // A top-up per address (TRON has no batch transfer), then a sweep each, the signer killed at every step.
    const txs = await crashThroughSweeps(
      signer,
      t.app.pool,
      {
        holdBroadcast: () => {
          const id = t.devnet.injectFault({
            path: '/wallet/broadcasttransaction',
            kind: 'slow',
            delayMs: 60_000,
          });
          return () => t.devnet.clearFaults(id);
        },
        mine: (n) => t.devnet.mine(n),
        confirmations: 19,
      },
      { sweeps: 2, topups: 2 },
    );

    // On chain, each address received one TRX transfer (its top-up) and sent one USDT transfer (its sweep).
    const hotHex = TronWeb.address.toHex(HOT);
    const topups = t.devnet.chain.blocks.flatMap((b) =>
      b.txs
        .map((x) => x.tx.raw_data.contract[0]!)
        .filter((c) => c.type === 'TransferContract' && c.parameter.value.owner_address === hotHex)
        .map((c) => TronWeb.address.fromHex(String(c.parameter.value.to_address))),
    );
    expect(topups.sort()).toEqual([...addresses].sort());
    for (const a of addresses) {
      const grid = await (
        await fetch(`${t.devnet.url}/v1/accounts/${a}/transactions/trc20?only_from=true`)
      ).json();
      expect(grid.data).toHaveLength(1);
      expect(t.devnet.tokenBalance(a)).toBe(0n);
    }
    const landed = await Promise.all(txs.map((x) => info(x.tx_hash)));
    expect(landed.map((x) => x.receipt?.result ?? 'SUCCESS')).toEqual([
      'SUCCESS',
      'SUCCESS',
      'SUCCESS',
      'SUCCESS',
    ]);

    // The tokens are in the hot wallet, and the books say so, to the sun of every fee.
    expect(t.devnet.tokenBalance(HOT)).toBe(11n * E6 + 1n);
    await expectSettledBooks(t.app, 'TRC20', {
      hotToken: 11n * E6 + 1n,
      hotNative: t.devnet.trxBalance(HOT),
      depositsNative: t.devnet.trxBalance(addresses[0]!) + t.devnet.trxBalance(addresses[1]!),
      fees: landed.reduce((s, x) => s + BigInt(x.fee ?? 0), 0n),
    });

    // Five signers' debug logs, start to finish: neither the seed nor any key is in them.
    await expectNoSecretsLogged(signer, t.app.pool, {
      family: 'tron',
      mnemonic: SEED.mnemonic,
      hotKey: HOT_KEY,
      addresses,
    });
  });
});
