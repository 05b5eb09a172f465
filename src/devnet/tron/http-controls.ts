import type { Params } from './api.js';
import type { Resource } from './controls.js';
import type { FailureKind } from './execute.js';
import type { TronDevnet } from './index.js';
import type { FaultKind } from './server.js';

/**
 * The test controls over HTTP, for a devnet running in another process: POST /devnet/<name> with a JSON body.
 * Amounts travel as strings (they can exceed 2^53); answers are JSON with bigints as strings.
 *
 *   state                                   → head, solidHead, pending, faucet, usdt, fakeUsdt, disperse
 *   mine {n}                                → blocks
 *   reorg {k, reincludeTransactions, newBlocks}
 *   reincludeOrphans
 *   fail {txid?, kind}                      → txid given: that tx; else the next contract call
 *   fault {path?, pathPattern?, kind, times?, delayMs?} → {id};  clearFaults {id?}
 *   advanceTime {ms}
 *   transferToken {fromPrivateKey?, to, amount, token?, fail?, feeLimit?, addressEncoding?} → {txid}
 *   sendTrx {fromPrivateKey?, to, amount}   → {txid}
 *   disperseToken {fromPrivateKey?, payments:[{to, amount}], token?} → {approveTxid, txid}
 *   balance {address, token?, solid?}       → {trx, token}
 *   freezeBalance / unfreezeBalance {fromPrivateKey?, amount, resource?} → {txid}
 *   withdrawExpireUnfreeze {fromPrivateKey?} → {txid}
 *   delegateResource {fromPrivateKey?, to, amount, resource?, lock?, lockPeriod?} → {txid}
 *   undelegateResource {fromPrivateKey?, to, amount, resource?} → {txid}
 *   setEnergyFactor {contract, factor}
 */

const FAILURES = new Set(['OUT_OF_ENERGY', 'REVERT']);
const FAULTS = new Set(['429', '503', 'empty', 'slow']);

function str(body: Params, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw new TypeError(`${key} is required`);
  return v;
}

function failure(v: unknown): FailureKind {
  if (typeof v !== 'string' || !FAILURES.has(v)) throw new TypeError('kind must be OUT_OF_ENERGY or REVERT');
  return v as FailureKind;
}

export function httpControl(d: Omit<TronDevnet, 'url' | 'port'>, name: string, body: Params): unknown {
  const key = () => (typeof body.fromPrivateKey === 'string' ? body.fromPrivateKey : d.faucet.privateKey);
  switch (name) {
    case 'state':
      return {
        head: d.head(),
        solidHead: d.solidHead(),
        pending: d.pendingCount(),
        faucet: d.faucet,
        usdt: d.usdt,
        fakeUsdt: d.fakeUsdt,
        disperse: d.disperse,
      };
    case 'mine':
      return { blocks: d.mine(Number(body.n ?? 1)) };
    case 'reorg':
      return d.reorg(Number(body.k), {
        reincludeTransactions: body.reincludeTransactions === true,
        newBlocks: body.newBlocks === undefined ? undefined : Number(body.newBlocks),
      });
    case 'reincludeOrphans':
      return { txids: d.reincludeOrphans() };
    case 'fail':
      if (typeof body.txid === 'string') d.failTransaction(body.txid, failure(body.kind));
      else d.failNextContractCall(failure(body.kind));
      return { ok: true };
    case 'fault': {
      if (typeof body.kind !== 'string' || !FAULTS.has(body.kind))
        throw new TypeError('kind must be 429, 503, empty or slow');
      const path =
        typeof body.pathPattern === 'string'
          ? new RegExp(body.pathPattern)
          : (body.path as string | undefined);
      const times = body.times === undefined ? undefined : Number(body.times);
      const id = d.injectFault({
        path,
        kind: body.kind as FaultKind,
        times,
        delayMs: Number(body.delayMs ?? 2_000),
      });
      return { id };
    }
    case 'clearFaults':
      d.clearFaults(body.id === undefined ? undefined : Number(body.id));
      return { ok: true };
    case 'advanceTime':
      d.advanceTime(Number(body.ms));
      return { ok: true };
    case 'transferToken':
      return {
        txid: d.transferToken(key(), str(body, 'to'), str(body, 'amount'), {
          token: body.token as string | undefined,
          fail: body.fail === undefined ? undefined : failure(body.fail),
          feeLimit: body.feeLimit === undefined ? undefined : Number(body.feeLimit),
          addressEncoding: body.addressEncoding === 'tron' ? 'tron' : 'evm',
        }),
      };
    case 'sendTrx':
      return { txid: d.sendTrx(str(body, 'to'), str(body, 'amount'), { fromPrivateKey: key() }) };
    case 'disperseToken': {
      const payments = Array.isArray(body.payments)
        ? (body.payments as { to: string; amount: string }[])
        : [];
      return d.disperseToken(key(), payments, { token: body.token as string | undefined });
    }
    case 'balance': {
      const address = str(body, 'address');
      const solid = body.solid === true || body.solid === 'true';
      return {
        trx: d.trxBalance(address, { solid }),
        token: d.tokenBalance(address, { token: body.token as string | undefined, solid }),
      };
    }
    default:
      return stakeControl(d, name, body, key());
  }
}

const resource = (v: unknown): Resource => (v === 'BANDWIDTH' ? 'BANDWIDTH' : 'ENERGY');

function stakeControl(d: Omit<TronDevnet, 'url' | 'port'>, name: string, body: Params, key: string): unknown {
  switch (name) {
    case 'freezeBalance':
      return { txid: d.freezeBalance(key, str(body, 'amount'), resource(body.resource)) };
    case 'unfreezeBalance':
      return { txid: d.unfreezeBalance(key, str(body, 'amount'), resource(body.resource)) };
    case 'withdrawExpireUnfreeze':
      return { txid: d.withdrawExpireUnfreeze(key) };
    case 'delegateResource':
      return {
        txid: d.delegateResource(key, str(body, 'to'), str(body, 'amount'), resource(body.resource), {
          lock: body.lock === true,
          lockPeriod: body.lockPeriod === undefined ? undefined : Number(body.lockPeriod),
        }),
      };
    case 'undelegateResource':
      return {
        txid: d.undelegateResource(key, str(body, 'to'), str(body, 'amount'), resource(body.resource)),
      };
    case 'setEnergyFactor':
      d.setEnergyFactor(str(body, 'contract'), Number(body.factor));
      return { ok: true };
    default:
      throw new TypeError(`unknown control ${name}`);
  }
}
