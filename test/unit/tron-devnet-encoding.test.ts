import { readFileSync } from 'node:fs';
import { TronWeb } from 'tronweb';
import { describe, expect, it } from 'vitest';
import { normalizeAddress, USDT_CONTRACT } from '../../src/devnet/tron/keys.js';
import { State } from '../../src/devnet/tron/state.js';
import {
  blockIdOf,
  CONTRACT_RET,
  encodeRaw,
  headerHash,
  merkleRoot,
  recoverSigner,
  sha256Hex,
  transactionLeaf,
} from '../../src/devnet/tron/tx.js';

const FIXTURES = '/work/shared/fixtures/tron';
const fixture = (name: string): any => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8'));

describe('TRON devnet encoding against real chain data', () => {
  it('recomputes blockID and the witness of real blocks from their header', () => {
    for (const name of ['getblockbynum.nile-empty-block.json', 'getnowblock.shasta-trc20-transfer.json']) {
      const b = fixture(name);
      const raw = b.block_header.raw_data;
      const hash = headerHash(raw);
      expect(blockIdOf(raw.number, hash)).toBe(b.blockID);
      expect(recoverSigner(hash, b.block_header.witness_signature)).toBe(raw.witness_address);
    }
  });

  it('recomputes txTrieRoot over transactions with signature and ret', () => {
    const b = fixture('getnowblock.shasta-trc20-transfer.json');
    const leaves = b.transactions.map((t: any) =>
      transactionLeaf(t, CONTRACT_RET[t.ret[0].contractRet as string] as number),
    );
    expect(merkleRoot(leaves)).toBe(b.block_header.raw_data.txTrieRoot);
    expect(merkleRoot([])).toBe('0'.repeat(64));
  });

  it('encodes raw_data byte for byte with tronweb helpers: txID = sha256(raw_data_hex)', () => {
    const txs = [
      fixture('gettransactionbyid.usdt-transfer.mainnet.json'),
      ...fixture('getnowblock.shasta-trc20-transfer.json').transactions,
    ];
    for (const t of txs) {
      const { txID, rawDataHex } = encodeRaw(t.raw_data);
      expect(rawDataHex).toBe(t.raw_data_hex);
      expect(txID).toBe(t.txID);
      expect(sha256Hex(t.raw_data_hex)).toBe(t.txID);
      const owner = t.raw_data.contract[0].parameter.value.owner_address;
      expect(recoverSigner(t.txID, t.signature[0])).toBe(owner);
    }
  });

  it('derives the STACK-NOTES test vector and normalizes addresses', () => {
    const account = TronWeb.fromMnemonic(
      'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
      "m/44'/195'/0'/0/0",
    ) as { address: string };
    expect(account.address).toBe('TUEZSdKsoDHQMeZwihtdoBiN46zxhGWYdH');
    expect(normalizeAddress('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t')).toBe(
      '41a614f803b6fd780986a42c78ec9c7f77e6ded13c',
    );
    expect(normalizeAddress('0xA614F803B6FD780986A42C78EC9C7F77E6DED13C')).toBe(
      '41a614f803b6fd780986a42c78ec9c7f77e6ded13c',
    );
    expect(normalizeAddress('TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u')).toBeUndefined();
    expect(normalizeAddress(USDT_CONTRACT.address)).toBe(USDT_CONTRACT.addressHex);
  });

  it('state journals revert blocks and give views as of an older height', () => {
    const s = new State();
    s.set('a', 1n);
    const j1 = s.takeJournal();
    s.set('a', 2n);
    s.set('b', 5n);
    const j2 = s.takeJournal();
    s.set('a', 3n);
    const j3 = s.takeJournal();
    const before2 = s.viewBefore([j2, j3]);
    expect([before2.get('a'), before2.get('b')]).toEqual([1n, undefined]);
    expect(s.viewBefore([j3]).get('a')).toBe(2n);
    s.revert(j3);
    s.revert(j2);
    expect([s.get('a'), s.get('b')]).toEqual([1n, undefined]);
    expect(j1).toHaveLength(1);
  });
});
