import { id } from 'ethers';
import type { Chain } from './chain.js';
import { executeCall, isContract } from './contracts.js';
import { validateContract } from './execute.js';
import {
  chainParameters,
  renderAccount,
  renderAccountResource,
  renderBlock,
  renderContract,
  renderTransaction,
  renderTxInfo,
  renderUnsigned,
} from './json.js';
import { normalizeAddress } from './keys.js';
import { overlay } from './state.js';
import { buildTransaction, parseIncomingTransaction, type TxJson, TxParseError } from './tx.js';

/** The java-tron full node's /wallet (and /walletsolidity) endpoints over the devnet chain. */

export type Params = Record<string, unknown>;
export interface Ctx {
  solid: boolean;
  visible: boolean;
}
export type Handler = (p: Params, ctx: Ctx) => unknown;

/** Printed as {"Error":"class <exception> : <message>"} with HTTP 200, as java-tron's servlets do. */
export class NodeError extends Error {
  constructor(
    message: string,
    readonly exception = 'java.lang.IllegalArgumentException',
  ) {
    super(message);
  }
  body(): object {
    return { Error: `class ${this.exception} : ${this.message}` };
  }
}

const EMPTY = {};
const BLOCK_LIMIT = 100;

const bool = (v: unknown) => v === true || v === 'true';
const int = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
};
/** A number field of a request: java-tron reads it into a protobuf message, where an absent field is 0. */
const num = (v: unknown): number | undefined => (v === undefined ? 0 : int(v));
const text = (s: string, visible: boolean) => (visible ? s : Buffer.from(s, 'utf8').toString('hex'));

/** Reads an address parameter as java-tron does: base58 only with visible=true, 41-hex only without. */
function address(p: Params, key: string, visible: boolean, required = true): string | undefined {
  const v = p[key];
  if (v === undefined || v === '') {
    if (required) throw new NodeError(`${key} isn't set.`, 'java.security.InvalidParameterException');
    return undefined;
  }
  const s = String(v);
  const parsed = normalizeAddress(s);
  if (!parsed || (visible ? !s.startsWith('T') : !/^41/i.test(s))) {
    throw new NodeError(`Invalid address ${s} for ${key} (visible=${visible})`);
  }
  return parsed;
}

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

function triggerTransaction(chain: Chain, a: TriggerArgs, p: Params, withFeeLimit: boolean): TxJson {
  const value = {
    data: a.data,
    owner_address: a.owner,
    contract_address: a.contract,
    call_value: a.callValue,
  };
  return buildTransaction('TriggerSmartContract', value, chain.refBlock(), {
    feeLimit: withFeeLimit ? int(p.fee_limit) : undefined,
    permissionId: int(p.Permission_id),
  });
}

/** TransactionExtention with a failed Return: {"result":{"code":…,"message":…}} (message hex unless visible). */
const failure = (code: string, message: string, visible: boolean) => ({
  result: { code, message: text(message, visible) },
});

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

  const constantCall = (p: Params, ctx: Ctx, estimate: boolean) => {
    let a: TriggerArgs;
    try {
      a = triggerArgs(p, ctx.visible);
    } catch (err) {
      if (err instanceof NodeError)
        return failure('OTHER_ERROR', `class ${err.exception} : ${err.message}`, ctx.visible);
      throw err;
    }
    if (!isContract(a.contract)) {
      return failure(
        'CONTRACT_VALIDATE_ERROR',
        'Contract validate error : No contract or not a smart contract',
        ctx.visible,
      );
    }
    const r = executeCall(overlay(chain.reader(ctx.solid)), a);
    if (estimate) {
      return r.ok
        ? { result: { result: true }, energy_required: r.energy }
        : failure('CONTRACT_EXE_ERROR', r.message ?? 'REVERT opcode executed', ctx.visible);
    }
    const tx = renderUnsigned(triggerTransaction(chain, a, p, false), ctx.visible, true) as { ret: object[] };
    if (!r.ok) tx.ret = [{ ret: 'FAILED' }];
    return {
      result: r.ok
        ? { result: true }
        : { result: true, message: text(r.message ?? 'REVERT opcode executed', ctx.visible) },
      energy_used: r.energy,
      constant_result: [r.output],
      transaction: tx,
    };
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
    getaccount: (p, ctx) =>
      renderAccount(chain.reader(ctx.solid), address(p, 'address', ctx.visible) as string, ctx.visible) ??
      EMPTY,
    getaccountresource: (p, ctx) =>
      renderAccountResource(chain.reader(ctx.solid), address(p, 'address', ctx.visible) as string) ?? EMPTY,
    getcontract: (p, ctx) => renderContract(address(p, 'value', ctx.visible) as string, ctx.visible) ?? EMPTY,
    getchainparameters: () => chainParameters(),
    getenergyprices: () => ({
      prices:
        '0:100,1575871200000:10,1606537680000:40,1614238080000:140,1635739080000:280,1681895880000:420,1726131600000:210',
    }),
    getbandwidthprices: () => ({ prices: '0:10,1606537680000:40,1614238080000:140,1626581880000:1000' }),
    getnodeinfo: () => {
      const h = chain.head();
      const s = chain.blocks[chain.solidNumber()]!;
      return {
        activeConnectCount: 0,
        beginSyncNum: h.number,
        block: `Num:${h.number},ID:${h.blockID}`,
        solidityBlock: `Num:${s.number},ID:${s.blockID}`,
        configNodeInfo: { codeVersion: 'devnet', p2pVersion: '0', versionNum: '0' },
      };
    },
    triggersmartcontract: (p, ctx) => {
      let a: TriggerArgs;
      try {
        a = triggerArgs(p, ctx.visible);
      } catch (err) {
        if (err instanceof NodeError)
          return failure('OTHER_ERROR', `class ${err.exception} : ${err.message}`, ctx.visible);
        throw err;
      }
      if (!isContract(a.contract)) {
        return failure('CONTRACT_VALIDATE_ERROR', 'No contract or not a smart contract', ctx.visible);
      }
      return {
        result: { result: true },
        transaction: renderUnsigned(triggerTransaction(chain, a, p, true), ctx.visible),
      };
    },
    triggerconstantcontract: (p, ctx) => constantCall(p, ctx, false),
    estimateenergy: (p, ctx) => constantCall(p, ctx, true),
    createtransaction: (p, ctx) => {
      const owner = address(p, 'owner_address', ctx.visible) as string;
      const to = address(p, 'to_address', ctx.visible) as string;
      const value = { amount: int(p.amount) ?? 0, owner_address: owner, to_address: to };
      const tx = buildTransaction('TransferContract', value, chain.refBlock(), {
        permissionId: int(p.Permission_id),
      });
      const invalid = validateContract(chain.state, tx);
      if (invalid) throw new NodeError(invalid, 'org.tron.core.exception.ContractValidateException');
      return renderUnsigned(tx, ctx.visible);
    },
    broadcasttransaction: (p, ctx) => {
      let tx: TxJson;
      try {
        tx = parseIncomingTransaction(p, ctx.visible);
      } catch (err) {
        if (err instanceof TxParseError) throw new NodeError(err.message);
        throw err;
      }
      const r = chain.broadcast(tx);
      if (r.ok) return { result: true, txid: r.txid };
      return { code: r.code, txid: r.txid, message: text(r.message, ctx.visible) };
    },
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
]);
