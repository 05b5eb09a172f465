import { hexToBase58 } from './keys.js';
import type { StateReader } from './state.js';
import { recoverSigner, type TxJson } from './tx.js';

/**
 * Account permissions and the signature check of java-tron (TransactionCapsule.validateSignature/checkWeight,
 * TransactionUtil.getTransactionSignWeight): a transaction names a permission (Permission_id: 0 owner, 2+
 * active); every signature must come from a distinct key of it, the operations bitmap of an active
 * permission must allow the contract type, and the keys' weights must reach the threshold. Accounts keep
 * the default permissions (one key, the account itself) unless `perm:<addr>` holds others.
 */

export interface PermissionKey {
  address: string;
  weight: number;
}

export interface Permission {
  type?: 'Owner' | 'Witness' | 'Active';
  id?: number;
  permission_name: string;
  threshold: number;
  operations?: string;
  keys: PermissionKey[];
}

export interface Permissions {
  owner: Permission;
  actives: Permission[];
}

/** The default active operations of a new account: every system contract mainnet allows (0-59, no 7). */
export const ACTIVE_OPERATIONS = `7fff1fc0033ec30f${'0'.repeat(48)}`;
const MAX_SIGNATURES = 5;

// biome-ignore lint/suspicious/noExplicitAny: the protobuf classes tronweb registers on globalThis are untyped
const CONTRACT_TYPES = (globalThis as any).TronWebProto.Transaction.Contract.ContractType as Record<
  string,
  number
>;

export function contractTypeNumber(type: string): number | undefined {
  return CONTRACT_TYPES[type.toUpperCase()];
}

export function defaultPermissions(address: string): Permissions {
  const keys = [{ address, weight: 1 }];
  return {
    owner: { permission_name: 'owner', threshold: 1, keys },
    actives: [
      { type: 'Active', id: 2, permission_name: 'active', threshold: 1, operations: ACTIVE_OPERATIONS, keys },
    ],
  };
}

export function permissionsOf(s: StateReader, address: string): Permissions {
  const stored = s.text(`perm:${address}`);
  return stored ? (JSON.parse(stored) as Permissions) : defaultPermissions(address);
}

function permissionById(p: Permissions, id: number): Permission | undefined {
  if (id === 0) return p.owner;
  return p.actives.find((a) => (a.id ?? 0) === id);
}

function allows(permission: Permission, type: string): boolean {
  const n = contractTypeNumber(type);
  const ops = Buffer.from(permission.operations ?? '', 'hex');
  if (n === undefined || ops.length !== 32) return false;
  return ((ops[Math.floor(n / 8)] ?? 0) & (1 << (n % 8))) !== 0;
}

export class PermissionError extends Error {}

const BROADCAST_MESSAGES = {
  missing: "permission isn't exit",
  type: 'Permission type is error',
  denied: 'Permission denied',
};

/** The permission a transaction names, checked as java-tron does before counting weights. */
export function permissionFor(s: StateReader, tx: TxJson, messages = BROADCAST_MESSAGES): Permission {
  const contract = tx.raw_data.contract[0];
  const owner = String(contract?.parameter.value.owner_address ?? '');
  const id = contract?.Permission_id ?? 0;
  const permission = permissionById(permissionsOf(s, owner), id);
  if (!permission) throw new PermissionError(messages.missing);
  if (id !== 0) {
    if (permission.type !== 'Active') throw new PermissionError(messages.type);
    if (!allows(permission, contract?.type ?? '')) throw new PermissionError(messages.denied);
  }
  return permission;
}

/** checkWeight: the approving addresses and their weight; throws PermissionError like java-tron. */
export function signatureWeight(permission: Permission, tx: TxJson): { approved: string[]; weight: number } {
  const sigs = tx.signature ?? [];
  if (sigs.length > permission.keys.length) {
    throw new PermissionError(
      `Signature count is ${sigs.length} more than key counts of permission : ${permission.keys.length}`,
    );
  }
  const approved: string[] = [];
  let weight = 0;
  for (const sig of sigs) {
    if (sig.length < 130) throw new PermissionError(`Signature size is ${sig.length / 2}`);
    const signer = recoverSigner(tx.txID, sig);
    if (!signer) throw new PermissionError('signature is malformed');
    const key = permission.keys.find((k) => k.address === signer);
    if (!key) {
      throw new PermissionError(
        `${sig} is signed by ${hexToBase58(signer)} but it is not contained of permission.`,
      );
    }
    if (approved.includes(signer)) throw new PermissionError(`${hexToBase58(signer)} has signed twice!`);
    approved.push(signer);
    weight += key.weight;
  }
  return { approved, weight };
}

/** The text after "Validate signature error: " when the signatures do not authorise the transaction. */
export function checkSignatures(s: StateReader, tx: TxJson): string | undefined {
  const sigs = tx.signature ?? [];
  if (sigs.length === 0) return 'miss sig or contract';
  if (sigs.length > MAX_SIGNATURES) return 'too many signatures';
  try {
    const permission = permissionFor(s, tx);
    return signatureWeight(permission, tx).weight >= permission.threshold ? undefined : 'sig error';
  } catch (err) {
    if (err instanceof PermissionError) return err.message;
    throw err;
  }
}
