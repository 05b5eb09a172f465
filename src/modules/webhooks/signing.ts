import { hmacSha256Hex } from '../../lib/crypto.js';
import { JsonNumber, parseJsonLossless } from '../../lib/json.js';
import {
  type AmountUnit,
  isPlainDecimal,
  pageAmount,
  pageAmountField,
  pageTime,
  stringifyExact,
} from '../../lib/page-format.js';

// The delivery format (docs/api.md "Webhooks"):
//   body      {id, event, data, timestamp, signature}, in the page's formats (`amount` a whole number when
//             whole, other money with at least two decimals, every digit kept; times in whole seconds with Z),
//             compact JSON;
//             signature = hex HMAC-SHA256(body secret, the signed text `{"event":…,"data":…,"timestamp":…}`),
//             which is the body's own bytes from `"event"` to before `,"signature"`, in braces
//   headers   X-Webhook-Id, X-Webhook-Timestamp, X-Signature: t=<unix>,v1=<hex HMAC of "<t>.<raw body>">
// The header is always signed with the endpoint's whsec_ secret (during a rotation both secrets, one v1= each,
// like Stripe). The body signature uses the endpoint secret too, unless the endpoint opted in to the API key's
// secret (the page's "api_secret"): then `body` below is that secret.

/** The secrets one delivery is signed with: every header `v1=` secret, and the body `signature`'s secret. */
export interface SigningSecrets {
  header: string[];
  body: string;
}

/**
 * Top-level `data` money fields other than `amount` (Stars, USDT or a token amount): at least two decimals, as
 * the page prints balances, fees and conversions (4520.00, 30.00, 470.00).
 */
const MONEY_FIELDS = new Set([
  'amountReceived',
  'amountUsdt',
  'balance',
  'expectedAmount',
  'fee',
  'fromBalance',
  'networkFee',
  'stars',
  'toBalance',
]);
/**
 * The page's fields come first, in the page's order (its deposit.confirmed example: id, userId, amount, currency,
 * network, txHash, confirmations); the rest follow in the order the jsonb column keeps them.
 */
const PAGE_ORDER = [
  'id',
  'userId',
  'fromUserId',
  'toUserId',
  'amount',
  'currency',
  'network',
  'txHash',
  'confirmations',
];
const rank = (key: string) => {
  const i = PAGE_ORDER.indexOf(key);
  return i === -1 ? PAGE_ORDER.length : i;
};
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** What `data.amount` of an event holds: the token paid for deposit.*, Stars for transfer.* and payout.*. */
export function amountUnitOf(eventType: string): AmountUnit {
  return eventType.startsWith('deposit.') ? 'token' : 'stars';
}

/**
 * An event's `data` (the jsonb column's text, read without a float) in the page's formats: `amount` as the page
 * prints it (100, 12.50, 100.5: a whole value as an integer), the other money fields with at least two decimals
 * and every digit (100.00, 3.000000000000000001), `…At` times in whole seconds with Z. Everything else
 * (metadata included) is written back exactly as stored; the page's fields first.
 */
export function pageData(payloadText: string, eventType: string): string {
  const data = parseJsonLossless(payloadText) as Record<string, unknown>;
  const ordered = Object.entries(data).sort(([a], [b]) => rank(a) - rank(b));
  const fields = ordered.map(([k, v]): [string, unknown] => {
    if (v instanceof JsonNumber && k === 'amount' && isPlainDecimal(v.text))
      return [k, pageAmountField(v.text, amountUnitOf(eventType))];
    if (v instanceof JsonNumber && MONEY_FIELDS.has(k) && isPlainDecimal(v.text))
      return [k, pageAmount(v.text)];
    if (typeof v === 'string' && k.endsWith('At') && ISO_TIME.test(v)) return [k, pageTime(v)];
    return [k, v];
  });
  return stringifyExact(Object.fromEntries(fields));
}

/** The signed part of the body, `{"event":…,"data":…,"timestamp":…}`, and its fields as JSON texts. */
export interface EventText {
  signed: string;
  event: string;
  data: string;
  timestamp: string;
}

/** The event's JSON texts in the page's format (made once per event, whatever the number of endpoints). */
export function eventText(type: string, payloadText: string, createdAt: Date): EventText {
  const event = JSON.stringify(type);
  const data = pageData(payloadText, type);
  const timestamp = JSON.stringify(pageTime(createdAt));
  return { signed: `{"event":${event},"data":${data},"timestamp":${timestamp}}`, event, data, timestamp };
}

/** The body `{id, event, data, timestamp, signature}` from the signed part's JSON texts, signed with `secret`. */
export function deliveryBody(id: string, parts: EventText, secret: string): string {
  const signature = hmacSha256Hex(secret, parts.signed);
  return `{"id":${JSON.stringify(id)},"event":${parts.event},"data":${parts.data},"timestamp":${parts.timestamp},"signature":"${signature}"}`;
}

/** The headers of a delivery: `X-Signature` carries one `v1=` per secret (two during a rotation). */
export function deliveryHeaders(id: string, body: string, secrets: string[], nowMs = Date.now()) {
  const t = Math.floor(nowMs / 1000);
  const v1 = secrets.map((s) => `v1=${hmacSha256Hex(s, `${t}.${body}`)}`).join(',');
  return {
    'content-type': 'application/json',
    'user-agent': 'NovaPayments-Webhooks/1.0',
    'x-webhook-id': id,
    'x-webhook-timestamp': String(t),
    'x-signature': `t=${t},${v1}`,
  };
}
