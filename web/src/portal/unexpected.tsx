import { useEffect, useState } from 'preact/hooks';
import { formatDateTime } from '../lib/time';
import { adminGql, errorText } from './api';
import { Badge, Loading, Panel, TextInput } from './components';
import { type Fund, PortalResolveFund, PortalUnexpectedFunds } from './console-documents';
import { useLoaded } from './hooks';
import type { Note } from './types';

// Unexpected funds: coins and foreign tokens paid to deposit addresses. Each is resolved once, with a reason:
// credit Stars to a user (the amount is the operator's: a foreign asset has no rate), mark for a refund by
// hand, or ignore. The API refuses a second resolution (409 conflict), so two operators cannot both credit.

type Action = 'CREDIT' | 'REFUND' | 'IGNORE';

export function UnexpectedFunds({ note, tick }: { note: Note; tick: number }) {
  const [state, setState] = useState<'OPEN' | 'RESOLVED'>('OPEN');
  const { value, error, reload } = useLoaded(
    async () => (await adminGql(PortalUnexpectedFunds, { first: 50, filter: { state } })).unexpectedFunds,
    [state, tick],
  );
  const rows = value?.edges.map((e) => e.node) ?? null;
  const total = value?.totalCount ?? 0;
  return (
    <Panel id="unexpected" title="Unexpected funds">
      <div class="inline">
        <label>
          Show{' '}
          <select
            value={state}
            data-testid="funds-state"
            onChange={(e) => setState((e.target as HTMLSelectElement).value as 'OPEN' | 'RESOLVED')}
          >
            <option value="OPEN">Waiting for a decision</option>
            <option value="RESOLVED">Resolved</option>
          </select>
        </label>
        <button type="button" class="secondary" onClick={() => void reload()}>
          Refresh
        </button>
      </div>
      {error ? <p class="error">Could not list unexpected funds: {error}</p> : null}
      {!rows ? (
        <Loading />
      ) : rows.length === 0 ? (
        <p class="muted" data-testid="funds-empty">
          Nothing {state === 'OPEN' ? 'waits for a decision' : 'resolved yet'}.
        </p>
      ) : (
        <>
          <p class="muted small">{total} matching, newest first.</p>
          <ul class="rows">
            {rows.map((f) => (
              <FundRow key={f.unexpectedFundId} fund={f} note={note} />
            ))}
          </ul>
        </>
      )}
    </Panel>
  );
}

/** One payment; once resolved here it shows its resolution in place (the list drops it on its next read). */
export function FundRow({ fund, note }: { fund: Fund; note: Note }) {
  const [current, setCurrent] = useState(fund);
  useEffect(() => setCurrent(fund), [fund]);
  const r = current.resolution;
  return (
    <li class="row" data-testid="fund-row" data-id={current.unexpectedFundId}>
      <div class="row-head">
        <strong>
          {current.amountBaseUnits} base units of{' '}
          {current.asset === 'TRX' || current.asset === 'native' ? (
            current.asset
          ) : (
            <code class="wrap">{current.asset}</code>
          )}
        </strong>
        <Badge status={r ? r.action.toLowerCase() : 'open'} testId="fund-state" />
      </div>
      <p class="small">
        to <code class="wrap">{current.address}</code> on {current.chain}, tx{' '}
        <code class="wrap">{current.txHash}</code>
        {current.depositId
          ? ` · deposit ${current.depositId} of ${current.merchantId} (${current.mode?.toLowerCase()}), user ${current.userId}`
          : ''}{' '}
        · seen {formatDateTime(current.createdAt)}
      </p>
      {r ? (
        <p class="small" data-testid="fund-resolution">
          {r.action.toLowerCase()} by {r.actor} {formatDateTime(r.createdAt)}: {r.reason}
          {r.amount ? ` (${r.amount} Stars to ${r.userId}, ${r.transactionId})` : ''}
        </p>
      ) : (
        <Resolve
          fund={current}
          onDone={(f, text) => {
            setCurrent(f);
            note(text);
          }}
        />
      )}
    </li>
  );
}

function Resolve({ fund, onDone }: { fund: Fund; onDone: (f: Fund, text: string) => void }) {
  const [action, setAction] = useState<Action>('CREDIT');
  const [userId, setUserId] = useState(fund.userId ?? '');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ready =
    reason.trim() !== '' && (action !== 'CREDIT' || (amount.trim() !== '' && userId.trim() !== ''));
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      const input =
        action === 'CREDIT'
          ? { action, userId: userId.trim(), amount: amount.trim(), reason: reason.trim() }
          : { action, reason: reason.trim() };
      const r = (await adminGql(PortalResolveFund, { id: fund.unexpectedFundId, input }))
        .resolveUnexpectedFund;
      if (r.__typename === 'UnexpectedFund') {
        onDone(r, `unexpected payment ${fund.txHash}: ${action.toLowerCase()} (${reason.trim()})`);
      } else if ('code' in r) setError(`${r.message} (${r.code})`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class="actions"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <select
        value={action}
        data-testid="fund-action"
        onChange={(e) => setAction((e.target as HTMLSelectElement).value as Action)}
      >
        <option value="CREDIT">Credit Stars to a user</option>
        <option value="REFUND">Mark for refund</option>
        <option value="IGNORE">Ignore</option>
      </select>
      {action === 'CREDIT' ? (
        <>
          <TextInput
            label="User"
            placeholder="user id"
            value={userId}
            testId="fund-user"
            onValue={setUserId}
          />
          <TextInput
            label="Stars"
            placeholder="Stars"
            value={amount}
            testId="fund-amount"
            onValue={setAmount}
          />
        </>
      ) : null}
      <TextInput
        label="Reason"
        placeholder="reason (required)"
        value={reason}
        testId="fund-reason"
        onValue={setReason}
      />
      <button type="submit" disabled={!ready || busy} data-testid="fund-resolve">
        Resolve
      </button>
      {error ? (
        <span class="error" data-testid="fund-error">
          {error}
        </span>
      ) : null}
    </form>
  );
}
