import { hmacSha256Hex } from '../../lib/crypto.js';

// The delivery format of API.md "Webhooks":
//   body      {id, event, data, timestamp, signature}, signature = hex HMAC-SHA256(secret, JSON of {event, data, timestamp})
//   headers   X-Webhook-Id, X-Webhook-Timestamp, X-Signature: t=<unix>,v1=<hex HMAC of "<t>.<raw body>">
// During a secret rotation both secrets sign the header (one v1= each), like Stripe.

export interface WebhookEventView {
  id: string;
  type: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

export function payloadSignature(secret: string, event: string, data: unknown, timestamp: string): string {
  return hmacSha256Hex(secret, JSON.stringify({ event, data, timestamp }));
}

export function buildDelivery(e: WebhookEventView, secrets: string[], now: Date = new Date()) {
  const timestamp = e.createdAt.toISOString();
  const signature = payloadSignature(secrets[0]!, e.type, e.data, timestamp);
  const body = JSON.stringify({ id: e.id, event: e.type, data: e.data, timestamp, signature });
  const t = Math.floor(now.getTime() / 1000);
  const v1 = secrets.map((s) => `v1=${hmacSha256Hex(s, `${t}.${body}`)}`).join(',');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'NovaPayments-Webhooks/1.0',
      'x-webhook-id': e.id,
      'x-webhook-timestamp': String(t),
      'x-signature': `t=${t},${v1}`,
    },
  };
}
