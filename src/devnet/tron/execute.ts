import { acct, createAccount } from './account.js';
import type { Log } from './contracts.js';
import { delegateResource, unDelegateResource } from './delegate.js';
import { chargeBandwidth, chargeExtras, createsAccount, type NetBill, Refusal } from './fees.js';
import { PARAMS } from './params.js';
import { accountPermissionUpdate } from './permission-update.js';
import type { Clock } from './resources.js';
import { type Actuator, big, STAKE_ACTUATORS, type StakeOutcome } from './stake.js';
import type { State, StateReader } from './state.js';
import { type ContractRet, type FailureKind, type Receipt, runTrigger, validateTrigger } from './trigger.js';
import type { TxJson } from './tx.js';

/**
 * Runs a transaction as java-tron's Manager.processTransaction does after the signature check: bandwidth,
 * multi-sign and memo fees, then the contract's validation and execution. A transaction java-tron would
 * refuse throws a Refusal (and leaves the state as it was); an accepted one returns its result and the
 * transaction info printed by gettransactioninfobyid. The same code runs a broadcast on the pending state
 * and a block's transactions when it is produced.
 */

export { PARAMS } from './params.js';
export type { ContractRet, FailureKind, Receipt } from './trigger.js';

export interface InternalTransaction {
  hash: string;
  caller_address: string;
  transferTo_address: string;
  callValueInfo: Record<string, never>[];
  note: string;
}

/** gettransactioninfobyid, in the key order java-tron prints; addresses 41-hex (json.ts converts). */
export interface TxInfo extends StakeOutcome {
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

function contractOf(tx: TxJson): { type: string; value: Record<string, unknown> } {
  const c = tx.raw_data.contract[0];
  return { type: c?.type ?? '', value: c?.parameter.value ?? {} };
}

export function trxBalance(state: StateReader, address: string): bigint | undefined {
  return state.get(`trx:${address}`);
}

const transfer: Actuator = {
  validate(s, value, owner) {
    const to = String(value.to_address ?? '');
    const amount = big(value.amount);
    if (!acct.exists(s, owner)) return 'Validate TransferContract error, no OwnerAccount.';
    if (amount <= 0n) return 'Amount must be greater than 0.';
    if (to === owner) return 'Cannot transfer TRX to yourself.';
    const fee = acct.exists(s, to) ? 0n : BigInt(PARAMS.createNewAccountFeeInSystemContract);
    if (acct.balance(s, owner) < amount + fee)
      return 'Validate TransferContract error, balance is not sufficient.';
    return undefined;
  },
  execute(s, value, owner, clock) {
    const to = String(value.to_address);
    const amount = big(value.amount);
    if (!acct.exists(s, to)) {
      acct.addBalance(s, owner, -BigInt(PARAMS.createNewAccountFeeInSystemContract));
      createAccount(s, to, 0n, clock.headMs);
    }
    acct.addBalance(s, owner, -amount);
    acct.addBalance(s, to, amount);
    return {};
  },
};

const ACTUATORS: Record<string, Actuator> = {
  TransferContract: transfer,
  ...STAKE_ACTUATORS,
  DelegateResourceContract: delegateResource,
  UnDelegateResourceContract: unDelegateResource,
  AccountPermissionUpdateContract: accountPermissionUpdate,
};

/** Fees the actuators themselves charge (on top of bandwidth): a new account, new permissions. */
function actuatorFee(type: string, createsAccount: boolean): number {
  if (type === 'TransferContract' && createsAccount) return PARAMS.createNewAccountFeeInSystemContract;
  if (type === 'AccountPermissionUpdateContract') return PARAMS.updateAccountPermissionFee;
  return 0;
}

/** The text after "Contract validate error : " when the contract cannot run on `state`; else undefined. */
export function validateContract(state: StateReader, tx: TxJson, clock: Clock): string | undefined {
  const { type, value } = contractOf(tx);
  if (type === 'TriggerSmartContract') return validateTrigger(state, tx);
  const actuator = ACTUATORS[type];
  if (!actuator) return `contract type ${type} is not supported by the devnet`;
  return actuator.validate(state, value, String(value.owner_address ?? ''), clock);
}

/** Runs the transaction on `state` (pending or a block being produced); throws Refusal, state untouched. */
export function executeTransaction(state: State, tx: TxJson, clock: Clock, forced?: FailureKind): Execution {
  const { type, value } = contractOf(tx);
  const owner = String(value.owner_address ?? '');
  const mark = state.mark();
  try {
    const ownFee = actuatorFee(type, createsAccount(state, tx));
    const net = chargeBandwidth(state, tx, owner, clock);
    const extraFees = chargeExtras(state, tx, owner, clock);
    const invalid = validateContract(state, tx, clock);
    if (invalid) throw new Refusal('CONTRACT_VALIDATE_ERROR', `Contract validate error : ${invalid}`);
    if (type === 'TriggerSmartContract') return triggerExecution(state, tx, clock, net, extraFees, forced);
    const outcome = (ACTUATORS[type] as Actuator).execute(state, value, owner, clock);
    const info: TxInfo = {
      id: tx.txID,
      fee: (net.net_fee ?? 0) + extraFees + ownFee,
      blockNumber: 0,
      blockTimeStamp: 0,
      contractResult: [''],
      receipt: net,
      ...outcome,
    };
    return { contractRet: 'SUCCESS', info: reorder(info) };
  } catch (err) {
    state.rollbackTo(mark);
    throw err;
  }
}

function triggerExecution(
  state: State,
  tx: TxJson,
  clock: Clock,
  net: NetBill,
  extraFees: number,
  forced?: FailureKind,
): Execution {
  const contract = String(contractOf(tx).value.contract_address);
  const t = runTrigger(state, tx, clock, net, forced);
  const info: TxInfo = {
    id: tx.txID,
    fee: t.energyFee + (net.net_fee ?? 0) + extraFees,
    blockNumber: 0,
    blockTimeStamp: 0,
    contractResult: [t.ret === 'SUCCESS' ? t.call.output : ''],
    contract_address: contract,
    receipt: t.receipt,
  };
  if (t.ret === 'SUCCESS') {
    if (t.call.logs.length) info.log = t.call.logs;
    if (t.call.internal.length) {
      info.internal_transactions = t.call.internal.map((it, i) => ({
        hash: `${tx.txID.slice(0, 56)}${i.toString(16).padStart(8, '0')}`,
        caller_address: it.caller,
        transferTo_address: it.to,
        callValueInfo: [{}],
        note: '63616c6c',
      }));
    }
  } else {
    info.result = 'FAILED';
    info.resMessage = utf8Hex(t.message ?? 'REVERT opcode executed');
  }
  return { contractRet: t.ret, info: reorder(info) };
}

const RECEIPT_KEYS = [
  'energy_usage',
  'energy_fee',
  'energy_usage_total',
  'net_usage',
  'net_fee',
  'result',
  'energy_penalty_total',
] as const;

/** Drops zero/undefined fields (protobuf JSON omits defaults) and fixes the printed key order. */
function reorder(info: TxInfo): TxInfo {
  const receipt: Receipt = {};
  for (const k of RECEIPT_KEYS) {
    const v = info.receipt[k];
    if (v) (receipt as Record<string, unknown>)[k] = v;
  }
  const out: TxInfo = { ...info, receipt };
  if (!out.fee) delete out.fee;
  if (out.cancel_unfreezeV2_amount) {
    out.cancel_unfreezeV2_amount = out.cancel_unfreezeV2_amount.map((e) =>
      e.value ? e : ({ key: e.key } as { key: string; value: number }),
    );
  }
  return out;
}
