import { useState } from 'preact/hooks';
import { formatDateTime } from '../lib/time';
import { Badge, Fact } from './components';
import type { AuditEntry, Withdrawal } from './documents';
import type { Row } from './use-withdrawals';

// One withdrawal: who, how much, where to, its status and payout step, the decision buttons while it waits
// for approval, and its audit trail.

type Decide = (id: string, reason: string | null) => void;

export function WithdrawalRow({ row, decide }: { row: Row; decide: Decide }) {
  const w = row.w;
  // The page shows the API's enum values in lower case (`pending_approval`), as before.
  const status = w ? w.status.toLowerCase() : 'not loaded';
  return (
    <li
      class="row"
      data-testid="withdrawal-row"
      data-id={row.id}
      data-status={status}
      data-payout-state={w?.payoutState?.toLowerCase() ?? ''}
    >
      <div class="row-head">
        <code>{row.id}</code>
        <Badge status={status} testId="withdrawal-status" />
      </div>
      {w ? <Details w={w} /> : <p class="muted small">Loading the details…</p>}
      {w?.status === 'PENDING_APPROVAL' ? <Decision row={row} decide={decide} /> : null}
      {row.error ? (
        <p class="error" role="alert">
          {row.error}
        </p>
      ) : null}
      {w && w.audit.length > 0 ? <Audit entries={w.audit} /> : null}
    </li>
  );
}

function Details({ w }: { w: Withdrawal }) {
  return (
    <dl class="kv">
      <Fact label="Merchant">
        {w.merchantId ? `${w.merchantId}${w.mode ? ` (${w.mode.toLowerCase()})` : ''}` : null}
      </Fact>
      <Fact label="User">{w.userId}</Fact>
      <Fact label="Amount">
        {w.amount} Stars (fee {w.fee}) → {w.amountUsdt} USDT
      </Fact>
      <Fact label="To">
        <code class="wrap">{w.walletAddress}</code> on {w.network}
      </Fact>
      <Fact label="Payout">{w.payoutState ? <PayoutStep w={w} /> : null}</Fact>
      <Fact label="Waiting">
        {w.waitingReason ? <span data-testid="waiting-reason">{w.waitingReason}</span> : null}
      </Fact>
      <Fact label="Failure">{w.failureReason}</Fact>
      <Fact label="Tx">{w.txHash ? <code class="wrap">{w.txHash}</code> : null}</Fact>
      <Fact label="Created">{formatDateTime(w.createdAt)}</Fact>
      <Fact label="Completed">{w.completedAt ? formatDateTime(w.completedAt) : null}</Fact>
    </dl>
  );
}

function PayoutStep({ w }: { w: Withdrawal }) {
  const counting = w.payoutState === 'CONFIRMING' || w.payoutState === 'COMPLETED' || w.confirmations > 0;
  return (
    <span data-testid="payout-state">
      {w.payoutState?.toLowerCase()}
      {counting ? (
        <span data-testid="confirmations">
          , {w.confirmations} confirmation{w.confirmations === 1 ? '' : 's'}
        </span>
      ) : null}
    </span>
  );
}

function Decision({ row, decide }: { row: Row; decide: Decide }) {
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  return (
    <div class="actions">
      <button type="button" disabled={row.busy} onClick={() => decide(row.id, null)} data-testid="approve">
        Approve
      </button>
      {rejecting ? (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim()) decide(row.id, reason.trim());
          }}
        >
          <label for={`reason-${row.id}`}>Reason (required)</label>
          <input
            id={`reason-${row.id}`}
            value={reason}
            required
            maxLength={500}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
            data-testid="reject-reason"
          />
          <button
            type="submit"
            class="danger"
            disabled={row.busy || !reason.trim()}
            data-testid="confirm-reject"
          >
            Reject and refund
          </button>
        </form>
      ) : (
        <button
          type="button"
          class="danger"
          disabled={row.busy}
          onClick={() => setRejecting(true)}
          data-testid="reject"
        >
          Reject…
        </button>
      )}
    </div>
  );
}

const REFUNDED = ' (the held Stars were refunded to the user)';

function Audit({ entries }: { entries: AuditEntry[] }) {
  return (
    <div class="audit">
      <h3>Audit trail</h3>
      <ol data-testid="audit">
        {entries.map((a) => (
          <li key={`${a.action}-${a.at}`}>
            <strong>{a.action}</strong> by {a.actor}, {formatDateTime(a.at)}
            {a.reason ? <>: “{a.reason}”</> : null}
            {a.action === 'rejected' || a.action === 'failed' ? REFUNDED : null}
          </li>
        ))}
      </ol>
    </div>
  );
}
