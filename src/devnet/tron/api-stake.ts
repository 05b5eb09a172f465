import { acct, BANDWIDTH, ENERGY, type ResourceCode, TRX_PRECISION } from './account.js';
import { address, buildChecked, type Ctx, type Handler, int, type Params } from './api-util.js';
import type { Chain } from './chain.js';
import { delegation, delegationIndex } from './delegate.js';
import { addr } from './json.js';
import { UNFREEZE_MAX_TIMES } from './params.js';
import { type Clock, headSlot, recovered, stakeInUse } from './resources.js';
import type { StateReader } from './state.js';

/**
 * Stake 2.0 endpoints: the builders java-tron offers (freezebalancev2, unfreezebalancev2,
 * withdrawexpireunfreeze, delegateresource, undelegateresource, cancelallunfreezev2; validated on the
 * pending state like createTransactionCapsule) and the queries (getdelegatedresourcev2,
 * getdelegatedresourceaccountindexv2, getcandelegatedmaxsize, getavailableunfreezecount,
 * getcanwithdrawunfreezeamount), answered as Wallet.java computes them.
 */

const EMPTY = {};

const varintLength = (n: bigint) => {
  let len = 1;
  for (let v = n; v >= 0x80n; v >>= 7n) len++;
  return len;
};

/**
 * TransactionUtil.estimateConsumeBandWidthSize: the bytes a DelegateResourceContract of the whole stake would
 * take (275 + the varint of the balance and the lock fields), counted as used when sizing a delegation.
 */
function delegateBytes(frozen: bigint): bigint {
  const withLock = (frozen > 0n ? 1 + varintLength(frozen) : 0) + 2 + 1 + varintLength(864_000n);
  return BigInt(275 + Math.max(withLock - 4, 0));
}

function canDelegatedMaxSize(s: StateReader, a: string, r: ResourceCode, clock: Clock): bigint {
  if (!acct.exists(s, a)) return 0n;
  // a bandwidth delegation's own transaction would use bandwidth too
  const extra = r === BANDWIDTH ? delegateBytes(acct.frozen(s, a, r)) : 0n;
  const max = acct.frozen(s, a, r) - stakeInUse(s, a, r, recovered(s, a, r, headSlot(clock)) + extra);
  return max < TRX_PRECISION ? 0n : max;
}

const amountOf = (v: bigint) => (v ? { amount: Number(v) } : {});

export function createStakeApi(chain: Chain): Record<string, Handler> {
  const view = (ctx: Ctx) => ({
    state: chain.reader(ctx.solid),
    clock: ctx.solid ? chain.solidClock() : chain.clock(),
  });
  const owner = (p: Params, ctx: Ctx) => address(p, 'owner_address', ctx.visible) as string;
  const build = (type: string, fields: (p: Params, ctx: Ctx) => Record<string, unknown>): Handler => {
    return (p, ctx) => buildChecked(chain, type, { owner_address: owner(p, ctx), ...fields(p, ctx) }, p, ctx);
  };

  const delegationRecord = (s: StateReader, from: string, to: string, lock: boolean, visible: boolean) => {
    const bw = delegation(s, from, to, lock, BANDWIDTH);
    const en = delegation(s, from, to, lock, ENERGY);
    if (!bw.amount && !en.amount && !bw.expireMs && !en.expireMs) return undefined;
    const out: Record<string, unknown> = { from: addr(from, visible), to: addr(to, visible) };
    if (bw.amount) out.frozen_balance_for_bandwidth = Number(bw.amount);
    if (en.amount) out.frozen_balance_for_energy = Number(en.amount);
    if (bw.expireMs) out.expire_time_for_bandwidth = bw.expireMs;
    if (en.expireMs) out.expire_time_for_energy = en.expireMs;
    return out;
  };

  return {
    freezebalancev2: build('FreezeBalanceV2Contract', (p) => ({
      frozen_balance: int(p.frozen_balance),
      resource: p.resource,
    })),
    unfreezebalancev2: build('UnfreezeBalanceV2Contract', (p) => ({
      unfreeze_balance: int(p.unfreeze_balance),
      resource: p.resource,
    })),
    withdrawexpireunfreeze: build('WithdrawExpireUnfreezeContract', () => ({})),
    cancelallunfreezev2: build('CancelAllUnfreezeV2Contract', () => ({})),
    delegateresource: build('DelegateResourceContract', (p, ctx) => ({
      resource: p.resource,
      balance: int(p.balance),
      receiver_address: address(p, 'receiver_address', ctx.visible),
      lock: p.lock === true || p.lock === 'true',
      lock_period: int(p.lock_period),
    })),
    undelegateresource: build('UnDelegateResourceContract', (p, ctx) => ({
      resource: p.resource,
      balance: int(p.balance),
      receiver_address: address(p, 'receiver_address', ctx.visible),
    })),
    getdelegatedresourcev2: (p, ctx) => {
      const from = address(p, 'fromAddress', ctx.visible) as string;
      const to = address(p, 'toAddress', ctx.visible) as string;
      const { state } = view(ctx);
      const records = [false, true].flatMap(
        (lock) => delegationRecord(state, from, to, lock, ctx.visible) ?? [],
      );
      return records.length ? { delegatedResource: records } : EMPTY;
    },
    getdelegatedresourceaccountindexv2: (p, ctx) => {
      const a = address(p, 'value', ctx.visible) as string;
      const index = delegationIndex(view(ctx).state, a);
      if (!index) return EMPTY;
      const out: Record<string, unknown> = { account: addr(a, ctx.visible) };
      if (index.from.length) out.fromAccounts = index.from.map((x) => addr(x, ctx.visible));
      if (index.to.length) out.toAccounts = index.to.map((x) => addr(x, ctx.visible));
      return out;
    },
    getcandelegatedmaxsize: (p, ctx) => {
      const { state, clock } = view(ctx);
      const type = int(p.type) ?? 0;
      if (type !== 0 && type !== 1) return EMPTY;
      const max = canDelegatedMaxSize(state, owner(p, ctx), type === 1 ? ENERGY : BANDWIDTH, clock);
      return max ? { max_size: Number(max) } : EMPTY;
    },
    getavailableunfreezecount: (p, ctx) => {
      const { state, clock } = view(ctx);
      const a = owner(p, ctx);
      if (!acct.exists(state, a)) return EMPTY;
      const unfreezing = acct.unfrozen(state, a).filter((u) => u.expire > clock.headMs).length;
      const count = UNFREEZE_MAX_TIMES - unfreezing;
      return count ? { count } : EMPTY;
    },
    getcanwithdrawunfreezeamount: (p, ctx) => {
      const { state, clock } = view(ctx);
      const a = owner(p, ctx);
      const timestamp = int(p.timestamp) ?? 0;
      if (timestamp < 0 || !acct.exists(state, a)) return EMPTY;
      const at = timestamp === 0 ? clock.headMs : timestamp;
      const amount = acct
        .unfrozen(state, a)
        .filter((u) => u.expire <= at)
        .reduce((n, u) => n + BigInt(u.amount), 0n);
      return amountOf(amount);
    },
  };
}
