import { randomBytes } from 'node:crypto';
import { computeAddress, HDNodeWallet, Mnemonic } from 'ethers';
import type { Pool } from 'pg';
import { TronWeb } from 'tronweb';
import { afterAll, expect } from 'vitest';
import { accountPath, accountXpub, type Family } from '../../src/chains/hd.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { TestContext } from './app.js';
import { MANUAL_SCAN_CONFIG } from './scan.js';
import { type WorkerProcess, workerProcess } from './worker-process.js';

// The signer crash tests of both chain families (test/e2e/sweeps-crash*.test.ts): the signer as its own process
// (`--role signer`, SIGNER_ROLE=signer, a fresh seed in HD_MNEMONIC), killed with SIGKILL at each step of two
// sweeps, and what must hold after: one top-up and one sweep per address, and no seed or key in its logs.

/**
 * A fresh seed; the test's own process (the API side) must derive deposit addresses from its xpubs, so they are
 * in process.env until the test file ends (test files share their worker process: see vitest.config.ts).
 */
export function freshSeed(): { mnemonic: string; xpubs: { EVM_XPUB: string; TRON_XPUB: string } } {
  const mnemonic = Mnemonic.fromEntropy(randomBytes(16)).phrase;
  const xpubs = { EVM_XPUB: accountXpub(mnemonic, 'evm'), TRON_XPUB: accountXpub(mnemonic, 'tron') };
  const before = { EVM_XPUB: process.env.EVM_XPUB, TRON_XPUB: process.env.TRON_XPUB };
  Object.assign(process.env, xpubs);
  afterAll(() => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  return { mnemonic, xpubs };
}

/** The test's own process: it scans and pays out with this hot wallet key; only the signer process sweeps. */
export function apiSideConfig(payouts: Partial<Config['payouts']>): Partial<Config> {
  return {
    ...MANUAL_SCAN_CONFIG,
    payouts: { ...MANUAL_SCAN_CONFIG.payouts!, ...payouts },
    treasury: { ...loadConfig().treasury, signerRole: 'signer' },
  };
}

/**
 * `--role signer` processes on the test app's database and Redis, with passes every 200 ms, the seed, and `env`:
 * the chain's node, its token and the hot wallet's key, and the sweep policy.
 */
export function signerProcess(
  app: () => TestContext['app'],
  seed: ReturnType<typeof freshSeed>,
  env: () => Record<string, string>,
): WorkerProcess {
  return workerProcess(
    () => app().pool,
    () => ({
      DATABASE_URL: app().config.databaseUrl,
      REDIS_URL: app().config.redisUrl,
      REDIS_PREFIX: app().config.redisPrefix,
      TRON_DEVNET: 'off',
      EVM_DEVNET: 'off',
      SIGNER_ROLE: 'signer',
      HD_MNEMONIC: seed.mnemonic,
      ...seed.xpubs,
      SWEEP_INTERVAL_MS: '200',
      ...env(),
    }),
    ['--role', 'signer'],
  );
}

export interface CrashChain {
  /** Holds the node's next broadcast of a signed transaction (the signer waits on it); returns the release. */
  holdBroadcast(): () => void;
  mine(n: number): unknown;
  confirmations: number;
}

const SWEEPS = `select count(*) filter (where status = $1)::int as n from sweeps where kind = 'sweep'`;
const TOPUPS = `select count(*) filter (where $1::text is null or status = $1)::int as n from treasury_transactions
  where kind = 'topup'`;
const TXS = `select kind, tx_hash, status from treasury_transactions order by id`;

/**
 * Kills the signer right after it stored a signed top-up (its broadcast held), right after it stored a signed
 * sweep (held too), once all `sweeps` are broadcast and while they confirm; each time a new signer resumes, and
 * the last one settles everything and stops cleanly. `topups` is how many top-up transactions fund them (EVM with
 * Disperse: one; TRON: one per address). Then the stored transactions are exactly those that landed: the first
 * top-up and the first sweep stored are the ones on chain, nothing was signed twice.
 */
export async function crashThroughSweeps(
  signer: WorkerProcess,
  pool: Pool,
  chain: CrashChain,
  counts: { sweeps: number; topups: number },
): Promise<{ kind: string; tx_hash: string; status: string }[]> {
  const n = (r: { n: number } | null) => r?.n ?? 0;
  // 1. The node holds the first top-up's broadcast: the signer has stored it signed and waits. Kill it.
  let release = chain.holdBroadcast();
  await signer.start();
  await signer.untilRow<{ n: number }>(TOPUPS, [null], (r) => n(r) === 1);
  await signer.kill();
  release();
  const [topup] = (await pool.query(TXS)).rows;
  expect(topup).toMatchObject({ kind: 'topup', status: 'signed' });

  // 2. A new signer sends the stored top-up (not a new one), and the rest. Once they are in a block the sweeps
  //    are signed; the node holds the first sweep's broadcast. Kill it there.
  await signer.start();
  await signer.untilRow<{ n: number }>(TOPUPS, ['broadcast'], (r) => n(r) === counts.topups);
  release = chain.holdBroadcast();
  await chain.mine(1);
  await signer.untilRow<{ n: number }>(SWEEPS, ['signed'], (r) => n(r) === 1);
  await signer.kill();
  release();
  const signed = (await pool.query(`select tx_hash from treasury_transactions where kind = 'sweep'`)).rows;
  expect(signed).toHaveLength(1);

  // 3. The next signer sends the stored sweep and signs the others; kill it once all are broadcast (unmined).
  await signer.start();
  await signer.untilRow<{ n: number }>(SWEEPS, ['broadcast'], (r) => n(r) === counts.sweeps);
  await signer.kill();

  // 4. In a block: the next signer sees them confirming. Kill it there.
  await chain.mine(1);
  await signer.start();
  await signer.untilRow<{ n: number }>(SWEEPS, ['confirming'], (r) => n(r) === counts.sweeps);
  await signer.kill();

  // 5. Deep enough: the last signer settles everything, then stops cleanly.
  await chain.mine(chain.confirmations);
  await signer.start();
  await signer.untilRow<{ n: number }>(SWEEPS, ['completed'], (r) => n(r) === counts.sweeps);
  await signer.untilRow<{ n: number }>(TOPUPS, ['confirmed'], (r) => n(r) === counts.topups);
  expect(await signer.stop()).toBe(0);

  // Every stored transaction landed, once: the top-ups, then the sweeps, the first of each the one stored first.
  const txs = (await pool.query(TXS)).rows;
  expect(txs.map((x) => `${x.kind} ${x.status}`)).toEqual([
    ...Array(counts.topups).fill('topup confirmed'),
    ...Array(counts.sweeps).fill('sweep confirmed'),
  ]);
  expect(txs[0]!.tx_hash).toBe(topup!.tx_hash);
  expect(txs[counts.topups]!.tx_hash).toBe(signed[0]!.tx_hash);
  return txs;
}

/** The private keys (hex, no 0x) of these deposit addresses, derived by their stored index and checked. */
async function depositKeys(pool: Pool, family: Family, mnemonic: string, addresses: string[]) {
  const node = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(mnemonic), `${accountPath(family)}/0`);
  const rows = await pool.query<{ address_index: bigint; address: string }>(
    'select address_index, address from deposits where address = any($1)',
    [addresses],
  );
  expect(rows.rows).toHaveLength(addresses.length);
  return rows.rows.map((r) => {
    const key = node.deriveChild(Number(r.address_index)).privateKey.slice(2);
    const derived = family === 'tron' ? TronWeb.address.fromPrivateKey(key) : computeAddress(`0x${key}`);
    expect(derived).toBe(r.address);
    return key;
  });
}

/**
 * Every line the signers printed (debug level, start to finish) is free of the seed, its first words, the hot
 * wallet's key and every deposit address's key.
 */
export async function expectNoSecretsLogged(
  signer: WorkerProcess,
  pool: Pool,
  opts: { family: Family; mnemonic: string; hotKey: string; addresses: string[] },
): Promise<void> {
  const output = signer.output();
  expect(output).toContain('sweep pass');
  expect(output).toContain('signer: deposit address keys opened');
  const secrets = [
    opts.mnemonic,
    opts.mnemonic.split(' ').slice(0, 3).join(' '),
    opts.hotKey.replace(/^0x/, ''),
    ...(await depositKeys(pool, opts.family, opts.mnemonic, opts.addresses)),
  ];
  for (const s of secrets) expect(output).not.toContain(s);
}
