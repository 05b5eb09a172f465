/**
 * The order java-tron prints a contract's fields in. Its servlets print a transaction through fastjson
 * JSONObjects, which are HashMaps: the keys of `parameter.value` come out in hash-bucket order, not in field
 * order (TransferContract prints amount, owner_address, to_address). The devnet keeps that order so its
 * JSON looks like a real node's; the protobuf bytes do not depend on it.
 */

/** Each contract's fields in protobuf field-number order (the order java-tron parses them in). */
const PROTO_FIELDS: Record<string, string[]> = {
  TransferContract: ['owner_address', 'to_address', 'amount'],
  TriggerSmartContract: [
    'owner_address',
    'contract_address',
    'call_value',
    'data',
    'call_token_value',
    'token_id',
  ],
  FreezeBalanceV2Contract: ['owner_address', 'frozen_balance', 'resource'],
  UnfreezeBalanceV2Contract: ['owner_address', 'unfreeze_balance', 'resource'],
  WithdrawExpireUnfreezeContract: ['owner_address'],
  DelegateResourceContract: [
    'owner_address',
    'resource',
    'balance',
    'receiver_address',
    'lock',
    'lock_period',
  ],
  UnDelegateResourceContract: ['owner_address', 'resource', 'balance', 'receiver_address'],
  CancelAllUnfreezeV2Contract: ['owner_address'],
  AccountPermissionUpdateContract: ['owner_address', 'owner', 'witness', 'actives'],
};

function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * java-tron prints a contract's value through a fastjson JSONObject, a HashMap of 16 buckets: keys come out
 * by bucket ((h ^ h >>> 16) & 15 of String.hashCode), in insertion (field) order within a bucket.
 */
function hashMapOrder(keys: string[]): string[] {
  const bucket = (k: string) => {
    const h = javaStringHash(k);
    return (h ^ (h >>> 16)) & 15;
  };
  return keys
    .map((k, i) => ({ k, b: bucket(k), i }))
    .sort((x, y) => x.b - y.b || x.i - y.i)
    .map((e) => e.k);
}

const RESOURCE_NAMES = ['BANDWIDTH', 'ENERGY', 'TRON_POWER'];

/** Field order as java-tron prints them, defaults omitted (protobuf JSON), enums by name. */
export function orderedValue(type: string, value: Record<string, unknown>): Record<string, unknown> {
  const fields = PROTO_FIELDS[type] ?? [];
  const order = hashMapOrder([...fields, ...Object.keys(value).filter((k) => !fields.includes(k))]);
  const normalize = (k: string, v: unknown) =>
    k === 'resource' && typeof v === 'number'
      ? RESOURCE_NAMES[v]
      : v === 'BANDWIDTH' && k === 'resource'
        ? 0
        : v;
  // protobuf JSON omits defaults: no 0, '', false
  const isSet = (v: unknown) => v !== undefined && v !== null && v !== 0 && v !== '' && v !== false;
  const out: Record<string, unknown> = {};
  for (const k of order) {
    const v = normalize(k, value[k]);
    if (isSet(v)) out[k] = v;
  }
  return out;
}
