import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { TronWeb } from 'tronweb';
import { describe, expect, it } from 'vitest';
import { evmToken, type NetworkConfig, tronToken } from '../../src/chains/registry.js';
import { TronHotWallet } from '../../src/chains/tron/hot-wallet.js';
import { chargedBytes } from '../../src/chains/tron/leftover.js';
import { energyOfStake, stakeForEnergy, TronEnergyLender } from '../../src/chains/tron/staking.js';
import { type ConfigError, loadConfig } from '../../src/config.js';
import { secret } from '../../src/lib/secret.js';
import { resolvePolicy } from '../../src/modules/treasury/policy.js';
import { stakingKeyFor } from '../../src/modules/treasury/setup.js';

// SWEEP_POLICY's TRON fields and the staking key: refused at start with a message that says what to fix.

const dataDir = () => mkdtempSync(join(tmpdir(), 'novapay-tronfees-'));
const KEY = '1'.repeat(64);
const STAKE = TronWeb.address.fromPrivateKey(KEY) as string;
const tron: NetworkConfig = {
  network: 'TRC20',
  family: 'tron',
  mode: 'live',
  chain: 'TRC20:live',
  nodeUrl: 'http://127.0.0.1:1',
  apiKey: null,
  token: tronToken('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', 6),
  confirmations: 19,
  faucetPrivateKey: null,
};
const evm: NetworkConfig = {
  ...tron,
  network: 'ERC20',
  family: 'evm',
  chain: 'ERC20:live',
  token: evmToken('0xdAC17F958D2ee523a2206206994597C13D831ec7', 6),
};

const policyError = (policy: object) => {
  try {
    loadConfig({ DATA_DIR: dataDir(), SWEEP_POLICY: JSON.stringify({ 'TRC20:live': policy }) });
  } catch (err) {
    return (err as ConfigError).message;
  }
  return null;
};

describe('SWEEP_POLICY for TRON fees', () => {
  it('takes tronFees, stakingAccount and leftoverMin; burn is the default, leftoverMin 1 TRX', () => {
    expect(
      policyError({ threshold: '1', tronFees: 'delegate', stakingAccount: STAKE, leftoverMin: '0.5' }),
    ).toBeNull();
    expect(resolvePolicy(tron, { threshold: '1' }).tron).toEqual({
      fees: 'burn',
      stakingAccount: null,
      leftoverMin: 1_000_000n,
    });
    expect(
      resolvePolicy(tron, { threshold: '1', tronFees: 'delegate', stakingAccount: STAKE, leftoverMin: '0.5' })
        .tron,
    ).toEqual({ fees: 'delegate', stakingAccount: STAKE, leftoverMin: 500_000n });
  });

  it('refuses what cannot work, saying why', () => {
    expect(policyError({ threshold: '1', tronFees: 'rent' })).toMatch(/tronFees/);
    expect(policyError({ threshold: '1', stakingAccount: STAKE })).toMatch(
      /stakingAccount needs "tronFees": "delegate"/,
    );
    expect(() => resolvePolicy(evm, { threshold: '1', tronFees: 'delegate' })).toThrow(
      'SWEEP_POLICY ERC20:live: tronFees is not for EVM networks',
    );
    expect(() =>
      resolvePolicy(tron, {
        threshold: '1',
        tronFees: 'delegate',
        stakingAccount: '0xdAC17F958D2ee523a2206206994597C13D831ec7',
      }),
    ).toThrow(
      /^SWEEP_POLICY TRC20:live.stakingAccount: 0xdAC17F958D2ee523a2206206994597C13D831ec7 is not an address \(/,
    );
    expect(() => resolvePolicy(tron, { threshold: '1', leftoverMin: '0.0000001' })).toThrow(/leftoverMin/);
  });

  it("the staking key: TRON_STAKING_PRIVATE_KEY(_FILE) must derive stakingAccount; without one the hot wallet's", () => {
    const config = loadConfig({ DATA_DIR: dataDir(), PAYOUT_TRON_PRIVATE_KEY: '2'.repeat(64) });
    const delegate = resolvePolicy(tron, { threshold: '1', tronFees: 'delegate', stakingAccount: STAKE });
    expect(() => stakingKeyFor(config, 'TRC20:live', delegate)).toThrow(
      `SWEEP_POLICY TRC20:live delegates energy from ${STAKE}: set TRON_STAKING_PRIVATE_KEY or TRON_STAKING_PRIVATE_KEY_FILE`,
    );
    const withKey = (seed: Partial<typeof config.treasury.seed>) => ({
      ...config,
      treasury: { ...config.treasury, seed: { ...config.treasury.seed, ...seed } },
    });
    expect(stakingKeyFor(withKey({ tronStakingKey: secret(KEY) }), 'TRC20:live', delegate)).toBe(KEY);
    expect(() =>
      stakingKeyFor(withKey({ tronStakingKey: secret('3'.repeat(64)) }), 'TRC20:live', delegate),
    ).toThrow(`TRON_STAKING_PRIVATE_KEY does not derive SWEEP_POLICY TRC20:live.stakingAccount (${STAKE})`);
    const file = join(dataDir(), 'staking.key');
    writeFileSync(file, `${KEY}\n`);
    expect(stakingKeyFor(withKey({ tronStakingKeyFile: file }), 'TRC20:live', delegate)).toBe(KEY);
    expect(() =>
      stakingKeyFor(
        withKey({ tronStakingKey: secret(KEY), tronStakingKeyFile: file }),
        'TRC20:live',
        delegate,
      ),
    ).toThrow('set TRON_STAKING_PRIVATE_KEY or TRON_STAKING_PRIVATE_KEY_FILE, not both');
    writeFileSync(file, 'not a key');
    expect(() => stakingKeyFor(withKey({ tronStakingKeyFile: file }), 'TRC20:live', delegate)).toThrow(
      'TRON_STAKING_PRIVATE_KEY_FILE must hold 64 hex characters',
    );
    const fromHot = resolvePolicy(tron, { threshold: '1', tronFees: 'delegate' });
    expect(stakingKeyFor(config, 'TRC20:live', fromHot)).toBe('2'.repeat(64));
    expect(stakingKeyFor(config, 'TRC20:live', resolvePolicy(tron, { threshold: '1' }))).toBeNull();
    expect(() => stakingKeyFor(loadConfig({ DATA_DIR: dataDir() }), 'TRC20:live', fromHot)).toThrow(
      'SWEEP_POLICY TRC20:live delegates energy from the hot wallet, which has no key',
    );
  });

  it('never prints the staking key', () => {
    const hot = new TronHotWallet(tron, '2'.repeat(64), 100_000_000n);
    const lender = new TronEnergyLender(tron, hot, KEY);
    expect(lender.address).toBe(STAKE);
    expect(inspect(lender, { depth: 10, showHidden: true })).not.toContain(KEY);
    const config = loadConfig({ DATA_DIR: dataDir(), TRON_STAKING_PRIVATE_KEY: KEY });
    expect(JSON.stringify(config.treasury.seed)).not.toContain(KEY);
    expect(inspect(config.treasury.seed, { depth: 10 })).not.toContain(KEY);
  });

  it('lends the least stake whose share of the network energy covers the transfer', () => {
    // mainnet's figures: 180 000 000 000 energy for 16 307 687 034 TRX staked
    const [limit, weight] = [180_000_000_000, 16_307_687_034];
    for (const energy of [1n, 64_285n, 130_285n, 1_000_000n]) {
      const sun = stakeForEnergy(energy, limit, weight);
      expect(energyOfStake(sun, limit, weight)).toBeGreaterThanOrEqual(energy);
      expect(energyOfStake(sun - 1n, limit, weight)).toBeLessThan(energy);
    }
    // as java-tron counts a transaction: its framing and raw data, one signature (2 + 65), 64 bytes of result
    expect(chargedBytes(100)).toBe(1n + 1n + 100n + 67n + 64n);
    expect(chargedBytes(200)).toBe(1n + 2n + 200n + 67n + 64n);
  });
});
