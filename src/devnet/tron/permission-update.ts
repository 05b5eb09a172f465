import { acct } from './account.js';
import { Refusal } from './fees.js';
import { normalizeAddress } from './keys.js';
import { PARAMS } from './params.js';
import type { Permission, Permissions } from './permissions.js';
import type { Actuator, Value } from './stake.js';

/**
 * AccountPermissionUpdateContract as java-tron runs it (AccountPermissionUpdateActuator): an owner
 * permission and 1–8 active ones, each with 1–5 distinct keys whose weights reach its threshold; active
 * operations may only name existing contract types. It costs getUpdateAccountPermissionFee (100 TRX).
 */

const MAX_KEYS = 5;
const TYPES = ['Owner', 'Witness', 'Active'] as const;

/** The contract types an active permission may allow (DynamicPropertiesStore.getAvailableContractType). */
function availableType(n: number): boolean {
  return n !== 7 && n !== 47 && n !== 50 && n <= 59 && (n < 21 || n > 29) && (n < 34 || n > 40);
}

function typeName(v: unknown): (typeof TYPES)[number] | undefined {
  if (v === undefined || v === 0 || v === 'Owner') return 'Owner';
  if (v === 1 || v === 'Witness') return 'Witness';
  if (v === 2 || v === 'Active') return 'Active';
  return undefined;
}

interface RawPermission {
  type?: unknown;
  permission_name?: string;
  threshold?: unknown;
  parent_id?: unknown;
  operations?: string;
  keys?: { address?: unknown; weight?: unknown }[];
}

function checkPermission(p: RawPermission): string | undefined {
  const keys = p.keys ?? [];
  const type = typeName(p.type);
  if (keys.length > MAX_KEYS) return `number of keys in permission should not be greater than ${MAX_KEYS}`;
  if (keys.length === 0) return "key's count should be greater than 0";
  if (Number(p.threshold ?? 0) <= 0) return "permission's threshold should be greater than 0";
  if ((p.permission_name ?? '').length > 32) return "permission's name is too long";
  if (Number(p.parent_id ?? 0) !== 0) return "permission's parent should be owner";
  const addresses = keys.map((k) => normalizeAddress(k.address));
  if (new Set(addresses).size !== keys.length) return `address should be distinct in permission ${type}`;
  if (addresses.some((a) => a === undefined)) return 'key is not a validate address';
  if (keys.some((k) => Number(k.weight ?? 0) <= 0)) return "key's weight should be greater than 0";
  const sum = keys.reduce((s, k) => s + Number(k.weight), 0);
  if (sum < Number(p.threshold))
    return `sum of all key's weight should not be less than threshold in permission ${type}`;
  const ops = Buffer.from(p.operations ?? '', 'hex');
  if (type !== 'Active') return ops.length ? `${type} permission needn't operations` : undefined;
  if (ops.length !== 32) return 'operations size must 32';
  for (let i = 0; i < 256; i++) {
    if (((ops[i >> 3] ?? 0) & (1 << (i % 8))) !== 0 && !availableType(i))
      return `${i} isn't a validate ContractType`;
  }
  return undefined;
}

function stored(p: RawPermission, id: number): Permission {
  const type = typeName(p.type);
  return {
    ...(type === 'Owner' ? {} : { type }),
    ...(id ? { id } : {}),
    permission_name: p.permission_name ?? '',
    threshold: Number(p.threshold),
    ...(p.operations ? { operations: p.operations.toLowerCase() } : {}),
    keys: (p.keys ?? []).map((k) => ({
      address: normalizeAddress(k.address) as string,
      weight: Number(k.weight),
    })),
  };
}

export const accountPermissionUpdate: Actuator = {
  validate(s, v: Value, owner) {
    if (!acct.exists(s, owner)) return 'ownerAddress account does not exist';
    if (!v.owner) return 'owner permission is missed';
    if (v.witness) return "account isn't witness can't set witness permission";
    const actives = (v.actives as RawPermission[] | undefined) ?? [];
    if (actives.length === 0) return 'active permission is missed';
    if (actives.length > 8) return 'active permission is too many';
    if (typeName((v.owner as RawPermission).type) !== 'Owner') return 'owner permission type is error';
    const ownerError = checkPermission(v.owner as RawPermission);
    if (ownerError) return ownerError;
    for (const p of actives) {
      if (typeName(p.type) !== 'Active') return 'active permission type is error';
      const error = checkPermission(p);
      if (error) return error;
    }
    return undefined;
  },
  execute(s, v: Value, owner) {
    const fee = BigInt(PARAMS.updateAccountPermissionFee);
    if (acct.balance(s, owner) < fee) {
      throw new Refusal('CONTRACT_EXE_ERROR', `Contract execute error : ${owner} insufficient balance`);
    }
    const permissions: Permissions = {
      owner: stored(v.owner as RawPermission, 0),
      actives: ((v.actives as RawPermission[]) ?? []).map((p, i) => stored(p, i + 2)),
    };
    s.setText(`perm:${owner}`, JSON.stringify(permissions));
    acct.addBalance(s, owner, -fee);
    return {};
  },
};
