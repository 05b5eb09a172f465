import { MethodNotFoundError } from 'hardhat/internal/core/providers/errors.js';
import type { EIP1193Provider, RequestArguments } from 'hardhat/types/provider.js';
import type { Controls } from './controls.js';
import { type EvmFaultKind, type Faults, type LogsLimits, limitError, limitedGetLogs } from './faults.js';
import { revertTarget, sendReverting } from './revert.js';

/** Where a block tag sits in the params of the methods that take one. */
const TAG_PARAM: Record<string, number> = {
  eth_getBlockByNumber: 0,
  eth_call: 1,
  eth_getBalance: 1,
  eth_getCode: 1,
  eth_getTransactionCount: 1,
  eth_getStorageAt: 2,
};

/**
 * What the HTTP/WS server hands to Hardhat's JSON-RPC handler: the in-process provider behind 'limit' faults
 * and the eth_getLogs limits, plus `devnet_*` methods so another process can drive the devnet over JSON-RPC:
 *
 *   devnet_info                                   → { chainId, faucet, usdt6, usdt18, fakeToken, disperse }
 *   devnet_sendToken [token, to, amount, opts?]   → txHash (amount a decimal string; opts { from?, revert? })
 *   devnet_sendEth [to, wei, opts?]               → txHash
 *   devnet_injectFault [{ method?, methodPattern?, kind, times?, delayMs?, from? }] → id
 *   devnet_clearFaults [id?]                      → true
 *
 * Hardhat's own test methods (evm_mine, hardhat_mine, evm_setAutomine, evm_snapshot, evm_revert…) pass through.
 */
export function gatedProvider(
  inner: EIP1193Provider,
  faults: Faults,
  limits: LogsLimits & { finalizedDepth?: number },
  controls: Controls,
  info: () => unknown,
  /** The devnet's token contracts: a 'revert' fault applies to transactions sent to them. */
  tokens: string[] = [],
): EIP1193Provider {
  const tokenSet = new Set(tokens.map((a) => a.toLowerCase()));
  const call = (method: string, params: unknown[] = []) => inner.request({ method, params });

  async function devnet(method: string, p: unknown[]): Promise<unknown> {
    switch (method) {
      case 'devnet_info':
        return info();
      case 'devnet_sendToken':
        return controls.sendToken(String(p[0]), String(p[1]), BigInt(String(p[2])), (p[3] ?? {}) as object);
      case 'devnet_sendEth':
        return controls.sendEth(String(p[0]), BigInt(String(p[1])), (p[2] ?? {}) as object);
      case 'devnet_injectFault': {
        const s = (p[0] ?? {}) as {
          method?: string;
          methodPattern?: string;
          kind: EvmFaultKind;
          times?: number | null;
          delayMs?: number;
        };
        const method = s.methodPattern !== undefined ? new RegExp(s.methodPattern) : s.method;
        return faults.inject({ ...s, method, times: s.times === null ? Number.POSITIVE_INFINITY : s.times });
      }
      case 'devnet_clearFaults':
        faults.clear(p[0] === undefined || p[0] === null ? undefined : Number(p[0]));
        return true;
      default:
        throw new MethodNotFoundError(`Method ${method} is not supported`);
    }
  }

  /** With finalizedDepth, the 'safe' and 'finalized' tags mean head − finalizedDepth (Hardhat: head). */
  async function pinTags(method: string, p: unknown[]): Promise<unknown[]> {
    const depth = limits.finalizedDepth;
    if (depth === undefined) return p;
    const pin = async (v: unknown) =>
      v === 'safe' || v === 'finalized'
        ? `0x${Math.max(0, Number(await call('eth_blockNumber')) - depth).toString(16)}`
        : v;
    const at = TAG_PARAM[method];
    if (at !== undefined) return Promise.all(p.map((v, i) => (i === at ? pin(v) : v)));
    if (method !== 'eth_getLogs' || !p[0] || typeof p[0] !== 'object') return p;
    const f = p[0] as { fromBlock?: unknown; toBlock?: unknown };
    return [{ ...f, fromBlock: await pin(f.fromBlock), toBlock: await pin(f.toBlock) }, ...p.slice(1)];
  }

  async function request({ method, params }: RequestArguments): Promise<unknown> {
    if (faults.takeCall(method)) throw limitError('query returned more than 10000 results');
    if (method.startsWith('devnet_')) return devnet(method, (params ?? []) as unknown[]);
    if (method === 'eth_sendRawTransaction') {
      const raw = ((params ?? []) as unknown[])[0];
      const reverting = revertTarget(faults, raw, tokenSet);
      if (reverting) return sendReverting(call, raw as string, reverting);
    }
    const p = await pinTags(method, (params ?? []) as unknown[]);
    if (method === 'eth_getLogs' && (limits.maxLogsBlockRange || limits.maxLogsResults))
      return limitedGetLogs(p, limits, call);
    return inner.request({ method, params: p });
  }

  // Everything else (addListener/removeListener for eth_subscribe notifications) is the inner provider's.
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'request') return request;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
