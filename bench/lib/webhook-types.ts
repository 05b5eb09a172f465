import type { SendResult } from '../webhooks-sender.js';
import type { CpuSplit } from './cpu.js';
import type { WebhookCheck } from './db.js';
import type { Merchant } from './fixtures.js';
import type { HttpClient } from './load.js';
import type { ServerChild } from './proc.js';
import type { Receiver } from './receiver.js';
import type { Delivered, DeliveryPause, Transfers } from './webhook-phases.js';

// What the webhooks benchmark (bench/webhooks.ts) measures and passes around: a phase of ours, a plain fetch
// baseline, and the servers and clients every phase uses.

export interface Phase {
  name: string;
  endpoints: number;
  transfers: Transfers;
  waited: string;
  figures: Delivered;
  cpu: CpuSplit;
  db: WebhookCheck;
  sample?: { body: string; headers: Record<string, string> } | null;
  /** For faults: the healthy endpoints only. */
  healthy?: Delivered;
  /** The API's ledger batches while the phase's transfers ran. */
  ledger?: string;
  /** GC pauses and event-loop delays of the servers and the bench process over the phase. */
  stalls?: string[];
}

export interface Baseline {
  endpoints: number;
  concurrency: number;
  sent: SendResult;
  figures: Delivered;
  cpu: CpuSplit;
}

export interface Ctx {
  api: ServerChild;
  workers: ServerChild[];
  http: HttpClient;
  merchant: Merchant;
  receiver: Receiver;
  pause: DeliveryPause;
  k: number;
  /** The admin token, for the servers' /metrics. */
  token: string;
}
