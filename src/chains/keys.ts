import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { HDNodeWallet, Mnemonic } from 'ethers';
import type { SeedSource } from '../config-treasury.js';
import { familyOf } from './families.js';
import { accountPath, devMnemonic, type Family } from './hd.js';

// The private half of the deposit addresses, for the role that sweeps them and for nothing else. The seed is
// HD_MNEMONIC (or HD_MNEMONIC_FILE), or one account-level xprv per family (TRON_XPRV/EVM_XPRV or their _FILE);
// outside production without any, the development mnemonic in DATA_DIR that the xpubs come from. Each family's
// account node must be the one whose xpub the API derives addresses from (TRON_XPUB/EVM_XPUB), or the signer
// refuses to start: a wrong seed would sign for addresses that are not ours. Keys are derived by the index stored
// on the deposit (m/44'/<coin>'/0'/0/<index>), never found by scanning. Nothing here prints a key: the nodes are
// private fields, and JSON, pino and util.inspect see `[DepositKeys tron,evm]`.

export class SignerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignerConfigError';
  }
}

function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new SignerConfigError(`cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** The text of one secret given either inline or as a file; both at once is refused. */
function oneOf(inline: { reveal(): string } | null, file: string | null, name: string): string | null {
  if (inline && file) throw new SignerConfigError(`set ${name} or ${name}_FILE, not both`);
  if (inline) return inline.reveal().trim();
  return file ? readSecretFile(file, `${name}_FILE`) : null;
}

function accountNode(text: string, family: Family, from: string): HDNodeWallet {
  try {
    if (text.startsWith('xprv')) {
      const node = HDNodeWallet.fromExtendedKey(text);
      if (!(node instanceof HDNodeWallet) || node.depth !== 3)
        throw new Error(`not an account-level xprv (depth 3, ${accountPath(family)})`);
      return node;
    }
    return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(text), accountPath(family));
  } catch (err) {
    // The message of a parse error may quote the input: say only which variable failed.
    const why = (err as Error).message.startsWith('not an account') ? `: ${(err as Error).message}` : '';
    throw new SignerConfigError(
      `${from} is not a valid ${text.startsWith('xprv') ? 'xprv' : 'mnemonic'}${why}`,
    );
  }
}

/**
 * The TRON staking account's private key (delegate mode), from TRON_STAKING_PRIVATE_KEY or its _FILE; null when
 * neither is set. Like the seed, only the signer reads it.
 */
export function tronStakingKey(seed: SeedSource): string | null {
  const text = oneOf(seed.tronStakingKey, seed.tronStakingKeyFile, 'TRON_STAKING_PRIVATE_KEY');
  if (text !== null && !/^(0x)?[0-9a-fA-F]{64}$/.test(text))
    throw new SignerConfigError('TRON_STAKING_PRIVATE_KEY_FILE must hold 64 hex characters');
  return text?.replace(/^0x/, '') ?? null;
}

export interface KeyOptions {
  isProduction: boolean;
  dataDir: string;
}

export class DepositKeys {
  /** Per family, the external chain node m/44'/<coin>'/0'/0 with its private key. */
  readonly #nodes = new Map<Family, HDNodeWallet>();

  private constructor() {}

  /**
   * Opens the seed for each family the API derives deposit addresses for (`xpubs`), checking that it is
   * the same account. Throws SignerConfigError naming the variable, never its value.
   */
  static open(seed: SeedSource, opts: KeyOptions, xpubs: Partial<Record<Family, string>>): DepositKeys {
    const keys = new DepositKeys();
    const mnemonic = oneOf(seed.mnemonic, seed.mnemonicFile, 'HD_MNEMONIC');
    const xprvs: Record<Family, string | null> = {
      tron: oneOf(seed.tronXprv, seed.tronXprvFile, 'TRON_XPRV'),
      evm: oneOf(seed.evmXprv, seed.evmXprvFile, 'EVM_XPRV'),
    };
    for (const family of Object.keys(xpubs) as Family[]) {
      const xpub = xpubs[family];
      if (!xpub) continue;
      const name = familyOf(family).label;
      let text = xprvs[family];
      let from = `${name}_XPRV`;
      if (!text && mnemonic) {
        text = mnemonic;
        from = 'HD_MNEMONIC';
      }
      if (!text && !opts.isProduction) {
        text = devMnemonic(opts.dataDir);
        from = 'the development mnemonic in DATA_DIR';
      }
      if (!text) continue;
      const node = accountNode(text, family, from);
      if (node.neuter().extendedKey !== xpub)
        throw new SignerConfigError(
          `${from} does not derive ${name}_XPUB (${accountPath(family)}): refusing to sign for ${name} deposit addresses`,
        );
      keys.#nodes.set(family, node.deriveChild(0));
    }
    return keys;
  }

  has(family: Family): boolean {
    return this.#nodes.has(family);
  }

  families(): Family[] {
    return [...this.#nodes.keys()];
  }

  private child(family: Family, index: number | bigint): HDNodeWallet {
    const node = this.#nodes.get(family);
    if (!node) throw new SignerConfigError(`no seed for ${family} deposit addresses`);
    const i = Number(index);
    if (!Number.isInteger(i) || i < 0 || i >= 2 ** 31) throw new RangeError(`bad address index ${index}`);
    return node.deriveChild(i);
  }

  /** The 0x private key of deposit address `index` (src/chains only: it signs with it and forgets it). */
  privateKey(family: Family, index: number | bigint): string {
    return this.child(family, index).privateKey;
  }

  /** The address of deposit address `index`, as HdAddresses derives it from the xpub. */
  address(family: Family, index: number | bigint): string {
    return familyOf(family).addressFromEvm(this.child(family, index).address);
  }

  toJSON(): string {
    return `[DepositKeys ${this.families().join(',')}]`;
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}
