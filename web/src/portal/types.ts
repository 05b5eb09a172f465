// What the portal reads from GraphQL (the admin session): withdrawals with their audit trail, deposits, and
// the admin `ops` field (queues, scanners, webhook backlog).

export interface AuditEntry {
  action: string;
  actor: string;
  reason: string | null;
  at: string;
}

export type WithdrawalStatus =
  | 'pending_approval'
  | 'approved'
  | 'processing'
  | 'completed'
  | 'failed'
  | 'rejected';

export interface Withdrawal {
  id: string;
  merchantId: string | null;
  mode: string | null;
  userId: string;
  network: string;
  walletAddress: string;
  status: WithdrawalStatus;
  payoutState: string | null;
  confirmations: number;
  waitingReason: string | null;
  amount: string;
  fee: string;
  amountUsdt: string;
  networkFee: string;
  txHash: string | null;
  failureReason: string | null;
  createdAt: string;
  completedAt: string | null;
  audit: AuditEntry[];
}

export interface DepositRow {
  id: string;
  userId: string;
  network: string;
  currency: string;
  amount: string;
  amountReceived: string;
  status: string;
  flags: string[];
  createdAt: string;
}

export interface FailedJob {
  id: string;
  name: string;
  failedReason: string;
  attemptsMade: number;
  failedAt: string | null;
}

export interface QueueStatus {
  name: string;
  paused: boolean | null;
  counts: { waiting: number; active: number; delayed: number; failed: number; completed: number } | null;
  oldestWaitingAgeSeconds: number | null;
  failedJobs: FailedJob[];
  error: string | null;
}

export interface ScannerStatus {
  chain: string;
  headBlock: number | null;
  cursorBlock: number;
  lagBlocks: number | null;
  lagSeconds: number | null;
}

export interface Backlog {
  endpointId: string;
  merchantId: string;
  mode: string;
  url: string;
  status: string;
  failingSince: string | null;
  pending: number;
  due: number;
  oldestPendingAgeSeconds: number;
}

export interface Ops {
  at: string;
  queues: QueueStatus[];
  scanners: ScannerStatus[];
  webhookBacklog: Backlog[];
}

export interface FeedItem {
  at: string;
  text: string;
}

/** Adds a line to the live feed. */
export type Note = (text: string) => void;
