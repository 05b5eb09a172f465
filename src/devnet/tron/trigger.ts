import { acct, ENERGY } from './account.js';
import { type CallResult, COSTS, executeCall, isContract } from './contracts.js';
import { addContractUsage, catchUpContract, contractFactor, penaltyOf } from './energy.js';
import type { NetBill } from './fees.js';
import { PARAMS } from './params.js';
import { type Clock, consume, headSlot, leftEnergy } from './resources.js';
import type { State, StateReader } from './state.js';
import type { TxJson } from './tx.js';

/**
 * TriggerSmartContract with java-tron's energy accounting (VMActuator, ReceiptCapsule.payEnergyBill):
 * the call may use min(staked energy left + (balance − call_value) / energy fee, fee_limit / energy fee);
 * what it uses comes from the caller's staked energy (own and delegated) first and the rest is burnt at
 * the energy fee. Out of energy burns the whole limit. The contract's dynamic energy factor adds its
 * penalty to every call (energy.ts), and its base usage counts towards the next factor.
 */

export type FailureKind = 'OUT_OF_ENERGY' | 'REVERT';
export type ContractRet = 'SUCCESS' | FailureKind;

export interface Receipt {
  energy_usage?: number;
  energy_fee?: number;
  energy_usage_total?: number;
  net_usage?: number;
  net_fee?: number;
  result?: ContractRet;
  energy_penalty_total?: number;
}

export interface TriggerOutcome {
  ret: ContractRet;
  call: CallResult;
  receipt: Receipt;
  /** Sun burnt for energy. */
  energyFee: number;
  /** Energy limit of the call (for the out-of-energy message). */
  limit: number;
  message?: string;
}

const big = (v: unknown) => BigInt(Math.trunc(Number(v ?? 0)));

/** The text after "Contract validate error : " when the call cannot run. */
export function validateTrigger(s: StateReader, tx: TxJson): string | undefined {
  const value = tx.raw_data.contract[0]?.parameter.value ?? {};
  const owner = String(value.owner_address ?? '');
  const feeLimit = Number(tx.raw_data.fee_limit ?? 0);
  if (!acct.exists(s, owner)) return `Account[${owner}] does not exist`;
  if (!isContract(String(value.contract_address ?? ''))) return 'No contract or not a valid smart contract';
  if (feeLimit < 0 || feeLimit > PARAMS.maxFeeLimit)
    return `feeLimit must be >= 0 and <= ${PARAMS.maxFeeLimit}`;
  if (big(value.call_value) > acct.balance(s, owner))
    return 'Validate InternalTransfer error, balance is not sufficient.';
  return undefined;
}

/** Mainnet's out-of-energy failure stopped at 33 567 of a 78 572 limit (usdt-out-of-energy fixture). */
const usedBeforeFailure = (limit: number) => Math.floor((limit * 33_567) / 78_572);

export function runTrigger(
  s: State,
  tx: TxJson,
  clock: Clock,
  net: NetBill,
  forced?: FailureKind,
): TriggerOutcome {
  const value = tx.raw_data.contract[0]?.parameter.value ?? {};
  const owner = String(value.owner_address);
  const contract = String(value.contract_address);
  const now = headSlot(clock);
  catchUpContract(s, contract, clock);
  const factorOf = (c: string) => contractFactor(s, c, clock);
  const callValue = big(value.call_value);
  const staked = leftEnergy(s, owner, now);
  const balance = acct.balance(s, owner) - callValue;
  const fromBalance = (balance > 0n ? balance : 0n) / BigInt(PARAMS.energyFee);
  const fromLimit = big(tx.raw_data.fee_limit) / BigInt(PARAMS.energyFee);
  const limit = Number(staked + fromBalance < fromLimit ? staked + fromBalance : fromLimit);

  const mark = s.mark();
  const call = executeCall(s, {
    owner,
    contract,
    data: String(value.data ?? ''),
    callValue: Number(callValue),
    factorOf,
  });
  let ret: ContractRet = call.ok ? 'SUCCESS' : 'REVERT';
  if (forced === 'REVERT') ret = 'REVERT';
  if (forced === 'OUT_OF_ENERGY' || call.energy > limit) ret = 'OUT_OF_ENERGY';
  if (ret !== 'SUCCESS') s.rollbackTo(mark);
  let { energy, penalty } = call;
  let message = call.message;
  const factor = factorOf(contract);
  if (ret === 'REVERT' && call.ok) {
    penalty = penaltyOf(COSTS.revert, factor);
    energy = Math.min(call.energy, COSTS.revert.base + penalty);
    message = undefined;
  }
  if (ret === 'OUT_OF_ENERGY') {
    const used = usedBeforeFailure(limit);
    const opPenalty = Math.floor((20_000 * factor) / 10_000);
    message = `Not enough energy for 'SSTORE' operation executing: curInvokeEnergyLimit[${limit}], curOpEnergy[20000], penaltyEnergy[${opPenalty}], usedEnergy[${used}]`;
    energy = limit;
    penalty = Math.floor((used * factor) / (10_000 + factor));
  }
  const fromStake = Math.min(Number(staked), energy);
  if (fromStake > 0) consume(s, owner, ENERGY, BigInt(fromStake), now, clock.headMs);
  const energyFee = (energy - fromStake) * PARAMS.energyFee;
  acct.addBalance(s, owner, -BigInt(energyFee));
  if (ret === 'SUCCESS') for (const [c, e] of Object.entries(call.usage)) addContractUsage(s, c, e);
  const receipt: Receipt = {
    energy_usage: fromStake,
    energy_fee: energyFee,
    energy_usage_total: energy,
    ...net,
    result: ret,
    energy_penalty_total: penalty,
  };
  return {
    ret,
    call,
    receipt,
    energyFee,
    limit,
    message: message ?? (ret === 'REVERT' ? 'REVERT opcode executed' : undefined),
  };
}
