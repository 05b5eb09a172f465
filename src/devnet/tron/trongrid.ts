import type { Chain, Included } from './chain.js';
import { TRANSFER_TOPIC, tokenInfo } from './contracts.js';
import { hexToBase58, normalizeAddress } from './keys.js';

/**
 * TronGrid's `GET /v1/accounts/{address}/transactions/trc20`: Transfer events of TRC20 contracts where the
 * account is sender or receiver, newest first, paged with an opaque `fingerprint` (the position of the last
 * item served, so items arriving at the top do not shift later pages). Items above the solidified head carry
 * `_unconfirmed: true`; `only_confirmed=true` leaves them out. Amounts are decimal strings, addresses base58.
 */

/** A TRC20 Transfer log of a successful transaction, indexed for the TronGrid endpoint. */
export interface TransferEvent {
  blockNumber: number;
  txIndex: number;
  logIndex: number;
  txid: string;
  timestamp: number;
  token: string;
  from: string;
  to: string;
  value: bigint;
}

/** The Transfer logs of an included transaction (failed transactions have no logs). */
export function transferEvents(
  t: Included,
  blockNumber: number,
  txIndex: number,
  timestamp: number,
): TransferEvent[] {
  const out: TransferEvent[] = [];
  (t.info.log ?? []).forEach((log, logIndex) => {
    const [topic, from, to] = log.topics;
    if (topic !== TRANSFER_TOPIC || !from || !to || log.topics.length !== 3) return;
    out.push({
      blockNumber,
      txIndex,
      logIndex,
      txid: t.tx.txID,
      timestamp,
      token: log.address,
      from: `41${from.slice(24)}`,
      to: `41${to.slice(24)}`,
      value: BigInt(`0x${log.data || '0'}`),
    });
  });
  return out;
}

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 200;

type Position = [number, number, number];
const position = (e: TransferEvent): Position => [e.blockNumber, e.txIndex, e.logIndex];
const compare = (a: Position, b: Position) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

function encodeFingerprint(p: Position): string {
  return Buffer.from(p.join('.')).toString('base64url');
}

function decodeFingerprint(f: string): Position | undefined {
  const parts = Buffer.from(f, 'base64url').toString().split('.').map(Number);
  return parts.length === 3 && parts.every((n) => Number.isInteger(n) && n >= 0)
    ? (parts as Position)
    : undefined;
}

export interface TrongridResponse {
  status: number;
  body: object;
}

const error = (status: number, message: string): TrongridResponse => ({
  status,
  body: { success: false, error: message, statusCode: status },
});

export function accountTrc20Transactions(
  chain: Chain,
  rawAddress: string,
  query: URLSearchParams,
  baseUrl: string,
): TrongridResponse {
  const account = normalizeAddress(rawAddress);
  if (!account) return error(400, `Invalid address: ${rawAddress}`);
  const limitText = query.get('limit');
  const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return error(400, `limit must be an integer between 1 and ${MAX_LIMIT}`);
  }
  const contractText = query.get('contract_address');
  const contract = contractText ? normalizeAddress(contractText) : undefined;
  if (contractText && !contract) return error(400, `Invalid contract_address: ${contractText}`);
  const fingerprintText = query.get('fingerprint');
  const after = fingerprintText ? decodeFingerprint(fingerprintText) : undefined;
  if (fingerprintText && !after) return error(400, 'Invalid fingerprint');
  const ascending = (query.get('order_by') ?? '').endsWith(',asc');
  const onlyConfirmed = query.get('only_confirmed') === 'true';
  const onlyUnconfirmed = query.get('only_unconfirmed') === 'true';
  const onlyTo = query.get('only_to') === 'true';
  const onlyFrom = query.get('only_from') === 'true';
  const minTs = Number(query.get('min_timestamp') ?? 0);
  const maxTs = query.get('max_timestamp') ? Number(query.get('max_timestamp')) : Number.POSITIVE_INFINITY;
  const solid = chain.solidNumber();

  const matches = (e: TransferEvent): boolean => {
    if (!tokenInfo(e.token)) return false;
    if (contract && e.token !== contract) return false;
    const to = e.to === account;
    const from = e.from === account;
    if (!(to || from) || (onlyTo && !to) || (onlyFrom && !from)) return false;
    const confirmed = e.blockNumber <= solid;
    if ((onlyConfirmed && !confirmed) || (onlyUnconfirmed && confirmed)) return false;
    return e.timestamp >= minTs && e.timestamp <= maxTs;
  };

  const items: TransferEvent[] = [];
  let more = false;
  const events = chain.transfers;
  const n = events.length;
  for (let i = 0; i < n; i++) {
    const e = events[ascending ? i : n - 1 - i] as TransferEvent;
    if (after) {
      const c = compare(position(e), after);
      if (ascending ? c <= 0 : c >= 0) continue;
    }
    if (!matches(e)) continue;
    if (items.length === limit) {
      more = true;
      break;
    }
    items.push(e);
  }

  const data = items.map((e) => {
    const t = tokenInfo(e.token)!;
    return {
      transaction_id: e.txid,
      token_info: {
        symbol: t.symbol,
        address: hexToBase58(t.addressHex),
        decimals: t.decimals,
        name: t.name,
      },
      block_timestamp: e.timestamp,
      from: hexToBase58(e.from),
      to: hexToBase58(e.to),
      type: 'Transfer',
      value: e.value.toString(),
      ...(e.blockNumber > solid ? { _unconfirmed: true } : {}),
    };
  });
  const meta: Record<string, unknown> = { at: chain.now(), page_size: data.length };
  const last = items.at(-1);
  if (more && last) {
    const fingerprint = encodeFingerprint(position(last));
    const next = new URLSearchParams(query);
    next.set('fingerprint', fingerprint);
    meta.fingerprint = fingerprint;
    meta.links = { next: `${baseUrl}/v1/accounts/${rawAddress}/transactions/trc20?${next.toString()}` };
  }
  return { status: 200, body: { data, success: true, meta } };
}
