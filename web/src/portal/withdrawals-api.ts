import { adminGql } from './api';
import {
  PortalApprove,
  PortalFind,
  PortalRead,
  PortalReject,
  PortalWithdrawals,
  type Withdrawal,
  type WithdrawalStatus,
} from './documents';

// The withdrawal operations of the portal, all with the admin session: the list across merchants (filtered),
// reading withdrawals by id (to follow approved ones to completed), approve and reject.

/** What the list shows; an empty string means any. */
export interface ListFilter {
  status: WithdrawalStatus | '';
  merchantId: string;
  mode: '' | 'LIVE' | 'TEST';
}

export const PAGE_SIZE = 50;
/** How many withdrawals one follow-up read asks for at most. */
export const READ_BATCH = 20;

export async function listWithdrawals(f: ListFilter): Promise<{ nodes: Withdrawal[]; total: number }> {
  const filter = {
    ...(f.status ? { status: f.status } : {}),
    ...(f.merchantId.trim() ? { merchantId: f.merchantId.trim() } : {}),
    ...(f.mode ? { mode: f.mode } : {}),
  };
  const r = await adminGql(PortalWithdrawals, { first: PAGE_SIZE, filter });
  return { nodes: r.withdrawals.edges.map((e) => e.node), total: r.withdrawals.totalCount };
}

/** Reads up to READ_BATCH withdrawals in one request (null: no such withdrawal). */
export async function readWithdrawals(ids: string[]): Promise<Map<string, Withdrawal | null>> {
  const some = ids.slice(0, READ_BATCH);
  if (some.length === 0) return new Map();
  const r = await adminGql(PortalRead, { ids: some });
  return new Map(
    some.map((id, i) => {
      const n = r.nodes[i];
      return [id, n?.__typename === 'Withdrawal' ? n : null];
    }),
  );
}

/** The withdrawal an operator asked for by id, or null when there is none. */
export async function findWithdrawal(id: string): Promise<Withdrawal | null> {
  return (await adminGql(PortalFind, { id })).withdrawal;
}

/** Approves (reason null) or rejects (with the reason): the withdrawal, or the API's error as text. */
export async function decideWithdrawal(
  id: string,
  reason: string | null,
): Promise<{ w: Withdrawal } | { error: string }> {
  const r =
    reason === null
      ? (await adminGql(PortalApprove, { id })).approveWithdrawal
      : (await adminGql(PortalReject, { id, reason })).rejectWithdrawal;
  if (r.__typename === 'Withdrawal') return { w: r };
  return { error: `${r.message} (${r.code})` };
}

const STATUS_RANK: Record<WithdrawalStatus, number> = {
  PENDING_APPROVAL: 0,
  APPROVED: 1,
  PROCESSING: 2,
  COMPLETED: 3,
  FAILED: 3,
  REJECTED: 3,
};
const PAYOUT_RANK = ['QUEUED', 'SIGNED', 'BROADCAST', 'CONFIRMING', 'COMPLETED', 'FAILED'];

/**
 * Whether `next` is at least as far along as `prev`: an answer that left the server before a newer one (a
 * list read started before a decision) must not move a row back.
 */
export function notOlder(prev: Withdrawal | null, next: Withdrawal): boolean {
  if (!prev) return true;
  const a = [STATUS_RANK[prev.status], PAYOUT_RANK.indexOf(prev.payoutState ?? ''), prev.confirmations];
  const b = [STATUS_RANK[next.status], PAYOUT_RANK.indexOf(next.payoutState ?? ''), next.confirmations];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return b[i]! > a[i]!;
  return true;
}

/** Approved and processing withdrawals still move by themselves (the payout worker). */
export function isMoving(w: Withdrawal | null): boolean {
  return w !== null && (w.status === 'APPROVED' || w.status === 'PROCESSING');
}
