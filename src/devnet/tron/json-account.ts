import {
  acct,
  BANDWIDTH,
  ENERGY,
  RESOURCE_NAMES,
  type ResourceCode,
  TRON_POWER,
  TRX_PRECISION,
} from './account.js';
import { addr } from './json.js';
import { PARAMS, WINDOW_PRECISION, WINDOW_SLOTS } from './params.js';
import { type Permission, permissionsOf } from './permissions.js';
import { type Clock, headSlot, increase, recovered, resourceLimit, windowSizeV2 } from './resources.js';
import type { StateReader } from './state.js';

/**
 * getaccount, getaccountresource and getaccountnet as java-tron prints them (Wallet.getAccount and friends):
 * protobuf fields in field-number order with defaults omitted, usage recovered to the head block's slot,
 * consume times as genesis + 3 000 ms × slot, frozenV2 always listing BANDWIDTH, ENERGY and TRON_POWER.
 */

const num = (v: bigint) => Number(v);

/** Usage and window size after Wallet.getAccount's updateUsage at `now`. */
function usageNow(
  s: StateReader,
  a: string,
  r: ResourceCode,
  now: bigint,
): { usage: bigint; windowV2: bigint } {
  const usage = recovered(s, a, r, now);
  if (usage === 0n) return { usage, windowV2: WINDOW_SLOTS * WINDOW_PRECISION };
  const elapsed = now - acct.consumeTime(s, a, r);
  return { usage, windowV2: windowSizeV2(s, a, r) - elapsed * WINDOW_PRECISION };
}

function renderPermission(p: Permission, visible: boolean): object {
  return { ...p, keys: p.keys.map((k) => ({ address: addr(k.address, visible), weight: k.weight })) };
}

/** A consume time as Wallet.getAccount prints it; undefined when the resource was never consumed. */
function consumeTime(s: StateReader, key: string, clock: Clock): number | undefined {
  const slot = s.get(key);
  return slot === undefined ? undefined : clock.genesisMs + num(slot) * 3_000;
}

const set = (out: Record<string, unknown>, k: string, v: number | bigint | undefined) => {
  if (v) out[k] = typeof v === 'bigint' ? Number(v) : v;
};

/** getaccount; undefined when the account does not exist (it was never sent TRX). */
export function renderAccount(s: StateReader, a: string, visible: boolean, clock: Clock): object | undefined {
  if (!acct.exists(s, a)) return undefined;
  const now = headSlot(clock);
  const net = usageNow(s, a, BANDWIDTH, now);
  const energy = usageNow(s, a, ENERGY, now);
  const out: Record<string, unknown> = { address: addr(a, visible) };
  set(out, 'balance', acct.balance(s, a));
  set(out, 'net_usage', net.usage);
  set(out, 'create_time', s.get(`ctime:${a}`));
  set(out, 'latest_opration_time', s.get(`lop:${a}`));
  set(out, 'free_net_usage', increase(acct.freeUsage(s, a), 0n, acct.freeTime(s, a), now));
  set(out, 'latest_consume_time', consumeTime(s, `lct:${a}:0`, clock));
  set(out, 'latest_consume_free_time', consumeTime(s, `fnt:${a}`, clock));
  out.net_window_size = num(net.windowV2);
  out.net_window_optimized = true;
  const resource: Record<string, unknown> = {};
  set(resource, 'energy_usage', energy.usage);
  set(resource, 'latest_consume_time_for_energy', consumeTime(s, `lct:${a}:1`, clock));
  resource.energy_window_size = num(energy.windowV2);
  set(resource, 'delegated_frozenV2_balance_for_energy', acct.delegatedOut(s, a, ENERGY));
  set(resource, 'acquired_delegated_frozenV2_balance_for_energy', acct.acquired(s, a, ENERGY));
  resource.energy_window_optimized = true;
  out.account_resource = resource;
  const perms = permissionsOf(s, a);
  out.owner_permission = renderPermission(perms.owner, visible);
  out.active_permission = perms.actives.map((p) => renderPermission(p, visible));
  out.frozenV2 = [BANDWIDTH, ENERGY, TRON_POWER].map((r) => {
    const amount = num(acct.frozen(s, a, r));
    return { ...(r ? { type: RESOURCE_NAMES[r] } : {}), ...(amount ? { amount } : {}) };
  });
  const unfrozen = acct.unfrozen(s, a);
  if (unfrozen.length) {
    out.unfrozenV2 = unfrozen.map((u) => ({
      ...(u.type ? { type: RESOURCE_NAMES[u.type] } : {}),
      unfreeze_amount: u.amount,
      unfreeze_expire_time: u.expire,
    }));
  }
  set(out, 'delegated_frozenV2_balance_for_bandwidth', acct.delegatedOut(s, a, BANDWIDTH));
  set(out, 'acquired_delegated_frozenV2_balance_for_bandwidth', acct.acquired(s, a, BANDWIDTH));
  out.asset_optimized = true;
  return out;
}

function tronPower(s: StateReader, a: string): bigint {
  const total =
    acct.frozenWithDelegated(s, a, BANDWIDTH) +
    acct.frozenWithDelegated(s, a, ENERGY) +
    acct.frozen(s, a, TRON_POWER);
  return total / TRX_PRECISION;
}

/** getaccountnet (AccountNetMessage); undefined when the account does not exist. */
export function renderAccountNet(s: StateReader, a: string, clock: Clock): object | undefined {
  if (!acct.exists(s, a)) return undefined;
  const now = headSlot(clock);
  const out: Record<string, unknown> = {};
  set(out, 'freeNetUsed', increase(acct.freeUsage(s, a), 0n, acct.freeTime(s, a), now));
  out.freeNetLimit = PARAMS.freeNetLimit;
  set(out, 'NetUsed', recovered(s, a, BANDWIDTH, now));
  set(out, 'NetLimit', resourceLimit(s, a, BANDWIDTH));
  out.TotalNetLimit = PARAMS.totalNetLimit;
  set(out, 'TotalNetWeight', acct.totalWeight(s, BANDWIDTH));
  return out;
}

/** getaccountresource (AccountResourceMessage); undefined when the account does not exist. */
export function renderAccountResource(s: StateReader, a: string, clock: Clock): object | undefined {
  const out = renderAccountNet(s, a, clock) as Record<string, unknown> | undefined;
  if (!out) return undefined;
  set(out, 'TotalTronPowerWeight', acct.totalWeight(s, TRON_POWER));
  set(out, 'tronPowerLimit', tronPower(s, a));
  set(out, 'EnergyUsed', recovered(s, a, ENERGY, headSlot(clock)));
  set(out, 'EnergyLimit', resourceLimit(s, a, ENERGY));
  out.TotalEnergyLimit = PARAMS.totalEnergyCurrentLimit;
  set(out, 'TotalEnergyWeight', acct.totalWeight(s, ENERGY));
  return out;
}
