import { ValidationError } from '../src/lib/errors.js';

// Node ids (Relay's Object Identification). An object NovaPayments names itself already has an id that is
// unique across the whole API (`dep_…`, `pay_…`, `tx_…`: a type prefix and a ULID), so that id is its Node id
// and `node(id:)` reads the type from the prefix. Users are named by the merchant (`user_8a2f`), unique only
// within a merchant and mode, so a user's Node id is Relay's usual base64("User:<userId>"), and a row of a
// user's history base64("UserTransaction:<tx id>:<userId>"). Clients treat every Node id as opaque.

/** The types whose Node id is their own prefixed id, by prefix. */
export const PREFIXED_NODES = {
  mer: 'Merchant',
  dep: 'Deposit',
  pay: 'Withdrawal',
  tx: 'Transaction',
  evt: 'Event',
  whe: 'WebhookEndpoint',
} as const;

/** The types whose Node id is base64("<Type>:<key>"). */
export const ENCODED_NODES = ['User', 'UserTransaction'] as const;

const PREFIXED_TYPES = new Set<string>(Object.values(PREFIXED_NODES));
const ENCODED_TYPES = new Set<string>(ENCODED_NODES);
const PREFIXED_ID = /^([a-z]{2,3})_[0-9a-z]{26}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function encodeNodeId(typename: string, id: string | number | bigint): string {
  const raw = String(id);
  if (PREFIXED_TYPES.has(typename)) return raw;
  if (!ENCODED_TYPES.has(typename)) throw new Error(`${typename} is not a Node type`);
  return Buffer.from(`${typename}:${raw}`, 'utf8').toString('base64');
}

/** The type and key a Node id names; an id this API cannot have returned is the caller's 400. */
export function decodeNodeId(nodeId: string, param = 'id'): { typename: string; id: string } {
  const prefixed = PREFIXED_ID.exec(nodeId);
  if (prefixed) {
    const typename = PREFIXED_NODES[prefixed[1] as keyof typeof PREFIXED_NODES];
    if (typename) return { typename, id: nodeId };
  }
  if (BASE64.test(nodeId) && nodeId.length <= 400) {
    const text = Buffer.from(nodeId, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    const typename = text.slice(0, colon);
    if (colon > 0 && ENCODED_TYPES.has(typename) && colon < text.length - 1) {
      return { typename, id: text.slice(colon + 1) };
    }
  }
  throw new ValidationError(`${param} is not a Node id this API returned`, param);
}

/** A UserTransaction's key: the ledger transaction and the user whose side it is. */
export function userTransactionKey(transactionId: string, userId: string): string {
  return `${transactionId}:${userId}`;
}

export function parseUserTransactionKey(key: string): { transactionId: string; userId: string } {
  const colon = key.indexOf(':');
  const transactionId = key.slice(0, colon);
  if (colon < 0 || !PREFIXED_ID.test(transactionId)) {
    throw new ValidationError('id is not a Node id this API returned', 'id');
  }
  return { transactionId, userId: key.slice(colon + 1) };
}
