import { adminGql } from './api';
import type { Withdrawal, WithdrawalStatus } from './types';

// The withdrawal operations of the portal, all with the admin session: the list across merchants (filtered),
// reading withdrawals by id (to follow approved ones to completed), approve and reject.

const W = `id merchantId mode userId network walletAddress status payoutState confirmations waitingReason
  amount fee amountUsdt networkFee txHash failureReason createdAt completedAt
  audit { action actor reason at }`;
const LIST = `query PortalWithdrawals($first: Int!, $filter: WithdrawalFilter) {
  withdrawals(first: $first, filter: $filter) { totalCount edges { node { ${W} } } } }`;
const APPROVE = `mutation PortalApprove($id: ID!) { approveWithdrawal(id: $id) {
  __typename ... on Withdrawal { ${W} } ... on Error { code message } } }`;
const REJECT = `mutation PortalReject($id: ID!, $reason: String!) { rejectWithdrawal(id: $id, reason: $reason) {
  __typename ... on Withdrawal { ${W} } ... on Error { code message } } }`;

/** What the list shows; an empty string means any. */
export interface ListFilter {
  status: WithdrawalStatus | '';
  merchantId: string;
  mode: '' | 'live' | 'test';
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
  const r = await adminGql<{ withdrawals: { totalCount: number; edges: { node: Withdrawal }[] } }>(LIST, {
    first: PAGE_SIZE,
    filter,
  });
  return { nodes: r.withdrawals.edges.map((e) => e.node), total: r.withdrawals.totalCount };
}

/** Reads up to READ_BATCH withdrawals in one request (null: no such withdrawal). */
export async function readWithdrawals(ids: string[]): Promise<Map<string, Withdrawal | null>> {
  const some = ids.slice(0, READ_BATCH);
  if (some.length === 0) return new Map();
  const vars = some.map((_, i) => `$i${i}: ID!`).join(', ');
  const fields = some.map((_, i) => `w${i}: withdrawal(id: $i${i}) { ${W} }`).join('\n');
  const r = await adminGql<Record<string, Withdrawal | null>>(
    `query PortalRead(${vars}) {\n${fields}\n}`,
    Object.fromEntries(some.map((id, i) => [`i${i}`, id])),
  );
  return new Map(some.map((id, i) => [id, r[`w${i}`] ?? null]));
}

type DecisionResult =
  | ({ __typename: 'Withdrawal' } & Withdrawal)
  | { __typename: string; code: string; message: string };

/** Approves (reason null) or rejects (with the reason): the withdrawal, or the API's error as text. */
export async function decideWithdrawal(
  id: string,
  reason: string | null,
): Promise<{ w: Withdrawal } | { error: string }> {
  const r: DecisionResult =
    reason === null
      ? (await adminGql<{ approveWithdrawal: DecisionResult }>(APPROVE, { id })).approveWithdrawal
      : (await adminGql<{ rejectWithdrawal: DecisionResult }>(REJECT, { id, reason })).rejectWithdrawal;
  if (r.__typename === 'Withdrawal') return { w: r as Withdrawal };
  const err = r as { code: string; message: string };
  return { error: `${err.message} (${err.code})` };
}

const STATUS_RANK: Record<WithdrawalStatus, number> = {
  pending_approval: 0,
  approved: 1,
  processing: 2,
  completed: 3,
  failed: 3,
  rejected: 3,
};
const PAYOUT_RANK = ['queued', 'signed', 'broadcast', 'confirming', 'completed', 'failed'];

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
  return w !== null && (w.status === 'approved' || w.status === 'processing');
}
