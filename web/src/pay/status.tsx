import { compareDecimal, trimDecimal } from '../lib/money';
import { formatDateTime, formatDuration } from '../lib/time';
import type { Deposit, DepositFlag } from './documents';

// Where the payment stands: waiting (with the countdown), seen on chain (confirmations), paid or expired.

const FLAG_TEXT: Record<DepositFlag, string> = {
  UNDERPAID: 'Less than requested arrived. What arrived is credited; send the rest as a new payment.',
  OVERPAID: 'More than requested arrived. All of it is credited.',
  LATE: 'The payment arrived after the deadline. It is still credited.',
  MULTIPLE: 'The payment arrived in more than one transfer. Every transfer is credited.',
};

export function Status({ d, secondsLeft }: { d: Deposit; secondsLeft: number }) {
  if (d.status === 'CONFIRMED') {
    const cmp = compareDecimal(d.amountReceived, d.amount);
    return (
      <div class="status paid" role="status" data-testid="status">
        <p class="label">
          <span aria-hidden="true">✓ </span>Paid
        </p>
        <p>
          Received{' '}
          <strong data-testid="received">
            {trimDecimal(d.amountReceived)} {d.currency}
          </strong>
          {cmp !== null && cmp !== 0 ? ` of ${trimDecimal(d.amount)} ${d.currency} requested` : ''}.
        </p>
        <Flags flags={d.flags} />
        {d.txHash ? <TxHash hash={d.txHash} /> : null}
      </div>
    );
  }
  if (d.status === 'EXPIRED') {
    return (
      <div class="status expired" role="status" data-testid="status">
        <p class="label">
          <span aria-hidden="true">✕ </span>Expired
        </p>
        <p>No payment arrived before {formatDateTime(d.expiresAt)}.</p>
        <p>
          If you have sent money since, it is still credited: contact the merchant if it does not show up.
        </p>
        {d.failureReason ? <p>Reason: {d.failureReason}</p> : null}
        <Flags flags={d.flags} />
      </div>
    );
  }
  if (d.status === 'CONFIRMING') {
    const n = Math.min(d.confirmations, d.requiredConfirmations);
    return (
      <div class="status seen" role="status" data-testid="status">
        <p class="label">
          <span aria-hidden="true">◔ </span>Payment seen on chain
        </p>
        <p data-testid="confirmations">
          Confirmations: {n} of {d.requiredConfirmations}
        </p>
        <progress max={d.requiredConfirmations} value={n} aria-label="Confirmations" />
        <Flags flags={d.flags} />
        {d.txHash ? <TxHash hash={d.txHash} /> : null}
      </div>
    );
  }
  return (
    <div class="status waiting" role="status" data-testid="status">
      <p class="label">
        <span aria-hidden="true">… </span>Waiting for payment
      </p>
      {secondsLeft > 0 ? (
        <p data-testid="countdown">
          Time left: <strong>{formatDuration(secondsLeft)}</strong>
        </p>
      ) : (
        <p data-testid="countdown">The time is up; checking whether the payment is closed.</p>
      )}
      <p class="small">Pay before {formatDateTime(d.expiresAt)}.</p>
    </div>
  );
}

function Flags({ flags }: { flags: DepositFlag[] }) {
  const known = flags.filter((f) => FLAG_TEXT[f]);
  if (known.length === 0) return null;
  return (
    <ul class="flags" data-testid="flags">
      {known.map((f) => (
        <li key={f}>
          <strong>{f.toLowerCase()}:</strong> {FLAG_TEXT[f]}
        </li>
      ))}
    </ul>
  );
}

function TxHash({ hash }: { hash: string }) {
  return (
    <p class="small">
      Transaction: <code class="hash">{hash}</code>
    </p>
  );
}
