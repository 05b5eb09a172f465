import { useState } from 'preact/hooks';
import { errorText } from './api';
import { Badge, TextInput } from './components';
import type { TreasuryRow } from './documents';
import { type Mode, type Outcome, setPaused, sweepAddress, sweepNow } from './treasury-api';
import type { Note } from './types';

// Ops' controls of one network's sweeping (docs/treasury.md "Runbook"): a sweep pass now, pause (with a reason,
// after a confirmation) or resume, and the sweep of one deposit address. Every button of the network is
// disabled while one of its mutations is in flight; the answer stays under the buttons: the queued job's id, the
// new pause state, or the refusal's message and code. Whether the network is paused comes from `ops.treasury`
// (the row), read again at once after a pause or resume (`refresh`).

type Action = 'sweepNow' | 'pause' | 'resume' | 'sweepAddress';

const REASON_MAX = 500;

export function NetworkControls(props: { row: TreasuryRow; note: Note; refresh: () => Promise<void> }) {
  const { row, note, refresh } = props;
  const mode = row.mode as Mode;
  const label = `${row.network} ${mode.toLowerCase()}`;
  const [busy, setBusy] = useState<Action | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [pausing, setPausing] = useState(false);
  const [reason, setReason] = useState('');
  const [address, setAddress] = useState('');

  const act = async (action: Action, call: () => Promise<Outcome>) => {
    setBusy(action);
    setOutcome(null);
    try {
      const r = await call();
      setOutcome(r);
      note(`treasury ${label}: ${r.text}`);
      if (r.ok && (action === 'pause' || action === 'resume')) {
        setPausing(false);
        setReason('');
        await refresh();
      }
      if (r.ok && action === 'sweepAddress') setAddress('');
    } catch (e) {
      setOutcome({ ok: false, code: 'error', text: `Failed: ${errorText(e)}` });
    } finally {
      setBusy(null);
    }
  };
  const id = `${row.network}-${mode}`;
  return (
    <li class="row" data-testid={`treasury-controls-${id}`} aria-busy={busy !== null}>
      <div class="row-head">
        <strong>{label}</strong>
        <Badge status={row.paused ? 'paused' : 'sweeping'} />
      </div>
      <div class="actions">
        <button
          type="button"
          disabled={busy !== null}
          data-testid="sweep-now"
          onClick={() => void act('sweepNow', () => sweepNow(row.network, mode))}
        >
          {busy === 'sweepNow' ? 'Queuing…' : 'Sweep now'}
        </button>
        {row.paused ? (
          <button
            type="button"
            disabled={busy !== null}
            data-testid="resume-sweeping"
            onClick={() => void act('resume', () => setPaused(row.network, mode, false, null))}
          >
            {busy === 'resume' ? 'Resuming…' : 'Resume sweeping'}
          </button>
        ) : pausing ? null : (
          <button
            type="button"
            class="danger"
            disabled={busy !== null}
            data-testid="pause-sweeping"
            onClick={() => setPausing(true)}
          >
            Pause…
          </button>
        )}
      </div>
      {pausing && !row.paused ? (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            if (reason.trim()) void act('pause', () => setPaused(row.network, mode, true, reason.trim()));
          }}
        >
          <label for={`pause-reason-${id}`}>Why pause {label}? (required)</label>
          <input
            id={`pause-reason-${id}`}
            value={reason}
            required
            maxLength={REASON_MAX}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
            data-testid="pause-reason"
          />
          <button
            type="submit"
            class="danger"
            disabled={busy !== null || !reason.trim()}
            data-testid="confirm-pause"
          >
            {busy === 'pause' ? 'Pausing…' : `Pause ${label}`}
          </button>
          <button
            type="button"
            class="secondary"
            disabled={busy !== null}
            onClick={() => {
              setPausing(false);
              setReason('');
            }}
          >
            Cancel
          </button>
        </form>
      ) : null}
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (address.trim()) void act('sweepAddress', () => sweepAddress(row.network, mode, address.trim()));
        }}
      >
        <TextInput
          label={`Deposit address on ${label}`}
          placeholder="deposit address"
          value={address}
          testId="sweep-address-input"
          class="grow"
          onValue={setAddress}
        />
        <button type="submit" disabled={busy !== null || !address.trim()} data-testid="sweep-address">
          {busy === 'sweepAddress' ? 'Queuing…' : 'Sweep address'}
        </button>
      </form>
      {outcome ? <OutcomeLine outcome={outcome} /> : null}
    </li>
  );
}

function OutcomeLine({ outcome }: { outcome: Outcome }) {
  return (
    <p
      class="small"
      role="status"
      data-testid="treasury-outcome"
      data-outcome={outcome.ok ? 'done' : 'refused'}
      data-code={outcome.ok ? undefined : outcome.code}
      data-job={outcome.ok ? (outcome.jobId ?? undefined) : undefined}
    >
      <Badge status={outcome.ok ? 'done' : 'refused'} /> {outcome.text}
    </p>
  );
}
