import { hmacSha256Hex } from '../../lib/crypto.js';

// The delivery format of API.md "Webhooks":
//   body      {id, event, data, timestamp, signature}, signature = hex HMAC-SHA256(secret, JSON of {event, data, timestamp})
//   headers   X-Webhook-Id, X-Webhook-Timestamp, X-Signature: t=<unix>,v1=<hex HMAC of "<t>.<raw body>">
// During a secret rotation both secrets sign the header (one v1= each), like Stripe.

/** The part of the body `signature` signs: `{"event":…,"data":…,"timestamp":…}`, compact JSON. */
export function signedPayload(event: string, data: unknown, timestamp: string): string {
  return JSON.stringify({ event, data, timestamp });
}

/** The body `{id, event, data, timestamp, signature}` from the signed part's JSON texts, signed with `secret`. */
export function deliveryBody(
  id: string,
  parts: { signed: string; event: string; data: string; timestamp: string },
  secret: string,
): string {
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
