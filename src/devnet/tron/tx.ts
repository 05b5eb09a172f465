import { sha256 } from 'ethers';
import { utils } from 'tronweb';
import { orderedValue } from './json-order.js';
import { normalizeAddress } from './keys.js';

/**
 * Transactions are encoded with tronweb's own protobuf helpers (`utils.transaction.txJsonToPb`), the code
 * tronweb itself uses to check a node-built transaction byte for byte: raw_data_hex is the protobuf of
 * raw_data and txID = sha256(raw_data). Addresses inside are always 41-hex here; json.ts converts to base58
 * for visible=true.
 */

export interface ContractJson {
  parameter: { value: Record<string, unknown>; type_url: string };
  type: string;
  Permission_id?: number;
}

export interface RawData {
  contract: ContractJson[];
  ref_block_bytes: string;
  ref_block_hash: string;
  expiration: number;
  fee_limit?: number;
  timestamp: number;
  data?: string;
}

export interface TxJson {
  txID: string;
  raw_data: RawData;
  raw_data_hex: string;
  signature?: string[];
}

export interface RefBlock {
  ref_block_bytes: string;
  ref_block_hash: string;
  expiration: number;
  timestamp: number;
}

export const ADDRESS_FIELDS = new Set([
  'owner_address',
  'to_address',
  'contract_address',
  'receiver_address',
  'origin_address',
  'account_address',
]);

// biome-ignore lint/suspicious/noExplicitAny: the protobuf classes tronweb registers on globalThis are untyped
const proto = (globalThis as any).TronWebProto;

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function sha256Hex(data: Uint8Array | string): string {
  return sha256(typeof data === 'string' ? `0x${data}` : data).slice(2);
}

/** Encodes a transaction with tronweb's helpers; returns txID and raw_data_hex (lower case). */
export function encodeRaw(raw: RawData): { txID: string; rawDataHex: string; pb: unknown } {
  const pb = utils.transaction.txJsonToPb({ raw_data: raw, visible: false });
  const txID = utils.transaction.txPbToTxID(pb).replace(/^0x/, '').toLowerCase();
  const rawDataHex = utils.transaction.txPbToRawDataHex(pb).toLowerCase();
  return { txID, rawDataHex, pb };
}

export function buildTransaction(
  type: string,
  value: Record<string, unknown>,
  ref: RefBlock,
  opts: { feeLimit?: number; permissionId?: number } = {},
): TxJson {
  const contract: ContractJson = {
    parameter: { value: orderedValue(type, value), type_url: `type.googleapis.com/protocol.${type}` },
    type,
  };
  if (opts.permissionId) contract.Permission_id = opts.permissionId;
  const raw: RawData = {
    contract: [contract],
    ref_block_bytes: ref.ref_block_bytes,
    ref_block_hash: ref.ref_block_hash,
    expiration: ref.expiration,
    // key order as java-tron prints it: fee_limit sits between expiration and timestamp
    ...(opts.feeLimit ? { fee_limit: opts.feeLimit } : {}),
    timestamp: ref.timestamp,
  };
  const { txID, rawDataHex } = encodeRaw(raw);
  return { txID, raw_data: raw, raw_data_hex: rawDataHex };
}

export class TxParseError extends Error {}

/** AccountPermissionUpdateContract's permissions, whose keys hold addresses. */
export const PERMISSION_FIELDS = new Set(['owner', 'witness', 'actives']);

/** Rewrites the key addresses of a permission (or a list of them). */
export function mapPermissions(v: unknown, map: (address: unknown) => unknown): unknown {
  if (Array.isArray(v)) return v.map((p) => mapPermissions(p, map));
  if (!v || typeof v !== 'object') return v;
  const p = v as { keys?: { address?: unknown }[] };
  return p.keys ? { ...p, keys: p.keys.map((k) => ({ ...k, address: map(k.address) })) } : p;
}

/**
 * Reads a transaction posted to broadcasttransaction (visible or not) into the internal form: addresses as
 * 41-hex, raw_data re-encoded from its JSON as java-tron does (raw_data_hex in the body is not trusted).
 */
export function parseIncomingTransaction(body: Record<string, unknown>, visible: boolean): TxJson {
  const raw = body.raw_data as RawData | undefined;
  if (!raw || !Array.isArray(raw.contract) || raw.contract.length !== 1) {
    throw new TxParseError('raw_data.contract must hold exactly one contract');
  }
  const c = raw.contract[0] as ContractJson;
  if (!c?.parameter?.value || typeof c.type !== 'string') throw new TxParseError('contract is malformed');
  const address = (k: string, v: unknown) => {
    const addr = normalizeAddress(v);
    const ok = addr !== undefined && (visible ? String(v).startsWith('T') : String(v).startsWith('41'));
    if (!ok) throw new TxParseError(`invalid address in ${k}: ${String(v)}`);
    return addr;
  };
  const value: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.parameter.value)) {
    if (ADDRESS_FIELDS.has(k)) value[k] = address(k, v);
    else if (PERMISSION_FIELDS.has(k)) value[k] = mapPermissions(v, (a) => address('keys.address', a));
    else value[k] = k === 'data' && typeof v === 'string' ? v.toLowerCase() : v;
  }
  const contract: ContractJson = {
    parameter: { value: orderedValue(c.type, value), type_url: c.parameter.type_url },
    type: c.type,
  };
  if (c.Permission_id) contract.Permission_id = c.Permission_id;
  const out: RawData = {
    // java-tron prints raw_data from a HashMap too: `data` comes before `contract`
    ...(raw.data ? { data: String(raw.data).toLowerCase() } : {}),
    contract: [contract],
    // hex in any case, printed lower-case as java-tron does
    ref_block_bytes: String(raw.ref_block_bytes ?? '').toLowerCase(),
    ref_block_hash: String(raw.ref_block_hash ?? '').toLowerCase(),
    expiration: Number(raw.expiration ?? 0),
    ...(raw.fee_limit ? { fee_limit: Number(raw.fee_limit) } : {}),
    timestamp: Number(raw.timestamp ?? 0),
  };
  let encoded: ReturnType<typeof encodeRaw>;
  try {
    encoded = encodeRaw(out);
  } catch (err) {
    throw new TxParseError((err as Error).message);
  }
  const signature = Array.isArray(body.signature) ? body.signature.map((s) => String(s).toLowerCase()) : [];
  return { txID: encoded.txID, raw_data: out, raw_data_hex: encoded.rawDataHex, signature };
}

/** Signs like tronweb (r ‖ s ‖ v with v = 27/28). Returns a new object. */
export function signTransaction(tx: TxJson, privateKey: string): TxJson {
  const signed = utils.crypto.signTransaction(privateKey.replace(/^0x/, ''), {
    txID: tx.txID,
    raw_data: tx.raw_data,
    raw_data_hex: tx.raw_data_hex,
  }) as unknown as TxJson;
  return { ...tx, signature: signed.signature ?? [] };
}

/** The 41-hex address that signed `digestHex`, or undefined for a malformed signature. */
export function recoverSigner(digestHex: string, signatureHex: string): string | undefined {
  if (!/^[0-9a-f]{130}$/i.test(signatureHex)) return undefined;
  try {
    return utils.crypto.ecRecover(digestHex, signatureHex).toLowerCase();
  } catch {
    return undefined;
  }
}

/** sha256 of the whole Transaction protobuf, signatures and ret included: the leaf of txTrieRoot. */
export function transactionLeaf(tx: TxJson, contractRet: number): string {
  const { pb } = encodeRaw(tx.raw_data) as {
    pb: { addSignature(b: Uint8Array): void; addRet(r: unknown): void };
  };
  for (const s of tx.signature ?? []) pb.addSignature(Buffer.from(s, 'hex'));
  const ret = new proto.Transaction.Result();
  if (contractRet) ret.setContractret(contractRet);
  pb.addRet(ret);
  return sha256Hex((pb as unknown as { serializeBinary(): Uint8Array }).serializeBinary());
}

/** Bandwidth java-tron charges: the serialized transaction without ret, plus 64 bytes of result reserve. */
export function transactionSize(tx: TxJson): number {
  const sigBytes = (tx.signature ?? []).reduce((n, s) => n + 2 + s.length / 2, 0);
  const rawBytes = tx.raw_data_hex.length / 2;
  return 1 + varintLength(rawBytes) + rawBytes + sigBytes + 64;
}

/** Merkle root as java-tron computes txTrieRoot: pairs hashed with sha256, an odd last node carried up. */
export function merkleRoot(leaves: string[]): string {
  if (leaves.length === 0) return '0'.repeat(64);
  let level = leaves;
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right === undefined ? (level[i] as string) : sha256Hex(`${level[i]}${right}`));
    }
    level = next;
  }
  return level[0] as string;
}

export const CONTRACT_RET = proto.Transaction.Result.contractResult as Record<string, number>;

// --- BlockHeader.raw protobuf (tronweb does not ship the block messages) ---

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function varintLength(n: number): number {
  return varint(BigInt(n)).length;
}

function fieldVarint(field: number, v: number): number[] {
  return v ? [...varint(BigInt((field << 3) | 0)), ...varint(BigInt(v))] : [];
}

function fieldBytes(field: number, hexValue: string): number[] {
  if (!hexValue) return [];
  const b = Buffer.from(hexValue, 'hex');
  return [...varint(BigInt((field << 3) | 2)), ...varint(BigInt(b.length)), ...b];
}

export interface HeaderRaw {
  number: number;
  txTrieRoot: string;
  witness_address: string;
  parentHash: string;
  version: number;
  timestamp: number;
}

/** sha256 of BlockHeader.raw (timestamp=1, txTrieRoot=2, parentHash=3, number=7, witness_address=9, version=10). */
export function headerHash(h: HeaderRaw): string {
  return sha256Hex(
    Uint8Array.from([
      ...fieldVarint(1, h.timestamp),
      ...fieldBytes(2, h.txTrieRoot),
      ...fieldBytes(3, h.parentHash),
      ...fieldVarint(7, h.number),
      ...fieldBytes(9, h.witness_address),
      ...fieldVarint(10, h.version),
    ]),
  );
}

/** blockID = 8-byte big-endian height ‖ sha256(header raw)[8:]. */
export function blockIdOf(number: number, hash: string): string {
  return number.toString(16).padStart(16, '0') + hash.slice(16);
}

export function signDigest(digestHex: string, privateKey: string): string {
  return utils.crypto.ECKeySign(Buffer.from(digestHex, 'hex'), Buffer.from(privateKey, 'hex'));
}
