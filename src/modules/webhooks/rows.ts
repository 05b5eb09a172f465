import type { Mode } from '../../lib/tenant.js';

// The rows of webhook endpoints, deliveries and attempts as PostgreSQL returns them (WebhooksService, the
// dispatcher), and a delivery job's data.

export interface EndpointRow {
  id: string;
  merchant_id: string;
  mode: Mode;
  url: string;
  description: string | null;
  events: string[];
  secret_ciphertext: Buffer;
  previous_secret_ciphertext: Buffer | null;
  previous_secret_expires_at: Date | null;
  /** The API key whose secret signs the body `signature` (opt-in); null: the endpoint's own secret. */
  body_signing_key_id: string | null;
  status: 'enabled' | 'disabled';
  disabled_reason: string | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface DeliveryRow {
  event_id: string;
  endpoint_id: string;
  merchant_id: string;
  mode: Mode;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

export interface AttemptRow {
  attempt: number;
  status_code: number | null;
  latency_ms: number;
  response_snippet: string | null;
  error: string | null;
  created_at: Date;
}

export interface DeliveryJob {
  eventId: string;
  endpointId: string;
  force?: boolean;
}
