import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkConfig, tronToken } from '../../src/chains/registry.js';
import { TronAdapter } from '../../src/chains/tron/adapter.js';
import { TronHotWallet } from '../../src/chains/tron/hot-wallet.js';
import { chainParameter, readBlock } from '../../src/chains/tron/node-json.js';
import { ChainUnavailableError } from '../../src/chains/types.js';
import { startTronDevnet, type TronDevnet } from '../../src/devnet/tron/index.js';

// java-tron prints protobuf JSON, which leaves out every field holding its default: the genesis block has
// no `raw_data.number`, a zero fee or energy is absent. The scanner, the payout wallet and the devnet must
// read an absent number as 0. (A fresh `npm start` once never credited a TRC20 deposit: its first range
// started at the genesis block and every pass failed on it.)

const FIXTURES = '/work/shared/fixtures/tron';
const fixture = (name: string): any => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8'));
const fail = (m: string) => new ChainUnavailableError(m);

describe('reading blocks as java-tron prints them', () => {
  it('takes an omitted number as 0, checks it against the blockID, and reads {} as no block', () => {
    const real = fixture('getblockbynum.nile-empty-block.json');
    expect(readBlock(real, fail)).toEqual({
      number: 200,
      hash: real.blockID,
      parentHash: real.block_header.raw_data.parentHash,
      timestampMs: 1575594618000,
    });
    // The same shape at height 0: java-tron omits number (and a zero timestamp).
    const { number: _n, timestamp: _t, ...rawGenesis } = real.block_header.raw_data;
    const genesis = {
      blockID: `${'0'.repeat(16)}${real.blockID.slice(16)}`,
      block_header: { raw_data: rawGenesis },
    };
    expect(readBlock(genesis, fail)).toMatchObject({ number: 0, timestampMs: 0 });
    expect(readBlock({}, fail)).toBeNull();
    // A number that contradicts the height inside the blockID is the node's nonsense, not block 0.
    expect(() => readBlock({ ...real, block_header: { raw_data: rawGenesis } }, fail)).toThrow(
      ChainUnavailableError,
    );
  });

  it('reads a chain parameter printed without its value as 0, and a missing one as absent', () => {
    const answer = { chainParameter: [{ key: 'getEnergyFee' }, { key: 'getMemoFee', value: 1_000_000 }] };
    expect(chainParameter(answer, 'getEnergyFee')).toBe(0);
    expect(chainParameter(answer, 'getMemoFee')).toBe(1_000_000);
    expect(chainParameter(answer, 'getTransactionFee')).toBeNull();
  });
});

describe('a devnet that has only its genesis block', () => {
  let devnet: TronDevnet;
  let net: NetworkConfig;
  beforeAll(async () => {
    devnet = await startTronDevnet({ initialBlocks: 0 });
    net = {
      network: 'TRC20',
      family: 'tron',
      mode: 'test',
      chain: 'TRC20:test',
      nodeUrl: devnet.url,
      apiKey: null,
      token: tronToken(devnet.usdt.address, 6),
      confirmations: 19,
      faucetPrivateKey: devnet.faucet.privateKey,
    };
  });
  afterAll(async () => {
    await devnet?.close();
  });

  it('serves a genesis block without number, which the scanner reads as block 0', async () => {
    const raw = await (await fetch(`${devnet.url}/wallet/getnowblock`, { method: 'POST' })).json();
    expect(raw.blockID).toMatch(/^0{16}/);
    expect(raw.block_header.raw_data).not.toHaveProperty('number');
    const adapter = new TronAdapter(net);
    expect(await adapter.head()).toBe(0);
    expect(await adapter.finalizedHead()).toBe(0);
    expect(await adapter.blockHash(0)).toBe(raw.blockID);
    const scanned = await adapter.scanRange(0, 0, new Set());
    expect(scanned.blocks).toEqual([expect.objectContaining({ number: 0, hash: raw.blockID })]);
  });

  it('answers getblockbynum without num with the genesis block, as java-tron (num defaults to 0)', async () => {
    const post = async (path: string, body: object) =>
      (await fetch(`${devnet.url}${path}`, { method: 'POST', body: JSON.stringify(body) })).json();
    expect((await post('/wallet/getblockbynum', {})).blockID).toBe(devnet.chain.blocks[0]!.blockID);
    expect(await post('/wallet/gettransactioninfobyblocknum', {})).toEqual([]);
  });

  it('gives the payout wallet head 0, and an unknown transaction as unknown', async () => {
    const wallet = new TronHotWallet(net, devnet.faucet.privateKey, 100_000_000n);
    expect(await wallet.headBlock()).toBe(0);
    const lookup = await wallet.lookup(net, 'ab'.repeat(32), () => wallet.headBlock());
    expect(lookup).toEqual({ state: 'unknown' });
  });
});
