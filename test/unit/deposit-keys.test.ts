import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { HDNodeWallet, Mnemonic, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { accountXpub, HdAddresses } from '../../src/chains/hd.js';
import { DepositKeys, SignerConfigError } from '../../src/chains/keys.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/lib/logger.js';

// The signer's keys are the private half of exactly the addresses the API hands out from the xpubs: derived
// by the index stored on the deposit, from a mnemonic or an account xprv (inline or from a file). A seed that
// does not match the xpubs is refused, and neither the seed nor a key ever reaches a log line.

const PHRASE =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const OTHER = 'legal winner thank year wave sausage worth useful legal winner thank yellow';
const XPUBS = { tron: accountXpub(PHRASE, 'tron'), evm: accountXpub(PHRASE, 'evm') };
const OPTS = { isProduction: true, dataDir: '/nonexistent' };
const xprv = (family: 'tron' | 'evm') =>
  HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(PHRASE), family === 'tron' ? "m/44'/195'/0'" : "m/44'/60'/0'")
    .extendedKey;
const seed = (env: Record<string, string>) =>
  loadConfig({ NODE_ENV: 'production', MASTER_KEY: 'ab'.repeat(32), ...env }).treasury.seed;
const tmp = () => mkdtempSync(join(tmpdir(), 'novapay-keys-'));

describe('deposit keys', () => {
  const hd = new HdAddresses(XPUBS);

  it('derive the private key of exactly the address the API derives, by index, from a mnemonic', () => {
    const keys = DepositKeys.open(seed({ HD_MNEMONIC: PHRASE }), OPTS, XPUBS);
    expect(keys.families().sort()).toEqual(['evm', 'tron']);
    // The BIP-44 test vector for TRON at m/44'/195'/0'/0/0.
    expect(keys.address('tron', 0)).toBe('TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH');
    for (const i of [0, 1, 7, 1000, 2 ** 31 - 1]) {
      for (const family of ['tron', 'evm'] as const) {
        expect(keys.address(family, i)).toBe(hd.derive(family, i));
      }
      // The key itself signs for that address.
      expect(new Wallet(keys.privateKey('evm', i)).address).toBe(hd.derive('evm', i));
    }
    expect(() => keys.privateKey('evm', -1)).toThrow(RangeError);
    expect(() => keys.privateKey('evm', 2 ** 31)).toThrow(RangeError);
  });

  it('take an account xprv per family, inline or from a file, and a mnemonic from a file', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'mnemonic'), `${PHRASE}\n`);
    writeFileSync(join(dir, 'evm.xprv'), `${xprv('evm')}\n`);
    const sources: Record<string, string>[] = [
      { TRON_XPRV: xprv('tron'), EVM_XPRV: xprv('evm') },
      { TRON_XPRV: xprv('tron'), EVM_XPRV_FILE: join(dir, 'evm.xprv') },
      { HD_MNEMONIC_FILE: join(dir, 'mnemonic') },
    ];
    for (const env of sources) {
      const keys = DepositKeys.open(seed(env), OPTS, XPUBS);
      expect(keys.address('evm', 42)).toBe(hd.derive('evm', 42));
      expect(keys.address('tron', 42)).toBe(hd.derive('tron', 42));
    }
  });

  it('refuse a seed that does not derive the configured xpubs, and ambiguous or broken sources', () => {
    expect(() => DepositKeys.open(seed({ HD_MNEMONIC: OTHER }), OPTS, XPUBS)).toThrow(
      /HD_MNEMONIC does not derive TRON_XPUB/,
    );
    expect(() =>
      DepositKeys.open(seed({ HD_MNEMONIC: PHRASE, EVM_XPRV: xprv('tron') }), OPTS, XPUBS),
    ).toThrow(/EVM_XPRV does not derive EVM_XPUB/);
    const dir = tmp();
    writeFileSync(join(dir, 'm'), PHRASE);
    expect(() =>
      DepositKeys.open(seed({ HD_MNEMONIC: PHRASE, HD_MNEMONIC_FILE: join(dir, 'm') }), OPTS, XPUBS),
    ).toThrow(/HD_MNEMONIC or HD_MNEMONIC_FILE, not both/);
    expect(() => DepositKeys.open(seed({ HD_MNEMONIC_FILE: join(dir, 'missing') }), OPTS, XPUBS)).toThrow(
      SignerConfigError,
    );
    const broken =
      'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon zoo';
    let message = '';
    try {
      DepositKeys.open(seed({ HD_MNEMONIC: broken }), OPTS, XPUBS);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/HD_MNEMONIC is not a valid mnemonic/);
    expect(message).not.toContain('zoo');
    expect(() => loadConfig({ TRON_XPRV: 'xpub-not-private' })).toThrow(ConfigError);
    // A family the API has no xpub for gets no key (its deposits are off): nothing to sign for.
    const evmOnly = DepositKeys.open(seed({ HD_MNEMONIC: PHRASE }), OPTS, { evm: XPUBS.evm });
    expect(evmOnly.families()).toEqual(['evm']);
    expect(() => evmOnly.privateKey('tron', 0)).toThrow(/no seed for tron/);
  });

  it('use the development mnemonic in DATA_DIR outside production, the one the xpubs come from', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'hd-mnemonic.txt'), `${PHRASE}\n`);
    const config = loadConfig({ DATA_DIR: dir });
    const keys = DepositKeys.open(config.treasury.seed, config, XPUBS);
    expect(keys.address('evm', 3)).toBe(hd.derive('evm', 3));
    // In production nothing falls back: no seed, no keys.
    expect(DepositKeys.open(seed({}), { isProduction: true, dataDir: dir }, XPUBS).families()).toEqual([]);
  });

  it('never print the seed or a key: JSON, util.inspect, string conversion and pino all redact', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      MASTER_KEY: 'ab'.repeat(32),
      HD_MNEMONIC: PHRASE,
      EVM_XPRV: xprv('evm'),
    });
    const keys = DepositKeys.open(config.treasury.seed, OPTS, XPUBS);
    const lines: string[] = [];
    const log = createLogger('debug', { write: (l: string) => void lines.push(l) });
    log.info({ keys, treasury: config.treasury, seed: config.treasury.seed }, 'signer state');
    log.info({ config }, 'the whole configuration');
    log.info(`seed ${config.treasury.seed.mnemonic} keys ${keys}`);
    const printed = [
      ...lines,
      JSON.stringify(config.treasury),
      JSON.stringify(keys),
      inspect(config, { depth: 10, showHidden: true }),
      inspect(keys, { depth: 10, showHidden: true }),
      String(config.treasury.seed.mnemonic),
    ].join('\n');
    expect(printed).toContain('[redacted]');
    expect(printed).toContain('[DepositKeys tron,evm]');
    const secrets = [PHRASE, 'abandon abandon', xprv('evm'), xprv('tron')];
    for (const i of [0, 1, 2])
      secrets.push(keys.privateKey('evm', i).slice(2), keys.privateKey('tron', i).slice(2));
    for (const s of secrets) expect(printed).not.toContain(s);
  });
});
