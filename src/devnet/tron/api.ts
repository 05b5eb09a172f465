import { id } from 'ethers';
import { createAccountApi } from './api-account.js';
import { createSignApi } from './api-sign.js';
import { createStakeApi } from './api-stake.js';
import {
  address,
  bool,
  buildChecked,
  type Ctx,
  failure,
  type Handler,
  int,
  NodeError,
  num,
  type Params,
  text,
} from './api-util.js';
import type { Chain } from './chain.js';
import { executeCall, isContract } from './contracts.js';
import { contractFactor } from './energy.js';
import { renderBlock, renderTransaction, renderTxInfo, renderUnsigned } from './json.js';
import { overlay } from './state.js';
import { buildTransaction, parseIncomingTransaction, type TxJson, TxParseError } from './tx.js';

/** The java-tron full node's /wallet (and /walletsolidity) endpoints over the devnet chain. */

export type { Ctx, Handler, Params } from './api-util.js';
export { NodeError } from './api-util.js';

const EMPTY = {};
const BLOCK_LIMIT = 100;

interface TriggerArgs {
  owner: string;
  contract: string;
  data: string;
  callValue: number;
}

function triggerArgs(p: Params, visible: boolean): TriggerArgs {
  const contract = address(p, 'contract_address', visible) as string;
  const owner = address(p, 'owner_address', visible, false) ?? `41${'0'.repeat(40)}`;
  const selector = typeof p.function_selector === 'string' ? p.function_selector.replace(/\s+/g, '') : '';
  const data = selector ? id(selector).slice(2, 10) + String(p.parameter ?? '') : String(p.data ?? '');
  return { owner, contract, data: data.replace(/^0x/, '').toLowerCase(), callValue: int(p.call_value) ?? 0 };
}

function broadcastAnswer(chain: Chain, tx: TxJson, visible: boolean) {
  const r = chain.broadcast(tx);
  if (r.ok) return { result: true, txid: r.txid };
  return { code: r.code, txid: r.txid, message: text(r.message, visible) };
}

export function createNodeApi(chain: Chain): Record<string, Handler> {
  const blockOrEmpty = (n: number | undefined, ctx: Ctx, detail = true) => {
    const b = n === undefined ? undefined : chain.block(n, ctx.solid);
    return b ? renderBlock(b, detail, ctx.visible) : EMPTY;
  };

  const range = (start: number, endExclusive: number, ctx: Ctx) => {
    const last = Math.min(endExclusive - 1, chain.top(ctx.solid));
    const blocks: object[] = [];
    for (let n = Math.max(0, start); n <= last; n++)
      blocks.push(renderBlock(chain.blocks[n]!, true, ctx.visible));
    return blocks.length ? { block: blocks } : EMPTY;
  };

  /** Reads trigger arguments, or the TransactionExtention failure java-tron answers. */
  const readTrigger = (p: Params, ctx: Ctx, validateMessage: string): TriggerArgs | object => {
    let a: TriggerArgs;
    try {
      a = triggerArgs(p, ctx.visible);
    } catch (err) {
      if (err instanceof NodeError)
        return failure('OTHER_ERROR', `class ${err.exception} : ${err.message}`, ctx.visible);
      throw err;
    }
    return isContract(a.contract) ? a : failure('CONTRACT_VALIDATE_ERROR', validateMessage, ctx.visible);
  };

  /** triggerconstantcontract / estimateenergy: the call run on a copy of the state, at today's factor. */
  const constantCall = (p: Params, ctx: Ctx, estimate: boolean) => {
    const a = readTrigger(p, ctx, 'Contract validate error : No contract or not a smart contract');
    if (!('contract' in a)) return a;
    const reader = chain.reader(ctx.solid);
    const clock = ctx.solid ? chain.solidClock() : chain.clock();
    const r = executeCall(overlay(reader), { ...a, factorOf: (c) => contractFactor(reader, c, clock) });
    if (estimate) {
      return r.ok
        ? { result: { result: true }, energy_required: r.energy }
        : failure('CONTRACT_EXE_ERROR', r.message ?? 'REVERT opcode executed', ctx.visible);
    }
    const tx = buildTransaction('TriggerSmartContract', { ...triggerValue(a) }, chain.refBlock(), {
      permissionId: int(p.Permission_id),
    });
    const rendered = renderUnsigned(tx, ctx.visible, true) as { ret: object[] };
    if (!r.ok) rendered.ret = [{ ret: 'FAILED' }];
    return {
      result: r.ok
        ? { result: true }
        : { result: true, message: text(r.message ?? 'REVERT opcode executed', ctx.visible) },
      energy_used: r.energy,
      constant_result: [r.output],
      ...(r.penalty ? { energy_penalty: r.penalty } : {}),
      transaction: rendered,
    };
  };

  const triggerValue = (a: TriggerArgs) => ({
    data: a.data,
    owner_address: a.owner,
    contract_address: a.contract,
    call_value: a.callValue,
  });

  const parseOrThrow = (p: Params, visible: boolean): TxJson => {
    try {
      return parseIncomingTransaction(p, visible);
    } catch (err) {
      if (err instanceof TxParseError) throw new NodeError(err.message);
      throw err;
    }
  };

  return {
    getnowblock: (_p, ctx) => blockOrEmpty(chain.top(ctx.solid), ctx),
    getblockbynum: (p, ctx) => blockOrEmpty(num(p.num), ctx),
    getblockbyid: (p, ctx) => {
      const b = chain.blockById(String(p.value ?? '').toLowerCase(), ctx.solid);
      return b ? renderBlock(b, true, ctx.visible) : EMPTY;
    },
    getblock: (p, ctx) => {
      const detail = bool(p.detail);
      const key = String(p.id_or_num ?? '');
      if (key === '') return blockOrEmpty(chain.top(ctx.solid), ctx, detail);
      if (/^\d{1,18}$/.test(key)) return blockOrEmpty(Number(key), ctx, detail);
      const b = chain.blockById(key.toLowerCase(), ctx.solid);
      return b ? renderBlock(b, detail, ctx.visible) : EMPTY;
    },
    getblockbylimitnext: (p, ctx) => {
      const start = num(p.startNum) ?? 0;
      const end = num(p.endNum) ?? 0;
      return end > start && end - start <= BLOCK_LIMIT ? range(start, end, ctx) : EMPTY;
    },
    getblockbylatestnum: (p, ctx) => {
      const n = num(p.num) ?? 0;
      if (n <= 0 || n > BLOCK_LIMIT) return EMPTY;
      const top = chain.top(ctx.solid);
      return range(top - n + 1, top + 1, ctx);
    },
    gettransactionbyid: (p, ctx) => {
      const found = chain.findTx(String(p.value ?? '').toLowerCase(), ctx.solid);
      return found ? renderTransaction(found.included.tx, found.included.contractRet, ctx.visible) : EMPTY;
    },
    gettransactioninfobyid: (p, ctx) => {
      const found = chain.findTx(String(p.value ?? '').toLowerCase(), ctx.solid);
      return found ? renderTxInfo(found.included.info, ctx.visible) : EMPTY;
    },
    gettransactioninfobyblocknum: (p, ctx) => {
      const n = num(p.num);
      const b = n === undefined ? undefined : chain.block(n, ctx.solid);
      return b ? b.txs.map((t) => renderTxInfo(t.info, ctx.visible)) : [];
    },
    triggersmartcontract: (p, ctx) => {
      const a = readTrigger(p, ctx, 'No contract or not a smart contract');
      if (!('contract' in a)) return a;
      const tx = buildTransaction('TriggerSmartContract', triggerValue(a), chain.refBlock(), {
        feeLimit: int(p.fee_limit),
        permissionId: int(p.Permission_id),
      });
      return { result: { result: true }, transaction: renderUnsigned(tx, ctx.visible) };
    },
    triggerconstantcontract: (p, ctx) => constantCall(p, ctx, false),
    estimateenergy: (p, ctx) => constantCall(p, ctx, true),
    createtransaction: (p, ctx) => {
      const owner = address(p, 'owner_address', ctx.visible) as string;
      const to = address(p, 'to_address', ctx.visible) as string;
      const value = { amount: int(p.amount) ?? 0, owner_address: owner, to_address: to };
      return buildChecked(chain, 'TransferContract', value, p, ctx);
    },
    broadcasttransaction: (p, ctx) => broadcastAnswer(chain, parseOrThrow(p, ctx.visible), ctx.visible),
    ...createAccountApi(chain),
    ...createStakeApi(chain),
    ...createSignApi(chain),
  };
}

/** Endpoints the solidity node serves under /walletsolidity (answering from the solidified head). */
export const SOLIDITY_ENDPOINTS = new Set([
  'getnowblock',
  'getblock',
  'getblockbynum',
  'getblockbyid',
  'getblockbylimitnext',
  'getblockbylatestnum',
  'gettransactionbyid',
  'gettransactioninfobyid',
  'gettransactioninfobyblocknum',
  'getaccount',
  'triggerconstantcontract',
  'estimateenergy',
  'getdelegatedresourcev2',
  'getdelegatedresourceaccountindexv2',
  'getcandelegatedmaxsize',
  'getavailableunfreezecount',
  'getcanwithdrawunfreezeamount',
  'getreward',
  'getbrokerage',
  'getnodeinfo',
]);
