import { type CallResult, executeCall, isContract, type Log } from './contracts.js';
import type { State, StateReader } from './state.js';
import { type TxJson, transactionSize } from './tx.js';

/** Chain parameters (sun): the figures of mainnet when the fixtures were captured (energy at 210 sun). */
export const PARAMS = {
  energyFee: 210,
  transactionFee: 1_000,
  createAccountFee: 100_000,
  createNewAccountFeeInSystemContract: 1_000_000,
  freeNetLimit: 600,
  maxFeeLimit: 15_000_000_000,
};

const DAY_MS = 86_400_000;

export type FailureKind = 'OUT_OF_ENERGY' | 'REVERT';
export type ContractRet = 'SUCCESS' | FailureKind;

export interface Receipt {
  energy_usage?: number;
  energy_fee?: number;
  energy_usage_total?: number;
  net_usage?: number;
  net_fee?: number;
  result?: ContractRet;
}

export interface InternalTransaction {
  hash: string;
  caller_address: string;
  transferTo_address: string;
  callValueInfo: Record<string, never>[];
  note: string;
}

/** gettransactioninfobyid, in the key order java-tron prints; addresses 41-hex (json.ts converts). */
export interface TxInfo {
  id: string;
  fee?: number;
  blockNumber: number;
  blockTimeStamp: number;
  contractResult: string[];
  contract_address?: string;
  receipt: Receipt;
  log?: Log[];
  result?: 'FAILED';
  resMessage?: string;
  internal_transactions?: InternalTransaction[];
}

export interface Execution {
  contractRet: ContractRet;
  info: TxInfo;
}

const utf8Hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const big = (v: unknown) => BigInt(Math.trunc(Number(v ?? 0)));

function contractOf(tx: TxJson): { type: string; value: Record<string, unknown> } {
  const c = tx.raw_data.contract[0];
  return { type: c?.type ?? '', value: c?.parameter.value ?? {} };
}

export function trxBalance(state: StateReader, address: string): bigint | undefined {
  return state.get(`trx:${address}`);
}

/** The text after "Contract validate error : " when the contract cannot run; undefined when it can. */
export function validateContract(state: StateReader, tx: TxJson): string | undefined {
  const { type, value } = contractOf(tx);
  const owner = String(value.owner_address ?? '');
  const balance = trxBalance(state, owner);
  if (type === 'TransferContract') {
    const to = String(value.to_address ?? '');
    const amount = big(value.amount);
    if (balance === undefined) return 'Validate TransferContract error, no OwnerAccount.';
    if (amount <= 0n) return 'Amount must be greater than 0.';
    if (to === owner) return 'Cannot transfer TRX to yourself.';
    const fee = trxBalance(state, to) === undefined ? BigInt(PARAMS.createNewAccountFeeInSystemContract) : 0n;
    if (balance < amount + fee) return 'Validate TransferContract error, balance is not sufficient.';
    return undefined;
  }
  if (type === 'TriggerSmartContract') {
    const feeLimit = Number(tx.raw_data.fee_limit ?? 0);
    if (balance === undefined) return `Account[${owner}] does not exist`;
    if (!isContract(String(value.contract_address ?? ''))) return 'No contract or not a valid smart contract';
    if (feeLimit < 0 || feeLimit > PARAMS.maxFeeLimit)
      return `feeLimit must be >= 0 and <= ${PARAMS.maxFeeLimit}`;
    if (big(value.call_value) > balance) return 'Validate InternalTransfer error, balance is not sufficient.';
    return undefined;
  }
  return `contract type ${type} is not supported by the devnet`;
}

/** Free bandwidth first (600 bytes a day), then 1 000 sun a byte. */
function chargeBandwidth(state: State, owner: string, bytes: number, time: number): Receipt {
  const last = Number(state.get(`fnt:${owner}`) ?? 0n);
  const used = time - last >= DAY_MS ? 0 : Number(state.get(`fnu:${owner}`) ?? 0n);
  if (used + bytes <= PARAMS.freeNetLimit) {
    state.set(`fnu:${owner}`, BigInt(used + bytes));
    state.set(`fnt:${owner}`, BigInt(time));
    return { net_usage: bytes };
  }
  return { net_fee: bytes * PARAMS.transactionFee };
}

function debit(state: State, address: string, sun: number): void {
  const balance = trxBalance(state, address) ?? 0n;
  const take = BigInt(sun) > balance ? balance : BigInt(sun);
  state.set(`trx:${address}`, balance - take);
}

function credit(state: State, address: string, sun: bigint, time: number): void {
  if (trxBalance(state, address) === undefined) state.set(`ctime:${address}`, BigInt(time));
  state.set(`trx:${address}`, (trxBalance(state, address) ?? 0n) + sun);
}

export function createAccount(state: State, address: string, sun: bigint, time: number): void {
  credit(state, address, sun, time);
}

function executeTransfer(state: State, tx: TxJson, time: number): Execution | undefined {
  if (validateContract(state, tx)) return undefined; // no longer valid when packed: java-tron leaves it out
  const { value } = contractOf(tx);
  const owner = String(value.owner_address);
  const to = String(value.to_address);
  const amount = big(value.amount);
  const creates = trxBalance(state, to) === undefined;
  const receipt = creates
    ? { net_fee: PARAMS.createAccountFee }
    : chargeBandwidth(state, owner, transactionSize(tx), time);
  const fee = (receipt.net_fee ?? 0) + (creates ? PARAMS.createNewAccountFeeInSystemContract : 0);
  debit(state, owner, fee);
  state.set(`trx:${owner}`, (trxBalance(state, owner) ?? 0n) - amount);
  credit(state, to, amount, time);
  const info: TxInfo = { id: tx.txID, fee, blockNumber: 0, blockTimeStamp: 0, contractResult: [''], receipt };
  return { contractRet: 'SUCCESS', info: reorder(info) };
}

function executeTrigger(state: State, tx: TxJson, time: number, forced?: FailureKind): Execution | undefined {
  if (validateContract(state, tx)) return undefined;
  const { value } = contractOf(tx);
  const owner = String(value.owner_address);
  const contract = String(value.contract_address);
  const net = chargeBandwidth(state, owner, transactionSize(tx), time);
  debit(state, owner, net.net_fee ?? 0);
  const balance = Number(trxBalance(state, owner) ?? 0n);
  const energyLimit = Math.floor(Math.min(Number(tx.raw_data.fee_limit ?? 0), balance) / PARAMS.energyFee);

  const mark = state.mark();
  let r: CallResult = executeCall(state, {
    owner,
    contract,
    data: String(value.data ?? ''),
    callValue: Number(value.call_value ?? 0),
  });
  let ret: ContractRet = r.ok ? 'SUCCESS' : 'REVERT';
  if (forced === 'REVERT') ret = 'REVERT';
  if (forced === 'OUT_OF_ENERGY' || r.energy > energyLimit) ret = 'OUT_OF_ENERGY';
  if (ret !== 'SUCCESS') state.rollbackTo(mark);
  if (ret === 'REVERT' && r.ok) r = { ...r, ok: false, output: '', energy: Math.min(r.energy, 1_300) };
  const energy = ret === 'OUT_OF_ENERGY' ? energyLimit : r.energy;
  const energyFee = energy * PARAMS.energyFee;
  debit(state, owner, energyFee);

  const receipt: Receipt = { energy_fee: energyFee, energy_usage_total: energy, ...net, result: ret };
  const info: TxInfo = {
    id: tx.txID,
    fee: energyFee + (net.net_fee ?? 0),
    blockNumber: 0,
    blockTimeStamp: 0,
    contractResult: [ret === 'SUCCESS' ? r.output : ''],
    contract_address: contract,
    receipt,
  };
  if (ret === 'SUCCESS') {
    if (r.logs.length) info.log = r.logs;
    if (r.internal.length) {
      info.internal_transactions = r.internal.map((it, i) => ({
        hash: `${tx.txID.slice(0, 56)}${i.toString(16).padStart(8, '0')}`,
        caller_address: it.caller,
        transferTo_address: it.to,
        callValueInfo: [{}],
        note: '63616c6c',
      }));
    }
  } else {
    info.result = 'FAILED';
    info.resMessage = utf8Hex(
      ret === 'OUT_OF_ENERGY'
        ? `Not enough energy for 'SSTORE' operation executing: curInvokeEnergyLimit[${energyLimit}], curOpEnergy[20000], penaltyEnergy[0], usedEnergy[${Math.max(0, energyLimit - 5000)}]`
        : (r.message ?? 'REVERT opcode executed'),
    );
  }
  return { contractRet: ret, info: reorder(info) };
}

/** Drops zero/undefined fields (protobuf JSON omits defaults) and fixes the printed key order. */
function reorder(info: TxInfo): TxInfo {
  const receipt: Receipt = {};
  for (const k of [
    'energy_usage',
    'energy_fee',
    'energy_usage_total',
    'net_usage',
    'net_fee',
    'result',
  ] as const) {
    const v = info.receipt[k];
    if (v) (receipt as Record<string, unknown>)[k] = v;
  }
  const out: TxInfo = { ...info, receipt };
  if (!out.fee) delete out.fee;
  return out;
}

/** Runs a transaction on the state; undefined when it is no longer valid (it is then left out of the block). */
export function executeTransaction(
  state: State,
  tx: TxJson,
  time: number,
  forced?: FailureKind,
): Execution | undefined {
  const { type } = contractOf(tx);
  if (type === 'TransferContract') return executeTransfer(state, tx, time);
  if (type === 'TriggerSmartContract') return executeTrigger(state, tx, time, forced);
  return undefined;
}
