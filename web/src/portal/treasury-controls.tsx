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

/** One mutation at a time per network: which is in flight, and the last answer (also sent to the feed). */
function useAction(label: string, note: Note) {
  const [busy, setBusy] = useState<Action | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  /** Runs `call`; true when the API did what was asked. */
  const act = async (action: Action, call: () => Promise<Outcome>): Promise<boolean> => {
    setBusy(action);
    setOutcome(null);
    try {
      const r = await call();
      setOutcome(r);
      note(`treasury ${label}: ${r.text}`);
      return r.ok;
    } catch (e) {
      setOutcome({ ok: false, code: 'error', text: `Failed: ${errorText(e)}` });
      return false;
    } finally {
      setBusy(null);
    }
  };
  return { busy, outcome, act };
}

export function NetworkControls(props: { row: TreasuryRow; note: Note; refresh: () => Promise<void> }) {
  const { row, refresh } = props;
  const mode = row.mode as Mode;
  const label = `${row.network} ${mode.toLowerCase()}`;
  const id = `${row.network}-${mode}`;
  const { busy, outcome, act } = useAction(label, props.note);
  const [pausing, setPausing] = useState(false);
  const pause = async (paused: boolean, reason: string | null) => {
    if (await act(paused ? 'pause' : 'resume', () => setPaused(row.network, mode, paused, reason))) {
      setPausing(false);
      await refresh();
    }
  };
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
            onClick={() => void pause(false, null)}
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
        <PauseForm
          id={id}
          label={label}
          busy={busy}
          onPause={(reason) => void pause(true, reason)}
          onCancel={() => setPausing(false)}
        />
      ) : null}
      <AddressForm
        label={label}
        busy={busy}
        onSweep={(address) => act('sweepAddress', () => sweepAddress(row.network, mode, address))}
      />
      {outcome ? <OutcomeLine outcome={outcome} /> : null}
    </li>
  );
}

/** The confirmation of a pause: the reason is required, and nothing is paused before "Pause <network>". */
function PauseForm(props: {
  id: string;
  label: string;
  busy: Action | null;
  onPause: (reason: string) => void;
  onCancel: () => void;
}) {
  const [reason, setReason] = useState('');
  return (
    <form
      class="inline"
      onSubmit={(e) => {
        e.preventDefault();
        if (reason.trim()) props.onPause(reason.trim());
      }}
    >
      <label for={`pause-reason-${props.id}`}>Why pause {props.label}? (required)</label>
      <input
        id={`pause-reason-${props.id}`}
        value={reason}
        required
        maxLength={REASON_MAX}
        onInput={(e) => setReason((e.target as HTMLInputElement).value)}
        data-testid="pause-reason"
      />
      <button
        type="submit"
        class="danger"
        disabled={props.busy !== null || !reason.trim()}
        data-testid="confirm-pause"
      >
        {props.busy === 'pause' ? 'Pausing…' : `Pause ${props.label}`}
      </button>
      <button type="button" class="secondary" disabled={props.busy !== null} onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}

/** A deposit address to sweep now; cleared once the sweep is queued. */
function AddressForm(props: {
  label: string;
  busy: Action | null;
  onSweep: (address: string) => Promise<boolean>;
}) {
  const [address, setAddress] = useState('');
  return (
    <form
      class="inline"
      onSubmit={(e) => {
        e.preventDefault();
        const a = address.trim();
        if (a) void props.onSweep(a).then((ok) => ok && setAddress(''));
      }}
    >
      <TextInput
        label={`Deposit address on ${props.label}`}
        placeholder="deposit address"
        value={address}
        testId="sweep-address-input"
        class="grow"
        onValue={setAddress}
      />
      <button type="submit" disabled={props.busy !== null || !address.trim()} data-testid="sweep-address">
        {props.busy === 'sweepAddress' ? 'Queuing…' : 'Sweep address'}
      </button>
    </form>
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
