import { resolve } from 'node:path';
import { HDNodeWallet, Mnemonic, randomBytes } from 'ethers';
import { readOrCreate } from '../lib/created-files.js';
import { familyOf } from './families.js';
import type { Family } from './family.js';

// Deposit addresses come from extended *public* keys: the API derives m/…/0/i without ever holding a
// private key. Production gives TRON_XPUB (the account node m/44'/195'/0'); development and tests derive
// it from a mnemonic generated once into DATA_DIR, and keep only the public node in memory.

export type { Family } from './family.js';

/** The account node deposit addresses of a family come from: m/44'/<coin type>'/0'. */
export function accountPath(family: Family): string {
  return `m/44'/${familyOf(family).coinType}'/0'`;
}

export function devMnemonic(dataDir: string): string {
  return readOrCreate(
    resolve(dataDir, 'hd-mnemonic.txt'),
    () => `${Mnemonic.fromEntropy(randomBytes(16)).phrase}\n`,
    'the development mnemonic deposit addresses derive from; keep this file',
  ).trim();
}

export function accountXpub(mnemonic: string, family: Family): string {
  return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(mnemonic), accountPath(family)).neuter().extendedKey;
}

export class HdAddresses {
  /** The external chain node m/…/0 per family: one derivation per address, not two. */
  private readonly nodes = new Map<Family, ReturnType<typeof HDNodeWallet.fromExtendedKey>>();

  constructor(xpubs: Partial<Record<Family, string>>) {
    for (const [family, xpub] of Object.entries(xpubs)) {
      if (xpub) this.nodes.set(family as Family, HDNodeWallet.fromExtendedKey(xpub).deriveChild(0));
    }
  }

  has(family: Family): boolean {
    return this.nodes.has(family);
  }

  /** The external-chain address at index i: m/44'/<coin>'/0'/0/i. */
  derive(family: Family, index: number): string {
    const node = this.nodes.get(family);
    if (!node) throw new Error(`no extended public key configured for ${family}`);
    return familyOf(family).addressFromEvm(node.deriveChild(index).address);
  }
}
