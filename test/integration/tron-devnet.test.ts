import { readFileSync } from 'node:fs';
import { sha256 } from 'ethers';
import { TronWeb, utils } from 'tronweb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTronDevnet, type TronDevnet, TronDevnetError } from '../../src/devnet/tron/index.js';
import { eventually } from '../helpers/receiver.js';

const FIXTURES = '/work/shared/fixtures/tron';
const fixture = (name: string): any => JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8'));
const TRANSFER_TOPIC = 'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
const fromHex = (h: string) => Buffer.from(h, 'hex').toString('utf8');

/** Every key path of a JSON value with the type found there (`a.b[].c:number`), to compare shapes. */
function paths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    if (value.length === 0) out.add(`${prefix}[]:empty`);
    for (const v of value) paths(v, `${prefix}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) paths(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.add(`${prefix}:${typeof value}`);
  return out;
}

/** Every path of `ours` occurs in at least one of the real responses. */
function expectShapeWithin(ours: unknown, ...real: unknown[]) {
  const allowed = new Set(real.flatMap((r) => [...paths(r)]));
  expect([...paths(ours)].filter((p) => !allowed.has(p))).toEqual([]);
}

let devnet: TronDevnet;
let tw: TronWeb;

async function call(path: string, body: object = {}, method: 'POST' | 'GET' = 'POST') {
  const qs = method === 'GET' ? `?${new URLSearchParams(body as Record<string, string>)}` : '';
  const res = await fetch(`${devnet.url}${path}${qs}`, {
    method,
    ...(method === 'POST' ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    json: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : undefined,
  };
}

const newAccount = () => {
  const pk = utils.accounts.generateAccount();
  return { privateKey: pk.privateKey, address: pk.address.base58, hex: pk.address.hex.toLowerCase() };
};

beforeAll(async () => {
  devnet = await startTronDevnet({ autoMine: true });
  tw = new TronWeb({ fullHost: devnet.url, privateKey: devnet.faucet.privateKey });
});

afterAll(async () => {
  await devnet?.close();
});

afterEach(() => devnet.clearFaults());

describe('TRON devnet with tronweb unchanged', () => {
  it('sends a TRC20 transfer built, signed and broadcast by tronweb; balanceOf and the receipt see it', async () => {
    const to = newAccount();
    const usdt = await tw.contract().at(devnet.usdt.address);
    expect(await usdt.decimals().call()).toBe(6n);
    expect(await usdt.symbol().call()).toBe('USDT');
    const txid: string = await usdt.transfer(to.address, 3_500_000).send();
    expect(await usdt.balanceOf(to.address).call()).toBe(3_500_000n);
    expect(devnet.tokenBalance(to.address)).toBe(3_500_000n);

    const { json: info } = await call('/wallet/gettransactioninfobyid', { value: txid });
    expect(info.receipt.result).toBe('SUCCESS');
    expect(info.result).toBeUndefined();
    expect(info.contract_address).toBe(devnet.usdt.addressHex);
    expect(info.contractResult).toEqual(['0'.repeat(64)]); // like TRON's USDT: not a success flag
    expect(info.log).toEqual([
      {
        address: devnet.usdt.addressHex.slice(2),
        topics: [
          TRANSFER_TOPIC,
          devnet.faucet.addressHex.slice(2).padStart(64, '0'),
          to.hex.slice(2).padStart(64, '0'),
        ],
        data: (3_500_000).toString(16).padStart(64, '0'),
      },
    ]);
    expect(info.fee).toBe(info.receipt.energy_fee + (info.receipt.net_fee ?? 0));
    expectShapeWithin(
      info,
      fixture('gettransactioninfobyid.usdt-success.mainnet.json'),
      fixture('gettransactioninfobyid.usdt-out-of-energy.mainnet.json'),
    );
    expect(Object.keys(info)).toEqual([
      'id',
      'fee',
      'blockNumber',
      'blockTimeStamp',
      'contractResult',
      'contract_address',
      'receipt',
      'log',
    ]);

    const tx = await tw.trx.getTransaction(txid);
    expect(Object.keys(tx)).toEqual(['ret', 'signature', 'txID', 'raw_data', 'raw_data_hex']);
    expect(sha256(`0x${tx.raw_data_hex}`).slice(2)).toBe(tx.txID);
    expect(utils.transaction.txCheck(tx)).toBe(true);
    expect([...paths(tx)].sort()).toEqual(
      [...paths(fixture('gettransactionbyid.usdt-transfer.mainnet.json'))].sort(),
    );
  });

  it('builds transactions tronweb accepts byte for byte (trap 6) and tronweb-built ones the node accepts', async () => {
    const to = newAccount();
    const built = await tw.transactionBuilder.triggerSmartContract(
      devnet.usdt.address,
      'transfer(address,uint256)',
      { feeLimit: 100_000_000 },
      [
        { type: 'address', value: to.address },
        { type: 'uint256', value: 1_000 },
      ],
      devnet.faucet.address,
    );
    expect(built.result.result).toBe(true);
    const t = built.transaction;
    expect(sha256(`0x${t.raw_data_hex}`).slice(2)).toBe(t.txID);
    expect(t.raw_data.fee_limit).toBe(100_000_000);
    const signed = await tw.trx.sign(t);
    const sent = await tw.trx.sendRawTransaction(signed);
    expect(sent.result).toBe(true);

    const { json: unsigned } = await call('/wallet/createtransaction', {
      owner_address: devnet.faucet.addressHex,
      to_address: to.hex,
      amount: 2_000_000,
    });
    expect(utils.transaction.txCheck(unsigned)).toBe(true);
    const r = await tw.trx.sendRawTransaction(await tw.trx.sign(unsigned));
    expect(r.result).toBe(true);
    expect(devnet.trxBalance(to.address)).toBe(2_000_000n);
  });

  it('sends TRX with tronweb; the solidity node (trx.getBalance) sees it solidDepth blocks later', async () => {
    const to = newAccount();
    const r = await tw.trx.sendTransaction(to.address, 5_000_000);
    expect(r.result).toBe(true);
    expect(await tw.trx.getUnconfirmedBalance(to.address)).toBe(5_000_000);
    expect(await tw.trx.getBalance(to.address)).toBe(0);
    const { json: info } = await call('/wallet/gettransactioninfobyid', { value: r.txid });
    expect(info.receipt).toEqual({ net_fee: 100_000 }); // created the account: 0.1 TRX + 1 TRX fee
    expect(info.fee).toBe(1_100_000);
    expectShapeWithin(info, fixture('gettransactioninfobyid.trx-transfer.mainnet.json'));
    expect((await call('/walletsolidity/gettransactioninfobyid', { value: r.txid })).json).toEqual({});
    devnet.mine(19);
    expect(await tw.trx.getBalance(to.address)).toBe(5_000_000);
    expect((await call('/walletsolidity/gettransactioninfobyid', { value: r.txid })).json).toEqual(info);
    const { json: account } = await call('/wallet/getaccount', { address: to.address, visible: true });
    expectShapeWithin(account, fixture('getaccount.mainnet-visible.json'));
    expect(account.address).toBe(to.address);
  });
});

describe('TRON devnet response shapes', () => {
  it('getnowblock matches the real block shape; bodies end with a newline', async () => {
    const to = newAccount();
    const d = await startTronDevnet();
    try {
      d.sendTrx(to.address, 1_000_000);
      d.sendUsdt(to.address, 10_000_000n);
      d.mine();
      const res = await fetch(`${d.url}/wallet/getnowblock`, { method: 'POST' });
      const text = await res.text();
      expect(text.endsWith('}\n')).toBe(true);
      const block = JSON.parse(text);
      const real = fixture('getnowblock.shasta-trc20-transfer.json');
      expect([...paths(block)].sort()).toEqual([...paths(real)].sort());
      expect(Object.keys(block.block_header.raw_data)).toEqual(Object.keys(real.block_header.raw_data));
      expect(block.blockID.slice(0, 16)).toBe(
        block.block_header.raw_data.number.toString(16).padStart(16, '0'),
      );
      d.mine();
      const empty = (await (await fetch(`${d.url}/wallet/getnowblock`)).json()) as any;
      expect(empty.transactions).toBeUndefined();
      expect([...paths(empty)].sort()).toEqual(
        [...paths(fixture('getblockbynum.nile-empty-block.json'))].sort(),
      );
      expect(empty.block_header.raw_data.parentHash).toBe(block.blockID);
    } finally {
      await d.close();
    }
  });

  it('triggersmartcontract / triggerconstantcontract / estimateenergy shapes', async () => {
    const owner = devnet.faucet;
    const { json: visible } = await call('/wallet/triggersmartcontract', {
      owner_address: owner.address,
      contract_address: devnet.usdt.address,
      function_selector: 'transfer(address,uint256)',
      parameter: `${'0'.repeat(24)}${owner.addressHex.slice(2)}${(1).toString(16).padStart(64, '0')}`,
      fee_limit: 15_000_000_000,
      visible: true,
    });
    const real = fixture('triggersmartcontract.transfer.shasta-visible.json');
    expect([...paths(visible)].sort()).toEqual([...paths(real)].sort());
    expect(visible.transaction.raw_data.contract[0].parameter.value.owner_address).toBe(owner.address);

    const { json: missing } = await call('/wallet/triggersmartcontract', {
      owner_address: owner.address,
      contract_address: '',
      visible: true,
    });
    expect(missing).toEqual(fixture('triggersmartcontract.error-other.shasta.json'));

    const balanceOf = { contract_address: devnet.usdt.addressHex, owner_address: owner.addressHex };
    const { json: constant } = await call('/wallet/triggerconstantcontract', {
      ...balanceOf,
      function_selector: 'balanceOf(address)',
      parameter: owner.addressHex.padStart(64, '0'),
    });
    expectShapeWithin(constant, fixture('triggerconstantcontract.usdt-balanceOf.mainnet.json'));
    expect(constant.constant_result[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(BigInt(`0x${constant.constant_result[0]}`)).toBe(devnet.tokenBalance(owner.address));

    const { json: estimate } = await call('/wallet/estimateenergy', {
      ...balanceOf,
      function_selector: 'transfer(address,uint256)',
      parameter: `${'0'.repeat(24)}${owner.addressHex.slice(2)}${(1).toString(16).padStart(64, '0')}`,
    });
    // mainnet's USDT transfer to a holder: 14 650 base energy + 49 635 dynamic-energy penalty at factor 3.4
    expect(estimate).toEqual({ result: { result: true }, energy_required: 64_285 });
  });

  it('answers {} for unknown things and keeps java-tron input rules', async () => {
    const unknownTx = 'ab'.repeat(32);
    for (const [path, body] of [
      ['/wallet/gettransactionbyid', { value: unknownTx }],
      ['/wallet/gettransactioninfobyid', { value: unknownTx }],
      ['/wallet/getblockbynum', { num: 10_000_000 }],
      ['/wallet/getblockbyid', { value: unknownTx }],
      ['/wallet/getaccount', { address: newAccount().hex }],
      ['/wallet/getaccountresource', { address: newAccount().hex }],
      ['/wallet/getblockbylimitnext', { startNum: 10_000_000, endNum: 10_000_010 }],
    ] as const) {
      const r = await call(path, body);
      expect([path, r.status, r.text]).toEqual([path, 200, '{}\n']);
    }
    expect((await call('/wallet/gettransactioninfobyblocknum', { num: 10_000_000 })).json).toEqual([]);
    expect((await call('/wallet/getblockbynum', { num: '1' }, 'GET')).json.block_header.raw_data.number).toBe(
      1,
    );
    const base58WithoutVisible = await call('/wallet/getaccount', { address: devnet.faucet.address });
    expect(base58WithoutVisible.json.Error).toMatch(/^class /);
    expect((await call('/wallet/nosuchthing')).status).toBe(404);
    expect((await call('/healthcheck', {}, 'GET')).status).toBe(200);
  });

  it('getaccountresource and getchainparameters', async () => {
    const { json } = await call('/wallet/getaccountresource', { address: devnet.faucet.addressHex });
    const real = fixture('getaccountresource.two-accounts.mainnet.json');
    expectShapeWithin(json, ...Object.values(real));
    const params = await tw.trx.getChainParameters();
    expect(params.find((p: { key: string }) => p.key === 'getEnergyFee')?.value).toBe(210);
  });
});

describe('TRON devnet broadcast checks and failed executions', () => {
  const transferTx = async (fromAddress: string, to: string, amount: number) =>
    (
      await tw.transactionBuilder.triggerSmartContract(
        devnet.usdt.address,
        'transfer(address,uint256)',
        {},
        [
          { type: 'address', value: to },
          { type: 'uint256', value: amount },
        ],
        fromAddress,
      )
    ).transaction;

  it('refuses a wrong or missing signature (SIGERROR, hex message unless visible)', async () => {
    const stranger = newAccount();
    const tx = await transferTx(devnet.faucet.address, stranger.address, 1);
    const forged = utils.crypto.signTransaction(stranger.privateKey, { ...tx });
    const r = await call('/wallet/broadcasttransaction', forged);
    expect(Object.keys(r.json).sort()).toEqual(['code', 'message', 'txid']);
    expect(r.json.code).toBe('SIGERROR');
    expect(fromHex(r.json.message)).toMatch(/^Validate signature error: /);
    const unsigned = await call('/wallet/broadcasttransaction', tx);
    const real = fixture('broadcasttransaction.sigerror.json');
    expect(unsigned.json).toEqual({ code: 'SIGERROR', txid: tx.txID, message: real.message });

    const { json: visibleBuilt } = await call('/wallet/triggersmartcontract', {
      owner_address: devnet.faucet.address,
      contract_address: devnet.usdt.address,
      function_selector: 'transfer(address,uint256)',
      parameter: `${stranger.hex.slice(2).padStart(64, '0')}${'1'.padStart(64, '0')}`,
      fee_limit: 10_000_000,
      visible: true,
    });
    const visibleForged = utils.crypto.signTransaction(stranger.privateKey, { ...visibleBuilt.transaction });
    const plain = await call('/wallet/broadcasttransaction', visibleForged);
    expect(plain.json.code).toBe('SIGERROR');
    expect(plain.json.message).toContain(`is signed by ${stranger.address}`);
  });

  it('refuses expired and duplicate transactions', async () => {
    const to = newAccount();
    const tx = await tw.trx.sign(await transferTx(devnet.faucet.address, to.address, 1));
    const first = await call('/wallet/broadcasttransaction', tx);
    expect(first.json).toEqual({ result: true, txid: tx.txID });
    expect(first.text).toBe(`{"result":true,"txid":"${tx.txID}"}\n`);
    const again = await call('/wallet/broadcasttransaction', tx);
    expect(again.json.code).toBe('DUP_TRANSACTION_ERROR');

    const late = await tw.trx.sign(await transferTx(devnet.faucet.address, to.address, 2));
    devnet.advanceTime(61_000);
    devnet.mine();
    const expired = await call('/wallet/broadcasttransaction', late);
    expect(expired.json.code).toBe('TRANSACTION_EXPIRATION_ERROR');
    expect(fromHex(expired.json.message)).toBe('Transaction expired');
    await expect(tw.trx.sendRawTransaction(late)).resolves.toMatchObject({
      code: 'TRANSACTION_EXPIRATION_ERROR',
    });
  });

  it('validates contracts: CONTRACT_VALIDATE_ERROR for TRX it cannot pay', async () => {
    const poor = newAccount();
    devnet.sendTrx(poor.address, 1_000_000);
    const tx = await tw.transactionBuilder.sendTrx(devnet.faucet.address, 5_000_000, poor.address);
    const r = await call('/wallet/broadcasttransaction', await tw.trx.sign(tx, poor.privateKey));
    expect(r.json.code).toBe('CONTRACT_VALIDATE_ERROR');
    expect(fromHex(r.json.message)).toBe(
      'Contract validate error : Validate TransferContract error, balance is not sufficient.',
    );
    expectShapeWithin(r.json, fixture('broadcasttransaction.contract-validate-error.mainnet.json'));
    expect(() => devnet.sendTrx(devnet.faucet.address, 1)).toThrow(TronDevnetError);
  });

  it('a TRC20 transfer beyond the balance is mined as FAILED/REVERT without a log', async () => {
    const holder = newAccount();
    devnet.sendTrx(holder.address, 50_000_000);
    devnet.sendUsdt(holder.address, 1_000n);
    const txid = devnet.transferToken(holder.privateKey, newAccount().address, 5_000n);
    const { json: info } = await call('/wallet/gettransactioninfobyid', { value: txid });
    expect(info.result).toBe('FAILED');
    expect(info.receipt.result).toBe('REVERT');
    expect(info.log).toBeUndefined();
    expect(info.contractResult).toEqual(['']);
    expect(fromHex(info.resMessage)).toBe('REVERT opcode executed');
    expect(devnet.tokenBalance(holder.address)).toBe(1_000n);
    const { json: tx } = await call('/wallet/gettransactionbyid', { value: txid });
    expect(tx.ret).toEqual([{ contractRet: 'REVERT' }]);
  });

  it('forces OUT_OF_ENERGY / REVERT on chosen transactions', async () => {
    const to = newAccount();
    const txid = devnet.sendUsdt(to.address, 7n, { fail: 'OUT_OF_ENERGY' });
    const { json: info } = await call('/wallet/gettransactioninfobyid', { value: txid });
    const real = fixture('gettransactioninfobyid.usdt-out-of-energy.mainnet.json');
    expect(Object.keys(info)).toEqual(Object.keys(real));
    expectShapeWithin(info, real, fixture('gettransactioninfobyid.usdt-success.mainnet.json'));
    expect(info.receipt.result).toBe('OUT_OF_ENERGY');
    // the whole fee_limit is burnt as energy (energy limit = fee_limit / 210 sun), plus bandwidth
    expect(info.receipt.energy_fee).toBe(Math.floor(150_000_000 / 210) * 210);
    expect(info.fee).toBe(info.receipt.energy_fee + (info.receipt.net_fee ?? 0));
    expect(devnet.tokenBalance(to.address)).toBe(0n);

    devnet.failNextContractCall('REVERT');
    const usdt = await tw.contract().at(devnet.usdt.address);
    const reverted: string = await usdt.transfer(to.address, 1).send();
    const { json: info2 } = await call('/wallet/gettransactioninfobyid', { value: reverted });
    expect([info2.result, info2.receipt.result, info2.log]).toEqual(['FAILED', 'REVERT', undefined]);
    const low = devnet.sendUsdt(to.address, 1n, { feeLimit: 1_000_000 });
    expect((await call('/wallet/gettransactioninfobyid', { value: low })).json.receipt.result).toBe(
      'OUT_OF_ENERGY',
    );
  });

  it('accepts the Tron-style recipient word (41 inside) and the fake USDT is another contract', async () => {
    const to = newAccount();
    const txid = devnet.sendUsdt(to.address, 11n, { addressEncoding: 'tron' });
    const { json: tx } = await call('/wallet/gettransactionbyid', { value: txid });
    expect(tx.raw_data.contract[0].parameter.value.data).toContain(`0000000000000000000000${to.hex}`);
    expect(devnet.tokenBalance(to.address)).toBe(11n);
    const fake = devnet.transferToken(devnet.faucet.privateKey, to.address, 99n, {
      token: devnet.fakeUsdt.address,
    });
    const { json: info } = await call('/wallet/gettransactioninfobyid', { value: fake });
    expect(info.log[0].address).toBe(devnet.fakeUsdt.addressHex.slice(2));
    expect(info.log[0].topics[0]).toBe(TRANSFER_TOPIC);
    expect(devnet.tokenBalance(to.address)).toBe(11n);
    const fakeContract = await tw.contract().at(devnet.fakeUsdt.address);
    expect(await fakeContract.symbol().call()).toBe('USDT');
  });

  it('Disperse: USDT Transfer logs from an inner call, contract_address is the Disperse contract', async () => {
    const a = newAccount();
    const b = newAccount();
    const { txid } = devnet.disperseToken(devnet.faucet.privateKey, [
      { to: a.address, amount: 5n },
      { to: b.address, amount: 6n },
    ]);
    const { json: info } = await call('/wallet/gettransactioninfobyid', { value: txid });
    expect(info.contract_address).toBe(devnet.disperse.addressHex);
    expect(info.log.map((l: any) => l.address)).toEqual([
      devnet.usdt.addressHex.slice(2),
      devnet.usdt.addressHex.slice(2),
    ]);
    expect(info.internal_transactions).toHaveLength(2);
    expectShapeWithin(info, fixture('gettransactioninfobyid.swap-21-logs.mainnet.json'));
    expect([devnet.tokenBalance(a.address), devnet.tokenBalance(b.address)]).toEqual([5n, 6n]);
  });
});

describe('TRON devnet blocks, solidity lag, reorgs and faults', () => {
  let d: TronDevnet;
  const at = (path: string, body: object = {}) =>
    fetch(`${d.url}${path}`, { method: 'POST', body: JSON.stringify(body) }).then(async (r) => ({
      status: r.status,
      text: await r.text(),
    }));
  const json = async (path: string, body: object = {}) => JSON.parse((await at(path, body)).text);

  beforeAll(async () => {
    d = await startTronDevnet({ solidDepth: 19 });
  });
  afterAll(async () => {
    await d?.close();
  });
  afterEach(() => d.clearFaults());

  it('the solidity node answers from head − solidDepth', async () => {
    d.mine(30);
    const head = d.head();
    expect(d.solidHead().number).toBe(head.number - 19);
    const solid = await json('/walletsolidity/getnowblock');
    expect(solid.block_header.raw_data.number).toBe(head.number - 19);
    expect(await json('/walletsolidity/getblockbynum', { num: head.number })).toEqual({});
    const full = await json('/wallet/getblockbynum', { num: head.number });
    expect(full.blockID).toBe(head.blockID);
    const range = await json('/walletsolidity/getblockbylimitnext', {
      startNum: head.number - 25,
      endNum: head.number,
    });
    expect(range.block.at(-1).block_header.raw_data.number).toBe(head.number - 19);
  });

  it('getblockbylimitnext: end exclusive, at most 100, {} outside the chain', async () => {
    d.mine(100);
    const r = await json('/wallet/getblockbylimitnext', { startNum: 5, endNum: 15 });
    expect(r.block.map((b: any) => b.block_header.raw_data.number)).toEqual([
      5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    ]);
    expect((await json('/wallet/getblockbylimitnext', { startNum: 1, endNum: 101 })).block).toHaveLength(100);
    expect(await json('/wallet/getblockbylimitnext', { startNum: 1, endNum: 102 })).toEqual({});
    expect(await json('/wallet/getblockbylimitnext', { startNum: 10, endNum: 10 })).toEqual({});
    const head = d.head().number;
    const tail = await json('/wallet/getblockbylimitnext', { startNum: head - 1, endNum: head + 50 });
    expect(tail.block).toHaveLength(2);
    for (let i = 1; i < r.block.length; i++) {
      expect(r.block[i].block_header.raw_data.parentHash).toBe(r.block[i - 1].blockID);
    }
    const latest = await json('/wallet/getblockbylatestnum', { num: 3 });
    expect(latest.block.map((b: any) => b.block_header.raw_data.number)).toEqual([head - 2, head - 1, head]);
    const viaTronweb = await tw.trx.getBlockRange(5, 14);
    expect(viaTronweb.length).toBeGreaterThan(0); // the shared devnet; shape checked above
  });

  it('reorg replaces blocks above the solid head; orphaned transfers vanish and can reappear once', async () => {
    const to = newAccount();
    d.mine(25);
    const txid = d.sendUsdt(to.address, 42n);
    const [holding] = d.mine();
    d.mine(2);
    const solidBefore = d.solidHead();
    const headBefore = d.head();
    const info = await json('/wallet/gettransactioninfobyid', { value: txid });
    expect(info.blockNumber).toBe(holding?.number);

    expect(() => d.reorg(20)).toThrow(RangeError);
    const r = d.reorg(3);
    expect(r.txids).toEqual([txid]);
    expect(r.dropped.map((b) => b.number)).toEqual([
      holding!.number,
      holding!.number + 1,
      holding!.number + 2,
    ]);
    expect(d.head().number).toBe(headBefore.number);
    expect(d.head().blockID).not.toBe(headBefore.blockID);
    expect((await json('/wallet/getblockbynum', { num: holding!.number })).blockID).not.toBe(
      holding!.blockID,
    );
    expect((await json('/wallet/getblockbynum', { num: solidBefore.number })).blockID).toBe(
      solidBefore.blockID,
    );
    expect(await json('/wallet/gettransactioninfobyid', { value: txid })).toEqual({});
    expect(d.tokenBalance(to.address)).toBe(0n);
    const replaced = await json('/wallet/getblockbynum', { num: holding!.number });
    expect(replaced.transactions).toBeUndefined();

    expect(d.reincludeOrphans()).toEqual([txid]);
    const [again] = d.mine();
    expect(again?.transactions).toEqual([txid]);
    expect(d.tokenBalance(to.address)).toBe(42n);
    d.mine(2);
    const r2 = d.reorg(3, { reincludeTransactions: true });
    expect(r2.txids).toEqual([txid]);
    expect((await json('/wallet/gettransactioninfobyid', { value: txid })).blockNumber).toBe(again!.number);
    expect(d.tokenBalance(to.address)).toBe(42n);
  });

  it('injects 429, 503, {} and slow answers, limited by path and count', async () => {
    d.injectFault({ path: '/wallet/getnowblock', kind: '429' });
    expect((await at('/wallet/getnowblock')).status).toBe(429);
    expect((await at('/wallet/getnowblock')).status).toBe(200);

    d.injectFault({ path: /getblockbylimitnext$/, kind: '503', times: 2 });
    const failed = await at('/wallet/getblockbylimitnext', { startNum: 1, endNum: 3 });
    expect(failed.status).toBe(503);
    expect(failed.text).toContain('503 Service Temporarily Unavailable');
    expect((await at('/wallet/getblockbylimitnext', { startNum: 1, endNum: 3 })).status).toBe(503);
    expect((await at('/wallet/getblockbylimitnext', { startNum: 1, endNum: 3 })).status).toBe(200);

    d.injectFault({ path: '/wallet/getnowblock', kind: 'empty' });
    expect(await at('/wallet/getnowblock')).toEqual({ status: 200, text: '{}\n' });

    d.injectFault({ kind: 'slow', delayMs: 300 });
    const started = Date.now();
    expect((await at('/wallet/getnowblock')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    d.injectFault({ kind: '503', times: Number.POSITIVE_INFINITY });
    const local = new TronWeb({ fullHost: d.url });
    await expect(local.trx.getCurrentBlock()).rejects.toThrow(/503/);
    expect((await at('/devnet/state')).status).toBe(200); // controls are never faulted
  });

  it('drops a transaction that expires while pending', async () => {
    const txid = d.sendUsdt(newAccount().address, 1n);
    d.advanceTime(61_000);
    const [block] = d.mine();
    expect(block?.transactions).toEqual([]);
    expect(d.pendingCount()).toBe(0);
    expect(await json('/wallet/gettransactionbyid', { value: txid })).toEqual({});
  });

  it('gettransactioninfobyblocknum lists the infos of a block; [] for an empty block', async () => {
    const a = d.sendUsdt(newAccount().address, 1n);
    const b = d.sendTrx(newAccount().address, 1_000_000);
    const [block] = d.mine();
    const infos = await json('/wallet/gettransactioninfobyblocknum', { num: block!.number });
    expect(infos.map((i: any) => i.id)).toEqual([a, b]);
    const [empty] = d.mine();
    expect(await json('/wallet/gettransactioninfobyblocknum', { num: empty!.number })).toEqual([]);
  });
});

describe('TRON devnet TronGrid /v1 trc20 history and HTTP controls', () => {
  let d: TronDevnet;
  beforeAll(async () => {
    d = await startTronDevnet({ solidDepth: 5 });
  });
  afterAll(async () => {
    await d?.close();
  });

  it('pages with fingerprint, flags unconfirmed items, filters by contract and confirmation', async () => {
    const watched = newAccount();
    const txids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      txids.push(d.sendUsdt(watched.address, BigInt(i * 1_000_000)));
      d.mine();
    }
    d.transferToken(d.faucet.privateKey, watched.address, 7n, { token: d.fakeUsdt.address });
    d.mine(3);
    const base = `${d.url}/v1/accounts/${watched.address}/transactions/trc20`;
    const page1 = (await (await fetch(`${base}?limit=2`)).json()) as any;
    expect(page1.success).toBe(true);
    expect(page1.data).toHaveLength(2);
    expect(page1.data[0].token_info.address).toBe(d.fakeUsdt.address);
    expect(page1.data[0]._unconfirmed).toBe(true);
    expect(page1.meta.page_size).toBe(2);
    expect(page1.meta.links.next).toContain(`fingerprint=${page1.meta.fingerprint}`);
    const real = fixture('v1-accounts-transactions-trc20.paged-fingerprint.mainnet.json');
    expectShapeWithin(page1, real);

    const page2 = (await (await fetch(page1.meta.links.next)).json()) as any;
    expect(page2.data.map((x: any) => x.transaction_id)).toEqual([txids[3], txids[2]]);
    d.sendUsdt(watched.address, 1n); // new items at the top do not shift later pages
    d.mine();
    const page3 = (await (await fetch(page2.meta.links.next)).json()) as any;
    expect(page3.data.map((x: any) => x.transaction_id)).toEqual([txids[1], txids[0]]);
    expect(page3.meta.fingerprint).toBeUndefined();
    expectShapeWithin(page3, real, fixture('v1-accounts-transactions-trc20.last-page.mainnet.json'));
    expect(page3.data[0]).toMatchObject({
      value: '2000000',
      type: 'Transfer',
      from: d.faucet.address,
      to: watched.address,
    });

    const confirmed = (await (
      await fetch(`${base}?only_confirmed=true&limit=50&contract_address=${d.usdt.address}`)
    ).json()) as any;
    expect(
      confirmed.data.every(
        (x: any) => x._unconfirmed === undefined && x.token_info.address === d.usdt.address,
      ),
    ).toBe(true);
    expect(confirmed.data.map((x: any) => x.transaction_id)).toEqual(txids.slice(0, 4).reverse());
    expect((await fetch(`${d.url}/v1/accounts/nope/transactions/trc20`)).status).toBe(400);
  });

  it('offers the controls over HTTP for another process', async () => {
    const post = async (name: string, body: object = {}) =>
      (await (
        await fetch(`${d.url}/devnet/${name}`, { method: 'POST', body: JSON.stringify(body) })
      ).json()) as any;
    const state = await post('state');
    expect(state.usdt.address).toBe(d.usdt.address);
    expect(state.faucet.privateKey).toBe(d.faucet.privateKey);
    const to = newAccount();
    const { txid } = await post('transferToken', { to: to.address, amount: '123456' });
    const { blocks } = await post('mine', { n: 2 });
    expect(blocks[0].transactions).toEqual([txid]);
    expect(await post('balance', { address: to.address })).toEqual({ trx: '0', token: '123456' });
    expect((await post('reorg', { k: 99 })).error).toMatch(/reorg depth/);
    const { id } = await post('fault', { pathPattern: 'getnowblock', kind: 'empty' });
    expect(typeof id).toBe('number');
    expect(await (await fetch(`${d.url}/wallet/getnowblock`)).text()).toBe('{}\n');
  });

  it('produces blocks on a timer', async () => {
    const timed = await startTronDevnet({ blockIntervalMs: 20 });
    try {
      const start = timed.head().number;
      // Nobody mines: more blocks can only come from its timer.
      await eventually(() => timed.head().number > start + 3, 10_000, 5);
      expect(timed.head().number).toBeGreaterThan(start + 3);
    } finally {
      await timed.close();
    }
  });
});
