import { DISPERSE_ABI, TRC20_ABI } from './abi.js';
import type { Block } from './chain.js';
import { isContract, type Log, tokenInfo } from './contracts.js';
import type { ContractState } from './energy.js';
import type { ContractRet, TxInfo } from './execute.js';
import { FAUCET, hexToBase58 } from './keys.js';
import {
  ADDRESS_FIELDS,
  mapPermissions,
  PERMISSION_FIELDS,
  type RawData,
  sha256Hex,
  type TxJson,
} from './tx.js';

/**
 * The JSON java-tron prints: protobuf JSON with defaults omitted (0, false, "", enum 0, empty lists),
 * addresses as 41-hex (visible=false) or base58 (visible=true), hashes and data always hex without 0x.
 */

export const addr = (hex: string, visible: boolean): string => (visible ? hexToBase58(hex) : hex);

export function renderRawData(raw: RawData, visible: boolean): RawData {
  if (!visible) return raw;
  return {
    ...raw,
    contract: raw.contract.map((c) => {
      const value: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(c.parameter.value)) {
        if (PERMISSION_FIELDS.has(k)) value[k] = mapPermissions(v, (a) => hexToBase58(String(a)));
        else value[k] = ADDRESS_FIELDS.has(k) && typeof v === 'string' ? hexToBase58(v) : v;
      }
      return { ...c, parameter: { ...c.parameter, value } };
    }),
  };
}

/** A transaction as in a block and from gettransactionbyid: exactly ret, signature, txID, raw_data, raw_data_hex. */
export function renderTransaction(tx: TxJson, contractRet: ContractRet, visible: boolean): object {
  return {
    ret: [{ contractRet }],
    signature: tx.signature ?? [],
    txID: tx.txID,
    raw_data: renderRawData(tx.raw_data, visible),
    raw_data_hex: tx.raw_data_hex,
  };
}

/** An unsigned transaction as triggersmartcontract/createtransaction return it (constant calls add ret:[{}]). */
export function renderUnsigned(tx: TxJson, visible: boolean, constant = false): object {
  return {
    ...(constant ? { ret: [{}] } : {}),
    visible,
    txID: tx.txID,
    raw_data: renderRawData(tx.raw_data, visible),
    raw_data_hex: tx.raw_data_hex,
  };
}

const blockCache = new WeakMap<Block, Map<string, object>>();

export function renderBlock(block: Block, detail: boolean, visible: boolean): object {
  const cacheKey = `${detail}/${visible}`;
  let perBlock = blockCache.get(block);
  const cached = perBlock?.get(cacheKey);
  if (cached) return cached;
  const raw: Record<string, unknown> = {};
  if (block.number) raw.number = block.number;
  raw.txTrieRoot = block.txTrieRoot;
  raw.witness_address = addr(block.witness, visible);
  raw.parentHash = block.parentHash;
  raw.version = block.version;
  if (block.timestamp) raw.timestamp = block.timestamp;
  const header: Record<string, unknown> = { raw_data: raw };
  if (block.witnessSignature) header.witness_signature = block.witnessSignature;
  const out: Record<string, unknown> = { blockID: block.blockID, block_header: header };
  if (detail && block.txs.length) {
    out.transactions = block.txs.map((t) => renderTransaction(t.tx, t.contractRet, visible));
  }
  if (!perBlock) {
    perBlock = new Map();
    blockCache.set(block, perBlock);
  }
  perBlock.set(cacheKey, out);
  return out;
}

function renderLog(log: Log, visible: boolean): object {
  return {
    address: visible ? hexToBase58(log.address) : log.address.slice(2),
    topics: log.topics,
    ...(log.data ? { data: log.data } : {}),
  };
}

export function renderTxInfo(info: TxInfo, visible: boolean): object {
  const out: Record<string, unknown> = { ...info };
  if (info.contract_address) out.contract_address = addr(info.contract_address, visible);
  if (info.log) out.log = info.log.map((l) => renderLog(l, visible));
  if (info.internal_transactions) {
    out.internal_transactions = info.internal_transactions.map((it) => ({
      ...it,
      caller_address: addr(it.caller_address, visible),
      transferTo_address: addr(it.transferTo_address, visible),
    }));
  }
  return out;
}

/** getcontract; undefined for an address that holds no contract. */
export function renderContract(address: string, visible: boolean): object | undefined {
  if (!isContract(address)) return undefined;
  const token = tokenInfo(address);
  const bytecode = `608060405234801561001057600080fd5b50${sha256Hex(Buffer.from(address))}`;
  return {
    bytecode,
    consume_user_resource_percent: 100,
    name: token ? 'TetherToken' : 'Disperse',
    origin_address: addr(FAUCET.addressHex, visible),
    abi: { entrys: token ? TRC20_ABI : DISPERSE_ABI },
    origin_energy_limit: 10_000_000,
    contract_address: addr(address, visible),
    code_hash: sha256Hex(bytecode),
  };
}

/** getcontractinfo (SmartContractDataWrapper): the contract, its runtime code and its dynamic-energy state. */
export function renderContractInfo(
  address: string,
  visible: boolean,
  state: ContractState,
): object | undefined {
  const contract = renderContract(address, visible) as { bytecode: string } | undefined;
  if (!contract) return undefined;
  const contractState: Record<string, number> = {};
  for (const [k, v] of Object.entries(state)) if (v) contractState[k] = v;
  // the deployed code is the creation code without its constructor prefix
  return {
    smart_contract: contract,
    runtimecode: contract.bytecode.slice(36),
    contract_state: contractState,
  };
}
